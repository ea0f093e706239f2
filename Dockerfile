# Resolute application image: web (gunicorn), Celery worker and beat share it.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var STATIC_ROOT=/app/staticfiles
WORKDIR /app

COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
# collectstatic needs settings to import; this throwaway key never reaches a running container.
RUN SECRET_KEY=collectstatic-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ \
    python manage.py collectstatic --noinput -v0 \
 && useradd --system --uid 10001 --home /app resolute && mkdir -p /app/var && chown resolute /app/var
USER resolute

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "-c", "python:config.gunicorn", "--bind", "0.0.0.0:8000"]
