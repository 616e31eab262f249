"""Domain errors raised by services; views and the API turn them into clear messages."""


class DomainError(Exception):
    """A refused action with a message written for the person who tried it."""

    status = 400
    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class NotFound(DomainError):
    """Does not exist, or is not yours: the two are deliberately indistinguishable."""

    status = 404
    code = "not-found"


class NotAllowed(DomainError):
    """The person may see the object but not do this to it (403). Named apart from Django's
    ``PermissionDenied``, which Django's own handlers treat differently."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The action is not allowed in the object's current state (e.g. an illegal transition)."""

    status = 409
    code = "conflict"
