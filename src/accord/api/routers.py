"""Where each app's router is mounted."""

from accord.access.api import router as access_router
from accord.accounts.api import router as accounts_router
from accord.agreements.api import router as agreements_router
from accord.audit.api import router as audit_router
from accord.catalog.api import router as catalog_router
from accord.downloads.api import router as downloads_router
from accord.licences.api import router as licences_router
from accord.licences.api_terms import router as terms_router
from accord.publications.api import router as publications_router

ROUTERS = [
    ("/", catalog_router),
    ("/", agreements_router),
    ("/", licences_router),
    ("/", terms_router),
    ("/", access_router),
    ("/", downloads_router),
    ("/", audit_router),
    ("/", accounts_router),
    ("/", publications_router),
]
