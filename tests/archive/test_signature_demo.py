"""Demo signatures (issue 5 point 12): past ready receipts signed and archived at their own time."""
import io
import random
import subprocess
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from portal.archive import services as archive
from portal.archive.models import ArchivedDocument
from portal.core.models import Signature
from portal.core.roles import Role
from portal.core.signatures import drawn_signature, seal_photo
from portal.core.timeutil import as_local, travel, utcnow
from portal.receipts.demo import load_signature_demo, seal_png, signature_scribble
from portal.receipts.models import ReceiptState, RepairReceipt
from portal.repairs.models import CaseState
from tests.archive import helpers

pytestmark = pytest.mark.pdf


def test_the_demo_signs_all_but_the_three_latest_ready_receipts(app, db, make_user, tmp_path):
    make_user(Role.clerk, "clerk")
    tech = make_user(Role.technician, "tech")
    start = utcnow() - timedelta(days=12)
    for day in range(5):
        with travel(start + timedelta(days=day * 2)):
            helpers.ready_receipt(tech)

    assert load_signature_demo() == 2
    db.commit()
    signatures = list(db.scalars(select(Signature).order_by(Signature.id)))
    receipts = list(db.scalars(select(RepairReceipt).order_by(RepairReceipt.finished_at)))
    assert [r.state for r in receipts] == [ReceiptState.signed] * 2 + [ReceiptState.ready] * 3
    for signature, receipt in zip(signatures, receipts):
        assert signature.document_id == receipt.id and signature.device == "staff tablet"
        assert signature.staff_id == tech and signature.rating in range(1, 6) and signature.signer_name
        assert timedelta(minutes=1) < as_local(signature.signed_at) - as_local(receipt.finished_at) < timedelta(minutes=13)
        assert isinstance(signature.strokes, list) and signature.strokes[0]["points"]
        assert receipt.case.state in (CaseState.signed, CaseState.archived, CaseState.followup_due)
        if receipt.case.archived_at is not None:
            assert receipt.case.archived_at > receipt.case.signed_at
    documents = list(db.scalars(select(ArchivedDocument).order_by(ArchivedDocument.id)))
    assert len(documents) == 2 and archive.verify_all() == []
    path = archive.file_path(documents[0])
    assert str(path).startswith(app.config["ARCHIVE_DIR"])
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert f"http://127.0.0.1:5000/verify/{documents[0].number}" in "".join(text.split())
    assert load_signature_demo() == 0  # once only


def test_generated_signatures_and_seals_pass_the_signing_checks():
    rng = random.Random(1)
    for characters in (2, 3, 3, 2, 3):
        png, strokes = signature_scribble(rng, characters=characters)
        image = drawn_signature(helpers.data_url(png), "[]")
        assert image.mime == "image/png" and Image.open(io.BytesIO(png)).size == (880, 300) and strokes
    seal = seal_photo(seal_png("济南泉城大酒店有限公司", rng))
    assert seal.is_seal and seal.mime == "image/jpeg"
