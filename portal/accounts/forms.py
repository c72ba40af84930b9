from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from portal.accounts.models import DISPLAY_NAME_MAX, USERNAME_MAX
from portal.core.forms import VersionField, choices
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.roles import Role

PASSWORD_MIN = 8
PASSWORD_MAX = 128
USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.-]+$",
                       message=_l("Use letters, digits, dot, dash or underscore only."))


def role_choices():
    return choices((role.value, role.label) for role in Role)


def language_choices():
    return choices([("", _l("Browser default"))] + list(LANGUAGE_NAMES.items()))


def password_strength(form, field) -> None:
    value = field.data or ""
    if value and (value.isdigit() or value.isalpha()):
        raise ValidationError(_l("Mix letters with digits or symbols."))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter your username.")), Length(max=USERNAME_MAX)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=PASSWORD_MAX)])
    next = HiddenField()


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter a username.")), Length(min=2, max=USERNAME_MAX), USERNAME_RULE])
    display_name = StringField(_l("Display name"), validators=[
        DataRequired(_l("Enter the name colleagues know them by.")), Length(max=DISPLAY_NAME_MAX)])
    role = SelectField(_l("Role"), choices=role_choices, validate_choice=True)
    preferred_language = SelectField(_l("Language"), choices=language_choices)
    version = VersionField()


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a password.")), Length(min=PASSWORD_MIN, max=PASSWORD_MAX),
        password_strength])
    confirm = PasswordField(_l("Repeat password"), validators=[
        EqualTo("password", message=_l("The two passwords differ."))])


class NewUserForm(UserForm, PasswordForm):
    pass


class ActiveForm(FlaskForm):
    active = BooleanField()


class LanguageForm(FlaskForm):
    lang = StringField(validators=[DataRequired(), Length(max=8)])
    next = HiddenField()
