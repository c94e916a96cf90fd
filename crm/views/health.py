"""Liveness for load balancers: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from crm.database import database_answers
from crm.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    if database_answers(db.engine):
        return jsonify(status="ok", database="ok"), 200
    return jsonify(status="unavailable", database="not answering"), 503
