#!/usr/bin/env bash
# Benchmarks Tribune's discussions: article pages with 20, 500 and 10,000 comments (cached,
# against nginx serving the 500-comment page as a static file, with a made-up guest cookie,
# and for one signed-in reader),
# then comment posts per second on SQLite and on PostgreSQL, checking that every 201 was
# stored. Prints a Markdown block and writes it to bench/results-comments-latest.md. See
# bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
# wrk's and awk's numbers use a decimal point whatever the caller's locale.
export LC_ALL=C

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
RENDER_SECONDS="${BENCH_RENDER_SECONDS:-5}"
POST_CONNECTIONS="${BENCH_POST_CONNECTIONS:-16 64}"
POST_BACKENDS="${BENCH_POST_BACKENDS:-sqlite postgres}"
PORT="${BENCH_COMMENTS_PORT:-18083}"
NGINX_PORT="${BENCH_NGINX_PORT:-18081}"
# A server where user postgres may create databases without a password (trust auth).
PG_SERVER="${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
PG_DB="tribune_bench_comments"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
RESULTS="$ROOT/bench/results-comments-latest.md"
# A guest cookie the server did not sign: it must get the page cached for strangers.
GUEST_COOKIE="Cookie: tribune_guest=bench"
# Set by sign_up: the cookies of a reader registered for the run (their page is their own).
READER_COOKIE=""

# Measure the default configuration: a TRIBUNE_* variable (say TRIBUNE_DATABASE_URL) or a
# verbose RUST_LOG left in the caller's shell would change what is being measured.
unset "${!TRIBUNE_@}" RUST_LOG

# Everything the run creates (data folders, nginx files, wrk outputs) lives here.
WORK="$(mktemp -d /tmp/tribune-bench-comments.XXXXXX)"
# nginx's workers drop to `nobody` when the master runs as root: they must be able to read.
chmod 755 "$WORK"
TRIBUNE_PID=""
NGINX_PID=""
PG_CREATED=0

# psql as the server's superuser: -X ignores ~/.psqlrc, ON_ERROR_STOP makes errors fail, and
# NOTICEs ("does not exist, skipping") are not shown.

stop_tribune() {
  stop_pid "$TRIBUNE_PID"
  TRIBUNE_PID=""
}

# Stops the servers, drops the test database (the server's connections are gone by then)
# and removes the temp dir, whatever happened (success, failure, Ctrl-C).
cleanup() {
  stop_tribune
  stop_pid "$NGINX_PID"
  if [ "$PG_CREATED" = 1 ]; then
    pg postgres -c "DROP DATABASE IF EXISTS $PG_DB" || printf 'warning: could not drop %s\n' "$PG_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------

# From Debian; `apt-get update` only when something is missing.
install_tools() {
  local tools=(wrk:wrk nginx:nginx curl:curl sqlite3:sqlite3)
  [[ " $POST_BACKENDS " != *" postgres "* ]] || tools+=(psql:postgresql-client)
  install_packages "${tools[@]}"
}

# --- build -------------------------------------------------------------------------------

BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"

# --- servers -----------------------------------------------------------------------------

# The database arguments of `tribune demo` for a backend.
db_args() {
  case "$1" in
    sqlite) echo "--data-dir $WORK/data" ;;
    postgres) echo "--data-dir $WORK/pgdata --database-url $PG_SERVER/$PG_DB" ;;
  esac
}

