# syntax=docker/dockerfile:1
# event-service: multi-stage build. Stage 1 builds a virtualenv with the pinned
# dependencies (constraints.txt); stage 2 is the slim runtime, run as a non-root user.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY constraints.txt pyproject.toml README.md ./
COPY src ./src
RUN pip install --constraint constraints.txt .

FROM python:3.11-slim
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=3003 \
    LOG_FORMAT=json
RUN groupadd --system --gid 1001 app \
    && useradd --system --uid 1001 --gid app --home-dir /app --create-home app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
USER 1001:1001
EXPOSE 3003
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request, sys; r = urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3003')}/health\", timeout=2); sys.exit(0 if r.status == 200 else 1)"]
# uvicorn handles SIGTERM itself (drain, then exit 0); run with `init: true` / --init to reap children.
ENTRYPOINT ["event-service"]
CMD ["serve"]
