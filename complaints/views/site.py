"""Pages of the site that are not about one case: home, favicon."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.templatetags.static import static


def home(request):
    return render(request, "home.html")


def favicon(request):
    """Browsers ask for /favicon.ico on every page, admin pages included."""
    return redirect(static("favicon.svg"), permanent=True)
