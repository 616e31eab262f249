"""The product's URLs plus one bench-only view: the baseline a request to Accord is measured
against (the same gunicorn, middleware and nginx location, no work of its own)."""

from django.http import HttpResponse
from django.urls import path

from accord.core.decorators import public
from accord.urls import urlpatterns as accord_urlpatterns


@public
def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), *accord_urlpatterns]
