#!/usr/bin/env bash
# Replays the attacks of issue 7 ("one anonymous client must not be able to exhaust, hang
# or slow the site") against a release build of `tribune demo` on loopback, and prints
# beside each what the server did and the target. Every flood is bounded in count and in
# time, and goes only to 127.0.0.1. Writes bench/results-abuse-latest.md. See bench/README.md.
#
#   bench/abuse.sh                      build, then run every attack (about 3 minutes)
#   BENCH_BIN=/path/to/tribune bench/abuse.sh   run against another binary (say an older one)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
export LC_ALL=C

PORT="${BENCH_ABUSE_PORT:-18085}"
LOGIN_FLOOD="${BENCH_LOGIN_FLOOD:-300}"
REGISTER_FLOOD="${BENCH_REGISTER_FLOOD:-200}"
REPLY_FLOOD="${BENCH_REPLY_FLOOD:-1500}"
REPLY_CHARS="${BENCH_REPLY_CHARS:-10000}"
SECONDS_PER_RUN="${BENCH_SECONDS:-5}"
HAMMER_SECONDS="${BENCH_HAMMER_SECONDS:-20}"
RESULTS="$ROOT/bench/results-abuse-latest.md"
BASE="http://127.0.0.1:$PORT"
CLIENT="$ROOT/bench/abuse_client.py"
# Documentation addresses (RFC 5737): the attacker's and the admin's, sent as
# X-Forwarded-For through the proxy the site trusts (127.0.0.1, as behind nginx).
ATTACKER="203.0.113.66"
ADMIN_AT="198.51.100.10"
# The one site allowed to embed discussions (nothing is fetched from it).
EMBEDDER="http://blog.example"