# Starts `tribune demo` on a new database. The first start creates the demo site: about
# forty articles and ~11,000 comments, which takes some seconds (more on PostgreSQL).
start_tribune() {
  local backend="$1" log="$WORK/tribune-$1.log" db
  read -ra db <<<"$(db_args "$backend")"
  require_free_port "$PORT"
  log "Starting tribune demo ($backend) on 127.0.0.1:$PORT"
  # The demo prints its login lines on stdout; its logs go to stderr.
  # wrk stands for a proxy in front of many readers (see post.lua).
  TRIBUNE_TRUSTED_PROXIES=127.0.0.1 "$BIN" demo --bind "127.0.0.1:$PORT" "${db[@]}" >"$log" 2>&1 &
  TRIBUNE_PID=$!
  for _ in $(seq 1 240); do
    kill -0 "$TRIBUNE_PID" 2>/dev/null || { cat "$log" >&2; die "tribune exited"; }
    if [ "$(curl -s --max-time 1 "http://127.0.0.1:$PORT/healthz" || true)" = ok ]; then
      return
    fi
    sleep 0.5
  done
  cat "$log" >&2
  die "tribune ($backend) did not answer /healthz within 120 s"
}

# "SLUG COUNT" for each discussion linked from the front page (pages 1 and 2), from links
# like <a href="/articles/SLUG#comments">9724 comments</a>.
discussions() {
  local page status
  : >"$WORK/discussions.txt"
  for page in 1 2; do
    status="$(curl -s -o "$WORK/front-$page.html" -w '%{http_code}' "http://127.0.0.1:$PORT/?page=$page")"
    [ "$status" = 200 ] || continue
    grep -oE 'href="/articles/[a-z0-9-]+#comments">[0-9,]+ comments?<' "$WORK/front-$page.html" \
      | sed -E 's|href="/articles/([a-z0-9-]+)#comments">([0-9,]+) .*|\1 \2|; s/,//g' >>"$WORK/discussions.txt" || true
  done
  sort -u -o "$WORK/discussions.txt" "$WORK/discussions.txt"
}

# The slug and count of the discussion nearest TARGET comments (the largest if TARGET is
# "max"), leaving out the slugs already taken.
pick() {
  awk -v t="$1" -v taken=" $2 " '
    index(taken, " " $1 " ") == 0 {
      d = (t == "max") ? -$2 : ($2 > t ? $2 - t : t - $2)
      if (best == "" || d < bestd) { best = $1 " " $2; bestd = d }
    }
    END { if (best != "") print best }' "$WORK/discussions.txt"
}

# Registers a reader through the site's form, as a browser would, and sets READER_COOKIE to
# its session (and CSRF) cookies.
sign_up() {
  local jar="$WORK/reader.jar" csrf session
  curl -s -c "$jar" -o "$WORK/register.html" "http://127.0.0.1:$PORT/register"
  csrf="$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/register.html" | head -n 1)"
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "name=Bench Reader" \
    --data-urlencode "email=bench-reader@example.org" --data-urlencode "password=bench reader password" \
    "http://127.0.0.1:$PORT/register"
  session="$(awk '$6 == "tribune_session" { print $7 }' "$jar")"
  [ -n "$session" ] || die "could not register a reader"
  READER_COOKIE="Cookie: tribune_session=$session; tribune_csrf=$(awk '$6 == "tribune_csrf" { print $7 }' "$jar")"
}

# --- measurements ------------------------------------------------------------------------

# Runs wrk with the given arguments into $WORK/wrk-NAME.txt. Only 2xx answers are expected:
# any non-2xx/3xx answer or socket error makes the figures meaningless (errors are cheap to
# serve), so it stops the script. Then sets RPS, MEAN, P50 and P99 (in ms).
RPS=""
MEAN=""
P50=""
P99=""
run_wrk() {
  local name="$1" out="$WORK/wrk-$1.txt"
  shift
  log "wrk $*"
  wrk "$@" >"$out"
  if grep -q 'Non-2xx' "$out" || grep -q 'Socket errors' "$out"; then
    cat "$out" >&2
    [ -z "$TRIBUNE_PID" ] || tail -n 20 "$WORK"/tribune-*.log >&2
    die "wrk saw errors or non-2xx responses: wrk $*"
  fi
  RPS="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
  MEAN="$(awk '$1 == "Latency" && $2 != "Distribution" { print $2 }' "$out")"
  P50="$(awk '$1 == "50%" { print $2 }' "$out")"
  P99="$(awk '$1 == "99%" { print $2 }' "$out")"
  if [ -z "$RPS" ] || [ -z "$MEAN" ] || [ -z "$P50" ] || [ -z "$P99" ]; then
    cat "$out" >&2
    die "cannot parse wrk's output"
  fi
  MEAN="$(to_ms "$MEAN")"
  P50="$(to_ms "$P50")"
  P99="$(to_ms "$P99")"
}

