# Offentlig service image: gunicorn, non-root, data under /data.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
COPY schemas ./schemas
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim-bookworm
RUN groupadd --system offentlig && useradd --system --gid offentlig --home-dir /data offentlig \
    && mkdir /data && chown offentlig:offentlig /data
COPY --from=build /install /usr/local
USER offentlig
WORKDIR /data
ENV OFFENTLIG_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["offentlig", "serve", "--host", "0.0.0.0", "--port", "8000"]
