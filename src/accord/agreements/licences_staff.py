"""Custodian staff acting on a granted licence: suspend, reinstate, revoke. The licence's
states and the staff transitions between them are the table below; every action locks the
licence, records its audit event and syncs the entitlements in one transaction, so the
signer and every member lose (or regain) access at once, and the emails go out after commit."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accord.access.services import entitlements_sync_for_licence
from accord.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from accord.core.permissions import Permission, has_custodian_permission
from accord.notifications import agreements as notify

from .licences import _audit, _lock
from .models import Licence

L = Licence.Status
MAX_REASON = 2000


@dataclass(frozen=True)
class LicenceTransition:
    action: str
    sources: frozenset[str]
    target: str
    reason_required: bool = True


# The ONE table of what staff may do to a licence. Revoked, void and expired licences are
# final: nothing brings them back (a new application makes a new licence).
LICENCE_TRANSITIONS: dict[str, LicenceTransition] = {
    "suspend": LicenceTransition("suspend", frozenset({L.ACTIVE}), L.SUSPENDED),
    "reinstate": LicenceTransition(
        "reinstate", frozenset({L.SUSPENDED}), L.ACTIVE, reason_required=False
    ),
    "revoke": LicenceTransition("revoke", frozenset({L.ACTIVE, L.SUSPENDED}), L.REVOKED),
}

_VERBS = {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}


def staff_actions(licence: Licence) -> list[str]:
    """The actions the table allows from the licence's current state (for the page's buttons)."""
    return [t.action for t in LICENCE_TRANSITIONS.values() if licence.status in t.sources]


def _require_staff(licence: Licence, actor) -> None:
    if not has_custodian_permission(
        actor, licence.dataset.custodian_id, Permission.AGREEMENTS_LICENCE_REVOKE
    ):
        # Reviewers may read the licence but not end it; for other custodians' staff it does
        # not exist. Both get the same answer as the web decorator's object check: not found.
        if has_custodian_permission(
            actor, licence.dataset.custodian_id, Permission.AGREEMENTS_LICENCE_VIEW
        ):
            raise PermissionDenied(
                "Only a data manager or administrator of the custodian may suspend, reinstate "
                "or revoke a licence; ask one of them.",
                code="not-licence-manager",
            )
        raise NotFound("No such licence.")


def _check(licence: Licence, action: str, reason: str) -> tuple[LicenceTransition, str]:
    transition = LICENCE_TRANSITIONS[action]
    if licence.status not in transition.sources:
        if licence.status == L.REVOKED and action == "revoke":
            message = f"Licence {licence.reference} is already revoked"
        else:
            message = (
                f"Licence {licence.reference} is {licence.get_status_display().lower()}, so "
                f"it cannot be {_VERBS[action]}"
            )
        possible = staff_actions(licence)
        hint = (
            f"; it can be {' or '.join(_VERBS[a] for a in possible)}."
            if possible
            else "; nothing more can be done to it (a new application makes a new licence)."
        )
        raise Conflict(message + hint, code="illegal-licence-transition")
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise DomainError(
            f"Give the reason the licence is {_VERBS[action]}: the signer and every member "
            "will read it, and it is kept in the audit trail.",
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise DomainError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    return transition, reason


def _change(*, licence: Licence, actor, action: str, reason: str) -> Licence:
    licence = _lock(licence)
    _require_staff(licence, actor)
    transition, reason = _check(licence, action, reason)
    source = licence.status
    licence.status = transition.target
    if transition.target == L.ACTIVE:
        licence.ended_at = None
        licence.end_reason = ""
    else:
        licence.ended_at = timezone.now()
        licence.end_reason = reason
    licence.save(update_fields=["status", "ended_at", "end_reason", "updated"])
    _audit(licence, action, actor, source=source, status=transition.target, reason=reason)
    entitlements_sync_for_licence(
        licence=licence, actor=actor, reason=f"licence {_VERBS[action]}: {reason}".rstrip(": ")
    )
    notify.licence_status_changed(licence, action=action, reason=reason)
    return licence


@transaction.atomic
def licence_revoke(*, licence: Licence, actor, reason: str) -> Licence:
    """End the licence for good: the signer and every member lose access at once (links
    already issued are refused at their next request, by the policy's use-time check)."""
    return _change(licence=licence, actor=actor, action="revoke", reason=reason)


@transaction.atomic
def licence_suspend(*, licence: Licence, actor, reason: str) -> Licence:
    """Stop access while something is looked into; reinstating gives it back."""
    return _change(licence=licence, actor=actor, action="suspend", reason=reason)


@transaction.atomic
def licence_reinstate(*, licence: Licence, actor, reason: str = "") -> Licence:
    return _change(licence=licence, actor=actor, action="reinstate", reason=reason)


def licence_staff_action(*, licence: Licence, actor, action: str, reason: str) -> Licence:
    services = {
        "revoke": licence_revoke,
        "suspend": licence_suspend,
        "reinstate": licence_reinstate,
    }
    if action not in services:
        raise NotFound("No such action.")
    return services[action](licence=licence, actor=actor, reason=reason)
