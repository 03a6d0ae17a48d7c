# Taperline: the web application and the background worker, one image.
#   docker build -t taperline .
#   docker run --env-file deploy/env.example -p 8000:8000 taperline            (web)
#   docker run --env-file deploy/env.example taperline taperline worker        (worker)
# deploy/docker-compose.yml runs the whole thing with PostgreSQL and Caddy (TLS).
FROM python:3.11-slim-bookworm

# WeasyPrint (printable reports) needs Pango; nothing else is compiled at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /srv/taperline taperline
WORKDIR /srv/taperline

COPY requirements.lock* pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --upgrade pip \
 && if [ -f requirements.lock ]; then pip install --no-cache-dir -r requirements.lock; fi \
 && pip install --no-cache-dir .

USER taperline
ENV TAPERLINE_ENVIRONMENT=production \
    TAPERLINE_LOG_FORMAT=json \
    TAPERLINE_DATA_DIR=/srv/taperline/data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
CMD ["taperline", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