unset "${!TRIBUNE_@}" RUST_LOG
WORK="$(mktemp -d /tmp/tribune-bench-abuse.XXXXXX)"
TRIBUNE_PID=""
SAMPLER_PID=""
cleanup() {
  [ -z "$SAMPLER_PID" ] || kill "$SAMPLER_PID" 2>/dev/null || true
  stop_pid "$TRIBUNE_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

install_packages wrk:wrk curl:curl python3:python3
if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
  SKIP_BUILD=1
else
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"
fi
build

# --- the server ----------------------------------------------------------------------------

require_free_port "$PORT"
log "Starting tribune demo on $BASE (creating the demo site takes some seconds)"
TRIBUNE_TRUSTED_PROXIES="127.0.0.1" TRIBUNE_STRIPE_WEBHOOK_SECRET="whsec_bench" TRIBUNE_EMBED_ORIGINS="$EMBEDDER" \
  "$BIN" demo --bind "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/tribune.log" 2>&1 &
TRIBUNE_PID=$!
for _ in $(seq 1 240); do
  kill -0 "$TRIBUNE_PID" 2>/dev/null || { cat "$WORK/tribune.log" >&2; die "tribune exited"; }
  [ "$(curl -s --max-time 1 "$BASE/healthz" || true)" = ok ] && break
  sleep 0.5
done
read -r ADMIN_EMAIL ADMIN_PASSWORD < <(sed -n 's/.*email: \([^ ]*\) *password: \([^ ]*\).*/\1 \2/p' "$WORK/tribune.log" | head -n1)
[ -n "${ADMIN_PASSWORD:-}" ] || die "the demo printed no admin login"

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
status_of() { python3 -c "import json,sys; print(json.load(sys.stdin)['statuses'].get('$1', 0))"; }

# Samples the server's resident memory every 50 ms into a file; the peak is its maximum.
sample_rss() {
  while kill -0 "$TRIBUNE_PID" 2>/dev/null; do
    awk '$1 == "VmRSS:" { print $2 }' "/proc/$TRIBUNE_PID/status" >>"$WORK/rss.txt" 2>/dev/null || true
    sleep 0.05
  done
}
peak_rss_mib() { sort -n "$WORK/rss.txt" | tail -n1 | awk '{ printf "%.0f", $1 / 1024 }'; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 |"); printf '%-48s %s\n' "$1" "$3" >&2; }

# --- 1-3: sign-in flood, the race, and the owner's own login --------------------------------

sleep 1
idle_rss="$(mem_mib "$TRIBUNE_PID" VmRSS)"
: >"$WORK/rss.txt"
sample_rss &
SAMPLER_PID=$!
log "$LOGIN_FLOOD wrong passwords for the admin at once, from one address"
flood="$(python3 "$CLIENT" login "$BASE" "$ADMIN_EMAIL" "$LOGIN_FLOOD" "$ATTACKER")"
sleep 1
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
row "peak RSS during $LOGIN_FLOOD parallel logins, one address" "5.5 GB (stayed 5.6 GB)" \
  "$(peak_rss_mib) MiB (idle $idle_rss MiB, after $(mem_mib "$TRIBUNE_PID" VmRSS) MiB)" "< 150 MB"
checked="$(status_of 401 <<<"$flood")"
row "passwords checked (401) / refused (429) / busy (503)" "300 × 401, no 429" \
  "$checked / $(status_of 429 <<<"$flood") / $(status_of 503 <<<"$flood")" "≤ 6 checked, the rest 429"
owner="$(python3 "$CLIENT" sign-in "$BASE" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$ADMIN_AT" | json 'd["status"]')"
row "the admin's own login, from their address" "429 for 15 minutes" "$owner" "303 (signed in)"
hammered="$(python3 "$CLIENT" hammer "$BASE" "$ADMIN_EMAIL" "$HAMMER_SECONDS" "$ATTACKER")"
row "passwords checked in ${HAMMER_SECONDS} s more of guessing, one address" "5, then the account locked for all" \
  "$(status_of 401 <<<"$hammered") (429: $(status_of 429 <<<"$hammered"))" "a few: each wait doubles"

: >"$WORK/rss.txt"
sample_rss &
SAMPLER_PID=$!
log "$LOGIN_FLOOD wrong passwords at once, each from its own address (past every throttle)"
spread="$(python3 "$CLIENT" spread "$BASE" "$ADMIN_EMAIL" "$LOGIN_FLOOD")"
sleep 1
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
row "$LOGIN_FLOOD logins from $LOGIN_FLOOD addresses: checked / busy (503)" "300 hashes at once" \
  "$(status_of 401 <<<"$spread") / $(status_of 503 <<<"$spread") in $(json 'd["seconds"]' <<<"$spread") s" "bounded by the pool"
row "peak RSS during them" "5.5 GB" "$(peak_rss_mib) MiB (after $(mem_mib "$TRIBUNE_PID" VmRSS) MiB)" "< 150 MB"

# --- 7: registration flood while a reader reads the front page -----------------------------

log "$REGISTER_FLOOD registrations from one address while wrk reads the front page"
wrk -t1 -c4 -d"${SECONDS_PER_RUN}s" --latency "$BASE/" >"$WORK/wrk-front.txt" &
wrk_pid=$!
registered="$(python3 "$CLIENT" register "$BASE" "$REGISTER_FLOOD" "$ATTACKER")"
wait "$wrk_pid"
p50="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$WORK/wrk-front.txt")")"
max="$(to_ms "$(awk '$1 == "Latency" && $2 != "Distribution" { print $4 }' "$WORK/wrk-front.txt")")"
row "registrations accepted / refused (429)" "200 accepted in 6.5 s" \
  "$(status_of 303 <<<"$registered") / $(status_of 429 <<<"$registered") in $(json 'd["seconds"]' <<<"$registered") s" "a few, then 429"
row "front page p50 / max during the flood" "21 ms / 495 ms" "$p50 ms / $max ms" "≈ 1 ms"

# --- 8, 11, 12: absurd input -----------------------------------------------------------------

