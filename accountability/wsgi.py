"""WSGI entry point: production's webhook receiver (docker-compose.yml's `receiver`, gunicorn's sync workers,
what `make bench` measures), where a delivery costs about a quarter of the CPU it costs under the asgi worker
(docs/PERFORMANCE.md, "Where production serves webhooks")."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")

application = get_wsgi_application()
