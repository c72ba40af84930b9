"""CSRF switched on: the kiosk's forms carry the token like every other form (the kiosk has a
session of its own, without a user)."""
import re

import pytest
from sqlalchemy import select

from portal.archive.models import Kiosk, KioskRequest, KioskRequestState
from portal.core.roles import Role
from portal.extensions import db
from tests.archive import helpers


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_kiosk_posts_need_the_csrf_token(app, client, make_user):
    device = client
    with device.session_transaction() as session:
        session["_user_id"] = str(make_user(Role.admin))
    assert device.post("/kiosks/pair", data={"name": "前台平板1"}).status_code == 400
    token = _token(device.get("/kiosks/pair").get_data(as_text=True))
    assert device.post("/kiosks/pair", data={"name": "前台平板1", "csrf_token": token}).status_code == 303

    clerk = app.test_client()
    with clerk.session_transaction() as session:
        session["_user_id"] = str(make_user(Role.clerk))
    with app.app_context():
        receipt_id = helpers.ready_receipt(make_user(Role.technician)).id
        kiosk_id = db.session.scalar(select(Kiosk.id))
    page = clerk.get(f"/receipts/{receipt_id}").get_data(as_text=True)
    assert clerk.post(f"/kiosks/send/repair_receipt/{receipt_id}", data={"kiosk_id": kiosk_id}).status_code == 400
    assert clerk.post(f"/kiosks/send/repair_receipt/{receipt_id}",
                      data={"kiosk_id": kiosk_id, "csrf_token": _token(page)}).status_code == 303

    screen = device.get("/kiosk").get_data(as_text=True)
    assert "X-CSRFToken" in screen and "#sign-form" not in screen
    cancel = f"/kiosk/repair_receipt/{receipt_id}/cancel"
    assert device.post(cancel).status_code == 400
    assert device.post(cancel, data={"csrf_token": _token(screen)}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(KioskRequest)).state is KioskRequestState.cancelled
