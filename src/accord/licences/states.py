"""The licence's states and what custodian staff may do between them: ONE table. Revoked and
void licences are final: nothing brings them back (a new application makes a new licence); an
expired one only its signer's renewal can (accord.licences.expiry)."""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.errors import Conflict, DomainError

from .models import Licence

L = Licence.Status
MAX_REASON = 2000


@dataclass(frozen=True)
class LicenceTransition:
    action: str
    sources: frozenset[str]
    target: str
    reason_required: bool = True


LICENCE_TRANSITIONS: dict[str, LicenceTransition] = {
    "suspend": LicenceTransition("suspend", frozenset({L.ACTIVE}), L.SUSPENDED),
    "reinstate": LicenceTransition(
        "reinstate", frozenset({L.SUSPENDED}), L.ACTIVE, reason_required=False
    ),
    "revoke": LicenceTransition("revoke", frozenset({L.ACTIVE, L.SUSPENDED}), L.REVOKED),
}

VERBS = {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}


def staff_actions(licence: Licence) -> list[str]:
    """The actions the table allows from the licence's current state (for the page's buttons)."""
    return [t.action for t in LICENCE_TRANSITIONS.values() if licence.status in t.sources]


def transition_check(licence: Licence, action: str, reason: str) -> tuple[LicenceTransition, str]:
    """The transition ``action`` makes from the licence's state and the cleaned reason, or a
    refusal saying what can still be done to it."""
    transition = LICENCE_TRANSITIONS[action]
    if licence.status not in transition.sources:
        if licence.status == L.REVOKED and action == "revoke":
            message = f"Licence {licence.reference} is already revoked"
        else:
            message = (
                f"Licence {licence.reference} is {licence.get_status_display().lower()}, so "
                f"it cannot be {VERBS[action]}"
            )
        possible = staff_actions(licence)
        hint = (
            f"; it can be {' or '.join(VERBS[a] for a in possible)}."
            if possible
            else "; nothing more can be done to it (a new application makes a new licence)."
        )
        raise Conflict(message + hint, code="illegal-licence-transition")
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise DomainError(
            f"Give the reason the licence is {VERBS[action]}: the signer and every member "
            "will read it, and it is kept in the audit trail.",
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise DomainError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    return transition, reason
