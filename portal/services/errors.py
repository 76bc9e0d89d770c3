from __future__ import annotations


class ServiceError(Exception):
    """A refused domain operation; `message` is translated (lazily) for the person who tried."""

    code = "refused"

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class TransitionNotAllowed(ServiceError):
    code = "transition_not_allowed"


class PermissionDenied(ServiceError):
    code = "forbidden"


class StaleRequest(ServiceError):
    """The request changed since the actor loaded it (optimistic locking)."""

    code = "stale"
