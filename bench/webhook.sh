#!/usr/bin/env bash
# Benchmarks Tribune's Stripe webhook: donations recorded per second on SQLite and on
# PostgreSQL, each one committed before the 200, then checks that the goal's figure equals
# what was acknowledged. Prints a Markdown block and writes it to
# bench/results-webhook-latest.md. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
# wrk's and awk's numbers use a decimal point whatever the caller's locale.
export LC_ALL=C

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_WEBHOOK_CONNECTIONS:-16}"
# More events than wrk can send in the run: past them, requests are redeliveries, which
# are answered "already recorded" without writing anything and would inflate the rate.
EVENTS="${BENCH_WEBHOOK_EVENTS:-$((SECONDS_PER_RUN * 30000))}"
# Payments already in this month's ledger before the run (see "ledger size" in README.md).
PREFILL="${BENCH_WEBHOOK_PREFILL:-0}"
BACKENDS="${BENCH_WEBHOOK_BACKENDS:-sqlite postgres}"
PORT="${BENCH_WEBHOOK_PORT:-18082}"
# A server where user postgres may create databases without a password (trust auth).
PG_SERVER="${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
PG_DB="tribune_bench_webhook"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
RESULTS="$ROOT/bench/results-webhook-latest.md"
SECRET="whsec_bench_$(date +%s)"
# Stripe's tolerance: a signature more than 300 s old is refused, and redeliveries near the
# end of the run reuse the signatures made just before it.
MAX_SECONDS=240

unset "${!TRIBUNE_@}" RUST_LOG

WORK="$(mktemp -d /tmp/tribune-bench-webhook.XXXXXX)"
TRIBUNE_PID=""
PG_CREATED=0

# psql as the server's superuser: -X ignores ~/.psqlrc, ON_ERROR_STOP makes errors fail, and
# NOTICEs ("does not exist, skipping") are not shown.

stop_tribune() {
  stop_pid "$TRIBUNE_PID"
  TRIBUNE_PID=""
}

# Stops the server, drops the test database (the server's connections are gone by then) and
# removes the temp dir, whatever happened (success, failure, Ctrl-C).
cleanup() {
  stop_tribune
  if [ "$PG_CREATED" = 1 ]; then
    pg postgres -c "DROP DATABASE IF EXISTS $PG_DB" || printf 'warning: could not drop %s\n' "$PG_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------

install_tools() {
  local tools=(wrk:wrk curl:curl)
  [[ " $BACKENDS " != *" postgres "* ]] || tools+=(psql:postgresql-client)
  install_packages "${tools[@]}"
  command -v python3 >/dev/null || die "python3 is needed to sign the events"
}

# --- build -------------------------------------------------------------------------------

BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"

# --- servers -----------------------------------------------------------------------------

# The database arguments of every tribune command for a backend.
db_args() {
  case "$1" in
    sqlite) echo "--data-dir $WORK/sqlite" ;;
    postgres) echo "--data-dir $WORK/postgres --database-url $PG_SERVER/$PG_DB" ;;
  esac
}

# Sets this month's goal (migrating the new database), then starts the server; the server
# reads the goal when it starts.
start_tribune() {
  local backend="$1" log="$WORK/tribune-$1.log" db
  read -ra db <<<"$(db_args "$backend")"
  # An array, so that `"${tribune[@]}" … &` is a simple command: $! is then the server's own
  # pid (env execs it), which the trap can stop.
  local tribune=(env TRIBUNE_TIMEZONE=UTC TRIBUNE_STRIPE_WEBHOOK_SECRET="$SECRET" "$BIN")
  require_free_port "$PORT"
  "${tribune[@]}" campaign set --month "$(date -u +%Y-%m)" --goal 1000000 --currency USD "${db[@]}" >"$log" 2>&1 \
    || { cat "$log" >&2; die "$backend: tribune campaign set failed"; }
  prefill_ledger "$backend"
  log "Starting tribune serve ($backend) on 127.0.0.1:$PORT"
  "${tribune[@]}" serve --bind "127.0.0.1:$PORT" "${db[@]}" >>"$log" 2>&1 &
  TRIBUNE_PID=$!
  for _ in $(seq 1 100); do
    kill -0 "$TRIBUNE_PID" 2>/dev/null || { cat "$log" >&2; die "tribune exited"; }
    if [ "$(curl -s --max-time 1 "http://127.0.0.1:$PORT/healthz" || true)" = ok ]; then
      return
    fi
    sleep 0.2
  done
  cat "$log" >&2
  die "tribune did not answer /healthz within 20 s"
}

# raised_minor from /api/v1/goal: the net raised this month, in cents.
raised_minor() {
  curl -sf "http://127.0.0.1:$PORT/api/v1/goal" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["raised_minor"])'
}

