# episode-bot in a container: a slim Python, a non-root user, the store on a volume.
#
#   docker build -t episode-bot .
#   docker run -d --name episode-bot --env-file .env --read-only --tmpfs /tmp \
#       -v episode-bot-data:/data episode-bot
#
# The root filesystem may be read-only: the bot writes only under /data (the store, its
# WAL, the daily backups) and /tmp. See compose.yaml for the same as a compose service.
FROM python:3.11-slim

# `--build-arg EXTRAS=[semantic]` adds /when's meaning layer (then set EMBEDDING_MODEL); a
# model named by its hub name is downloaded once into the volume (HF_HOME), as the root
# filesystem may be read-only.
ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HOME=/data/models \
    DATABASE_PATH=/data/episode-bot.db \
    BACKUP_DIR=/data/backups

WORKDIR /app
# The exact versions the project is tested with, then the project itself.
COPY constraints.txt pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --constraint constraints.txt ".${EXTRAS}" \
    && rm -rf /app/build /app/*.egg-info \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin episode-bot \
    && mkdir -p /data/backups \
    && chown -R episode-bot:episode-bot /data

USER episode-bot
# The working directory is the volume: a `.env` there is read, and nothing else is written.
WORKDIR /data
VOLUME ["/data"]

# Offline and cheap (configuration and store, no network, no full read): safe every minute.
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 \
    CMD ["episode-bot", "doctor", "--quick"]

# SIGTERM stops the bot cleanly (the poller stops, the store is closed).
STOPSIGNAL SIGTERM
ENTRYPOINT ["episode-bot"]
CMD ["run"]
