"""The outreach form. It shapes the page and carries what was typed; the outreach service
decides what is allowed, so the form checks nothing but its own token."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from crm.forms.register import choices
from crm.models import Channel, Direction, Outcome


class Needed:
    """Marks a field "(required)" on the page; the service refuses it empty, with a message
    saying where."""

    field_flags = {"required": True}

    def __call__(self, form: Any, field: Any) -> None:
        return None


class IdListField(Field):
    """The ids of a picker's ticked checkboxes, as sent (the view reads them as numbers).

    Rendered by the picker macros, never by itself."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = list(valuelist)

    def process_data(self, value: Any) -> None:
        self.data = list(value or ())


def direction_choices() -> list[SelectChoice]:
    labels = {
        Direction.OUTBOUND: "Outbound (we reached out)",
        Direction.INBOUND: "Inbound (they came to us)",
    }
    return [SelectChoice(d.value, labels[d]) for d in Direction]


class OutreachForm(FlaskForm):
    # The names are the contract with the benchmark and the quick-log panel (see the brief).
    occurred_on = StringField("Date", validators=[Needed()], render_kw={"type": "date"})
    occurred_time = StringField(
        "Time", validators=[Needed()], render_kw={"type": "time", "step": "60"}
    )
    channel = SelectField(
        "Channel", choices=choices(Channel, None), validators=[Needed()], validate_choice=False
    )
    direction = SelectField(
        "Direction",
        choices=direction_choices(),
        default=Direction.OUTBOUND.value,
        validate_choice=False,
    )
    subject = StringField("Subject", validators=[Needed()], render_kw={"maxlength": 300})
    person_ids = IdListField("People")
    people_query = StringField("Add a person", render_kw={"autocomplete": "off"})
    organisation_ids = IdListField("Organisations")
    organisations_query = StringField("Add an organisation", render_kw={"autocomplete": "off"})
    subitem_ids = IdListField("Sub-items", validators=[Needed()])
    subitems_query = StringField("Add a sub-item", render_kw={"autocomplete": "off"})
    material_ids = IdListField("Materials disseminated")
    event_id = SelectField("Event", default="", validate_choice=False)
    outcome = SelectField("Outcome", choices=choices(Outcome), default="", validate_choice=False)
    notes = TextAreaField("Notes")
    # "Follow up": in N days or on a date, a title (default "Follow up: <subject>"); created
    # with the record, assigned to whoever logs it. Empty: no follow-up.
    follow_up_days = StringField(
        "In how many days", render_kw={"inputmode": "numeric", "size": 4, "maxlength": 4}
    )
    follow_up_on = StringField("Or on", render_kw={"type": "date"})
    follow_up_title = StringField("What to do", render_kw={"maxlength": 300})
    version = HiddenField()
    next = HiddenField()


class RecordActionForm(FlaskForm):
    """Delete and restore: the token, the version the user saw, where to go afterwards."""

    version = HiddenField()
    next = HiddenField()
