"""API endpoints of downloads (mounted by accord.api.routers)."""

from ninja import Router

router = Router(tags=["downloads"])
