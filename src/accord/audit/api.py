"""API endpoints of audit (mounted by accord.api.routers)."""

from ninja import Router

router = Router(tags=["audit"])
