"""The application state machine: the ONE table of allowed transitions. Services ask it
before changing an application's state; anything not listed is refused with a Conflict that
says what can be done instead."""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.errors import Conflict

from .models import Application

S = Application.State


@dataclass(frozen=True)
class Transition:
    action: str
    source: S
    target: S
    by: str  # "applicant", "reviewer" or "signer": who may trigger it
    needs_comment: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", S.DRAFT, S.SUBMITTED, "applicant"),
    Transition("submit", S.RETURNED, S.SUBMITTED, "applicant"),
    Transition("withdraw", S.DRAFT, S.WITHDRAWN, "applicant"),
    Transition("withdraw", S.SUBMITTED, S.WITHDRAWN, "applicant"),
    Transition("withdraw", S.RETURNED, S.WITHDRAWN, "applicant"),
    Transition("approve", S.SUBMITTED, S.APPROVED, "reviewer"),
    Transition("reject", S.SUBMITTED, S.REJECTED, "reviewer", needs_comment=True),
    Transition("return", S.SUBMITTED, S.RETURNED, "reviewer", needs_comment=True),
    # The named signer, shown the pages uploaded under their name: "this is not what I signed".
    Transition("decline", S.SUBMITTED, S.RETURNED, "signer", needs_comment=True),
)

EDITABLE = frozenset({S.DRAFT, S.RETURNED})
FINAL = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN})

_VERBS = {
    "submit": "submitted",
    "withdraw": "withdrawn",
    "approve": "approved",
    "reject": "rejected",
    "return": "returned for changes",
    "decline": "declined by the signer",
}


def allowed_actions(state: str, by: str | None = None) -> list[str]:
    return [t.action for t in TRANSITIONS if t.source == state and (by is None or t.by == by)]


def transition_for(application: Application, action: str) -> Transition:
    """The transition ``action`` takes from the application's current state, or a Conflict
    explaining why it cannot happen now."""
    for t in TRANSITIONS:
        if t.action == action and t.source == application.state:
            return t
    if action not in _VERBS:
        raise Conflict(f"Unknown action {action!r}.", code="illegal-transition")
    state = S(application.state)
    possible = allowed_actions(state)
    hint = (
        f" From here it can be {', '.join(_VERBS[a] for a in possible)}."
        if possible
        else " No further changes are possible."
    )
    raise Conflict(
        f"Application {application.reference} is {state.label.lower()}, so it cannot be "
        f"{_VERBS[action]}.{hint}",
        code="illegal-transition",
    )


def is_editable(application: Application) -> bool:
    return application.state in EDITABLE
