from decimal import Decimal

from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.core import audit
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.extensions import db as _db
from portal.settings.models import DepartmentSettings
from portal.settings.services import get_settings, settings_update

EN = {"Accept-Language": "en"}


def _settings_form(**changes):
    form = {"company_name": "谁与争锋节能灶具有限公司", "company_address": "济南市历下区", "hotline": "400-888-0000",
            "hotline_greeting": "您好！", "answer_limit_minutes": "10", "dispatch_limit_minutes": "10",
            "onsite_limit_hours": "3", "followup_after_service_hours": "24", "followup_after_guidance_hours": "3",
            "complaint_reply_days": "7", "workshop_overdue_days": "7", "ontime_target_pct": "90", "satisfaction_target_pct": "85",
            "complaint_rate_max_pct": "3", "version": "1"}
    form.update(changes)
    return form


def test_create_records_who_what_and_where(app, db):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        user = accounts.user_create(username="lina", display_name="李娜", role=Role.clerk, password="abc-12345")
        db.commit()
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.created"))
    assert entry.entity_type == "user" and entry.entity_id == user.id and entry.address == "192.0.2.9"
    assert entry.changes["display_name"] == [None, "李娜"] and entry.changes["role"] == [None, "clerk"]
    assert "password_hash" not in entry.changes


def test_update_records_field_level_before_and_after_and_masks_secrets(db):
    admin = accounts.user_create(username="root", display_name="管理员", role=Role.admin, password="abc-12345")
    user = accounts.user_create(username="lina", display_name="李娜", role=Role.clerk, password="abc-12345")
    db.commit()
    accounts.user_update(user=user, username="lina", display_name="李娜娜", role=Role.technician,
                         preferred_language="en", expected_version=user.version, actor=admin)
    user.password_hash = "changed"
    audit.record_updated(user, actor=admin)
    db.commit()
    entries = audit.timeline(user)
    assert entries[0].changes == {"password_hash": ["***", "***"]}
    assert entries[1].changes == {"display_name": ["李娜", "李娜娜"], "role": ["clerk", "technician"],
                                  "preferred_language": [None, "en"]}
    assert entries[1].actor_name == "管理员" and entries[1].actor_id == admin.id


def test_unchanged_save_writes_nothing(db):
    user = accounts.user_create(username="lina", display_name="李娜", role=Role.clerk, password="abc-12345")
    db.commit()
    changes = accounts.user_update(user=user, username="lina", display_name="李娜", role=Role.clerk,
                                   preferred_language=None, expected_version=user.version, actor=None)
    assert changes == {} and len(audit.timeline(user)) == 1


def test_stale_settings_edit_overwrites_nothing_and_shows_both(app, client, login_as):
    login_as(Role.manager)
    assert client.post("/settings/", data=_settings_form(version="0")).status_code == 303  # first save: v1
    # A colleague saves first (version 1 -> 2)
    assert client.post("/settings/", data=_settings_form(hotline="400-111-2222", version="1")).status_code == 303
    # Our form was loaded at version 1 and changes the address and the hotline
    response = client.post("/settings/", data=_settings_form(company_address="我们的新地址", hotline="400-999-9999",
                                                             version="1"), headers=EN)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved this record" in html
    assert 'value="400-999-9999"' in html and 'value="我们的新地址"' in html  # ours kept in the form
    assert "Saved by the other person:" in html and "400-111-2222" in html  # theirs beside
    assert 'name="version" type="hidden" value="2"' in html  # saving again is a deliberate overwrite
    with app.app_context():
        row = get_settings()
        assert row.hotline == "400-111-2222" and row.company_address == "济南市历下区" and row.version == 2
    again = client.post("/settings/", data=_settings_form(company_address="我们的新地址", hotline="400-999-9999",
                                                          version="2"))
    assert again.status_code == 303


def test_conflict_detected_below_the_web_layer(db):
    import pytest
    from portal.core.errors import EditConflict
    row = settings_update(values={"hotline": "1"}, expected_version=0, actor=None)
    db.commit()
    with pytest.raises(EditConflict) as caught:
        settings_update(values={"hotline": "2"}, expected_version=row.version - 1, actor=None)
    assert caught.value.theirs == {"hotline": "1"}


def test_stale_user_edit(app, client, login_as, make_user):
    user_id = make_user(Role.clerk, "wang")
    login_as(Role.admin)
    base = {"username": "wang", "role": "clerk", "preferred_language": ""}
    assert client.post(f"/admin/users/{user_id}", data={**base, "display_name": "王一", "version": 1}).status_code == 303
    response = client.post(f"/admin/users/{user_id}", data={**base, "display_name": "王二", "version": 1}, headers=EN)
    assert response.status_code == 409 and "王一" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.get(User, user_id).display_name == "王一"


def test_settings_validation_keeps_input(app, client, login_as):
    login_as(Role.manager)
    response = client.post("/settings/", data=_settings_form(onsite_limit_hours="-1", ontime_target_pct="120",
                                                             company_name="新名字", version="0"), headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count("Between") >= 2 and 'value="新名字"' in html
    with app.app_context():
        assert _db.session.scalar(select(DepartmentSettings)) is None


def test_settings_defaults_from_the_seeds(db):
    row = get_settings()
    assert (row.answer_limit_minutes, row.dispatch_limit_minutes, row.onsite_limit_hours) == (10, 10, 3)
    assert (row.followup_after_service_hours, row.followup_after_guidance_hours, row.complaint_reply_days) == (24, 3, 7)
    assert (row.ontime_target_pct, row.satisfaction_target_pct, row.complaint_rate_max_pct) == (
        Decimal("90"), Decimal("85"), Decimal("3"))


def test_only_managers_and_admins_edit_settings(client, login_as):
    login_as(Role.clerk)
    assert client.get("/settings/").status_code == 403
