from __future__ import annotations

from flask import abort, request, send_file

from portal.archive import bp, services
from portal.archive.forms import VerifyForm
from portal.archive.models import ArchivedDocument
from portal.core import htmx
from portal.core.access import public, roles
from portal.core.db import writes
from portal.core.roles import Role
from portal.core.web import get_or_404
from portal.extensions import limiter

MAX_UPLOAD = 20 * 1024 * 1024


@bp.route("/verify/<number>", methods=["GET", "POST"])
@public
@limiter.limit("30 per minute", methods=["POST"])
def verify(number: str):
    """Public: the code from the paper shows what was signed, when, and whether it still stands."""
    form = VerifyForm(meta={"csrf": False}, code=request.args.get("code", ""))
    code = form.code.data if request.method == "POST" else request.args.get("code", "")
    document = services.find_for_verification(number, code) if code else None
    identical = None
    if document is not None and request.method == "POST" and form.pdf.data:
        with form.pdf.data.stream as upload:
            data = upload.read(MAX_UPLOAD + 1)
        identical = len(data) <= MAX_UPLOAD and services.same_as_archived(document, data)
    status = 404 if code and document is None else 200
    return htmx.render("archive/verify.html", form=form, number=number, document=document, identical=identical,
                       asked=bool(code), masked=services.masked_name(document.customer_name) if document else "",
                       status=status)


@bp.get("/archive/<int:document_id>.pdf")
@roles(Role.clerk, Role.manager, Role.technician)
@writes  # the delivery is logged
def download(document_id: int):
    document = get_or_404(ArchivedDocument, document_id)
    from flask_login import current_user
    if current_user.role is Role.technician and document.technician_id != current_user.id:
        abort(403)
    path = services.file_path(document)
    if not path.is_file():
        abort(404)
    from portal.archive import browse
    from portal.extensions import db
    browse.log_delivery(document, action=browse.delivery_for(request.args), actor=current_user)
    db.session.commit()
    return send_file(path, mimetype="application/pdf", download_name=f"{document.number}-v{document.version}.pdf",
                     as_attachment=request.args.get("download") == "1", max_age=0)
