"""The role walk of tests/test_access.py, for the visits and complaints pages only."""
import pytest

from portal.core.access import declared_access
from portal.core.roles import Role


@pytest.mark.parametrize("role", list(Role))
def test_visit_and_complaint_pages_answer_their_roles_only(app, client, login_as, make_user, role):
    make_user(Role.clerk, "somebody")
    login_as(role)
    with app.test_request_context():
        rules = [r for r in app.url_map.iter_rules()
                 if "GET" in r.methods and r.endpoint.split(".")[0] in ("visits", "complaints")]
        assert len(rules) >= 10
        for rule in rules:
            response = client.get(rule.build({arg: 1 for arg in rule.arguments})[1])
            if role in declared_access(rule.endpoint):
                assert response.status_code in (200, 404), (rule, role, response.status_code)
            else:
                assert response.status_code == 403, (rule, role, response.status_code)
