"""Domain errors. Raised anywhere in the package; mapped to HTTP in exactly one place (aurion.http)."""

from __future__ import annotations

from typing import Any


class AurionError(Exception):
    status_code = 500
    detail = "Internal server error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        if detail is not None:
            self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}

    def headers(self) -> dict[str, str]:
        return {}


class Unauthorized(AurionError):
    status_code = 401
    detail = "Not authenticated"


class Forbidden(AurionError):
    status_code = 403
    detail = "Forbidden"


class NotFound(AurionError):
    status_code = 404
    detail = "Not found"


class Conflict(AurionError):
    status_code = 409
    detail = "Conflict"


class Gone(AurionError):
    status_code = 410
    detail = "Gone"


class UnsupportedMediaType(AurionError):
    status_code = 415
    detail = "The request body must be JSON: send it with Content-Type: application/json"


class ServiceUnavailable(AurionError):
    status_code = 503
    detail = "Service temporarily unavailable, retry shortly"

    def __init__(self, detail: str | None = None, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def rate_limit_headers(limit: int, remaining: int, reset_after: int, window_seconds: int = 60) -> dict[str, str]:
    """The legacy X-RateLimit-* pair and the IETF RateLimit / RateLimit-Policy fields."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "RateLimit": f"limit={limit}, remaining={remaining}, reset={reset_after}",
        "RateLimit-Policy": f"{limit};w={window_seconds}",
    }


class RateLimited(AurionError):
    status_code = 429
    detail = "Rate limit exceeded"

    def __init__(self, detail: str | None, *, limit: int, retry_after: int, remaining: int = 0) -> None:
        super().__init__(detail)
        self.limit = limit
        self.retry_after = retry_after
        self.remaining = remaining

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "limit": self.limit}

    def headers(self) -> dict[str, str]:
        return {
            "Retry-After": str(self.retry_after),
            **rate_limit_headers(self.limit, self.remaining, self.retry_after),
        }


class InvalidInput(AurionError):
    """A request that passed type validation but breaks a rule across fields (e.g. date_from > date_to).

    Rendered exactly like a type-validation failure: FastAPI's 422 shape.
    """

    status_code = 422
    detail = "Validation error"

    def __init__(self, loc: tuple[str, ...], msg: str, type_: str = "value_error") -> None:
        super().__init__(msg)
        self.errors = [{"loc": list(loc), "msg": msg, "type": type_}]

    def body(self) -> dict[str, Any]:
        return {"detail": self.errors}
