FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir uv==0.13.8 && uv pip sync --system requirements.lock
# .dockerignore leaves out accountability/devtools (devstack, bench, chaos, the demo organisation): not the product.
COPY . .
# Static files are collected at build time with throwaway settings; whitenoise serves them.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --no-input
# /run/prometheus: each process's Prometheus series (PROMETHEUS_MULTIPROC_DIR, a volume in docker-compose.yml).
RUN useradd --system --uid 1000 app && mkdir -p /run/prometheus && chown -R app /app /run/prometheus
USER app
EXPOSE 8000
