"""API endpoints of access (mounted by accord.api.routers)."""

from ninja import Router

router = Router(tags=["access"])
