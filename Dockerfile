# One image for the production-like stack of docker-compose.yml: web (gunicorn), Celery worker
# and Celery beat. Configuration comes from the environment (see .env.example).

# Stage 1: the source without local state. There is no .dockerignore, so the build context may
# hold .venv/, var/ (with a secret key and a SQLite database) and caches; none reaches the image.
FROM python:3.11-slim AS source
COPY . /src
RUN rm -rf /src/.git /src/.venv /src/var /src/node_modules /src/.env \
    && find /src -depth \( -name __pycache__ -o -name '.*_cache' -o -name .hypothesis \) \
       -exec rm -rf {} +

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# Dependencies from pyproject.toml alone, so a code change reuses this layer. The app runs from
# /app (`packages = []`); gunicorn is the image's WSGI server, not a dependency of the app.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt "gunicorn>=23,<28"

COPY --from=source /src /app
RUN useradd --system --uid 10001 --home-dir /app portal \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media /app/var/metrics \
    && chown -R portal /app/var
USER portal
EXPOSE 8000
# Liveness of the web process (issue 14): /healthz answers without the database. Worker and beat
# containers of this image set their own check (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["gunicorn", "mhhs_portal.wsgi", "-c", "deploy/gunicorn.conf.py"]