# "COUNT SUM" of the payments in the ledger, read from the database itself.
LEDGER_SQL="SELECT COUNT(*), COALESCE(SUM(amount_minor), 0) FROM ledger_entries WHERE kind = 'payment'"
ledger_payments() {
  if [ "$1" = postgres ]; then
    pg "$PG_DB" -At -F ' ' -c "$LEDGER_SQL"
    return
  fi
  python3 - "$WORK/sqlite/tribune.db" "$LEDGER_SQL" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(*db.execute(sys.argv[2]).fetchone())
EOF
}

# Appends PREFILL $1.00 payments to this month's ledger, straight into the database (the
# server is not running yet), as if the month had already had that many donations.
prefill_ledger() {
  local backend="$1" month now
  [ "$PREFILL" -gt 0 ] || return 0
  month="$(date -u +%Y-%m)"
  now="$(date +%s)"
  log "Prefilling the $backend ledger with $PREFILL payments"
  if [ "$backend" = postgres ]; then
    pg "$PG_DB" -c "INSERT INTO ledger_entries (kind, amount_minor, currency, month, occurred_at, event_id,
      payment_key, created_at) SELECT 'payment', 100, 'USD', '$month', $now, 'evt_prefill_' || i,
      'pi_prefill_' || i, $now FROM generate_series(1, $PREFILL) AS i" -c "ANALYZE ledger_entries"
    return
  fi
  python3 - "$WORK/sqlite/tribune.db" "$PREFILL" "$month" "$now" <<'EOF'
import sqlite3, sys
path, count, month, now = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
db = sqlite3.connect(path)
with db:
    db.executemany(
        "INSERT INTO ledger_entries (kind, amount_minor, currency, month, occurred_at, event_id,"
        " payment_key, created_at) VALUES ('payment', 100, 'USD', ?, ?, ?, ?, ?)",
        ((month, now, f"evt_prefill_{i}", f"pi_prefill_{i}", now) for i in range(count)))
EOF
}

# --- load --------------------------------------------------------------------------------

# EVENTS payment_intent.succeeded events of $1.00, each with its own event and payment id,
# signed now: one "Stripe-Signature<TAB>body" line each.
sign_events() {
  python3 - "$SECRET" "$EVENTS" "$1" >"$WORK/events.tsv" <<'EOF'
import hashlib, hmac, json, sys, time
secret, count, run = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3]
now = int(time.time())
for i in range(count):
    body = json.dumps({
        "id": f"evt_{run}_{i}", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": f"pi_{run}_{i}", "object": "payment_intent", "amount": 100,
                            "amount_received": 100, "currency": "usd", "metadata": {}}},
    }, separators=(",", ":"))
    mac = hmac.new(secret, f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
    print(f"t={now},v1={mac}\t{body}")
EOF
}

