"""API endpoints of agreements (mounted by accord.api.routers)."""

from ninja import Router

router = Router(tags=["agreements"])
