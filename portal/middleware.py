"""No cache keeps what the portal renders.

Pages, report downloads, the log-in page and the admin hold pre-negotiation positions or
a CSRF token: every response past the static files (WhiteNoise answers those before this
middleware) says `Cache-Control: private, no-store`, whoever asked, so neither a shared
proxy nor the browser's disk cache keeps a copy. Views in OWN_CACHING keep their own.
"""

from django.utils.cache import patch_cache_control

# URL names whose views set their caching themselves: the health check says no-store.
OWN_CACHING = frozenset({"healthz"})


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name not in OWN_CACHING:
            patch_cache_control(response, private=True, no_store=True)
        return response