# The Lua script of the post runs. request() sends a new comment each time, numbered
# thread + threads × n; response() counts the 201s and the rest; done() sums the threads'
# counters (kept by setup) and prints them on one line.
write_lua() {
  cat >"$WORK/post.lua" <<'EOF'
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  headers = { ["Content-Type"] = "application/json" }
  sent, created, other = 0, 0, 0
end

function request()
  local n = id + nthreads * sent
  -- Long enough to be checked for duplicates (one indexed lookup per post), as most are.
  local body = string.format('{"body":"Benchmark comment number %d, long enough to be checked","author_name":"Bench"}', n)
  -- Each post from its own reader, through the trusted local proxy: the rate limits run
  -- (and cost what they cost) without refusing a benchmark sent from one address.
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  sent = sent + 1
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local total = { sent = 0, created = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for k in pairs(total) do total[k] = total[k] + thread:get(k) end
  end
  -- wrk calls the first thread's request() once before the run, to check what it returns.
  total.sent = total.sent - 1
  io.write(string.format("comment-posts: sent=%d created=%d other=%d\n", total.sent, total.created, total.other))
end
EOF
}

# One counter from wrk's "comment-posts:" line.
count() { sed -n "s/.*comment-posts:.* $1=\([0-9]*\).*/\1/p" "$2"; }

# The comments stored for an article, read from the database itself (the API is paged).
stored_comments() {
  local sql="SELECT COUNT(*) FROM comments WHERE article_id = (SELECT id FROM articles WHERE slug = '$2')"
  if [ "$1" = postgres ]; then
    pg "$PG_DB" -At -c "$sql"
  else
    sqlite3 -readonly -cmd '.timeout 10000' "$WORK/data/tribune.db" "$sql"
  fi
}

# Requests in flight when wrk stopped (one per connection at most) may be committed after it
# left, without an answer: waits (up to 10 s) until the stored count stops changing.
settle() {
  local last="" now
  for _ in $(seq 1 20); do
    sleep 0.5
    now="$(stored_comments "$1" "$2")"
    [ "$now" = "$last" ] && break
    last="$now"
  done
  echo "$now"
}

# --- comment posts -----------------------------------------------------------------------

POST_ROWS=""
SLOW=""
LOADS=""
FAILED=""
BEST_SQLITE=0

# Posts comments to SLUG with wrk at each connection count, checks that the stored comments
# grew by the 201s, and appends table rows.
bench_posts() {
  local backend="$1" slug="$2" label conns
  label="$([ "$backend" = sqlite ] && echo "SQLite (WAL, synchronous=FULL)" || echo "PostgreSQL (synchronous_commit=$(pg "$PG_DB" -Atc 'SHOW synchronous_commit'))")"
  for conns in $POST_CONNECTIONS; do
    local name="post-$backend-$conns" before after sent created other unanswered extra check
    before="$(settle "$backend" "$slug")"
    LOADS+="$backend -c$conns $(cut -d' ' -f1 /proc/loadavg), "
    run_wrk "$name" -t"$THREADS" -c"$conns" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/post.lua" \
      "http://127.0.0.1:$PORT/api/v1/articles/$slug/comments" -- "$THREADS"
    sent="$(count sent "$WORK/wrk-$name.txt")"
    created="$(count created "$WORK/wrk-$name.txt")"
    other="$(count other "$WORK/wrk-$name.txt")"
    [ -n "$sent" ] && [ -n "$created" ] && [ -n "$other" ] || { cat "$WORK/wrk-$name.txt" >&2; die "no comment-posts line in wrk's output"; }
    [ "$other" = 0 ] || { cat "$WORK/wrk-$name.txt" >&2; die "$backend -c$conns: $other answers were not 201 Created"; }
    after="$(settle "$backend" "$slug")"
    [[ "$before" =~ ^[0-9]+$ && "$after" =~ ^[0-9]+$ ]] || die "$backend: cannot count the stored comments ('$before', '$after')"
    unanswered=$((sent - created))
    extra=$((after - before - created))
    # Every 201 must be stored. A request still in flight when wrk stopped may have been
    # committed too, without an answer anyone saw: at most one per unanswered request.
    if [ "$extra" -ge 0 ] && [ "$extra" -le "$unanswered" ]; then
      check="yes"
      [ "$extra" = 0 ] || check+=" (+ $extra of the $unanswered unanswered when wrk stopped)"
    else
      check="**no**: $before before, $after after, $created answered 201, $unanswered unanswered"
      FAILED+="$backend -c$conns, "
      tail -n 20 "$WORK/tribune-$backend.log" >&2
    fi
    if [ "$backend" = sqlite ] && awk -v a="$RPS" -v b="$BEST_SQLITE" 'BEGIN { exit !(a > b) }'; then
      BEST_SQLITE="$RPS"
    fi
    POST_ROWS+="| $label | $conns | $(printf '%.0f' "$RPS") | $P50 ms | $P99 ms | $created | $before → $after | $check |"$'\n'
  done
  # sqlx warns about any statement slower than a second: the tail of the latencies.
  SLOW+="$backend $(grep -c 'slow statement' "$WORK/tribune-$backend.log" || true), "
}

# --- main --------------------------------------------------------------------------------

for backend in $POST_BACKENDS; do
  case "$backend" in
    sqlite | postgres) ;;
    *) die "unknown backend $backend (BENCH_POST_BACKENDS: sqlite and/or postgres)" ;;
  esac
