from __future__ import annotations

import hashlib

from flask import current_app, flash, g, request, session, url_for
from flask_babel import format_date, gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import bp, services
from portal.accounts.forms import LanguageForm, LoginForm, NewUserForm, OwnPasswordForm, PasswordForm, UserForm
from portal.accounts.models import User
from portal.core import audit, htmx
from portal.core import home as dashboard
from portal.core.timeutil import local_today
from portal.core.access import public, roles, staff
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.roles import Role
from portal.core.web import attempt, done, form_status, get_or_404, safe_next
from portal.extensions import limiter


def _login_key() -> str:
    # Hashed: Flask-Limiter logs the key of a breached limit, and what is typed as a username may be
    # a password typed into the wrong box.
    typed = (request.form.get("username") or "").strip().lower()
    return f"login:{hashlib.sha256(typed.encode()).hexdigest()[:16]}|{request.remote_addr}"


def _login_breached(_limit):
    form = LoginForm()
    form.form_errors.append(_("Too many failed sign-ins for this username. Try again in 15 minutes."))
    return htmx.render("accounts/login.html", form=form, status=429)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], key_func=_login_key, methods=["POST"],
               deduct_when=lambda response: g.get("login_failed", False), on_breach=_login_breached)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        status = htmx.VALIDATION_STATUS if form.is_submitted() else 200
        return htmx.render("accounts/login.html", form=form, status=status)
    user, password_ok = services.authenticate(username=form.username.data, password=form.password.data)
    if not password_ok or user is None:
        g.login_failed = True
        form.form_errors.append(_("Wrong username or password."))
        return htmx.invalid("accounts/login.html", form=form)
    if not user.active:
        form.form_errors.append(_("This account is disabled. Ask the administrator."))
        return htmx.invalid("accounts/login.html", form=form)
    login_user(user)
    services.login_recorded(user=user)
    return done(safe_next(form.next.data, url_for("accounts.home")))


@bp.post("/logout")
@staff
def logout():
    logout_user()
    return done(url_for("accounts.login"), _("You are signed out."), "info")


@bp.post("/language")
@public
def set_language():
    form = LanguageForm()
    back = safe_next(form.next.data or request.referrer and request.referrer.split(request.host, 1)[-1],
                     url_for("accounts.home"))
    if not form.validate() or form.lang.data not in LANGUAGE_NAMES:
        flash(_("Unknown language."), "error")
        return htmx.redirect(back)
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        me = current_user._get_current_object()
        services.user_set_language(user=me, language=form.lang.data, actor=me)
    return done(back)


@bp.get("/")
@staff
def home():
    return htmx.render("accounts/home.html", panels=dashboard.rendered_for(current_user),
                       today=format_date(local_today(), format="full"))


@bp.get("/admin/users")
@roles(Role.admin)
def users():
    filters = {key: request.args.get(key, "") for key in ("q", "role", "status")}
    return htmx.render("accounts/users.html", "accounts/_users_table.html",
                       users=services.users_list(**filters), filters=filters, roles=list(Role))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles(Role.admin)
def user_new():
    form = NewUserForm()
    outcome = attempt(form, lambda: services.user_create(actor=current_user, **_user_fields(form),
                                                         password=form.password.data))
    if outcome.ok:
        return done(url_for("accounts.user_edit", user_id=outcome.result.id),
                    _("User %(name)s created.", name=outcome.result.username))
    return htmx.render("accounts/user_new.html", form=form, status=form_status(outcome))


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles(Role.admin)
def user_edit(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    outcome = attempt(form, lambda: services.user_update(user=user, expected_version=form.version.data,
                                                         actor=current_user, **_user_fields(form)), obj=user)
    if outcome.ok:
        return done(url_for("accounts.user_edit", user_id=user.id), _("Changes saved."))
    return htmx.render("accounts/user_edit.html", form=form, user=user, conflict=outcome.conflict,
                       password_form=PasswordForm(), timeline=audit.timeline(user), status=form_status(outcome))


@bp.post("/admin/users/<int:user_id>/active")
@roles(Role.admin)
def user_toggle_active(user_id: int):
    user = get_or_404(User, user_id)
    services.user_set_active(user=user, active=not user.active, actor=current_user)
    message = _("%(name)s can sign in again.") if user.active else _("%(name)s can no longer sign in.")
    return done(url_for("accounts.user_edit", user_id=user.id), message % {"name": user.username})


@bp.post("/admin/users/<int:user_id>/password")
@roles(Role.admin)
def user_password(user_id: int):
    user = get_or_404(User, user_id)
    password_form = PasswordForm(account_username=user.username)
    if not password_form.validate_on_submit():
        return htmx.render("accounts/user_edit.html", form=UserForm(obj=user), user=user, conflict=None,
                           password_form=password_form, timeline=audit.timeline(user), status=form_status())
    services.user_reset_password(user=user, password=password_form.password.data, actor=current_user)
    if user.id == current_user.id:
        login_user(user)  # this session carries the new password's fingerprint; the others end
    return done(url_for("accounts.user_edit", user_id=user.id), _("Password reset."))


@bp.route("/account/password", methods=["GET", "POST"])
@staff
def own_password():
    me = current_user._get_current_object()
    form = OwnPasswordForm(account_username=me.username)
    outcome = attempt(form, lambda: services.user_change_password(user=me, current=form.current.data,
                                                                  password=form.password.data))
    if outcome.ok:
        login_user(me)  # this session carries the new password's fingerprint; the others end
        return done(url_for("accounts.home"), _("Your password is changed. You stay signed in here only."))
    return htmx.render("accounts/password.html", form=form, status=form_status(outcome))


def _user_fields(form: UserForm) -> dict:
    return {"username": form.username.data, "display_name": form.display_name.data,
            "role": Role(form.role.data), "preferred_language": form.preferred_language.data or None}
