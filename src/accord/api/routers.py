"""Where each app's router is mounted. Add a line here when an app gets API endpoints."""

from accord.catalog.api import router as catalog_router

ROUTERS = [
    ("/", catalog_router),
]
