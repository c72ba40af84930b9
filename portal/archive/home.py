"""Home-page panel of the signing kiosks: which counter tablets are online and what waits on them."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal.archive import kiosks
from portal.core import home
from portal.core.roles import Role
from portal.core.timeutil import utcnow

# A kiosk polls every 2 s but stamps last_seen_at once a minute; three minutes of silence means it is off.
OFFLINE_AFTER = timedelta(minutes=3)


def kiosk_status(user: Any) -> dict[str, Any]:
    now = utcnow()
    rows = [{"kiosk": kiosk, "online": kiosk.last_seen_at is not None and now - kiosk.last_seen_at <= OFFLINE_AFTER,
             "waiting": kiosks.active_requests(kiosk)} for kiosk in kiosks.active_kiosks()]
    return {"rows": rows}


home.register("kiosks", {Role.clerk}, "archive/_home_kiosks.html", kiosk_status, order=40)
