"""API endpoints of accounts (mounted by accord.api.routers)."""

from ninja import Router

router = Router(tags=["accounts"])
