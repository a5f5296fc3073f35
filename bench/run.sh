#!/usr/bin/env bash
# Benchmarks Tribune's cached pages against nginx serving the same HTML as a static file,
# and measures Tribune's memory and (optionally) its from-scratch release build time.
# Prints a Markdown block and writes it to bench/results-latest.md. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# wrk's and awk's numbers use a decimal point whatever the caller's locale.
export LC_ALL=C

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
PORT="${BENCH_PORT:-18080}"
NGINX_PORT="${BENCH_NGINX_PORT:-18081}"
BUILD_FROM_SCRATCH="${BENCH_BUILD_FROM_SCRATCH:-0}"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
RESULTS="$ROOT/bench/results-latest.md"

# Measure the default configuration: a TRIBUNE_* variable (say TRIBUNE_DATABASE_URL) or a
# verbose RUST_LOG left in the caller's shell would change what is being measured.
unset "${!TRIBUNE_@}" RUST_LOG

# Everything the run creates (data, nginx files, a scratch target dir) lives here.
WORK="$(mktemp -d /tmp/tribune-bench.XXXXXX)"
# nginx's workers drop to `nobody` when the master runs as root: they must be able to read.
chmod 755 "$WORK"
TRIBUNE_PID=""
NGINX_PID=""

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Stops both servers whatever happened (success, failure, Ctrl-C) and removes the temp dir.
cleanup() {
  local pid
  for pid in "$TRIBUNE_PID" "$NGINX_PID"; do
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
    # nginx's master waits for its workers before it exits, so this reaps them all.
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------

# wrk and nginx from Debian; `apt-get update` only when something is missing.
install_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || missing+=(nginx)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return
  log "Installing ${missing[*]} (Debian packages)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# --- build -------------------------------------------------------------------------------

BUILD_TIME="not measured (set BENCH_BUILD_FROM_SCRATCH=1)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"

# A fresh CARGO_TARGET_DIR is an honest "from scratch": every dependency is compiled again
# (crate sources already in ~/.cargo are reused, so no download time is included).
build() {
  if [ "$BUILD_FROM_SCRATCH" = 1 ]; then
    log "Release build from scratch into $WORK/target (takes several minutes)"
    local start end
    start="$(date +%s.%N)"
    CARGO_TARGET_DIR="$WORK/target" cargo build --release -p tribune --quiet
    end="$(date +%s.%N)"
    BUILD_TIME="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f s (from scratch)", e - s }')"
    BIN="$WORK/target/release/tribune"
  elif [ "$SKIP_BUILD" = 1 ]; then
    log "Using the existing $BIN (BENCH_SKIP_BUILD=1)"
  else
    log "cargo build --release -p tribune"
    cargo build --release -p tribune --quiet
  fi
  [ -x "$BIN" ] || die "no binary at $BIN"
}

# --- servers -----------------------------------------------------------------------------

# Something already answering on a port would be benchmarked instead of our server.
require_free_port() {
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; then
    die "port $1 is already in use (set BENCH_PORT / BENCH_NGINX_PORT)"
  fi
}

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

# Fetches a page, failing on anything but 200, into a file.
fetch() {
  local url="$1" out="$2" status
  status="$(curl -s -o "$out" -w '%{http_code}' "$url")"
  [ "$status" = 200 ] || die "GET $url answered $status"
}

# The first article linked from the front page. sed, not head: head would close the pipe
# early and pipefail would report grep's SIGPIPE as a failure.
find_article_path() {
  grep -oE '/articles/[a-z0-9-]+' "$WORK/front.html" | sed -n 1p
}

# A private nginx: own config, prefix, pid file, logs and temp paths, all in $WORK, running
# in the foreground (daemon off) as our child so the trap can stop it.
start_nginx() {
  local article_path="$1"
  require_free_port "$NGINX_PORT"
  mkdir -p "$WORK/nginx/tmp" "$WORK/www$(dirname "$article_path")"
  # Same URL path and same bytes as Tribune's page, so the two runs differ only by server.
  cp "$WORK/article.html" "$WORK/www$article_path"
  chmod -R a+rX "$WORK/www"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  # What Debian's stock nginx.conf turns on for static files.
  sendfile on;
  tcp_nopush on;
  types { }
  default_type "text/html; charset=utf-8";
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
  }
}
EOF
  # -e: without it nginx first tries /var/log/nginx/error.log, which needs root.
  local args=(-p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log")
  nginx -t -q "${args[@]}" || die "nginx rejected $WORK/nginx/nginx.conf"
  log "Starting nginx on 127.0.0.1:$NGINX_PORT"
  nginx "${args[@]}" &
  NGINX_PID=$!
  for _ in $(seq 1 50); do
    if curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT$article_path"; then
      return
    fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/nginx/error.log" >&2 || true
  die "nginx did not start"
}

