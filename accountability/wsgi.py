"""WSGI entry point: what production serves (docker-compose.yml's `web` and `receiver`, gunicorn's sync
workers behind nginx) and what `make bench` measures."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")

application = get_wsgi_application()
