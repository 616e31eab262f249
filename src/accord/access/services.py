"""Writes for entitlements. Services that change a licence or its members call
``entitlements_sync_for_licence`` inside their transaction so access follows at once."""

from __future__ import annotations


def entitlements_sync_for_licence(*, licence, actor=None, reason: str = "") -> None:
    """Make the licence's entitlements match its current state and members (issue #4 fills
    this in; until then access/policy.py derives access from the licence directly)."""
    return None
