"""Named permissions (``<scope>:<resource>:<action>``) and which staff role holds which.

Staff rights are always scoped to a custodian: holding a permission at CMVS says nothing about
IP-CAS. Per-object decisions for licensees live in accord.access.policy.
"""

from __future__ import annotations

from enum import StrEnum

from accord.catalog.models import CustodianStaff


class Permission(StrEnum):
    CATALOG_DATASET_MANAGE = "catalog:dataset:manage"
    CATALOG_LICENSE_PUBLISH = "catalog:license:publish"
    CATALOG_SUBJECT_MANAGE = "catalog:subject:manage"
    # Withdrawing a subject's consent: stops serving files and asks licensees to delete them.
    CATALOG_SUBJECT_WITHDRAW = "catalog:subject:withdraw"
    # Granting, changing and taking away staff roles: custodian administrators only.
    CATALOG_STAFF_MANAGE = "catalog:staff:manage"
    AGREEMENTS_APPLICATION_VIEW = "agreements:application:view"
    AGREEMENTS_APPLICATION_REVIEW = "agreements:application:review"
    AGREEMENTS_APPLICATION_INTAKE = "agreements:application:intake"
    AGREEMENTS_LICENCE_VIEW = "agreements:licence:view"
    AGREEMENTS_LICENCE_REVOKE = "agreements:licence:revoke"
    PUBLICATIONS_PAPER_REVIEW = "publications:paper:review"
    AUDIT_EVENT_VIEW = "audit:event:view"
    AUDIT_EVENT_EXPORT = "audit:event:export"


_REVIEWER = {
    Permission.AGREEMENTS_APPLICATION_VIEW,
    Permission.AGREEMENTS_APPLICATION_REVIEW,
    Permission.AGREEMENTS_APPLICATION_INTAKE,
    Permission.AGREEMENTS_LICENCE_VIEW,
    Permission.PUBLICATIONS_PAPER_REVIEW,
    Permission.AUDIT_EVENT_VIEW,
}
_DATA_MANAGER = _REVIEWER | {
    Permission.CATALOG_DATASET_MANAGE,
    Permission.CATALOG_SUBJECT_MANAGE,
    Permission.CATALOG_SUBJECT_WITHDRAW,
    Permission.AGREEMENTS_LICENCE_REVOKE,
    Permission.AUDIT_EVENT_EXPORT,
}
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    CustodianStaff.Role.REVIEWER: frozenset(_REVIEWER),
    CustodianStaff.Role.DATA_MANAGER: frozenset(_DATA_MANAGER),
    CustodianStaff.Role.ADMIN: frozenset(Permission),
}


def custodian_ids_with(user, permission: Permission) -> set[int] | None:
    """Custodian ids where ``user`` holds ``permission``; None means every custodian
    (superuser). An anonymous user gets the empty set."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    return {
        m.custodian_id
        for m in CustodianStaff.objects.filter(user=user)
        if permission in ROLE_PERMISSIONS.get(m.role, frozenset())
    }


def has_custodian_permission(user, custodian_id: int, permission: Permission) -> bool:
    ids = custodian_ids_with(user, permission)
    return ids is None or custodian_id in ids


def is_custodian_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or CustodianStaff.objects.filter(user=user).exists()