done
STARTED="$(date +%s)"
install_tools
build
write_lua
FSYNC="$(fsync_ms "$WORK")"
start_tribune sqlite

# The demo's 10,000-, 500- and 20-comment discussions, as the front page counts them (only
# published comments: a little fewer).
discussions
[ "$(wc -l <"$WORK/discussions.txt")" -ge 3 ] || { cat "$WORK/discussions.txt" >&2; die "fewer than three discussions on the front page"; }
read -r BIG_SLUG BIG_COUNT <<<"$(pick max "")"
read -r MID_SLUG MID_COUNT <<<"$(pick 500 "$BIG_SLUG")"
read -r SMALL_SLUG SMALL_COUNT <<<"$(pick 20 "$BIG_SLUG $MID_SLUG")"
log "Discussions: $BIG_SLUG ($BIG_COUNT), $MID_SLUG ($MID_COUNT), $SMALL_SLUG ($SMALL_COUNT)"

# Warm the cache: each page is rendered once, then served from memory.
SIZES=()
for slug in "$BIG_SLUG" "$MID_SLUG" "$SMALL_SLUG"; do
  fetch "http://127.0.0.1:$PORT/articles/$slug" "$WORK/$slug.html"
  SIZES+=("$(wc -c <"$WORK/$slug.html")")
done
sleep 1
IDLE_RSS="$(mem_mib "$TRIBUNE_PID" VmRSS)"
# Writing 5 to clear_refs resets VmHWM, so the peak read after the page runs is theirs (the
# peak so far comes from creating the demo site).
PEAK_LABEL="Tribune peak RSS during the page runs (VmHWM)"
if ! { echo 5 >"/proc/$TRIBUNE_PID/clear_refs"; } 2>/dev/null; then
  PEAK_LABEL="Tribune peak RSS since start (VmHWM; could not reset it)"
fi

start_nginx "/articles/$MID_SLUG" "$WORK/$MID_SLUG.html"
# wrk shares the CPUs with the servers; anything else running (a cargo build…) skews the
# figures, so the report says how busy the machine was.
LOADS+="pages $(cut -d' ' -f1 /proc/loadavg), "

PAGE_ROWS=""
RENDER_ROWS=""
LABELS=("~10,000" "~500" "~20")
SLUGS=("$BIG_SLUG" "$MID_SLUG" "$SMALL_SLUG")
COUNTS=("$BIG_COUNT" "$MID_COUNT" "$SMALL_COUNT")
for i in 0 1 2; do
  run_wrk "page-$i" -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency \
    "http://127.0.0.1:$PORT/articles/${SLUGS[i]}"
  [ "$i" != 1 ] || MID_RPS="$RPS"
  [ "$i" != 0 ] || BIG_RPS="$RPS"
  PAGE_ROWS+="| Tribune, ${LABELS[i]} comments (cached) | ${COUNTS[i]} | ${SIZES[i]} | $(printf '%.0f' "$RPS") | $P50 ms | $P99 ms |"$'\n'
done
run_wrk "invented-cookie" -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -H "$GUEST_COOKIE" \
  "http://127.0.0.1:$PORT/articles/$BIG_SLUG"
