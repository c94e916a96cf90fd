"""The form of a material in the catalogue. It shapes the page; the materials service decides."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.forms.register import choices
from crm.models import Audience, MaterialKind


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (each with its own label)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MaterialForm(FlaskForm):
    kind = SelectField("Kind", choices=choices(MaterialKind, None), validators=[DataRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    audiences = CheckboxesField(
        "Audiences", choices=choices(Audience, None), validators=[Optional()]
    )
    language_code = SelectField("Language", default="", validators=[Optional()])
    url = StringField(
        "Link",
        validators=[Length(max=500)],
        render_kw={"inputmode": "url", "autocomplete": "url", "spellcheck": "false"},
    )
    description = TextAreaField("Description", validators=[Length(max=10_000)])
    version = HiddenField()
