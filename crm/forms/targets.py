"""The form of a target. It shapes the page and carries what was typed; the targets service
checks every field (all at once) and decides."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from crm.forms.materials import CheckboxesField
from crm.forms.outreach import Needed
from crm.models import SizeClass

SIZE_LABELS = {
    SizeClass.MICRO: "Micro (fewer than 10 people)",
    SizeClass.SMALL: "Small (10 to 49)",
    SizeClass.MEDIUM: "Medium (50 to 249)",
    SizeClass.LARGE: "Large (250 or more)",
}


class TargetForm(FlaskForm):
    """Declared in the order the page shows the fields (the summary of a refused form lists
    its problems in that order). The choices are set by the view."""

    commitment_item_id = SelectField(
        "Commitment, item or sub-item", validators=[Needed()], validate_choice=False
    )
    metric = SelectField("What is counted", validators=[Needed()], validate_choice=False)
    organisation_kind = SelectField("Only organisations of the kind", validate_choice=False)
    size_classes = CheckboxesField(
        "SME size classes",
        choices=[SelectChoice(size.value, label) for size, label in SIZE_LABELS.items()],
        validate_choice=False,
    )
    period_start = StringField("From", validators=[Needed()], render_kw={"type": "date"})
    period_end = StringField("To", validators=[Needed()], render_kw={"type": "date"})
    target_value = StringField(
        "Target",
        validators=[Needed()],
        render_kw={"inputmode": "numeric", "size": 8, "maxlength": 9, "autocomplete": "off"},
    )
    description = StringField("Description (optional)", render_kw={"maxlength": 300})
    version = HiddenField()


class TargetDeleteForm(FlaskForm):
    """Deleting: the token and the version the user saw."""

    version = HiddenField()
