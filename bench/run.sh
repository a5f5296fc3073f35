#!/usr/bin/env bash
# Benchmarks Tribune's cached pages against nginx serving the same HTML as a static file,
# and measures Tribune's memory and (optionally) its from-scratch release build time.
# Prints a Markdown block and writes it to bench/results-latest.md. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
# wrk's and awk's numbers use a decimal point whatever the caller's locale.
export LC_ALL=C

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
# Rounds of the article from Tribune and from nginx, one after the other: on a shared
# machine the load drifts within a run, and a ratio of neighbours drifts least.
PAIRED_ROUNDS="${BENCH_PAIRED_ROUNDS:-5}"
PAIRED_SECONDS="${BENCH_PAIRED_SECONDS:-4}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
PORT="${BENCH_PORT:-18080}"
NGINX_PORT="${BENCH_NGINX_PORT:-18081}"
BUILD_FROM_SCRATCH="${BENCH_BUILD_FROM_SCRATCH:-0}"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
# The PostgreSQL rows (one node; two nodes behind nginx as a load balancer): a server where
# user postgres may create databases (trust auth). BENCH_PG=0 leaves them out.
RUN_PG="${BENCH_PG:-1}"
PG_SERVER="${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
PG_DB="tribune_bench_run"
PG_PORT_A="${BENCH_PG_PORT_A:-18083}"
PG_PORT_B="${BENCH_PG_PORT_B:-18084}"
LB_PORT="${BENCH_LB_PORT:-18085}"
RESULTS="$ROOT/bench/results-latest.md"
# What a browser sends: pages are measured as they go over the wire to readers.
ACCEPT_ENCODING="${BENCH_ACCEPT_ENCODING:-br, gzip}"

# Measure the default configuration: a TRIBUNE_* variable (say TRIBUNE_DATABASE_URL) or a
# verbose RUST_LOG left in the caller's shell would change what is being measured.
unset "${!TRIBUNE_@}" RUST_LOG

# Everything the run creates (data, nginx files, a scratch target dir) lives here.
WORK="$(mktemp -d /tmp/tribune-bench.XXXXXX)"
# nginx's workers drop to `nobody` when the master runs as root: they must be able to read.
chmod 755 "$WORK"
TRIBUNE_PID=""
NGINX_PID=""
NODE_A_PID=""
NODE_B_PID=""
LB_PID=""
PG_CREATED=0

