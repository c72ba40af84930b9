"""Crash safety of the archive: a real process signing a receipt is SIGKILLed at each step of
archiving its PDF; afterwards no row points at a missing file, the half-written file is never a
document, `archive verify` passes (reporting the leftovers), `--tidy` clears them, and the receipt
can be signed again."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select as sql_select

from portal.archive import services as archive
from portal.archive.models import ArchivedDocument
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.archive import helpers as archive_helpers
from tests.ops import helpers

CHILD = """
import os, sys, time
from portal import create_app
from portal.extensions import db
from portal.receipts.models import RepairReceipt
from tests.conftest import base_config
from tests.ops.helpers import EN, sign

app = create_app(base_config(os.environ["CRASH_DATABASE_URL"], ARCHIVE_DIR=os.environ["CRASH_ARCHIVE_DIR"]))
with app.test_request_context(method="POST", headers=EN):
    document = sign(db.session.get(RepairReceipt, int(os.environ["CRASH_RECEIPT"])))
    if os.environ.get("CRASH_AT") == "before-commit":
        print("archive-paused:before-commit", flush=True)
        time.sleep(600)
    db.session.commit()
    print("archive-paused:committed", flush=True)
    time.sleep(600)
"""

# Where the child stops, and what the kill leaves behind in the archive folder.
POINTS = {
    "half-written": "temporary",   # inside the temporary file's write
    "written": "temporary",        # temporary file complete and fsynced, not yet linked into place
    "linked": "orphan",            # the document's file in place, its row not yet flushed
    "before-commit": "orphan",     # row flushed, transaction open
    "committed": None,             # after the commit: a normal signed receipt
}


def _run_until(point: str, *, url: str, archive_dir: str, receipt_id: int) -> None:
    env = helpers.environment(CRASH_DATABASE_URL=url, CRASH_ARCHIVE_DIR=archive_dir, CRASH_RECEIPT=str(receipt_id),
                              CRASH_AT=point)
    if point not in ("before-commit", "committed"):
        env["PORTAL_TEST_ARCHIVE_PAUSE"] = point
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=helpers.ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        deadline, seen = time.monotonic() + 120, b""
        while f"archive-paused:{point}".encode() not in seen:
            if child.poll() is not None:
                raise AssertionError(f"the child exited ({child.returncode}): {child.stderr.read().decode()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("the child did not reach the pause point")
            ready, _w, _x = select.select([child.stdout], [], [], 0.5)
            if ready:
                seen += os.read(child.stdout.fileno(), 4096)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("point", list(POINTS))
def test_a_process_killed_while_archiving_leaves_no_broken_document(app, make_user, database_url, point):
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        receipt_id = archive_helpers.ready_receipt(tech).id
    root = Path(app.config["ARCHIVE_DIR"])
    _run_until(point, url=database_url, archive_dir=str(root), receipt_id=receipt_id)

    left = POINTS[point]
    files = _files(root)
    runner = app.test_cli_runner()
    with app.app_context():
        documents = db.session.scalars(sql_select(ArchivedDocument)).all()
        for document in documents:  # no row ever points at a missing or partial file
            assert archive.file_path(document).is_file()
            assert archive.same_as_archived(document, archive.file_path(document).read_bytes())
        receipt = db.session.get(RepairReceipt, receipt_id)
        if left is None:
            assert len(documents) == 1 and receipt.state is ReceiptState.signed and len(files) == 1
            assert runner.invoke(args=["archive", "verify"]).output.startswith("1 of 1 archived files intact")
            return
        # Killed before the commit: nothing of the signing is in the database.
        assert documents == [] and receipt.state is ReceiptState.ready
        assert db.session.scalar(sql_select(func.count(Signature.id))) == 0
        assert len(files) == 1
        assert files[0].name.startswith(".") == (left == "temporary")
        assert [s.kind for s in archive.find_strays()] == [left]
        db.session.remove()

    verified = runner.invoke(args=["archive", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "0 of 0 archived files intact" in verified.output and left.upper() in verified.output

    # The leftover does not stand in the way: the receipt is signed again, under a name of its own
    # if the orphan took the document's usual one.
    with app.test_request_context(method="POST", headers=helpers.EN):
        document = helpers.sign(db.session.get(RepairReceipt, receipt_id))
        db.session.commit()
        assert document.version == 1 and archive.file_path(document).is_file()
    verified = runner.invoke(args=["archive", "verify"])
    assert verified.exit_code == 0 and "1 of 1 archived files intact" in verified.output

    # Young leftovers may be another server's write in progress: --tidy leaves them; old ones go.
    assert runner.invoke(args=["archive", "verify", "--tidy"]).exit_code == 0
    assert root / files[0] in [root / f for f in _files(root)]
    old = time.time() - 2 * archive.ORPHAN_GRACE_SECONDS
    os.utime(root / files[0], (old, old))
    tidied = runner.invoke(args=["archive", "verify", "--tidy"])
    assert tidied.exit_code == 0, tidied.output
    remaining = _files(root)
    assert root / files[0] not in [root / f for f in remaining]
    if left == "orphan":
        assert Path(archive.ORPHANS_DIR) / files[0] in remaining
    assert not any(f.name.startswith(".") for f in remaining)
    with app.app_context():
        assert archive.find_strays() == []
