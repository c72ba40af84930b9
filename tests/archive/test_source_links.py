"""The archive's document page links every archived document back to the page it was signed from:
one registry (portal.core.templating.SOURCE_PAGES), filled by each family next to DOCUMENT_TYPES."""
import pytest

from portal.archive import services as archive
from portal.core import templating
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.extensions import db

EN = {"Accept-Language": "en"}
SOURCES = {
    "repair_receipt": ("/receipts/{id}", "The receipt"),
    "goods_receipt": ("/carryin/{id}", "The goods receipt"),
    "goods_return": ("/carryin/{id}", "The goods receipt"),
    "return_slip": ("/returns/{id}", "The return slip"),
    "complaint": ("/complaints/{id}", "The complaint"),
    "visit": ("/visits/{id}", "The visit record"),
}


def test_every_document_type_has_a_source_page(app):
    assert set(templating.DOCUMENT_TYPES) == set(templating.SOURCE_PAGES) == set(SOURCES)


@pytest.mark.parametrize("document_type", sorted(SOURCES))
def test_the_document_page_links_back_to_its_source(app, client, login_as, document_type):
    login_as(Role.clerk)
    with app.app_context():
        document = archive.store(data=b"%PDF-1.4 test", document_type=document_type, document_id=42,
                                 number="XX-2026-000042", code="ABCD2345", customer=None, technician_id=None,
                                 signed_at=utcnow())
        db.session.commit()
        document_id = document.id
    page = client.get(f"/archive/{document_id}", headers=EN).get_data(as_text=True)
    url, label = SOURCES[document_type]
    assert f'id="archive-source" href="{url.format(id=42)}">{label}</a>' in page


def test_an_unknown_type_has_no_source_link(app, client, login_as):
    login_as(Role.clerk)
    with app.app_context():
        document = archive.store(data=b"%PDF-1.4 test", document_type="something_else", document_id=1,
                                 number="ZZ-2026-000001", code="ABCD2345", customer=None, technician_id=None,
                                 signed_at=utcnow())
        db.session.commit()
        document_id = document.id
    page = client.get(f"/archive/{document_id}", headers=EN)
    assert page.status_code == 200 and 'id="archive-source"' not in page.get_data(as_text=True)
