"""Every error bvflow raises on purpose, under one root.

Hierarchy::

    BvflowError
    ├── DefinitionError        a workflow or site file is wrong (raised on load)
    ├── InputError             a caller gave a bad value (names the field and value)
    │   └── NotFoundError      the value names nothing stored
    ├── TransitionNotAllowed   the event is not allowed in the current state
    ├── ConflictError          someone else changed the same row first
    ├── AuthenticationError    login or API token refused (web layer)
    ├── PermissionDenied       the user's role does not allow the action
    └── DeliveryError          a notification could not be built or sent

The CLI maps these to exit codes in one place (``bvflow.cli``); nothing stored
is changed when any of them is raised from a service function.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BvflowError",
    "ConflictError",
    "DefinitionError",
    "DeliveryError",
    "InputError",
    "NotFoundError",
    "PermissionDenied",
    "TransitionNotAllowed",
]


class BvflowError(Exception):
    """Root of all bvflow errors. ``str(err)`` is a message for people."""

    exit_code = 1


class DefinitionError(BvflowError):
    """A definition file is invalid.

    Attributes:
        file: path of the file (str), key: dotted key inside it, value: the bad value.
    """

    exit_code = 3

    def __init__(self, file: str, key: str, value: object, problem: str) -> None:
        self.file, self.key, self.value, self.problem = str(file), key, value, problem
        if key == "(file)":
            super().__init__(f"{self.file}: {problem}")
        else:
            super().__init__(f"{self.file}: {key} = {value!r}: {problem}")


class InputError(BvflowError):
    """A bad input value. Attributes: ``field`` (str), ``value`` (the value given)."""

    exit_code = 2

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field, self.value, self.problem = field, value, problem
        super().__init__(f"{field} = {value!r}: {problem}")


class NotFoundError(InputError):
    """The value of ``field`` names nothing stored (unknown party, plan, body …)."""


class TransitionNotAllowed(BvflowError):
    """An event that the workflow does not allow in the current state.

    Attributes: ``event`` (str), ``state`` (current state), ``subject`` (what it
    was tried on, e.g. ``"plan handlingsplan-2025 v1"`` or ``"seljord"``).
    """

    exit_code = 4

    def __init__(self, subject: str, event: str, state: str, hint: str = "") -> None:
        self.subject, self.event, self.state = subject, event, state
        msg = f"{subject}: '{event}' is not allowed in state '{state}'"
        super().__init__(msg + (f"; {hint}" if hint else ""))


class ConflictError(BvflowError):
    """Another writer changed the same plan version or case first; nothing was stored.

    Attribute ``subject`` names what was contended. Repeat the command after
    looking at the current state (``bvflow status``).
    """

    exit_code = 5

    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(
            f"{subject} was changed by someone else at the same time; nothing was stored. "
            "Check `bvflow status` and repeat the command if it still applies."
        )


class AuthenticationError(BvflowError):
    """Login failed: unknown user, wrong password, disabled user or a bad token.
    The message never says which, so it cannot be used to find user names.
    ``retry_after`` (seconds, int) is set when failed logins are being slowed down."""

    exit_code = 7

    def __init__(self, message: str, retry_after: int = 0) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class PermissionDenied(BvflowError):
    """The user may not do ``action`` in ``partnership`` (for ``party``).

    Attributes: ``action`` (str), ``partnership`` (key), ``party`` (key or None)."""

    exit_code = 8

    def __init__(self, action: str, partnership: str, party: str | None = None) -> None:
        self.action, self.partnership, self.party = action, partnership, party
        where = f"{partnership}" + (f", party {party}" if party else "")
        super().__init__(f"you may not {action} in {where}")


class DeliveryError(BvflowError):
    """A notification could not be rendered or delivered."""

    exit_code = 6