slug="$(curl -s "$BASE/" | grep -oE 'href="/articles/[a-z0-9-]+"' | head -n1 | sed -E 's|href="/articles/([^"]+)"|\1|')"
cookies="$WORK/cookies.txt"
token="$(curl -s -c "$cookies" "$BASE/articles/$slug" | grep -oE 'name="csrf" value="[^"]+"' | head -n1 | sed -E 's/.*value="([^"]+)"/\1/')"
form() { curl -s -o /dev/null -w '%{http_code}' -b "$cookies" -H "X-Forwarded-For: $ATTACKER" --data "$1" "$BASE/articles/$slug/comments"; }
row "a NUL byte in a comment (form)" "500 on PostgreSQL, stored on SQLite" \
  "$(form "csrf=$token&author_name=Ann&body=hi%00there")" "400"
nul_json="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data '{"author_name":"Ann","body":"hi\u0000there"}' "$BASE/api/v1/articles/$slug/comments")"
row "a NUL byte in a comment (JSON API)" "500 on PostgreSQL" "$nul_json" "400"
row "an author name of only bidi and zero-width characters" "accepted" \
  "$(form "csrf=$token&author_name=%E2%80%AE%E2%80%8B%E2%81%A6&body=hello")" "422"
row "a body of only zero-width spaces" "accepted" \
  "$(form "csrf=$token&author_name=Ann&body=%E2%80%8B%E2%80%8B")" "422"
head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | sed 's/^/{"author_name":"A","body":"/; s/$/"}/' >"$WORK/big.json"
big_json="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "@$WORK/big.json" "$BASE/api/v1/articles/$slug/comments")"
row "a 10 MB JSON body" "400" "$big_json" "413"

# --- 10: CSRF and headers ----------------------------------------------------------------------

other_token="$(curl -s "$BASE/admin/login" | grep -oE 'name="csrf" value="[^"]+"' | head -n1 | sed -E 's/.*value="([^"]+)"/\1/')"
row "a comment with another browser's CSRF token" "accepted (unsigned double submit)" \
  "$(form "csrf=$other_token&author_name=Ann&body=forged")" "403"
embed_headers="$(curl -s -D - -o /dev/null "$BASE/embed/goal" | tr -d '\r' | tr 'A-Z' 'a-z')"
has() { grep -q "^$1" <<<"$2" && echo yes || echo no; }
row "/embed/goal: nosniff, Referrer-Policy" "no, no" \
  "$(has 'x-content-type-options: nosniff' "$embed_headers"), $(has 'referrer-policy:' "$embed_headers")" "yes, yes"
admin_headers="$(curl -s -D - -o /dev/null "$BASE/admin/login" | tr -d '\r' | tr 'A-Z' 'a-z')"
row "admin pages: Cache-Control no-store" "no" "$(has 'cache-control: no-store' "$admin_headers")" "yes"

# --- 13: the embedded discussion ---------------------------------------------------------------

log "Embed: made-up page addresses from one client, a foreign origin, an absurd address"
frame() { curl -s -o /dev/null -w '%{http_code}\n' -H "X-Forwarded-For: $ATTACKER" -G "$BASE/embed/discussion" \
  --data-urlencode "page=$1" --data-urlencode "origin=$2" --data-urlencode "title=T"; }
made_up="$(for n in $(seq 1 100); do frame "$EMBEDDER/made-up-$n" "$EMBEDDER"; done | sort | uniq -c | awk '{ printf "%s%s×%s", sep, $2, $1; sep=", " }')"
row "embed: 100 new page addresses from one client" "(new)" "$made_up" "20 created, then 429"
row "embed: a page of an origin not on the list" "(new)" "$(frame "http://evil.example/x" "http://evil.example")" "403"
row "embed: a page address of 3,000 bytes" "(new)" "$(frame "$EMBEDDER/$(head -c 3000 /dev/zero | tr '\0' a)" "$EMBEDDER")" "400"
frame_policy="$(curl -s -D - -o /dev/null -G "$BASE/embed/discussion" --data-urlencode "page=$EMBEDDER/made-up-1" \
  --data-urlencode "origin=$EMBEDDER" | tr -d '\r' | grep -i '^content-security-policy' | grep -oE 'frame-ancestors [^;]*')"
