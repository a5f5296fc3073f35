#!/usr/bin/env bash
# Compares comment posting between two Tribune binaries in one run, alternating, so that a
# shared, noisy machine affects both alike. Usage: bench/posting_ab.sh BIN_A BIN_B
# (release builds of two commits). Each binary runs its own fresh demo site on SQLite; wrk
# posts to one article, each post from its own forwarded address, for BENCH_SECONDS (8) at
# -c16 and -c64, in BENCH_ROUNDS (2) rounds. Prints posts/s per binary, round and
# connection count. Needs wrk and curl (Debian packages).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BIN_A BIN_B" >&2; exit 2; }
SECONDS_PER_RUN="${BENCH_SECONDS:-8}"
ROUNDS="${BENCH_ROUNDS:-2}"
export LC_ALL=C
unset "${!TRIBUNE_@}" RUST_LOG
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
WORK="$(mktemp -d /tmp/tribune-posting-ab.XXXXXX)"
PID=""
cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

cat >"$WORK/post.lua" <<'LUA'
function request()
  local n = math.random(1, 1000000000)
  local body = string.format('{"body":"Benchmark comment number %d, long enough to be checked","author_name":"Bench"}', n)
  local headers = { ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256) }
  return wrk.format("POST", nil, headers, body)
end
LUA

run() {
  local bin="$1" label="$2" port=18790 dir="$WORK/site-$2"
  TRIBUNE_TRUSTED_PROXIES=127.0.0.1 "$bin" --data-dir "$dir" --bind "127.0.0.1:$port" demo >"$WORK/$label.log" 2>&1 &
  PID=$!
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.5; done
  local slug
  slug="$(curl -s "http://127.0.0.1:$port/" | grep -o 'href="/articles/[^"]*"' | head -1 | sed 's|href="/articles/||;s|"||')"
  for c in 16 64; do
    local rps
    rps="$(wrk -t2 -c"$c" -d"${SECONDS_PER_RUN}s" -s "$WORK/post.lua" \
      "http://127.0.0.1:$port/api/v1/articles/$slug/comments" | awk '/Requests\/sec/ {print $2}')"
    printf '| %s | %s | -c%s | %s |\n' "$label" "$round" "$c" "$rps"
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  rm -rf "$dir"
}

echo "| binary | round | connections | posts/s |"
echo "| --- | ---: | ---: | ---: |"
for round in $(seq "$ROUNDS"); do
  run "$1" A
  run "$2" B
done
echo "A: $1"
echo "B: $2"
