from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.core.access import public
from portal.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return jsonify(status="error", database="unreachable", detail=type(error).__name__), 503
    return jsonify(status="ok", database="ok")
