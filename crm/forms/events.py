"""The forms of the event pages. They shape the pages and carry what was typed; the view
checks each field's shape with the service's own checks (all at once), and the events service
decides what is allowed."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from crm.forms.outreach import IdListField, Needed
from crm.forms.register import choices
from crm.models import Attendance, EventKind, EventStatus, OurRole, ParticipantRole

# When the event happens: at times of day, or on whole days.
TIMED = "timed"
ALL_DAY = "all-day"
# How a series ends.
UNTIL = "until"
COUNT = "count"


class EventForm(FlaskForm):
    """An event's own fields (the names are the service's data keys, except the pickers':
    the organiser organisation and the sub-items are ticked ids, as on the outreach form),
    declared in the order the page shows them: the summary of a refused form lists its
    problems in that order."""

    title = StringField("Title", validators=[Needed()], render_kw={"maxlength": 300})
    kind = SelectField(
        "Kind",
        choices=choices(EventKind, "Choose the kind"),
        validators=[Needed()],
        validate_choice=False,
    )
    our_role = SelectField(
        "Our role",
        choices=choices(OurRole, "Choose our role"),
        validators=[Needed()],
        validate_choice=False,
    )
    status = SelectField(
        "Status",
        choices=choices(EventStatus, None),
        default=EventStatus.PLANNED.value,
        validate_choice=False,
    )
    timing = RadioField(
        "Times of day or whole days",  # inside the fieldset "When": not "When" again
        choices=[
            SelectChoice(TIMED, "At set times of day"),
            SelectChoice(ALL_DAY, "All day, over one or several days"),
        ],
        default=TIMED,
        validate_choice=False,
    )
    start_date = StringField("Starts on", validators=[Needed()], render_kw={"type": "date"})
    start_time = StringField("Start time", render_kw={"type": "time", "step": "60"})
    end_date = StringField("Ends on", render_kw={"type": "date"})  # empty: the first day
    end_time = StringField("End time", render_kw={"type": "time", "step": "60"})
    timezone = SelectField("Time zone", default="", validate_choice=False)
    recurrence = SelectField(
        "Repeats",
        choices=[
            SelectChoice("", "Does not repeat"),
            SelectChoice("weekly", "Weekly"),
            SelectChoice("monthly", "Monthly"),
        ],
        default="",
        validate_choice=False,
    )
    recurrence_interval = StringField(
        "Every", default="1", render_kw={"inputmode": "numeric", "size": 3, "maxlength": 3}
    )
    recurrence_end = RadioField(
        "Ends",
        choices=[SelectChoice(UNTIL, "On a date"), SelectChoice(COUNT, "After a number of times")],
        default=UNTIL,
        validate_choice=False,
    )
    recurrence_until = StringField("Last date", render_kw={"type": "date"})
    recurrence_count = StringField(
        "Number of times", render_kw={"inputmode": "numeric", "size": 4, "maxlength": 4}
    )
    venue = StringField("Venue", render_kw={"maxlength": 300})
    city = StringField("City", render_kw={"maxlength": 120})
    country_code = SelectField("Country", default="", validate_choice=False)
    online_url = StringField(
        "Online link", render_kw={"type": "url", "maxlength": 500, "inputmode": "url"}
    )
    organisation_ids = IdListField("Organiser from the register")
    organisations_query = StringField("Organiser organisation", render_kw={"autocomplete": "off"})
    organiser_name = StringField("Or the organiser's name", render_kw={"maxlength": 300})
    subitem_ids = IdListField("Sub-items")
    subitems_query = StringField("Add a sub-item", render_kw={"autocomplete": "off"})
    # "0", "off", "no" are no (WTForms' default took all but "" and "false" for yes); the
    # view passes what was sent to the service, which refuses anything else.
    is_published = BooleanField(
        "Published on the public agenda and calendar feed",
        false_values=("", "0", "off", "false", "no", "n"),
    )
    description = TextAreaField("Description")
    description_format = RadioField(
        "Description written as",
        choices=[SelectChoice("text", "Plain text"), SelectChoice("markdown", "Markdown")],
        default="text",
        validate_choice=False,
    )
    version = HiddenField()
    next = HiddenField()


class PostponeForm(FlaskForm):
    """Postponing: optionally to new dates (empty: postponed, dates to be announced)."""

    start_date = StringField("New start date", render_kw={"type": "date"})
    start_time = StringField("New start time", render_kw={"type": "time", "step": "60"})
    end_date = StringField("New end date", render_kw={"type": "date"})
    end_time = StringField("New end time", render_kw={"type": "time", "step": "60"})
    version = HiddenField()


class MoveForm(FlaskForm):
    """Moving one occurrence of a series."""

    start_date = StringField("New date", render_kw={"type": "date"})
    start_time = StringField("New start time", render_kw={"type": "time", "step": "60"})
    end_date = StringField("New end date", render_kw={"type": "date"})
    end_time = StringField("New end time", render_kw={"type": "time", "step": "60"})


class ParticipantForm(FlaskForm):
    """Adding someone of the register: a person or an organisation (pickers), their role and
    whether they were invited, registered or attended."""

    person_ids = IdListField("Person")
    people_query = StringField("Person", render_kw={"autocomplete": "off"})
    organisation_ids = IdListField("Organisation")
    organisations_query = StringField("Or an organisation", render_kw={"autocomplete": "off"})
    role = SelectField(
        "Role",
        choices=choices(ParticipantRole, None),
        default=ParticipantRole.ATTENDEE.value,
        validate_choice=False,
    )
    attendance = SelectField(
        "Attendance",
        choices=choices(Attendance, None),
        default=Attendance.INVITED.value,
        validate_choice=False,
    )


class ParticipantUpdateForm(FlaskForm):
    role = SelectField("Role", choices=choices(ParticipantRole, None), validate_choice=False)
    attendance = SelectField("Attendance", choices=choices(Attendance, None), validate_choice=False)
    version = HiddenField()


class ActionForm(FlaskForm):
    """Cancel, remove, restore: the token and the version the user saw."""

    version = HiddenField()


class FeedTokenForm(FlaskForm):
    """Create, regenerate or revoke the private feed: the token only."""
