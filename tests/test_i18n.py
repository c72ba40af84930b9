"""Language negotiation and catalogue completeness."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portal.core.roles import Role

ROOT = Path(__file__).resolve().parent.parent
# Babel reads zh_CN as zh_Hans_CN and looks for that folder; the portal's own code stays zh_CN.
CATALOGUES = {lang: ROOT / f"portal/translations/{lang}/LC_MESSAGES/messages.po" for lang in ("zh_Hans_CN", "en")}


def _lang(html: str) -> str:
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("header,lang,text", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "登录"),
    ("zh", "zh-CN", "登录"),
    ("en-US,en;q=0.9", "en", "Sign in"),
    ("fr-FR", "zh-CN", "登录"),  # unsupported: Chinese
    (None, "zh-CN", "登录"),
])
def test_accept_language(client, header, lang, text):
    html = client.get("/login", headers={"Accept-Language": header} if header else {}).get_data(as_text=True)
    assert _lang(html) == lang and text in html


def test_switch_in_header_is_kept_in_the_session(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"}, headers={"Accept-Language": "zh"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert _lang(client.get("/login", headers={"Accept-Language": "zh"}).get_data(as_text=True)) == "en"


def test_unknown_language_is_refused_with_a_message(client):
    response = client.post("/language", data={"lang": "xx", "next": "/login"}, headers={"Accept-Language": "en"})
    assert response.status_code == 303
    assert "Unknown language." in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_user_preference_beats_session_and_header(client, login_as):
    login_as(Role.clerk, language="en")
    with client.session_transaction() as session:
        session["lang"] = "zh_CN"
    assert _lang(client.get("/", headers={"Accept-Language": "zh"}).get_data(as_text=True)) == "en"


def test_switch_while_signed_in_updates_the_preference(app, client, login_as):
    from portal.accounts.models import User
    from portal.extensions import db
    user_id = login_as(Role.clerk, language="en")
    client.post("/language", data={"lang": "zh_CN", "next": "/"})
    with app.app_context():
        assert db.session.get(User, user_id).preferred_language == "zh_CN"
    assert "首页" in client.get("/").get_data(as_text=True)


def _extracted_ids() -> set[str]:
    ids = set()
    method_map = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                                             "lazy_gettext": None}):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("lang", CATALOGUES)
def test_catalogue_has_every_message_translated(lang):
    with CATALOGUES[lang].open("rb") as handle:
        catalog = read_po(handle)
    present = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    missing = sorted(_extracted_ids() - present)
    assert not missing, f"{lang}: not in the catalogue (run make babel-update): {missing[:10]}"
    untranslated = [m.id for m in catalog if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))]
    assert not untranslated, f"{lang}: untranslated or fuzzy: {untranslated[:10]}"
