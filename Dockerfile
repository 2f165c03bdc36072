# vereda in a container: built with the release profile (LTO, stripped), run by a user without
# privileges, everything it keeps under the /data volume.
#
#   docker build -t vereda .
#   docker run -p 127.0.0.1:8080:8080 -v vereda-data:/data vereda serve --demo
#
# With PostgreSQL see docker-compose.yml and the README ("Production").

FROM rust:1.94-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p vereda-cli \
    && cp target/release/vereda /usr/local/bin/vereda

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin vereda \
    && mkdir -p /data \
    && chown vereda:vereda /data \
    && chmod 0700 /data
COPY --from=build /usr/local/bin/vereda /usr/local/bin/vereda
USER vereda
WORKDIR /data
VOLUME ["/data"]
ENV VEREDA_BIND=0.0.0.0:8080 \
    VEREDA_DATABASE_URL=sqlite:///data/vereda.db \
    VEREDA_UPLOADS_DIR=/data/uploads \
    VEREDA_OUTBOX_DIR=/data/outbox \
    VEREDA_LOG_FORMAT=json
EXPOSE 8080
# Liveness: /healthz; readiness (database answers, schema current): /readyz.
ENTRYPOINT ["/usr/local/bin/vereda"]
CMD ["serve"]
