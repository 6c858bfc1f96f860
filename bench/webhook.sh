#!/usr/bin/env bash
# Webhook ingest: sustained throughput and acknowledgement latency of signed deliveries, on
# SQLite and on PostgreSQL, beside a bare axum handler answering 200 (the floor).
#
#   ./dev release && bash bench/webhook.sh [MESSAGES]
#
# PostgreSQL runs when BENCH_DATABASE_URL (or TEST_DATABASE_URL) points at a server; a fresh
# database is created and dropped. Loopback only; every run is bounded by its message count.
set -euo pipefail
cd "$(dirname "$0")/.."

messages=${1:-20000}
binary=target/release/replydesk
admin_url=${BENCH_DATABASE_URL:-${TEST_DATABASE_URL:-}}
export WHATSAPP_APP_SECRET=bench-app-secret RUST_LOG=error
[ -x "$binary" ] || { echo "build first: ./dev release" >&2; exit 2; }

server=""
data_dir=""
pg_db=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "$data_dir" ] && rm -rf "$data_dir"
  [ -n "$pg_db" ] && psql "$admin_url" -qc "drop database if exists $pg_db" >/dev/null 2>&1 || true
}
trap cleanup EXIT

start() { # DATABASE_URL or empty for SQLite
  data_dir=$(mktemp -d)
  HOST=127.0.0.1 PORT=3977 DATA_DIR="$data_dir" DATABASE_URL="$1" LEPTOS_SITE_ROOT=target/site \
    "$binary" serve &
  server=$!
  for _ in $(seq 1 100); do curl -fsS http://127.0.0.1:3977/api/health >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not start" >&2
  exit 1
}

stop() {
  kill "$server"
  wait "$server" || true
  server=""
  rm -rf "$data_dir"
  data_dir=""
}

results=()
scenario() { # label, then simulate options
  local label=$1 line
  shift
  line=$("$binary" simulate "$@" | sed -E 's/^.*[^ ]: ([0-9]+ ok)/\1/')
  printf '%-34s %s\n' "$label" "$line"
  # label|messages per second|p99 ms
  results+=("$label|$(sed -E 's/.*= ([0-9.]+) messages\/s.*/\1/' <<<"$line")|$(sed -E 's/.*p99 ([0-9.]+) ms.*/\1/' <<<"$line")")
}

echo "== floor: bare axum handler, same client"
scenario "floor, max rate (64 in flight)" --floor --messages "$messages" --concurrency 64
scenario "floor, 200 msg/s" --floor --messages 4000 --rate 200 --concurrency 64

echo "== Replydesk on SQLite"
start ""
scenario "sqlite, max rate (64 in flight)" --url http://127.0.0.1:3977 --messages "$messages" --concurrency 64
scenario "sqlite, 200 msg/s" --url http://127.0.0.1:3977 --messages 4000 --rate 200 --concurrency 64
stop

if [ -n "$admin_url" ] && command -v psql >/dev/null; then
  echo "== Replydesk on PostgreSQL"
  pg_db="rd_bench_$$"
  psql "$admin_url" -qc "create database $pg_db" >/dev/null
  pg_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$admin_url" "$pg_db")
  start "$pg_url"
  scenario "postgres, max rate (64 in flight)" --url http://127.0.0.1:3977 --messages "$messages" --concurrency 64
  scenario "postgres, 200 msg/s" --url http://127.0.0.1:3977 --messages 4000 --rate 200 --concurrency 64
  stop
else
  echo "== PostgreSQL skipped: set BENCH_DATABASE_URL=postgres://…"
fi

echo
echo "== summary (targets on 2 cores with SQLite: >= 2000 messages/s sustained, p99 <= 5 ms at 200 msg/s)"
floor_max=$(printf '%s\n' "${results[@]}" | awk -F'|' '/^floor, max/ {print $2}')
floor_paced_p99=$(printf '%s\n' "${results[@]}" | awk -F'|' '/^floor, 200/ {print $3}')
floor_max_p99=$(printf '%s\n' "${results[@]}" | awk -F'|' '/^floor, max/ {print $3}')
printf '%-34s %12s %10s %10s %10s\n' scenario "messages/s" "vs floor" "p99 ms" "vs floor"
for r in "${results[@]}"; do
  IFS='|' read -r label rate p99 <<<"$r"
  case $label in
  *max*) fr=$floor_max fp=$floor_max_p99 ;;
  *) fr=200 fp=$floor_paced_p99 ;;
  esac
  awk -v l="$label" -v r="$rate" -v p="$p99" -v fr="$fr" -v fp="$fp" 'BEGIN {
    printf "%-34s %12.0f %9.2fx %10.2f %9.1fx\n", l, r, (fr > 0 ? r / fr : 0), p, (fp > 0 ? p / fp : 0) }'
done
