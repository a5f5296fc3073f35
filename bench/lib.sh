#!/usr/bin/env bash
# What the benchmark scripts share: messages, ports, a private nginx, wrk's units, memory,
# the machine and commit lines of the reports. Sourced by run.sh, webhook.sh and
# comments.sh after they set ROOT and WORK (and NGINX_PORT, PG_SERVER where they use them).

log() { printf '==> %s\n' "$*" >&2; }

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pg() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$PG_SERVER/${1}" "${@:2}"; }

# Something already answering on a port would be benchmarked instead of our server.
# Installs the Debian packages that provide the missing commands: each argument is
# COMMAND:PACKAGE; `apt-get update` runs only when something is missing.
install_packages() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "Installing ${missing[*]} (Debian packages)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

require_free_port() {
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; then
    die "port $1 is already in use (see the BENCH_*PORT variables in bench/README.md)"
  fi
}

# Fetches a page, failing on anything but 200, into a file.
fetch() {
  local url="$1" out="$2" status
  status="$(curl -s -o "$out" -w '%{http_code}' "$url")"
  [ "$status" = 200 ] || die "GET $url answered $status"
}

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

# The database is the benchmark's own: one left by an interrupted run is dropped.
create_pg_database() {
  PG_CREATED=1
  pg postgres -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" \
    || die "cannot create $PG_DB on $PG_SERVER (set BENCH_PG_SERVER)"
}

# Median and mean of 200 fdatasync calls after an 8 KiB write in the temp dir: what one
# durable commit costs at least on this disk.
fsync_ms() {
  command -v python3 >/dev/null || { echo "not measured (no python3)"; return; }
  python3 - "$1" <<'EOF'
import os, statistics, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
times = []
for i in range(200):
    os.pwrite(fd, os.urandom(8192), (i % 16) * 8192)
    t = time.perf_counter()
    os.fdatasync(fd)
    times.append((time.perf_counter() - t) * 1000)
os.close(fd)
os.unlink(path)
print(f"{statistics.median(times):.2f} ms median, {statistics.mean(times):.2f} ms mean")
EOF
}

# A private nginx: own config, prefix, pid file, logs and temp paths, all in $WORK, running
# in the foreground (daemon off) as our child so the trap can stop it.
start_nginx() {
  local article_path="$1" html="$2"
  require_free_port "$NGINX_PORT"
  mkdir -p "$WORK/nginx/tmp" "$WORK/www$(dirname "$article_path")"
  # Same URL path and same bytes as Tribune's page, so the two runs differ only by server.
  cp "$html" "$WORK/www$article_path"
  # Precompressed beside it, as a careful nginx setup serves pages (the bound for Tribune's
  # own precompressed pages): gzip always, brotli when Debian's module and tool are here.
  gzip -9 -k -f "$WORK/www$article_path"
  local brotli_module=/usr/lib/nginx/modules/ngx_http_brotli_static_module.so load_brotli="" brotli_static=""
  if [ -f "$brotli_module" ] && command -v brotli >/dev/null; then
    brotli -q 11 -k -f "$WORK/www$article_path"
    load_brotli="load_module $brotli_module;"
    brotli_static="brotli_static on;"
  fi
  chmod -R a+rX "$WORK/www"
  cat >"$WORK/nginx/nginx.conf" <<EOF
$load_brotli
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
  gzip_static on;
  gzip_vary on;
  $brotli_static
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

stop_pid() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || true
  # nginx's master waits for its workers before it exits, so this reaps them all.
  wait "$1" 2>/dev/null || true
}

# A fresh CARGO_TARGET_DIR is an honest "from scratch": every dependency is compiled again
# (crate sources already in ~/.cargo are reused, so no download time is included).
build() {
  if [ "${BUILD_FROM_SCRATCH:-0}" = 1 ]; then
    log "Release build from scratch into $WORK/target (takes several minutes)"
    local start end
    start="$(date +%s.%N)"
    CARGO_TARGET_DIR="$WORK/target" cargo build --release -p tribune --quiet
    end="$(date +%s.%N)"
    BUILD_TIME="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f s (from scratch)", e - s }')"
    BIN="$WORK/target/release/tribune"
  elif [ "${SKIP_BUILD:-0}" = 1 ]; then
    log "Using the existing $BIN (BENCH_SKIP_BUILD=1)"
  else
    log "cargo build --release -p tribune"
    cargo build --release -p tribune --quiet
  fi
  [ -x "$BIN" ] || die "no binary at $BIN"
}

# Waits until the tribune process PID answers /healthz on PORT (two minutes at most),
# showing its LOG and failing if it exits first.
wait_healthy() {
  local pid="$1" port="$2" log="$3"
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "tribune exited"; }
    [ "$(curl -s --max-time 1 "http://127.0.0.1:$port/healthz" || true)" = ok ] && return
    sleep 0.5
  done
  cat "$log" >&2
  die "tribune on port $port did not answer /healthz within 120 s"
}
