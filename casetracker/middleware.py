"""Cross-cutting HTTP behaviour that is not a view's business."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a logged-in user are never stored by any cache.

    They carry personal data (security checklist item 8); a shared or
    browser cache must not keep them after logout.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
        return response
