"""Go-style errors for the operator port: `"msg: inner"` wrapping that keeps the chain, and `errors.As` over it."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["GoError", "PanicError", "errors_as", "wrap"]

E = TypeVar("E", bound=BaseException)


class GoError(Exception):
    """An `error` value of the Go code: its text is exactly what `err.Error()` would print."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PanicError(Exception):
    """A Go runtime panic (e.g. a nil pointer dereference); controller-runtime recovers it as a reconcile error.

    The reconciler does not treat it as a handler's returned error: no status write follows it.
    """


def wrap(message: str, err: BaseException) -> GoError:
    """`fmt.Errorf("msg: %w", err)`: a GoError reading `"message: <err>"` whose `__cause__` is `err`."""
    wrapped = GoError(f"{message}: {err}")
    wrapped.__cause__ = err
    return wrapped


def errors_as(err: BaseException | None, cls: type[E]) -> E | None:
    """`errors.As`: the first error of type `cls` along the `__cause__` chain starting at `err`, or None."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, cls):
            return err
        seen.add(id(err))
        err = err.__cause__
    return None
