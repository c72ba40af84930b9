from flask import Blueprint

bp = Blueprint("archive", __name__)

from portal.archive import views  # noqa: E402,F401

# The archive browser (issue 5 point 8): clerks and managers; every file handed out is logged.
from flask_babel import lazy_gettext as _l  # noqa: E402
from portal.core import nav, templating  # noqa: E402
from portal.core.roles import Role  # noqa: E402
from portal.archive.models import ArchiveStatus  # noqa: E402
from portal.archive import browse_views  # noqa: E402,F401

nav.add("archive.browse_index", _l("Archive"), {Role.clerk, Role.manager}, order=40)
for _verb, _label in (("opened", _l("opened")), ("downloaded", _l("downloaded")), ("printed", _l("printed")),
                      ("voided", _l("voided")), ("amended", _l("corrected by a new receipt"))):
    templating.ACTION_LABELS.setdefault(_verb, _label)
templating.describe_fields({}, {"status": ArchiveStatus}, entity="archived_document")
from portal.archive import kiosk_views  # noqa: E402,F401  (counter kiosks, issue 5 point 4)
