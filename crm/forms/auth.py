from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length

from crm.models import Role


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device for 30 days")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password", "minlength": 12},
    )
    confirmation = PasswordField(
        "New password again",
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )


ROLE_CHOICES = [SelectChoice(r.value, r.label) for r in Role]


class UserCreateForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    full_name = StringField("Full name", validators=[Length(max=200)])
    # Least privilege unless the admin chooses otherwise.
    role = SelectField(
        "Role", choices=ROLE_CHOICES, default=Role.VIEWER.value, validators=[DataRequired()]
    )


class UserEditForm(FlaskForm):
    full_name = StringField("Full name", validators=[Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    is_active = BooleanField("Active (may sign in)")
    version = HiddenField()  # the version the form was built from: optimistic locking
