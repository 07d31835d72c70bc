"""ASGI entry point, for an ASGI server. Production serves the WSGI one (wsgi.py): under gunicorn's asgi
worker, with the connection per request Django wants there, pages and deliveries cost several times the CPU
(docs/PERFORMANCE.md, "Where production serves webhooks")."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")

application = get_asgi_application()
