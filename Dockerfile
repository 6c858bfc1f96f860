# Replydesk: build the release binary and the WASM dashboard, then run them in a slim image.

# --- build -------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm pkg-config \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.10 --locked
WORKDIR /src
# wasm-bindgen-cli must be exactly the version in Cargo.lock.
COPY Cargo.lock ./
RUN cargo install wasm-bindgen-cli --version \
      "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
# wasm-opt from npm's binaryen (Debian's is too old for this WASM).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
ENV PATH=/src/node_modules/.bin:$PATH
COPY . .
RUN cargo leptos build --release --split

# --- run ---------------------------------------------------------------------------------
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="Replydesk" \
      org.opencontainers.image.description="Self-hosted WhatsApp AI customer-support assistant" \
      org.opencontainers.image.licenses="MIT"
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin replydesk \
 && mkdir -p /data && chown replydesk:replydesk /data
COPY --from=build /src/target/release/replydesk /usr/local/bin/replydesk
COPY --from=build /src/target/site /srv/replydesk/site
# MALLOC_ARENA_MAX=2: glibc's per-thread arenas kept ~280 MB of freed heap after indexing 50 MB
# of documents; two arenas keep it under 100 MB for ~10 % slower ingest (bench/README.md).
ENV LEPTOS_SITE_ROOT=/srv/replydesk/site \
    MALLOC_ARENA_MAX=2 \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_OUTPUT_NAME=replydesk \
    LEPTOS_ENV=PROD \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    LOG_FORMAT=json \
    RUST_LOG=info
USER replydesk
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/api/health" || exit 1
ENTRYPOINT ["replydesk"]
CMD ["serve"]