row "embed: who may frame the discussion" "(new)" "$frame_policy" "frame-ancestors $EMBEDDER"
row "embed: a comment without the frame's tokens" "(new)" "$(curl -s -o /dev/null -w '%{http_code}' \
  --data "page=$EMBEDDER/made-up-1&origin=$EMBEDDER&body=forged&author_name=Ann" "$BASE/embed/discussion")" "403"

# --- 5: a personal render bought with an invented cookie ----------------------------------------

big="$(curl -s "$BASE/" "$BASE/?page=2" | grep -oE 'href="/articles/[a-z0-9-]+#comments">[0-9,]+ comments' \
  | sed -E 's|href="/articles/([^#]+)#comments">([0-9,]+) .*|\2 \1|; s/,//' | sort -n | tail -n1 | cut -d' ' -f2)"
rate() { wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" "$@" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'; }
log "The biggest discussion ($big): cached, then with an invented guest cookie"
cached_rate="$(rate "$BASE/articles/$big")"
cookie_rate="$(rate -H 'Cookie: tribune_guest=invented' "$BASE/articles/$big")"
session_rate="$(rate -H 'Cookie: tribune_session=invented' "$BASE/articles/$big")"
row "requests/s, biggest article: invented guest cookie vs cached" "209 vs 10,559" \
  "$cookie_rate vs $cached_rate" "the cached rate"
row "requests/s, biggest article: invented session cookie" "one database query each" "$session_rate" "the cached rate"

# --- 6: a reply flood under one comment -----------------------------------------------------------

log "$REPLY_FLOOD replies of $REPLY_CHARS characters under one comment (a guest)"
replies="$(python3 "$CLIENT" replies "$BASE" "$slug" "$REPLY_FLOOD" "$REPLY_CHARS")"
sleep 1
page_bytes="$(curl -s -o /dev/null -w '%{size_download}' "$BASE/articles/$slug")"
thread_bytes="$(curl -sL -o /dev/null -w '%{size_download}' "$BASE/comments/$(json 'd["parent"]' <<<"$replies")")"
row "replies accepted (of $REPLY_FLOOD) and time" "1,500 in 4.2 s" \
  "$(status_of 303 <<<"$replies") in $(json 'd["seconds"]' <<<"$replies") s (429: $(status_of 429 <<<"$replies"))" "a few, then 429 (issue 8)"
row "article page / the thread's page after the flood" "25 MB" \
  "$((page_bytes / 1024)) KB / $((thread_bytes / 1024)) KB" "≤ the page cap (1 MB)"

# --- 4: idle and slow connections (their own server runs, two settings) -------------------------

stop_pid "$TRIBUNE_PID"
TRIBUNE_PID=""
if [ "${BENCH_CONNECTIONS:-1}" = 1 ]; then
  log "Connection abuse: bench/abuse_connections.sh (about 3 minutes)"
  BENCH_SKIP_BUILD=1 BENCH_ABUSE_PORT="$PORT" bash "$ROOT/bench/abuse_connections.sh" | tee "$WORK/connections.txt" >&2
fi

# --- the report ------------------------------------------------------------------------------

{
  echo "## bench/abuse.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(revision)"
  echo
  echo "$(machine). Release build, \`tribune demo\` on SQLite, trusted_proxies = 127.0.0.1."
  echo "\"Before\" is what issue 7 reported against the build it was filed on."
  echo
  echo "| attack | before | now | target |"
  echo "| --- | --- | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
  if [ -s "$WORK/connections.txt" ]; then
    echo
    echo "Idle and slow connections (bench/abuse_connections.sh; before: 1,100 idle sockets left"
    echo "\`/healthz\` unanswered, slow ones stayed open past 60 s, SIGTERM never finished):"
    echo
    grep '^max_connections=' "$WORK/connections.txt" | sed 's/^/- /'
  fi
} | tee "$RESULTS"
