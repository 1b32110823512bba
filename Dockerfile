# The bot's container image: `review-bot serve` on 0.0.0.0:3978 as a non-root user.
#
# Build:  docker build -t review-bot:0.1.0 .        (or in Azure: az acr build, deploy/README.md)
# Run:    docker run -p 3978:3978 --env-file bot.env -v "$PWD/config:/config:ro" review-bot:0.1.0
#
# The image holds no secrets and no data: credentials, the database URL and the data keys come
# from the environment (App Service settings, Key Vault references), the partnerships file from
# /config (a read-only mount, or the small image deploy/config-image/Dockerfile adds on top),
# the cases from PostgreSQL. Bound to 0.0.0.0, the bot refuses to start without MicrosoftAppId:
# credentials are required here, never optional. Only pip installs packages (no apt, no
# compiler): psycopg's binary wheel brings libpq.

# For byte-for-byte rebuilds, pin both FROM lines by digest: python:3.11-slim-bookworm@sha256:…
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Only what the package needs (.dockerignore admits nothing else: no tests, data or .env).
COPY pyproject.toml README.md ./
COPY safeguarding/ safeguarding/
COPY storage/ storage/
COPY usecases/ usecases/
COPY bot/ bot/
COPY dialogs/ dialogs/
COPY cards/ cards/
COPY scheduler/ scheduler/
COPY cli/ cli/
COPY teamsapp/ teamsapp/
# The `azure` extra: Application Insights through OpenTelemetry; `report`: the monthly card's chart.
RUN python -m venv /opt/review-bot \
    && /opt/review-bot/bin/pip install ".[azure,report]" \
    && /opt/review-bot/bin/review-bot --help > /dev/null

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="review-bot" \
      org.opencontainers.image.description="Teams bot for Safeguarding Children Partnerships: case review referrals and the statutory clock" \
      org.opencontainers.image.licenses="MIT"
# A fixed uid/gid with no login shell and no home worth writing to.
RUN groupadd --system --gid 10001 reviewbot \
    && useradd --system --uid 10001 --gid reviewbot --no-create-home --shell /usr/sbin/nologin reviewbot \
    && install -d -o reviewbot -g reviewbot -m 0700 /var/lib/review-bot \
    && install -d -o root -g root -m 0755 /config
COPY --from=build /opt/review-bot /opt/review-bot
ENV PATH=/opt/review-bot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REVIEW_BOT_HOST=0.0.0.0 \
    REVIEW_BOT_PORT=3978 \
    REVIEW_BOT_PARTNERSHIPS=/config/partnerships.toml \
    REVIEW_BOT_DATA_DIR=/var/lib/review-bot \
    APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL=true \
    APPLICATIONINSIGHTS_SDKSTATS_DISABLED=true \
    APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED=true
WORKDIR /var/lib/review-bot
USER 10001:10001
EXPOSE 3978
# The app's own liveness route (bot/app.py `/healthz`); App Service's health check asks
# `/readyz` (store open, partnerships loaded). No curl in the slim image: Python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:' + os.environ.get('REVIEW_BOT_PORT', '3978') + '/healthz'; sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
# SIGTERM stops it cleanly (the store closed, the scheduler stopped).
STOPSIGNAL SIGTERM
ENTRYPOINT ["review-bot"]
CMD ["serve"]
