"""Archive browser views: search, one document's page, batch printing (services in browse.py)."""
from __future__ import annotations

from flask import request, send_file
from flask_login import current_user

from portal.archive import bp, browse
from portal.archive.forms import ArchiveFilterForm, BatchPrintForm
from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.core import htmx
from portal.core.access import roles
from portal.core.errors import ValidationFailed
from portal.core.forms import choices
from portal.core.roles import Role
from portal.core.templating import DOCUMENT_TYPES
from portal.core.timeutil import local_now
from portal.core.web import attach_errors, get_or_404
from portal.extensions import db

OFFICE = frozenset({Role.clerk, Role.manager})


def _with_choices(form: ArchiveFilterForm) -> ArchiveFilterForm:
    form.document_type.choices = choices([("", "—")] + [(k, str(v)) for k, v in DOCUMENT_TYPES.items()])
    form.status.choices = choices([("", "—")] + [(s.value, s.label) for s in ArchiveStatus])
    form.technician.choices = choices([("", "—")] + [(str(u.id), u.display_name) for u in browse.technicians()])
    return form


def _filters(form: ArchiveFilterForm) -> browse.ArchiveFilters | None:
    """The checked filter, or None with the messages put next to the fields."""
    if not form.validate():
        return None
    try:
        return browse.archive_filters(**form.values())
    except ValidationFailed as error:
        attach_errors(form, error)
        return None


def _page(form: ArchiveFilterForm, filters: browse.ArchiveFilters | None, *, status: int = 200):
    result = browse.search_archive(filters, page=request.values.get("page", 1, type=int)) if filters else None
    return htmx.render("archive/browse.html", form=form, result=result, status=status,
                       selected=set(request.form.getlist("ids")), batch_limit=browse.BATCH_LIMIT)


@bp.get("/archive")
@roles(OFFICE)
def browse_index():
    form = _with_choices(ArchiveFilterForm(request.args, meta={"csrf": False}))
    filters = _filters(form)
    return _page(form, filters, status=200 if filters else htmx.VALIDATION_STATUS)


def _batch(form: BatchPrintForm, filters: browse.ArchiveFilters) -> list[ArchivedDocument] | None:
    try:
        return browse.batch_documents(filters=filters, ids=form.ids.data or [], everything=form.scope.data == "all")
    except ValidationFailed as error:
        attach_errors(form, error)
        return None


@bp.post("/archive/print")
@roles(OFFICE)
def batch_print():
    form = _with_choices(BatchPrintForm())
    filters = _filters(form)
    documents = _batch(form, filters) if filters else None
    if documents is None:
        return _page(form, filters, status=htmx.VALIDATION_STATUS)
    handle = browse.merged_pdf(documents)
    browse.log_batch(documents, actor=current_user)
    db.session.commit()
    return send_file(handle, mimetype="application/pdf", max_age=0,
                     download_name=f"archive-batch-{local_now():%Y%m%d-%H%M}-{len(documents)}.pdf")


@bp.get("/archive/<int:document_id>")
@roles(OFFICE)
def document(document_id: int):
    item = get_or_404(ArchivedDocument, document_id)
    return htmx.render("archive/document.html", document=item, timeline=browse.deliveries(item),
                       versions=browse.versions_of(item))
