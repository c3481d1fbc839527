"""One error shape for every 4xx: ``{"error": code, "message": text, "detail": [{"field", "message"}]}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from prompts.errors import ContentError, format_path
from prompts.taskpack import TASK_TYPES
from server.api.schemas import EVENT_KINDS
from server.lifecycle import IllegalTransition
from server.store.repos.base import Conflict, NotFound


class Gone(Exception):
    """The resource existed and is no longer available (expired or revoked invitation)."""

    def __init__(self, message: str, reason: str) -> None:
        self.message = message
        self.reason = reason
        super().__init__(message)


class BadField(Exception):
    """A request field that is well-formed JSON but unusable (e.g. an SDP offer that does not parse)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


_BODY_TAGS = frozenset(TASK_TYPES) | EVENT_KINDS
"""Discriminator tags of request bodies (answers by task type, events by kind), left out of error paths."""


class InvalidRows(Exception):
    """Rows of an uploaded file that cannot be used, each named by line and column; nothing was stored."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        super().__init__(f"{len(rows)} problem(s) in the file; nothing was created")


def error_body(code: str, message: str, detail: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"error": code, "message": message, "detail": list(detail)}


def _validation_rows(exc: RequestValidationError) -> list[dict[str, str]]:
    rows = []
    for err in exc.errors():
        field = format_path(err.get("loc", ()), _BODY_TAGS)
        message = str(err.get("msg", "invalid value"))
        kind = err.get("type")
        if kind == "json_invalid":
            context = err.get("ctx", {}).get("error", "")
            message = f"body is not valid JSON: {context}".rstrip(": ")
        elif kind == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif kind == "missing":
            message = "required field is missing"
        rows.append({"field": field, "message": message})
    return rows


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors to precise 4xx responses; nothing a client sends becomes a 500."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        rows = _validation_rows(exc)
        fields = ", ".join(row["field"] for row in rows) or "request"
        return JSONResponse(status_code=422, content=error_body("invalid_request", f"invalid: {fields}", rows))

    @app.exception_handler(BadField)
    async def _bad_field(_request: Request, exc: BadField) -> JSONResponse:
        return JSONResponse(
            status_code=400,
            content=error_body("bad_request", str(exc), [{"field": exc.field, "message": exc.message}]),
        )

    @app.exception_handler(InvalidRows)
    async def _rows(_request: Request, exc: InvalidRows) -> JSONResponse:
        return JSONResponse(status_code=422, content=error_body("invalid_file", str(exc), exc.rows))

    @app.exception_handler(ContentError)
    async def _content(_request: Request, exc: ContentError) -> JSONResponse:
        message = f"{exc.source} does not validate ({len(exc.issues)} issue(s))"
        return JSONResponse(status_code=422, content=error_body("invalid_content", message, exc.as_dicts()))

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content=error_body("not_found", str(exc)))

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content=error_body("conflict", str(exc)))

    @app.exception_handler(IllegalTransition)
    async def _transition(_request: Request, exc: IllegalTransition) -> JSONResponse:
        return JSONResponse(status_code=409, content=error_body("conflict", str(exc)))

    @app.exception_handler(Gone)
    async def _gone(_request: Request, exc: Gone) -> JSONResponse:
        return JSONResponse(status_code=410, content=error_body(exc.reason, exc.message))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
        }.get(exc.status_code, "error")
        rows = [{"field": "body", "message": str(exc.detail)}] if exc.status_code == 413 else []
        return JSONResponse(
            status_code=exc.status_code,
            content=error_body(code, str(exc.detail), rows),
            headers=getattr(exc, "headers", None),
        )