# --- measurements ------------------------------------------------------------------------

# A field of /proc/PID/status (VmRSS: resident now, VmHWM: the peak), in MiB.
mem_mib() {
  awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# wrk prints latencies as 850.00us, 1.23ms or 1.05s: normalise to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n
  }'
}

# Runs wrk on one URL and appends a table row. Any non-2xx/3xx answer or socket error
# makes the figures meaningless (errors are cheap to serve), so it stops the script.
RPS=()
ROWS=""
run_wrk() {
  local name="$1" url="$2" out="$WORK/wrk-$1.txt"
  log "wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency $url"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$url" >"$out"
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
  ROWS+="| $name | $(printf '%.0f' "$rps") | $(to_ms "$p50") ms | $(to_ms "$p99") ms |"$'\n'
}

# "met" / "NOT met" for a comparison done by awk (bash has no floating point).
verdict() {
  awk "BEGIN { exit !($1) }" && echo met || echo "NOT met"
}

machine() {
  local cpu
  cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "$(nproc) CPUs, ${cpu:-unknown CPU}, $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
}

# The commit measured; "+ local changes" when the working tree differs from it outside bench/
# (the results files the scripts write are not part of what is measured).
# --no-optional-locks: never take the index lock while someone else may be committing.
revision() {
  local rev
  rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git --no-optional-locks status --porcelain --untracked-files=no -- . ':!bench' 2>/dev/null)" ]; then
    rev="$rev + local changes"
  fi
  echo "$rev"
}

# --- main --------------------------------------------------------------------------------

install_tools
build
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

start_nginx "$ARTICLE_PATH"
# wrk shares the CPUs with the servers; anything else running (a cargo build…) skews the
# figures, so the report says how busy the machine was.
LOAD_BEFORE="$(cut -d' ' -f1 /proc/loadavg)"

run_wrk "Tribune front page (cached)" "http://127.0.0.1:$PORT/"
run_wrk "Tribune article page (cached)" "http://127.0.0.1:$PORT$ARTICLE_PATH"
run_wrk "nginx, same article as a static file" "http://127.0.0.1:$NGINX_PORT$ARTICLE_PATH"

LOADED_RSS="$(mem_mib "$TRIBUNE_PID" VmRSS)"
PEAK_RSS="$(mem_mib "$TRIBUNE_PID" VmHWM)"
RATIO="$(awk -v a="${RPS[1]}" -v b="${RPS[2]}" 'BEGIN { printf "%.2f", a / b }')"

REPORT="$(cat <<EOF
## Tribune benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

Commit $(revision), $("$BIN" --version). Machine: $(machine).
wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency, on the same machine as the servers
(1-minute load average before the runs: $LOAD_BEFORE).
Article: \`$ARTICLE_PATH\` ($(wc -c <"$WORK/article.html") bytes).

| target | requests/s | p50 | p99 |
| --- | ---: | ---: | ---: |
${ROWS%$'\n'}

| measure | value | target |
| --- | --- | --- |
| Tribune article / nginx requests/s | $RATIO | ≥ 0.50: $(verdict "$RATIO >= 0.5") |
| Tribune idle RSS (after one request per page) | $IDLE_RSS MiB | < 30 MiB: $(verdict "$IDLE_RSS < 30") |
| Tribune RSS after the runs | $LOADED_RSS MiB | |
| $LOAD_PEAK_LABEL | $PEAK_RSS MiB | |
| Tribune peak RSS while creating the demo site | $START_PEAK MiB | |
| release build time | $BUILD_TIME | |
EOF
)"

printf '\n%s\n' "$REPORT"
printf '%s\n' "$REPORT" >"$RESULTS"
log "Written to ${RESULTS#"$ROOT"/}"
