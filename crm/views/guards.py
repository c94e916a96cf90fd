"""Checks every request passes before a view sees it, and the answers to input no view
should have to anticipate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, render_template, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

from crm.services.checks import MAX_ID  # the largest id a record can have

F = TypeVar("F", bound=Callable[..., Any])


class RecordIdConverter(IntegerConverter):
    """Flask's ``int`` converter, refusing numbers above ``MAX_ID`` (2**31 - 1).

    It replaces ``int`` for every route, so ``/people/<int:person_id>`` and any route added
    later answer 404 for an id no record can have. Above 2**63 - 1 SQLite's driver raised
    OverflowError (a 500, the issue's report); above 2**31 - 1 PostgreSQL refused to compare
    an Integer id with the number (a 500 as well), so the bound is the lower of the two.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        limit = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits, min, limit, signed)
        # ASCII digits only: Werkzeug's \d also matches other scripts' digits ("١", "１"),
        # which int() reads, so one record had many addresses.
        self.regex = r"-?[0-9]+" if signed else r"[0-9]+"


def accepts_files(view: F) -> F:
    """Mark a view that takes uploaded files; every other view refuses requests with files."""
    view.accepts_files = True  # type: ignore[attr-defined]
    return view


def _refuse_unexpected_files(app: Flask) -> None:
    """A file sent to a view that expects text (a multipart form with a file in a text
    field) reached WTForms' validators as a file object: a 500. Now it is a 400 naming the
    field, before the view runs."""
    if request.mimetype != "multipart/form-data" or request.endpoint is None:
        return
    view = app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "accepts_files", False) or not request.files:
        return
    fields = ", ".join(sorted(set(request.files)))
    abort(
        400,
        description=f"{fields}: a file was sent where text was expected. "
        "Type the text into the field instead.",
    )


def init_guards(app: Flask) -> None:
    """Install the request guards and error answers shared by every area."""
    # Before any blueprint is registered: a rule picks its converter when it is added.
    app.url_map.converters["int"] = RecordIdConverter
    app.before_request(lambda: _refuse_unexpected_files(app))

    @app.errorhandler(BadRequest)
    def _bad_request(error: BadRequest) -> tuple[str, int]:
        return render_template(
            "errors/error.html",
            code=400,
            title="Request not understood",
            message=error.description or "The request could not be understood.",
        ), 400
