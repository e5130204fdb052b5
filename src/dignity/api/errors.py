"""One table from error class to HTTP status, and one JSON error body for every failure.

    {"status": 404, "code": "not_found", "detail": "entity not found", "errors": []}

`errors` lists field problems ({"field", "message", "location"}) for invalid input. Server-side
failures (5xx) never carry internals: the detail is generic and the cause goes to the log.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from dignity import exc

STATUS_BY_ERROR: dict[type[exc.DignityError], int] = {
    exc.TooLarge: 413,  # refused while it streamed in (SECURITY.md item 30)
    exc.InvalidInput: 422,
    exc.NotFound: 404,
    exc.NotAuthenticated: 401,
    exc.PermissionDenied: 403,
    exc.Conflict: 409,
    exc.RateLimited: 429,
    exc.StoreError: 503,
    exc.IntegrityError: 500,
    exc.ConfigurationError: 500,
    exc.DignityError: 400,
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def status_for(error: exc.DignityError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def error_body(
    status: int, detail: str, code: str | None = None, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {
        "status": status,
        "code": code or CODE_BY_STATUS.get(status, "error"),
        "detail": detail,
        "errors": errors or [],
    }


def body_for_error(error: exc.DignityError) -> tuple[int, dict[str, Any]]:
    status = status_for(error)
    if status >= 500:
        return status, error_body(status, HTTPStatus(status).phrase.lower(), error.code)
    fields = [
        {"field": e.field, "message": e.message, "location": e.location}
        for e in getattr(error, "errors", [])
    ]
    body = error_body(status, error.message, error.code, fields)
    if isinstance(error, exc.RateLimited) and error.retry_after is not None:
        body["retry_after"] = error.retry_after  # becomes the Retry-After header, not body
    return status, body