# Thread k of n sends events k, k+n, k+2n… and starts over when its share runs out, so the
# threads never race on one event and every request is a first delivery until then. The
# response callback counts what the server answered; done() prints the totals.
write_lua() {
  cat >"$WORK/webhook.lua" <<'EOF'
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, n = args[1], tonumber(args[2])
  queue = {}
  local i = 0
  for line in io.lines(path) do
    if i % n == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      local headers = { ["Content-Type"] = "application/json", ["Stripe-Signature"] = signature }
      queue[#queue + 1] = wrk.format("POST", "/webhooks/stripe", headers, body)
    end
    i = i + 1
  end
  sent, answered, recorded, redelivered, other = 0, 0, 0, 0, 0
end

function request()
  local r = queue[sent % #queue + 1]
  sent = sent + 1
  return r
end

function response(status, headers, body)
  answered = answered + 1
  if status == 200 and body:find('"outcome":"recorded"', 1, true) then
    recorded = recorded + 1
  elseif status == 200 and body:find('"outcome":"already recorded"', 1, true) then
    redelivered = redelivered + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total = { sent = 0, answered = 0, recorded = 0, redelivered = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for k in pairs(total) do total[k] = total[k] + thread:get(k) end
  end
  -- wrk calls the first thread's request() once before the run, to check what it returns.
  total.sent = total.sent - 1
  io.write(string.format("webhook-counts: sent=%d answered=%d recorded=%d redelivered=%d other=%d\n",
    total.sent, total.answered, total.recorded, total.redelivered, total.other))
end
EOF
}

# One counter from wrk's "webhook-counts:" line.
count() { sed -n "s/.*webhook-counts:.* $1=\([0-9]*\).*/\1/p" "$2"; }

# Requests still in flight when wrk stopped (one per connection at most) may be committed
# after it left, without an answer, and the bar is re-rendered a little after the last
# donation: waits (up to 10 s) until the ledger and the goal's figure stop changing and agree.
RAISED=""
PAYMENTS=""
settle() {
  local last="" now
  for _ in $(seq 1 20); do
    sleep 0.5
    RAISED="$(raised_minor)"
    PAYMENTS="$(ledger_payments "$1")"
    now="$RAISED $PAYMENTS"
    [ "$now" = "$last" ] && [ "$RAISED" = "${PAYMENTS#* }" ] && return
    last="$now"
  done
}

ROWS=""
NOTES=""
LOADS=""
FAILED=""

# Starts the server on one backend, sends the signed events with wrk, checks the figures and
# appends a table row.
bench_backend() {
  local backend="$1" out="$WORK/wrk-$1.txt"
  if [ "$backend" = postgres ]; then
    create_pg_database
  fi
  start_tribune "$backend"
  local before
  before="$(raised_minor)"
  [ "$before" = $((PREFILL * 100)) ] || die "$backend: before the run the goal shows raised_minor $before, not $((PREFILL * 100))"

  log "Signing $EVENTS events"
  sign_events "$backend$(date +%s)"
  LOADS+="$backend $(cut -d' ' -f1 /proc/loadavg), "
  log "wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency -s webhook.lua ($backend)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/webhook.lua" \
    "http://127.0.0.1:$PORT/webhooks/stripe" -- "$WORK/events.tsv" "$THREADS" >"$out"
  if grep -q 'Non-2xx' "$out" || grep -q 'Socket errors' "$out"; then
    cat "$out" >&2
    tail -n 20 "$WORK/tribune-$backend.log" >&2
    die "$backend: wrk saw errors or non-2xx responses"
  fi

  local rps p50 p99 sent answered recorded redelivered other duration
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
  duration="$(awk '/ requests in / { sub(/s,$/, "", $4); print $4 }' "$out")"
  p50="$(awk '$1 == "50%" { print $2 }' "$out")"
  p99="$(awk '$1 == "99%" { print $2 }' "$out")"
  sent="$(count sent "$out")"
  answered="$(count answered "$out")"
  recorded="$(count recorded "$out")"
  redelivered="$(count redelivered "$out")"
  other="$(count other "$out")"
  if [ -z "$rps" ] || [ -z "$p50" ] || [ -z "$p99" ] || [ -z "$other" ] || [ -z "$duration" ]; then
    cat "$out" >&2
    die "cannot parse wrk's output"
  fi
  [ "$other" = 0 ] || { cat "$out" >&2; die "$backend: $other answers were neither recorded nor already recorded"; }

  local raised payments rows sum unanswered extra check
  settle "$backend"
  raised=$((RAISED - PREFILL * 100))
  payments="$PAYMENTS"
  rows=$((${payments% *} - PREFILL))
  sum=$((${payments#* } - PREFILL * 100))
  unanswered=$((sent - answered))
  extra=$((rows - recorded))
  # The goal's figure must be the ledger's, every payment $1.00, and the ledger must hold
  # each acknowledged donation once: as many as the "recorded" answers, plus those of the
  # unanswered requests that the server committed anyway (Stripe would redeliver those and
  # be answered "already recorded").
  if [ "$raised" = "$sum" ] && [ "$sum" = $((rows * 100)) ] && [ "$extra" -ge 0 ] \
    && [ "$extra" -le "$unanswered" ]; then
    check="yes"
    [ "$extra" = 0 ] || check+=" (+ $extra of the $unanswered unanswered when wrk stopped)"
  else
    check="**no**: raised \$$((raised / 100)), ledger $rows new payments = \$$((sum / 100))"
    FAILED+="$backend "
    tail -n 20 "$WORK/tribune-$backend.log" >&2
  fi
  local rate
  rate="$(printf '%.0f' "$rps")"
  if [ "$redelivered" -gt 0 ]; then
    rate+=" (first deliveries: $(awk -v n="$recorded" -v d="$duration" 'BEGIN { printf "%.0f", n / d }'))"
    NOTES+="- $backend: wrk sent more requests than the $EVENTS events: $redelivered of the"
    NOTES+=" $answered answers were redeliveries (\"already recorded\"); set BENCH_WEBHOOK_EVENTS higher."$'\n'
  fi
  local label
  label="$([ "$backend" = sqlite ] && echo "SQLite (WAL, synchronous=FULL)" || echo "PostgreSQL (synchronous_commit=$(pg "$PG_DB" -Atc 'SHOW synchronous_commit'))")"
  ROWS+="| $label | $rate | $(to_ms "$p50") ms | $(to_ms "$p99") ms | $recorded | $check |"$'\n'
  stop_tribune
}

# --- main --------------------------------------------------------------------------------

[ "$SECONDS_PER_RUN" -le "$MAX_SECONDS" ] || die "BENCH_SECONDS must be at most $MAX_SECONDS (signatures expire after 300 s)"
[ "$EVENTS" -ge "$THREADS" ] || die "BENCH_WEBHOOK_EVENTS must be at least BENCH_THREADS"
for backend in $BACKENDS; do
  case "$backend" in
    sqlite | postgres) ;;
    *) die "unknown backend $backend (BENCH_WEBHOOK_BACKENDS: sqlite and/or postgres)" ;;
  esac
done
install_tools
build
write_lua
FSYNC="$(fsync_ms "$WORK")"
for backend in $BACKENDS; do
  bench_backend "$backend"
done

LEDGER_STATE="empty ledger at the start"
[ "$PREFILL" = 0 ] || LEDGER_STATE="ledger prefilled with $PREFILL payments this month"
PG_INFO=""
if [ "$PG_CREATED" = 1 ]; then
  PG_INFO=" PostgreSQL $(pg postgres -Atc 'SHOW server_version' | cut -d' ' -f1) on the same machine"
  PG_INFO+=" (fsync=$(pg postgres -Atc 'SHOW fsync'), wal_sync_method=$(pg postgres -Atc 'SHOW wal_sync_method'))."
fi

REPORT="$(cat <<EOF
## Tribune webhook benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

Commit $(revision), $("$BIN" --version). Machine: $(machine).
Filesystem: $(findmnt -n -o FSTYPE -T "$WORK"), fdatasync after an 8 KiB write: $FSYNC.${PG_INFO}
wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency, POST /webhooks/stripe with $EVENTS distinct signed
\`payment_intent.succeeded\` events of \$1.00, on the same machine as the servers, $LEDGER_STATE
(1-minute load average before each run: ${LOADS%, }).

| backend | webhooks/s | p50 | p99 | recorded | check |
| --- | ---: | ---: | ---: | ---: | --- |
${ROWS%$'\n'}

recorded: answers \`"outcome":"recorded"\` (first deliveries, committed before the answer).
check: the goal's \`raised_minor\` grew by the ledger's new payments, all \$1.00, and those are the
recorded answers, plus any of the requests in flight when wrk stopped that the server committed.
${NOTES:+
$NOTES}
EOF
)"

printf '\n%s\n' "$REPORT"
printf '%s\n' "$REPORT" >"$RESULTS"
log "Written to ${RESULTS#"$ROOT"/}"
[ -z "$FAILED" ] || die "the raised figure does not match the recorded donations on: $FAILED"
