"""Language choice: the user's preference, then the header switch (kept in the session), then
Accept-Language, then Chinese."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def supported() -> list[str]:
    return list(current_app.config["PORTAL_LANGUAGES"])


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    choices = supported()
    preferred = getattr(current_user, "preferred_language", None) if current_user else None
    if preferred in choices:
        return preferred
    if session.get("lang") in choices:
        return session["lang"]
    # Accept-Language speaks zh-CN / zh / en-GB; map them onto our catalogue names.
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best in ("zh-CN", "zh"):
        return "zh_CN"
    if best == "en":
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang(locale: str) -> str:
    return "zh-CN" if locale.startswith("zh") else locale
