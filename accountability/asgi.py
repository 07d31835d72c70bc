"""ASGI entry point: gunicorn's asgi worker serves it in production (docker-compose.yml's `web`: pages and the
API), so that a slow client costs a waiting coroutine, not a worker (docs/PERFORMANCE.md, "Slow clients").
Webhooks go to the receiver's sync workers instead (wsgi.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")

application = get_asgi_application()
