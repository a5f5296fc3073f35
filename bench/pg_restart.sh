#!/usr/bin/env bash
# Restarts PostgreSQL under a storm of comments and counts what was acknowledged and what
# survived. A private PostgreSQL cluster (initdb, its own port: the machine's server is left
# alone), `tribune demo` on it, writers posting comments; after a few seconds the server is
# restarted (`pg_ctl restart -m fast`: every connection is cut). Reports the answers by
# status, the slowest answer, how long until comments were acknowledged again, and lost
# comments (acknowledged, not stored: must be 0). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
export LC_ALL=C

PG_BIN="${BENCH_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)}"
PG_PORT="${BENCH_RESTART_PG_PORT:-5499}"
PORT="${BENCH_RESTART_PORT:-18090}"
WRITERS="${BENCH_RESTART_WRITERS:-16}"
BEFORE="${BENCH_RESTART_BEFORE:-5}"
AFTER="${BENCH_RESTART_AFTER:-10}"
# Seconds the server stays stopped; 0: a plain restart.
DOWN="${BENCH_RESTART_DOWN:-0}"
RESULTS="$ROOT/bench/results-pg-restart-latest.md"
unset "${!TRIBUNE_@}" RUST_LOG

WORK="$(mktemp -d /tmp/tribune-bench-restart.XXXXXX)"
chmod 755 "$WORK"
TRIBUNE_PID=""
CLIENT_PID=""
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
cleanup() {
  [ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null || true
  [ -n "$TRIBUNE_PID" ] && kill "$TRIBUNE_PID" 2>/dev/null && wait "$TRIBUNE_PID" 2>/dev/null || true
  as_postgres "$PG_BIN/pg_ctl" -D "$WORK/cluster" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server binaries at $PG_BIN (BENCH_PG_BIN)"
require_free_port "$PORT"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "Building tribune (release)"
  nice cargo build --release -q -p tribune
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"

log "A private PostgreSQL cluster on port $PG_PORT"
mkdir -p "$WORK/cluster"
[ "$(id -un)" = postgres ] || chown postgres "$WORK/cluster"
as_postgres "$PG_BIN/initdb" -D "$WORK/cluster" -U postgres -A trust >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$WORK/cluster" -o "-p $PG_PORT -k $WORK/cluster -c listen_addresses=127.0.0.1" \
  -l "$WORK/cluster/pg.log" -w start >/dev/null
URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

log "Starting tribune demo on it"
TRIBUNE_MODERATION_RATE_LIMIT=false "$BIN" demo --bind "127.0.0.1:$PORT" --data-dir "$WORK/data" \
  --database-url "$URL" >"$WORK/tribune.log" 2>&1 &
TRIBUNE_PID=$!
wait_healthy "$TRIBUNE_PID" "$PORT" "$WORK/tribune.log"
mapfile -t SLUGS < <(curl -s "http://127.0.0.1:$PORT/" | grep -oE 'href="/articles/[a-z0-9-]+"' | sed -E 's|href="/articles/(.*)"|\1|' | awk '!seen[$0]++' | head -n2)
[ ${#SLUGS[@]} = 2 ] || die "fewer than two articles on the demo's front page"
SLUG="${SLUGS[0]}"
# Another article, read (so cached) before the outage and not commented on meanwhile.
QUIET="${SLUGS[1]}"
curl -s -o /dev/null "http://127.0.0.1:$PORT/articles/$QUIET"
BEFORE_COUNT="$(psql -X -Atq "$URL" -c 'SELECT count(*) FROM comments')"

log "$WRITERS writers posting to /articles/$SLUG; PostgreSQL restarts after ${BEFORE}s"
python3 "$ROOT/bench/pg_restart_client.py" 127.0.0.1 "$PORT" "$SLUG" "$WRITERS" "$WORK/client.json" "$WORK/stop" &
CLIENT_PID=$!
sleep "$BEFORE"
DOWN_AT="$(date +%s.%N)"
PG_OPTS="-p $PG_PORT -k $WORK/cluster -c listen_addresses=127.0.0.1"
if [ "$DOWN" = 0 ]; then
  as_postgres "$PG_BIN/pg_ctl" -D "$WORK/cluster" -m fast -w restart -o "$PG_OPTS" >/dev/null
  READY="(not measured: no outage to see)"
else
  as_postgres "$PG_BIN/pg_ctl" -D "$WORK/cluster" -m fast -w stop >/dev/null
  DOWN_AT="$(date +%s.%N)"
  sleep 1
  READY="$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 "http://127.0.0.1:$PORT/readyz")"
  CACHED="$(curl -s -o /dev/null -w '%{http_code} in %{time_total} s' --max-time 15 "http://127.0.0.1:$PORT/articles/$QUIET")"
  READY="$READY; an article read before: $CACHED"
  sleep "$((DOWN - 1))"
  as_postgres "$PG_BIN/pg_ctl" -D "$WORK/cluster" -w start -o "$PG_OPTS" -l "$WORK/cluster/pg.log" >/dev/null
fi
UP_AT="$(date +%s.%N)"
sleep "$AFTER"
touch "$WORK/stop"
wait "$CLIENT_PID"
CLIENT_PID=""

psql -X -Atq "$URL" -c "SELECT id FROM comments ORDER BY id" >"$WORK/stored.txt"
read -r ACKED LOST STORED_NEW STATUSES SLOWEST RECOVERED OUTAGE <<<"$(python3 - "$WORK" "$DOWN_AT" "$UP_AT" "$BEFORE_COUNT" <<'PY'
import json, sys
work, down_at, up_at, before = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
client = json.load(open(f"{work}/client.json"))
stored = {int(l) for l in open(f"{work}/stored.txt") if l.strip()}
acked = set(client["acked"])
lost = len(acked - stored)
statuses = ",".join(f"{k}:{v}" for k, v in sorted(client["statuses"].items()))
# The first acknowledgement once the server was back.
after = sorted(done for _, done, s in client["events"] if s == "201" and done >= up_at)
recovered = f"{after[0] - up_at:.2f}" if after else "never"
print(len(acked), lost, len(stored) - before, statuses, f"{client['slowest']:.2f}", recovered, f"{max(0, up_at - down_at):.2f}")
PY
)"
kill -0 "$TRIBUNE_PID" || die "tribune died during the restart"

REPORT="### PostgreSQL restarted under a comment storm ($(date -u +%Y-%m-%d), $(revision))

$(machine); PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (a private cluster), $WRITERS writers, restart after ${BEFORE}s (down for ${DOWN}s; 0: a plain restart), ${AFTER}s more.

| | |
| --- | --- |
| answers by status | $STATUSES |
| comments acknowledged (201) | $ACKED |
| comments stored during the run | $STORED_NEW |
| **acknowledged but lost** | **$LOST** (must be 0) |
| PostgreSQL down (from stopped to accepting again) | ${OUTAGE} s |
| first post acknowledged once it was back | ${RECOVERED} s |
| slowest answer | ${SLOWEST} s |
| /readyz while PostgreSQL is down | $READY |
| tribune still running | yes |
"
echo "$REPORT" | tee "$RESULTS"
[ "$LOST" = 0 ] || die "$LOST acknowledged comments were lost"
