"""Makes the request's address and user agent available to audit_record."""

from accord.audit.services import RequestContext, current_request


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # REMOTE_ADDR is the proxy in production; nginx's config sets it from X-Real-IP via
        # gunicorn's forwarded-allow-ips, so we never trust a client-supplied header here.
        token = current_request.set(
            RequestContext(
                ip_address=request.META.get("REMOTE_ADDR") or None,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
