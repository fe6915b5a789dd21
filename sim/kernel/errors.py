"""Errors: bad user input (SimError, exit code 2) and the API/HTTP errors the simulated world returns to callers."""

from __future__ import annotations


class SimError(Exception):
    """Bad input from the user (a scenario file, a flag, a log, a controller path).

    The message names what is wrong, where, the rule it breaks and how to fix it; the CLI prints it
    without a traceback and exits 2.
    """

    def __init__(self, what: str, *, where: str = "", rule: str = "", fix: str = "") -> None:
        self.what, self.where, self.rule, self.fix = what, where, rule, fix
        parts = [f"{where}: {what}" if where else what]
        if rule:
            parts.append(f"rule: {rule}")
        if fix:
            parts.append(f"fix: {fix}")
        super().__init__("\n  ".join(parts))


class ApiError(Exception):
    """An error answered by the simulated Kubernetes API server (a StatusError in client-go)."""

    code: int = 500
    reason: str = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Conflict(ApiError):
    """409: the write carried a resourceVersion other than the stored one."""

    code, reason = 409, "Conflict"


class AlreadyExists(ApiError):
    """409: create of an object whose key is taken."""

    code, reason = 409, "AlreadyExists"


class NotFound(ApiError):
    """404: no object with that key."""

    code, reason = 404, "NotFound"


class Invalid(ApiError):
    """422: the write breaks a validation rule (e.g. a new finalizer on a terminating object)."""

    code, reason = 422, "Invalid"


class ServerError(ApiError):
    """5xx: the API server failed; the write was not applied."""

    code, reason = 500, "InternalError"


class ApiTimeout(ApiError):
    """The client gave up waiting; the write may or may not have been applied (the caller cannot tell)."""

    code, reason = 504, "Timeout"


class TransportError(Exception):
    """An HTTP call that got no response: timeout or connection failure (the server may have acted anyway)."""
