#!/usr/bin/env bash
# Connection abuse against a release build on loopback: 2,000 idle and 200 slow-header
# connections (re-opened as the server closes them, as an attacker would) while wrk measures
# a normal reader's latency; then how many of the first ones are still open after 60 s, and
# how long SIGTERM takes with them still connected. Bounded: at most 2,200 sockets, about
# 80 s per configuration. Run once with max_connections raised as docs/deploy/tribune.service
# advises, once with the default. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
export LC_ALL=C

IDLE="${BENCH_IDLE:-2000}"
SLOW="${BENCH_SLOW:-200}"
HOLD_SECONDS="${BENCH_HOLD_SECONDS:-60}"
WRK_SECONDS="${BENCH_SECONDS:-10}"
# 0 is the default (a cap sized to the open-files limit, which the server raises at start);
# 768 a fixed cap under the usual soft limit of 1,024, to see shedding at work.
CASES="${BENCH_MAX_CONNECTIONS:-0 768}"
PORT="${BENCH_ABUSE_PORT:-18085}"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
unset "${!TRIBUNE_@}" RUST_LOG

WORK="$(mktemp -d /tmp/tribune-bench-abuse.XXXXXX)"
TRIBUNE_PID=""
ABUSER_PID=""
cleanup() {
  stop_pid "$ABUSER_PID"
  stop_pid "$TRIBUNE_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

install_packages wrk:wrk curl:curl python3:python3
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"
build
# Both the server and the attacker hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((IDLE + SLOW + 500)) ] \
  || die "the open-files limit ($(ulimit -n)) is too low for $IDLE + $SLOW connections"

# Holds IDLE silent connections and SLOW ones that send a header line every 2 s and never
# finish; re-opens any the server closes. After HOLD seconds prints how many of the first
# ones are still open, then exits.
cat >"$WORK/abuser.py" <<'EOF'
import errno, socket, sys, time
host, port, idle, slow, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])

def open_one(kind, first=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex((host, port))
    return {"sock": s, "kind": kind, "sent": False, "first": first}

def closed(c):
    try:
        return c["sock"].recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError as e:
        return e.errno not in (errno.ENOTCONN, errno.EAGAIN)

conns = [open_one("idle") for _ in range(idle)] + [open_one("slow") for _ in range(slow)]
print("open", flush=True)
start, reopened, last_trickle = time.monotonic(), 0, 0.0
while time.monotonic() - start < hold:
    now = time.monotonic()
    trickle = now - last_trickle >= 2
    for i, c in enumerate(conns):
        if closed(c):
            c["sock"].close()
            conns[i] = open_one(c["kind"], first=False)
            reopened += 1
            continue
        if c["kind"] == "slow" and trickle:
            try:
                c["sock"].send(b"X-Slow: 1\r\n" if c["sent"] else b"GET / HTTP/1.1\r\nHost: bench\r\n")
                c["sent"] = True
            except OSError:
                pass
    if trickle:
        last_trickle = now
    time.sleep(0.5)
def connected(c):
    try:
        c["sock"].getpeername()
        return True
    except OSError:
        return False

# A connect still retrying its SYN (the accept queue overflowed) never reached the server.
first = [c for c in conns if c["first"] and connected(c)]
print("first-idle-open", sum(c["kind"] == "idle" for c in first), flush=True)
print("first-slow-open", sum(c["kind"] == "slow" for c in first), flush=True)
print("reopened", reopened, flush=True)
print("unconnected", sum(not connected(c) for c in conns), flush=True)
EOF

start_tribune() {
  local max="$1" log="$WORK/tribune-$1.log"
  require_free_port "$PORT"
  log "Starting tribune demo on 127.0.0.1:$PORT with max_connections=$max"
  # The server starts under the usual soft limit of 1,024 open files, as on a fresh machine.
  (ulimit -Sn 1024 && exec env TRIBUNE_MAX_CONNECTIONS="$max" "$BIN" demo --bind "127.0.0.1:$PORT" \
    --data-dir "$WORK/data") >"$log" 2>&1 &
  TRIBUNE_PID=$!
  wait_healthy "$TRIBUNE_PID" "$PORT" "$log"
}

# wrk against the front page (cached, as most readers get it); sets P99 (ms) and ERRORS.
P99=""
ERRORS=""
reader_p99() {
  local out="$WORK/wrk-$1.txt"
  wrk -t2 -c16 -d"${WRK_SECONDS}s" --timeout 15s --latency "http://127.0.0.1:$PORT/" >"$out" || true
  P99="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
  ERRORS="$(awk '/Socket errors|Non-2xx/ { sub(/^ +/, ""); printf "%s; ", $0 }' "$out")"
}

# One configuration: the reader's p99 alone, then under abuse; what is left after HOLD
# seconds; how long SIGTERM takes.
run_case() {
  local max="$1" abuse start end
  start_tribune "$max"
  reader_p99 "$max-alone"
  echo "max_connections=$max: reader p99 alone: $P99 ms ${ERRORS}"
  python3 "$WORK/abuser.py" 127.0.0.1 "$PORT" "$IDLE" "$SLOW" "$HOLD_SECONDS" >"$WORK/abuser-$max.txt" &
  ABUSER_PID=$!
  until grep -q '^open' "$WORK/abuser-$max.txt" 2>/dev/null; do sleep 0.2; done
  sleep 1
  reader_p99 "$max-abused"
  abuse="$IDLE idle + $SLOW slow"
  echo "max_connections=$max: p99 with $abuse: $P99 ms (target < 50 ms) ${ERRORS}"
  echo "max_connections=$max: server RSS with them open: $(mem_mib "$TRIBUNE_PID" VmRSS) MiB; its open files: $(find "/proc/$TRIBUNE_PID/fd" -mindepth 1 | wc -l)"
  wait "$ABUSER_PID" || true
  ABUSER_PID=""
  echo "max_connections=$max: slow connections still open after ${HOLD_SECONDS} s: $(awk '$1 == "first-slow-open" { print $2 }' "$WORK/abuser-$max.txt") (of $SLOW)"
  echo "max_connections=$max: idle sockets the attacker still believes open after ${HOLD_SECONDS} s: $(awk '$1 == "first-idle-open" { print $2 }' "$WORK/abuser-$max.txt") (of $IDLE; handshakes left in the kernel's overflowing accept queue, never accepted, count here); closed by the server and re-opened meanwhile: $(awk '$1 == "reopened" { print $2 }' "$WORK/abuser-$max.txt"); attacker sockets still waiting to connect: $(awk '$1 == "unconnected" { print $2 }' "$WORK/abuser-$max.txt")"
  # SIGTERM while the attacker's half-sent requests are still connected.
  python3 "$WORK/abuser.py" 127.0.0.1 "$PORT" 0 "$SLOW" 30 >/dev/null &
  ABUSER_PID=$!
  sleep 3
  start="$(date +%s.%N)"
  stop_pid "$TRIBUNE_PID"
  end="$(date +%s.%N)"
  TRIBUNE_PID=""
  echo "max_connections=$max: SIGTERM with $SLOW slow connections open: exited in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s (shutdown_grace_seconds = 10)"
  stop_pid "$ABUSER_PID"
  ABUSER_PID=""
}

echo "## Connection abuse ($(machine), $(revision), $(date -u +%Y-%m-%dT%H:%MZ))"
for max in $CASES; do
  run_case "$max"
done