# Stops both servers whatever happened (success, failure, Ctrl-C) and removes the temp dir.
cleanup() {
  local pid
  for pid in "$TRIBUNE_PID" "$NGINX_PID" "$NODE_A_PID" "$NODE_B_PID" "$LB_PID"; do
    stop_pid "$pid"
  done
  if [ "$PG_CREATED" = 1 ]; then
    pg postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------

# wrk and nginx from Debian; `apt-get update` only when something is missing.
install_tools() {
  install_packages wrk:wrk nginx:nginx curl:curl gzip:gzip
  # nginx's brotli_static, when Debian has it: without it nginx's bound is gzip only.
  if [ ! -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || ! command -v brotli >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnginx-mod-http-brotli-static brotli \
      >/dev/null 2>&1 || log "no brotli for nginx: its bound is gzip_static alone"
  fi
}

# --- build -------------------------------------------------------------------------------

BUILD_TIME="not measured (set BENCH_BUILD_FROM_SCRATCH=1)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"

# --- servers -----------------------------------------------------------------------------

start_tribune() {
  require_free_port "$PORT"
  log "Starting tribune demo on 127.0.0.1:$PORT"
  "$BIN" demo --data-dir "$WORK/data" --bind "127.0.0.1:$PORT" >"$WORK/tribune.log" 2>&1 &
  TRIBUNE_PID=$!
  # The first start creates the demo site (about forty articles), which takes a moment.
  for _ in $(seq 1 120); do
    kill -0 "$TRIBUNE_PID" 2>/dev/null || { cat "$WORK/tribune.log" >&2; die "tribune exited"; }
    if [ "$(curl -s --max-time 1 "http://127.0.0.1:$PORT/healthz" || true)" = ok ]; then
      return
    fi
    sleep 0.5
  done
  cat "$WORK/tribune.log" >&2
  die "tribune did not answer /healthz within 60 s"
}

# The first article linked from the front page. sed, not head: head would close the pipe
# early and pipefail would report grep's SIGPIPE as a failure.
find_article_path() {
  grep -oE '/articles/[a-z0-9-]+' "$WORK/front.html" | sed -n 1p
}

# --- measurements ------------------------------------------------------------------------

# Runs wrk on one URL and appends a table row. Any non-2xx/3xx answer or socket error
# makes the figures meaningless (errors are cheap to serve), so it stops the script.
RPS=()
ROWS=""
run_wrk() {
  local name="$1" url="$2" cookie="${3:-}" out="$WORK/wrk-${1//[^a-zA-Z0-9]/_}.txt"
  local headers=(-H "Accept-Encoding: $ACCEPT_ENCODING")
  [ -n "$cookie" ] && headers+=(-H "Cookie: $cookie")
  log "wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency -H 'Accept-Encoding: $ACCEPT_ENCODING'${cookie:+ (signed in)} $url"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "${headers[@]}" "$url" >"$out"
  if grep -q 'Non-2xx' "$out" || grep -q 'Socket errors' "$out"; then
    cat "$out" >&2
    die "wrk saw errors or non-2xx responses on $url"
  fi
  local rps p50 p99
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
  p50="$(awk '$1 == "50%" { print $2 }' "$out")"
  p99="$(awk '$1 == "99%" { print $2 }' "$out")"
  if [ -z "$rps" ] || [ -z "$p50" ] || [ -z "$p99" ]; then
    cat "$out" >&2
    die "cannot parse wrk's output"
  fi
  RPS+=("$rps")
  local response
  if [ -n "$cookie" ]; then
    response="rendered for them, compressed per response"
  else
    response="$(wire "$url")"
  fi
  ROWS+="| $name | $(printf '%.0f' "$rps") | $(to_ms "$p50") ms | $(to_ms "$p99") ms | $response |"$'\n'
}

# One response's Content-Encoding and bytes on the wire, as the runs ask for it.
wire() {
  local headers="$WORK/wire-headers.txt" body="$WORK/wire-body"
  curl -s -D "$headers" -o "$body" -H "Accept-Encoding: $ACCEPT_ENCODING" "$1"
  local encoding
  encoding="$(awk 'tolower($1) == "content-encoding:" { print $2 }' "$headers" | tr -d '\r')"
  printf '%s, %s bytes' "${encoding:-identity}" "$(wc -c <"$body")"
}

# A signed-in reader's article page (rendered around the shared parts for them): a reader
# registered for the run, as a visitor does on /register.
signed_in_row() {
  local jar="$WORK/cookies.txt" csrf cookie
  csrf="$(curl -s -c "$jar" "http://127.0.0.1:$PORT/register" | grep -oE 'name="csrf" value="[^"]+"' | sed -E 's/.*value="([^"]+)"/\1/' | sed -n 1p)"
  curl -s -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "name=Bench Reader" \
    --data-urlencode "email=reader@bench.example" --data-urlencode "password=bench-reader-password-1" \
    --data-urlencode "next=/" "http://127.0.0.1:$PORT/register"
  # curl writes HttpOnly cookies as comments ("#HttpOnly_host …").
  cookie="$(awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 { printf "%s=%s; ", $6, $7 }' "$jar")"
  if ! curl -s -H "Cookie: $cookie" "http://127.0.0.1:$PORT$ARTICLE_PATH" | grep -q 'Commenting as Bench Reader'; then
    die "the article page does not show the registered reader signed in"
  fi
  run_wrk "Tribune article page, a signed-in reader" "http://127.0.0.1:$PORT$ARTICLE_PATH" "$cookie"
}

# Starts `tribune ARGS…` in the background and waits for /healthz on PORT; sets STARTED_PID.
start_node() {
  local port="$1" log="$2"
  shift 2
  require_free_port "$port"
  "$BIN" "$@" --bind "127.0.0.1:$port" >"$log" 2>&1 &
  STARTED_PID=$!
  wait_healthy "$STARTED_PID" "$port" "$log"
}

# The same article from one node on PostgreSQL, and from two nodes behind nginx.
postgres_rows() {
  create_pg_database
  local url="$PG_SERVER/$PG_DB"
  log "Tribune demo on PostgreSQL (node A) and a second node (B) on the same database"
  start_node "$PG_PORT_A" "$WORK/node-a.log" demo --database-url "$url" --data-dir "$WORK/pg-a"
  NODE_A_PID="$STARTED_PID"
  start_node "$PG_PORT_B" "$WORK/node-b.log" serve --database-url "$url" --data-dir "$WORK/pg-b"
  NODE_B_PID="$STARTED_PID"
  cat >"$WORK/nginx/lb.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx/lb.pid;
error_log $WORK/nginx/lb-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  upstream tribune { server 127.0.0.1:$PG_PORT_A; server 127.0.0.1:$PG_PORT_B; keepalive 64; }
  server {
    listen 127.0.0.1:$LB_PORT;
    location / {
      proxy_pass http://tribune;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
  require_free_port "$LB_PORT"
  nginx -c "$WORK/nginx/lb.conf" -p "$WORK/nginx" &
  LB_PID=$!
  for _ in $(seq 1 40); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$LB_PORT/healthz" && break
    sleep 0.25
  done
  local port
  for port in "$PG_PORT_A" "$PG_PORT_B" "$LB_PORT" "$LB_PORT"; do
    fetch "http://127.0.0.1:$port$ARTICLE_PATH" "$WORK/pg-article-$port.html"
  done
  run_wrk "Tribune on PostgreSQL, one node, article (cached)" "http://127.0.0.1:$PG_PORT_A$ARTICLE_PATH"
  run_wrk "Tribune on PostgreSQL, two nodes behind nginx, article (cached)" "http://127.0.0.1:$LB_PORT$ARTICLE_PATH"
}

# --- main --------------------------------------------------------------------------------

install_tools
build
start_tribune
# The first start created the demo site; what it allocated for that (11,000 comments
# written) stays with the allocator. A node in production starts on its existing site:
# measure that one, after a restart.
CREATED_RSS="$(mem_mib "$TRIBUNE_PID" VmRSS)"
CREATE_PEAK="$(mem_mib "$TRIBUNE_PID" VmHWM)"
kill "$TRIBUNE_PID"
wait "$TRIBUNE_PID" 2>/dev/null || true
start_tribune

# Warm the cache: each page is rendered once, then served from memory.
fetch "http://127.0.0.1:$PORT/" "$WORK/front.html"
ARTICLE_PATH="$(find_article_path)"
[ -n "$ARTICLE_PATH" ] || die "no /articles/… link on the front page"
fetch "http://127.0.0.1:$PORT$ARTICLE_PATH" "$WORK/article.html"
sleep 1
IDLE_RSS="$(mem_mib "$TRIBUNE_PID" VmRSS)"
START_PEAK="$(mem_mib "$TRIBUNE_PID" VmHWM)"
# The peak so far comes from creating the demo site (hashing the admin's password with
# Argon2 takes ~19 MiB), not from serving. Writing 5 to clear_refs resets VmHWM, so the
# peak read after the runs is the peak under load.
LOAD_PEAK_LABEL="Tribune peak RSS under load (VmHWM)"
if ! { echo 5 >"/proc/$TRIBUNE_PID/clear_refs"; } 2>/dev/null; then
  LOAD_PEAK_LABEL="Tribune peak RSS since start (VmHWM; could not reset it)"
fi

start_nginx "$ARTICLE_PATH" "$WORK/article.html"
# wrk shares the CPUs with the servers; anything else running (a cargo build…) skews the
# figures, so the report says how busy the machine was.
LOAD_BEFORE="$(cut -d' ' -f1 /proc/loadavg)"

run_wrk "Tribune front page (cached)" "http://127.0.0.1:$PORT/"
run_wrk "Tribune article page (cached)" "http://127.0.0.1:$PORT$ARTICLE_PATH"
run_wrk "nginx, same article as a static file" "http://127.0.0.1:$NGINX_PORT$ARTICLE_PATH"
signed_in_row
if [ "$RUN_PG" = 1 ]; then
  postgres_rows
fi

LOADED_RSS="$(mem_mib "$TRIBUNE_PID" VmRSS)"
PEAK_RSS="$(mem_mib "$TRIBUNE_PID" VmHWM)"
RATIO="$(awk -v a="${RPS[1]}" -v b="${RPS[2]}" 'BEGIN { printf "%.2f", a / b }')"

# requests/s of `url` over PAIRED_SECONDS.
paired_rps() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${PAIRED_SECONDS}s" -H "Accept-Encoding: $ACCEPT_ENCODING" "$1" |
    awk '/^Requests\/sec:/ { print $2 }'
}
PAIRED=()
for round in $(seq "$PAIRED_ROUNDS"); do
  log "paired round $round of $PAIRED_ROUNDS: the article from Tribune, then from nginx"
  tribune_rps="$(paired_rps "http://127.0.0.1:$PORT$ARTICLE_PATH")"
  nginx_rps="$(paired_rps "http://127.0.0.1:$NGINX_PORT$ARTICLE_PATH")"
  log "paired round $round: Tribune $tribune_rps requests/s, nginx $nginx_rps"
  PAIRED+=("$(awk -v a="$tribune_rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')")
done
PAIRED_MEDIAN="$(printf '%s\n' "${PAIRED[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"

REPORT="$(cat <<EOF
## Tribune benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

Commit $(revision), $("$BIN" --version). Machine: $(machine).
wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency, on the same machine as the servers
(1-minute load average before the runs: $LOAD_BEFORE).
Article: \`$ARTICLE_PATH\` ($(wc -c <"$WORK/article.html") bytes).

Every request sends \`Accept-Encoding: $ACCEPT_ENCODING\`; nginx serves precompressed files
(gzip_static$( [ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] && echo ", brotli_static")).

| target | requests/s | p50 | p99 | one response |
| --- | ---: | ---: | ---: | --- |
${ROWS%$'\n'}

| measure | value | target |
| --- | --- | --- |
| Tribune article / nginx requests/s, the rows above | $RATIO | |
| the same, median of $PAIRED_ROUNDS paired rounds of ${PAIRED_SECONDS} s (${PAIRED[*]}) | $PAIRED_MEDIAN | ≥ 0.9: $(verdict "$PAIRED_MEDIAN >= 0.9") |
| Tribune idle RSS (started on its site, after one request per page) | $IDLE_RSS MiB | < 30 MiB: $(verdict "$IDLE_RSS < 30") |
| Tribune RSS after the runs | $LOADED_RSS MiB | |
| $LOAD_PEAK_LABEL | $PEAK_RSS MiB | |
| Tribune peak RSS at start (the learned filter is trained then) | $START_PEAK MiB | |
| Tribune RSS right after creating the demo site / its peak | $CREATED_RSS / $CREATE_PEAK MiB | |
| release build time | $BUILD_TIME | |
EOF
)"

printf '\n%s\n' "$REPORT"
printf '%s\n' "$REPORT" >"$RESULTS"
log "Written to ${RESULTS#"$ROOT"/}"
