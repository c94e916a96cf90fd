"""The forms of follow-ups. They shape the pages and carry what was typed; the follow-ups
service decides what is allowed, so the forms check nothing but their own token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from crm.forms.outreach import IdListField, Needed, OutreachForm


class FollowUpForm(FlaskForm):
    """A follow-up's own fields. What it is about are ticked checkboxes (as the outreach
    form's pickers): a person and an organisation picked by typing, the outreach record and
    the event it came from ticked when the page was opened from them (untick to remove)."""

    title = StringField("What to do", validators=[Needed()], render_kw={"maxlength": 300})
    due_date = StringField("Due on", validators=[Needed()], render_kw={"type": "date"})
    due_time = StringField("At (optional)", render_kw={"type": "time", "step": "60"})
    assignee_id = SelectField("Assigned to", default="", validate_choice=False)
    person_ids = IdListField("Person")
    people_query = StringField("Add a person", render_kw={"autocomplete": "off"})
    organisation_ids = IdListField("Organisation")
    organisations_query = StringField("Add an organisation", render_kw={"autocomplete": "off"})
    outreach_ids = IdListField("Outreach record")
    event_ids = IdListField("Event")
    subitem_ids = IdListField("Sub-items")
    subitems_query = StringField("Add a sub-item", render_kw={"autocomplete": "off"})
    notes = TextAreaField("Notes")
    version = HiddenField()
    next = HiddenField()


# What completing does besides marking the follow-up done.
LOG = "log"
ONLY = "only"


class CompleteForm(OutreachForm):
    """Completing a follow-up: alone, or with the outreach that resulted, logged through the
    outreach form's own fields (and its "Follow up" part, for the next step). ``version`` is
    the follow-up's."""

    then = RadioField(
        "How it ended",
        choices=[
            SelectChoice(LOG, "Log the outreach that resulted (the fields below)"),
            SelectChoice(ONLY, "Mark it done without logging outreach"),
        ],
        default=LOG,
        validate_choice=False,
    )


class FollowUpActionForm(FlaskForm):
    """Reopen and cancel: the token, the version the user saw, where to go afterwards."""

    version = HiddenField()
    next = HiddenField()


class PreferencesForm(FlaskForm):
    """The time zone a user works in and the hour of their daily digest. Both selects are
    rendered from fixed options (``templating.option_tags``): 600 zones per view otherwise."""

    timezone = SelectField("Time zone", default="", validate_choice=False)
    digest_hour = SelectField("Daily digest of follow-ups", default="", validate_choice=False)
