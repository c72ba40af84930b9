"""The archive: signed PDFs kept byte for byte, the public verification page, the archive browser
with batch printing (clerks and managers; every file handed out is logged) and the counter kiosks."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role

bp = Blueprint("archive", __name__)

from portal.archive.models import ArchiveStatus, KioskRequestState  # noqa: E402

nav.add("archive.browse_index", _l("Archive"), {Role.clerk, Role.manager}, order=40)
templating.describe_fields({}, {"status": ArchiveStatus}, entity="archived_document")
templating.describe_fields({}, {"state": KioskRequestState}, entity="kiosk_request")

from portal.archive import browse_views, home, kiosk_views, views  # noqa: E402,F401