INVENTED_RPS="$RPS"
PAGE_ROWS+="| Tribune, ~10,000 comments, made-up guest cookie | ${BIG_COUNT} | ${SIZES[0]} | $(printf '%.0f' "$RPS") | $P50 ms | $P99 ms |"$'\n'
run_wrk "nginx" -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency \
  "http://127.0.0.1:$NGINX_PORT/articles/$MID_SLUG"
NGINX_RPS="$RPS"
PAGE_ROWS+="| nginx, the ~500-comment page as a static file | ${MID_COUNT} | ${SIZES[1]} | $(printf '%.0f' "$RPS") | $P50 ms | $P99 ms |"$'\n'
stop_pid "$NGINX_PID"
NGINX_PID=""

sign_up
for i in 0 1 2; do
  run_wrk "render-$i" -t1 -c1 -d"${RENDER_SECONDS}s" --latency -H "$READER_COOKIE" \
    "http://127.0.0.1:$PORT/articles/${SLUGS[i]}"
  [ "$i" != 1 ] || READER_MEAN="$MEAN"
  RENDER_ROWS+="| ${LABELS[i]} comments | ${COUNTS[i]} | $MEAN ms | $P50 ms | $P99 ms | $(printf '%.0f' "$RPS") |"$'\n'
done
LOADED_RSS="$(mem_mib "$TRIBUNE_PID" VmRSS)"
PEAK_RSS="$(mem_mib "$TRIBUNE_PID" VmHWM)"

# Reads of the ~500-comment page while comments pour into that very discussion: the page
# must stay cached (a comment drops it at most once per burst), not be rendered per reader.
LOADS+="storm $(cut -d' ' -f1 /proc/loadavg), "
run_wrk "storm-alone" -t1 -c32 -d"${RENDER_SECONDS}s" --latency "http://127.0.0.1:$PORT/articles/$MID_SLUG"
STORM_ROWS="| reads alone | $(printf '%.0f' "$RPS") | $P50 ms | $P99 ms | |"$'\n'
wrk -t1 -c4 -d"${RENDER_SECONDS}s" -s "$WORK/post.lua" \
  "http://127.0.0.1:$PORT/api/v1/articles/$MID_SLUG/comments" -- 1 >"$WORK/wrk-storm-posts.txt" &
STORM_WRK=$!
run_wrk "storm-reads" -t1 -c32 -d"${RENDER_SECONDS}s" --latency "http://127.0.0.1:$PORT/articles/$MID_SLUG"
wait "$STORM_WRK" || die "the storm's post run failed"
STORM_CREATED="$(count created "$WORK/wrk-storm-posts.txt")"
[ "$(count other "$WORK/wrk-storm-posts.txt")" = 0 ] && ! grep -q 'Socket errors' "$WORK/wrk-storm-posts.txt" \
  || { cat "$WORK/wrk-storm-posts.txt" >&2; die "the storm's posts were not all 201 Created"; }
STORM_POSTS="$(awk -v n="$STORM_CREATED" -v s="$RENDER_SECONDS" 'BEGIN { printf "%.0f", n / s }')"
STORM_ROWS+="| reads while 4 connections post comments to the same discussion | $(printf '%.0f' "$RPS") | $P50 ms | $P99 ms | $STORM_POSTS |"
RATIO="$(awk -v a="$MID_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.2f", a / b }')"

# Posts go to the quiet ~20-comment discussion: its page is not measured any more.
POSTED_RSS=""
for backend in $POST_BACKENDS; do
  if [ "$backend" = postgres ]; then
    stop_tribune
    create_pg_database
    start_tribune postgres
    # The front page must list the discussion with its count: the demo content is there.
    for _ in $(seq 1 120); do
      discussions
      grep -q "^$SMALL_SLUG [0-9]" "$WORK/discussions.txt" && break
      sleep 0.5
    done
    grep -q "^$SMALL_SLUG [0-9]" "$WORK/discussions.txt" || die "postgres: the front page does not list $SMALL_SLUG with a comment count"
  fi
  bench_posts "$backend" "$SMALL_SLUG"
  [ "$backend" != sqlite ] || POSTED_RSS="$(mem_mib "$TRIBUNE_PID" VmRSS)"
done
stop_tribune

