"""Forms of the stakeholder register. They shape the page; the register service decides."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from crm.models import (
    ConsentPurpose,
    ConsentStatus,
    LawfulBasis,
    LinkType,
    OrganisationKind,
    OtherCategory,
    PolicyBodyType,
    PolicyLevel,
    PositionRole,
    StrEnum,
    ValueChainRole,
)


def choices(enum_cls: type[StrEnum], blank: str | None = "—") -> list[SelectChoice]:
    options = [SelectChoice(m.value, m.label) for m in enum_cls]
    return ([SelectChoice("", blank)] if blank is not None else []) + options


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    acronym = StringField("Acronym", validators=[Length(max=40)])
    kind = SelectField("Kind", choices=choices(OrganisationKind, None), validators=[DataRequired()])
    country_code = SelectField("Country", validators=[DataRequired()])
    city = StringField("City", validators=[Length(max=120)])
    website = StringField("Website", validators=[Length(max=300)])
    email = EmailField("E-mail", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40)])
    language_code = SelectField("Language", default="", validators=[Optional()])
    headcount = StringField(
        "Headcount (staff)", validators=[Length(max=12)], render_kw={"inputmode": "numeric"}
    )
    turnover_eur = StringField(
        "Turnover (EUR)", validators=[Length(max=20)], render_kw={"inputmode": "decimal"}
    )
    value_chain_role = SelectField("Value-chain role", choices=choices(ValueChainRole), default="")
    policy_body_type = SelectField("Policy body type", choices=choices(PolicyBodyType), default="")
    policy_level = SelectField("Policy level", choices=choices(PolicyLevel), default="")
    other_category = SelectField("Category", choices=choices(OtherCategory), default="")
    responsible_officer_id = SelectField("Responsible officer", default="", validators=[Optional()])
    tags = StringField("Tags (comma-separated)", validators=[Length(max=500)])
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])
    version = HiddenField()
    confirm_duplicate = BooleanField("Save anyway: this is not the same organisation")


class PersonForm(FlaskForm):
    first_name = StringField("First name", validators=[Length(max=100)])
    last_name = StringField("Last name", validators=[Length(max=100)])
    email = EmailField("E-mail", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40)])
    country_code = SelectField("Country", default="", validators=[Optional()])
    language_code = SelectField("Language", default="", validators=[Optional()])
    lawful_basis = SelectField(
        "Lawful basis",
        choices=choices(LawfulBasis, None),
        default=LawfulBasis.LEGITIMATE_INTEREST.value,
    )
    lawful_basis_source = StringField(
        "Source of the data and basis",
        validators=[DataRequired(), Length(max=300)],
        description="Where the data came from, e.g. 'business card, EMO Hannover 2025'.",
    )
    responsible_officer_id = SelectField("Responsible officer", default="", validators=[Optional()])
    tags = StringField("Tags (comma-separated)", validators=[Length(max=500)])
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])
    # A first position when the person is created; the organisation is typed by name.
    organisation = StringField(
        "Organisation",
        validators=[Length(max=200)],
        render_kw={"list": "organisation-names", "autocomplete": "off"},
    )
    position_title = StringField("Position title", validators=[Length(max=200)])
    position_role = SelectField("Role", choices=choices(PositionRole), default="")
    position_starts_on = DateField("Since", validators=[Optional()])
    version = HiddenField()
    confirm_duplicate = BooleanField("Save anyway: this is not the same person")


class PositionForm(FlaskForm):
    organisation = StringField(
        "Organisation",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"list": "organisation-names", "autocomplete": "off"},
    )
    title = StringField("Title", validators=[Length(max=200)])
    role = SelectField("Role", choices=choices(PositionRole, None), validators=[DataRequired()])
    starts_on = DateField("Start", validators=[Optional()])
    ends_on = DateField("End", validators=[Optional()])


class LinkForm(FlaskForm):
    link_type = SelectField(
        "This organisation is", choices=choices(LinkType, None), validators=[DataRequired()]
    )
    target = StringField(
        "Organisation",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"list": "organisation-names", "autocomplete": "off"},
    )
    starts_on = DateField("Since", validators=[Optional()])
    ends_on = DateField("Until", validators=[Optional()])


class EndForm(FlaskForm):
    ends_on = DateField("Ended on", validators=[DataRequired()])


class ConsentForm(FlaskForm):
    purpose = SelectField(
        "Purpose", choices=choices(ConsentPurpose, None), validators=[DataRequired()]
    )
    status = SelectField(
        "Consent", choices=choices(ConsentStatus, None), validators=[DataRequired()]
    )
    source = StringField(
        "Source",
        validators=[DataRequired(), Length(max=300)],
        description="How it was given, e.g. 'sign-up sheet, METAV 2026'.",
    )
    given_on = DateField("Given on", validators=[DataRequired()])


class RestrictionForm(FlaskForm):
    restricted = BooleanField("Restrict processing (keep out of exports and mailings)")
    reason = StringField("Reason", validators=[DataRequired(), Length(max=300)])


class ErasureForm(FlaskForm):
    confirm = BooleanField(
        "I understand that the name, e-mail, phone and notes are erased for good",
        validators=[DataRequired()],
    )
