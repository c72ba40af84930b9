"""The KPI demo fills a month's empty complaint rate through the complaints services, once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.complaints.models import Complaint, ComplaintState
from portal.core.roles import Role
from portal.core.timeutil import as_local, local_today
from portal.extensions import db
from portal.reports.demo import load_reports_demo
from tests.reports import helpers


def test_a_month_without_service_complaints_gets_one(app, make_user):
    tech = make_user(Role.technician)
    for name, role in (("clerk", Role.clerk), ("manager", Role.manager), ("operator", Role.operator)):
        make_user(role, name)
    with app.app_context():
        # two jobs in the month before this one, one of them late on site
        first = local_today().replace(day=1) - timedelta(days=20)
        day = first.isoformat()
        helpers.case(received=f"{day} 09:00", technician_id=tech, dispatched=f"{day} 09:05",
                     onsite=f"{day} 11:00", completed=f"{day} 12:00", rating=5)
        late = helpers.case(received=f"{day} 13:00", technician_id=tech, dispatched=f"{day} 13:05",
                            onsite=f"{day} 17:30", completed=f"{day} 18:00", rating=4)
        db.session.commit()
        assert load_reports_demo() == 1
        db.session.commit()
        complaint = db.session.scalar(select(Complaint))
        assert complaint.caused_by_service and complaint.case_id == late.id and complaint.state is ComplaintState.closed
        assert complaint.responsible_user_id == tech and as_local(complaint.received_at).month == first.month
        assert load_reports_demo() == 0