MEASURES="| Tribune / nginx requests/s, ~500-comment page | $RATIO | ≥ 0.50: $(verdict "$RATIO >= 0.5") |"$'\n'
INVENTED_RATIO="$(awk -v a="$INVENTED_RPS" -v b="$BIG_RPS" 'BEGIN { printf "%.2f", a / b }')"
MEASURES+="| made-up guest cookie / cached requests/s, ~10,000-comment page | $INVENTED_RATIO | ≥ 0.80: $(verdict "$INVENTED_RATIO >= 0.8") |"$'\n'
MEASURES+="| a signed-in reader's ~500-comment page, mean | $READER_MEAN ms | ≤ 1.5 ms: $(verdict "$READER_MEAN <= 1.5") |"$'\n'
if [[ " $POST_BACKENDS " == *" sqlite "* ]]; then
  MEASURES+="| SQLite comment posts/s, best of -c ${POST_CONNECTIONS// /, -c } | $(printf '%.0f' "$BEST_SQLITE") | > 2,000: $(verdict "$BEST_SQLITE > 2000") |"$'\n'
fi
MEASURES+="| Tribune idle RSS (SQLite, after one request per page) | $IDLE_RSS MiB | |"$'\n'
MEASURES+="| Tribune RSS after the page runs | $LOADED_RSS MiB | |"$'\n'
MEASURES+="| $PEAK_LABEL | $PEAK_RSS MiB | |"$'\n'
[ -z "$POSTED_RSS" ] || MEASURES+="| Tribune RSS after the SQLite posts | $POSTED_RSS MiB | |"$'\n'
PG_INFO=""
if [ "$PG_CREATED" = 1 ]; then
  PG_INFO=" PostgreSQL $(pg postgres -Atc 'SHOW server_version' | cut -d' ' -f1) on the same machine"
  PG_INFO+=" (fsync=$(pg postgres -Atc 'SHOW fsync'), wal_sync_method=$(pg postgres -Atc 'SHOW wal_sync_method'))."
fi
RUNTIME="$(($(date +%s) - STARTED))"

REPORT="$(cat <<EOF
## Tribune discussion benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

Commit $(revision), $("$BIN" --version). Machine: $(machine).
Filesystem: $(findmnt -n -o FSTYPE -T "$WORK"), fdatasync after an 8 KiB write: $FSYNC.${PG_INFO}
wrk on the same machine as the servers (1-minute load average before each part: ${LOADS%, }).
Whole run: $RUNTIME s.

Discussions (comments as the front page counts them, published only):
~10,000: \`/articles/$BIG_SLUG\`, ~500: \`/articles/$MID_SLUG\`,
~20: \`/articles/$SMALL_SLUG\`.

### Article pages, SQLite, wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency

| target | comments | bytes | requests/s | p50 | p99 |
| --- | ---: | ---: | ---: | ---: | ---: |
${PAGE_ROWS%$'\n'}

### For one signed-in reader (their own buttons and votes), wrk -t1 -c1 -d${RENDER_SECONDS}s --latency

| discussion | comments | mean | p50 | p99 | pages/s |
| --- | ---: | ---: | ---: | ---: | ---: |
${RENDER_ROWS%$'\n'}

### A comment storm: reads of the ~500-comment page, wrk -t1 -c32 -d${RENDER_SECONDS}s --latency

| reads | requests/s | p50 | p99 | posts/s meanwhile |
| --- | ---: | ---: | ---: | ---: |
${STORM_ROWS}

### Comment posts, wrk -t$THREADS -d${SECONDS_PER_RUN}s --latency, POST /api/v1/articles/$SMALL_SLUG/comments

| backend | connections | posts/s | p50 | p99 | 201s | stored before → after | check |
| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |
${POST_ROWS%$'\n'}

check: the article's comments in the database grew by the 201 answers, plus any of the
requests in flight when wrk stopped that the server committed. sqlx "slow statement"
warnings (over 1 s) in the server's log: ${SLOW%, }.

| measure | value | target |
| --- | --- | --- |
${MEASURES%$'\n'}
EOF
)"

printf '\n%s\n' "$REPORT"
printf '%s\n' "$REPORT" >"$RESULTS"
log "Written to ${RESULTS#"$ROOT"/} ($RUNTIME s)"
[ -z "$FAILED" ] || die "stored comments do not match the 201 answers on: ${FAILED%, }"
