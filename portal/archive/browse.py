"""The archive browser for clerks and managers: search, open, download, print, batch printing.

Every file handed out is logged on the archived document (archived_document.opened / downloaded /
printed, with the user and address); a batch logs one entry per document, with the note "batch".
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from portal.accounts.models import User
from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.archive.services import file_path
from portal.core import audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.roles import Role
from portal.core.templating import DOCUMENT_TYPES
from portal.core.timeutil import from_local
from portal.extensions import db

PAGE_SIZE = 25
BATCH_LIMIT = 500
MAX_YEARS = 5
DELIVERIES = ("opened", "downloaded", "printed")


# --- filters ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveFilters:
    number: str = ""
    customer: str = ""
    document_type: str = ""
    status: ArchiveStatus | None = None
    technician_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def technicians() -> list[User]:
    """Everyone who is or was a technician (the archive outlives a user's deactivation)."""
    return list(db.session.scalars(select(User).where(User.role == Role.technician).order_by(User.display_name)))


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def archive_filters(*, number: str = "", customer: str = "", document_type: str = "", status: str = "",
                    technician: str = "", date_from: date | None = None, date_to: date | None = None) -> ArchiveFilters:
    """Check what was typed into the filter; a bad value is refused with a message at its field."""
    errors: dict[str, list[str]] = {}
    document_type, status, technician = (document_type or "").strip(), (status or "").strip(), (technician or "").strip()
    if document_type and document_type not in DOCUMENT_TYPES:
        errors["document_type"] = [_("Choose a document type from the list.")]
    if status and status not in ArchiveStatus.__members__:
        errors["status"] = [_("Choose a status from the list.")]
    technician_id = None
    if technician:
        user = db.session.get(User, int(technician)) if technician.isdigit() and len(technician) < 10 else None
        if user is None or user.role is not Role.technician:
            errors["technician"] = [_("Choose a technician from the list.")]
        else:
            technician_id = user.id
    if date_from and date_to and date_to < date_from:
        errors["date_to"] = [_("The end date is before the start date.")]
    elif date_from and date_to and date_to > _years_later(date_from, MAX_YEARS):
        errors["date_to"] = [_("At most %(years)s years at a time: end on %(day)s or earlier.",
                               years=MAX_YEARS, day=_years_later(date_from, MAX_YEARS).isoformat())]
    if errors:
        raise ValidationFailed(_("Please correct the search."), errors=errors)
    return ArchiveFilters(number=(number or "").strip().upper()[:30], customer=(customer or "").strip()[:100],
                          document_type=document_type, status=ArchiveStatus(status) if status else None,
                          technician_id=technician_id, date_from=date_from, date_to=date_to)


def _day_start(day: date) -> datetime:
    return from_local(datetime.combine(day, time.min))


def _customer_condition(text: str):
    """The customers' own search (name, contact, phone, number…), or the name as archived."""
    from portal.customers.models import Customer
    from portal.customers.services import Filters, customer_query, search_terms
    matching = customer_query(Filters(q=text)).with_only_columns(Customer.id).order_by(None)
    terms = search_terms(text) or [text.lower()]
    by_name = and_(*[func.lower(ArchivedDocument.customer_name).contains(term, autoescape=True) for term in terms])
    return or_(ArchivedDocument.customer_id.in_(matching), by_name)


def archive_query(filters: ArchiveFilters):
    query = select(ArchivedDocument)
    if filters.number:
        query = query.where(ArchivedDocument.number.contains(filters.number, autoescape=True))
    if filters.customer:
        query = query.where(_customer_condition(filters.customer))
    if filters.document_type:
        query = query.where(ArchivedDocument.document_type == filters.document_type)
    if filters.status is not None:
        query = query.where(ArchivedDocument.status == filters.status)
    if filters.technician_id is not None:
        query = query.where(ArchivedDocument.technician_id == filters.technician_id)
    if filters.date_from:
        query = query.where(ArchivedDocument.signed_at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(ArchivedDocument.signed_at < _day_start(filters.date_to + timedelta(days=1)))
    return query


def count(filters: ArchiveFilters) -> int:
    return db.session.scalar(select(func.count()).select_from(archive_query(filters).order_by(None).subquery()))


@dataclass
class Page:
    items: list[ArchivedDocument]
    page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // PAGE_SIZE))


def search_archive(filters: ArchiveFilters, *, page: int = 1) -> Page:
    total = count(filters)
    page = min(max(1, page), max(1, -(-total // PAGE_SIZE)))
    items = list(db.session.scalars(archive_query(filters)
                                    .order_by(ArchivedDocument.signed_at.desc(), ArchivedDocument.id.desc())
                                    .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return Page(items, page, total)


# --- batch printing --------------------------------------------------------------------------------

def _date_order(documents: Iterable[ArchivedDocument]) -> list[ArchivedDocument]:
    return sorted(documents, key=lambda d: (d.signed_at is None, d.signed_at or d.created_at, d.number, d.version))


def _selection_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"ids": [message]})


def batch_documents(*, filters: ArchiveFilters, ids: Iterable[Any], everything: bool) -> list[ArchivedDocument]:
    """The documents of a batch, in date order: the ticked ones, or all the filter matches."""
    if everything:
        total = count(filters)
        if total == 0:
            raise _selection_error(_("No document matches the filter: there is nothing to print."))
        if total > BATCH_LIMIT:
            raise _selection_error(_("%(total)s documents match the filter, but one batch prints at most %(limit)s. "
                                     "Narrow the filter, e.g. to a shorter date range.", total=total, limit=BATCH_LIMIT))
        return _date_order(db.session.scalars(archive_query(filters)))
    raw = [str(value).strip() for value in ids if str(value).strip()]
    if not raw:
        raise _selection_error(_("Tick the documents to print, or print all that match the filter."))
    if len(raw) > BATCH_LIMIT:
        raise _selection_error(_("One batch prints at most %(limit)s documents.", limit=BATCH_LIMIT))
    if not all(value.isdigit() and len(value) < 10 for value in raw):
        raise _selection_error(_("The selection could not be read. Reload the page and tick the documents again."))
    wanted = {int(value) for value in raw}
    found = list(db.session.scalars(select(ArchivedDocument).where(ArchivedDocument.id.in_(wanted))))
    if len(found) != len(wanted):
        raise _selection_error(_("Some of the ticked documents no longer exist. Reload the page and try again."))
    return _date_order(found)


def _intact(document: ArchivedDocument) -> bool:
    path = file_path(document)
    if not path.is_file():
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == document.sha256


def merged_pdf(documents: list[ArchivedDocument]) -> IO[bytes]:
    """One PDF of the archived files, in the given order, in a temporary file ready to stream.
    A missing or altered file is never printed: the batch is refused, naming it."""
    from pypdf import PdfWriter

    broken = [f"{d.number} v{d.version}" for d in documents if not _intact(d)]
    if broken:
        raise DomainError(_("Not printed: the archived file of %(documents)s is missing or was altered. "
                            "Tell the administrator (flask archive verify).", documents=", ".join(broken)))
    writer = PdfWriter()
    for document in documents:
        writer.append(str(file_path(document)))
    handle = tempfile.TemporaryFile()
    writer.write(handle)
    writer.close()
    handle.seek(0)
    return handle


# --- delivery log ----------------------------------------------------------------------------------

def log_delivery(document: ArchivedDocument, *, action: str, actor: Any, note: str | None = None) -> None:
    """Who had the file, how (opened / downloaded / printed), when and from where."""
    if action not in DELIVERIES:
        raise ValueError(f"unknown delivery {action!r}")
    audit.record(f"archived_document.{action}", document, actor=actor, note=note)


def delivery_for(args: Any) -> str:
    """The action a request for an archived file stands for (the links say which)."""
    if args.get("download") == "1":
        return "downloaded"
    if args.get("print") == "1":
        return "printed"
    return "opened"


def log_batch(documents: list[ArchivedDocument], *, actor: Any) -> None:
    for document in documents:
        log_delivery(document, action="printed", actor=actor, note="batch")
    db.session.flush()


def deliveries(document: ArchivedDocument) -> list[Any]:
    return audit.timeline(document)


def versions_of(document: ArchivedDocument) -> list[ArchivedDocument]:
    """Every archived version of the document's number, oldest first."""
    return list(db.session.scalars(select(ArchivedDocument).where(ArchivedDocument.number == document.number)
                                   .order_by(ArchivedDocument.version)))
