from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from portal.accounts.models import DISPLAY_NAME_MAX, USERNAME_MAX
from portal.core.forms import VersionField, choices
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.roles import Role

PASSWORD_MIN = 10
PASSWORD_MAX = 128
PASSWORD_MIN_DISTINCT = 5
# Passwords (lower case) every guessing list starts with, long enough to pass the length rule, and
# the word under the digits and symbols people add ("Password2026!" is "password"): a small list
# on purpose, the length and character rules do the rest.
COMMON_PASSWORDS = frozenset({
    "1qaz2wsx3edc", "1q2w3e4r5t", "1q2w3e4r5t6y", "q1w2e3r4t5", "qwertyuiop", "qwerty123456", "qwerty1234",
    "asdfghjkl", "asdfghjkl1", "zxcvbnm123", "zxcvbnm,./", "a123456789", "a1234567890", "aa123456789",
    "abc1234567", "abc123456789", "abcd123456", "abcd1234567", "qq123456789", "asd123456789", "zxc123456789",
    "woaini1314", "woaini5201314", "5201314abc", "iloveyou12", "password12", "password123", "password1234",
    "p@ssw0rd123", "passw0rd123", "admin123456", "admin@12345", "welcome123", "changeme123", "1234qwer!@#$",
})
COMMON_WORDS = frozenset({
    "password", "passwd", "passwrd", "psswrd", "pssword", "qwerty", "qwertyuiop", "qwer", "asdf", "asdfgh",
    "asdfghjkl", "zxcv", "zxcvbnm", "qazwsx", "qazwsxedc", "qwe", "asd", "zxc", "abc", "abcd", "abcde", "abcdef",
    "qwert", "qwerasdf", "admin", "administrator", "root", "user", "login", "welcome", "letmein", "iloveyou",
    "woaini", "changeme", "test", "guest", "master", "monkey", "dragon", "football", "baseball", "superman",
    "sunshine", "princess", "shadow", "trustno", "aaaa", "aaaaaa", "portal",
})
USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.-]+$",
                       message=_l("Use letters, digits, dot, dash or underscore only."))


def role_choices():
    return choices((role.value, role.label) for role in Role)


def language_choices():
    return choices([("", _l("Browser default"))] + list(LANGUAGE_NAMES.items()))


def _character_classes(value: str) -> int:
    letters = any(ch.isalpha() for ch in value)
    digits = any(ch.isdigit() for ch in value)
    others = any(not ch.isalnum() for ch in value)
    return letters + digits + others


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why `password` will not do, or None. The one policy for every way a password is set: the
    admin's new-user and reset forms, the user's own change, and `flask users create`."""
    value = password or ""
    lowered = value.casefold()
    if len(value) < PASSWORD_MIN:
        return _l("Use at least %(num)d characters.", num=PASSWORD_MIN)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return _l("Use only characters you can type (no control characters).")
    if username and lowered.strip() == username.casefold().strip():
        return _l("The password must not be the username.")
    if lowered in COMMON_PASSWORDS or re.sub(r"[^a-z]", "", lowered) in COMMON_WORDS:
        return _l("This password is on every guessing list. Choose another.")
    if _character_classes(value) < 2:
        return _l("Mix letters with digits or symbols.")
    if len(set(lowered)) < PASSWORD_MIN_DISTINCT:
        return _l("Use more different characters.")
    return None


def password_strength(form, field) -> None:
    """Form validator; the username is the form's own field, or `form.account_username` where the
    form changes an existing user's password."""
    username = form.username.data if "username" in form else getattr(form, "account_username", "")
    problem = password_problem(field.data or "", username=username or "")
    if problem:
        raise ValidationError(problem)


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
        DataRequired(_l("Enter a password.")), Length(max=PASSWORD_MAX), password_strength])
    confirm = PasswordField(_l("Repeat password"), validators=[
        EqualTo("password", message=_l("The two passwords differ."))])

    def __init__(self, *args, account_username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_username = account_username


class OwnPasswordForm(PasswordForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=PASSWORD_MAX)])


class NewUserForm(UserForm, PasswordForm):
    pass


class ActiveForm(FlaskForm):
    active = BooleanField()


class LanguageForm(FlaskForm):
    lang = StringField(validators=[DataRequired(), Length(max=8)])
    next = HiddenField()
