"""
WSGI config for casetracker project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")

application = get_wsgi_application()

# Load the letter fonts in each worker at start (about 0.6 s) rather than on
# the first PDF request. A server without Pango still serves everything else.
try:
    from complaints.letters.render import warm_up

    warm_up()
except OSError:  # pragma: no cover - missing system libraries
    import logging

    logging.getLogger("casetracker.letters").exception("letter fonts not loaded")
