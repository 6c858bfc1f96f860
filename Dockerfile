# Replydesk: the release binary and the WASM dashboard, built in stages so that a deploy which
# changes only project code compiles only the project's crates, then run in a slim image.
#
# Railway's builder rules (docs/DEPLOYMENT.md, checked by server/tests/all/deploy.rs): no VOLUME
# instruction (Railway refuses it; its volumes are declared in the template); the image starts
# as root so the entrypoint can hand a root-owned volume to the server's user, then drops to it.

# --- tools: changes only when a tool's version does --------------------------------------------
FROM rust:1.95.0-slim-bookworm AS tools
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm pkg-config \
 && rm -rf /var/lib/apt/lists/*
# The target and components rust-toolchain.toml asks for, once here rather than in each stage.
RUN rustup target add wasm32-unknown-unknown \
 && rustup component add rustfmt clippy \
 && cargo install cargo-chef --version 0.1.78 --locked \
 && cargo install cargo-leptos --version 0.3.10 --locked
WORKDIR /src
# wasm-bindgen-cli must be exactly the version in Cargo.lock (not --locked: its lock pins a yanked
# crate).
COPY Cargo.lock ./
RUN cargo install wasm-bindgen-cli --version \
      "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
# wasm-opt from npm's binaryen (Debian's is too old for this WASM).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
ENV PATH=/src/node_modules/.bin:$PATH

# --- plan: the dependency recipe (changes only with Cargo.toml / Cargo.lock) -----------------
FROM tools AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# --- build: dependencies in a cached layer, then the project ---------------------------------
FROM tools AS build
COPY --from=plan /src/recipe.json recipe.json
COPY .cargo .cargo
COPY rust-toolchain.toml ./
# The dependencies, compiled with exactly the flags `cargo leptos build --release --split` uses:
# the server (release profile) into target/, the WASM (wasm-release profile, relocations kept
# for splitting) into target/front. The environment is what cargo-leptos passes to cargo.
ENV LEPTOS_OUTPUT_NAME=replydesk \
    LEPTOS_SITE_ROOT=target/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_SITE_ADDR=127.0.0.1:3000 \
    LEPTOS_RELOAD_PORT=3001 \
    LEPTOS_LIB_DIR=frontend \
    LEPTOS_BIN_DIR=server \
    LEPTOS_JS_MINIFY=true \
    LEPTOS_HASH_FILES=false
RUN cargo chef cook --release --recipe-path recipe.json --package server --bin replydesk
RUN RUSTFLAGS="-Clink-args=--emit-relocs" cargo chef cook --profile wasm-release \
      --target wasm32-unknown-unknown --target-dir target/front \
      --recipe-path recipe.json --package frontend
COPY . .
RUN cargo leptos build --release --split

# --- run ----------------------------------------------------------------------------------------
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="Replydesk" \
      org.opencontainers.image.description="Self-hosted WhatsApp AI customer-support assistant" \
      org.opencontainers.image.source="https://github.com/replydesk/replydesk" \
      org.opencontainers.image.licenses="MIT"
# setpriv (util-linux, already in the base image) drops privileges in the entrypoint; curl serves
# the HEALTHCHECK of plain Docker hosts (Railway uses healthcheckPath instead).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 replydesk \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin replydesk \
 && mkdir -p /data && chown replydesk:replydesk /data
COPY --from=build /src/target/release/replydesk /usr/local/bin/replydesk
COPY --from=build /src/target/site /srv/replydesk/site
COPY server/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# MALLOC_ARENA_MAX=2: glibc's per-thread arenas kept ~280 MB of freed heap after indexing 50 MB
# of documents; two arenas keep it under 100 MB for ~10 % slower ingest (bench/README.md).
# DATA_DIR=/data: mount the volume there (the server warns at start when Railway mounted it
# elsewhere); set here, not only in the entrypoint, so `railway ssh` commands see it too.
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
WORKDIR /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/api/health" || exit 1
# Starts as root: see server/docker-entrypoint.sh.
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["serve"]
