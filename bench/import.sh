#!/usr/bin/env bash
# Benchmarks `tribune import disqus` (issue 11): generates a Disqus export of 1,000,000 posts
# in 10,000 threads (bench/gen_disqus.py), imports it into a new SQLite site and a new
# PostgreSQL database, timing each import and its peak memory, then imports it again (which
# must add nothing) and counts the rows. Prints a Markdown block and writes it to
# bench/results-import-latest.md. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
# awk's numbers use a decimal point whatever the caller's locale.
export LC_ALL=C

POSTS="${BENCH_POSTS:-1000000}"
DISQUS_THREADS="${BENCH_DISQUS_THREADS:-$(( POSTS / 100 > 0 ? POSTS / 100 : 1 ))}"
SEED="${BENCH_SEED:-1}"
BACKENDS="${BENCH_IMPORT_BACKENDS:-sqlite postgres}"
# The generated file is kept here between runs (it takes a minute or two to write): the
# same parameters and the same generator reuse it.
CACHE="${BENCH_IMPORT_CACHE:-${TMPDIR:-/tmp}/tribune-bench-import}"
# A database on a server where that user may create databases without a password.
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_SERVER="${PG_URL%/*}"
PG_DB="tribune_bench_import"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
# An import that runs longer is stopped (SIGINT) and reported as unfinished, with how far
# it got: on a server without statistics a PostgreSQL import can take hours (see README).
LIMIT="${BENCH_IMPORT_TIMEOUT:-900}"
RESULTS="$ROOT/bench/results-import-latest.md"
# Targets of issue 11, for 1,000,000 comments on SQLite.
TARGET_SECONDS=60
TARGET_RSS_MB=200

# Measure the default configuration: a TRIBUNE_* variable or a verbose RUST_LOG left in the
# caller's shell would change what is being measured.
unset "${!TRIBUNE_@}" RUST_LOG

[[ "$POSTS" =~ ^[0-9]+$ && "$DISQUS_THREADS" =~ ^[1-9][0-9]*$ && "$SEED" =~ ^[0-9]+$ ]] \
  || die "BENCH_POSTS, BENCH_DISQUS_THREADS and BENCH_SEED must be numbers"
for backend in $BACKENDS; do
  case "$backend" in
    sqlite | postgres) ;;
    *) die "unknown backend $backend (BENCH_IMPORT_BACKENDS: sqlite and/or postgres)" ;;
  esac
done

# Everything the run creates but the export file (data folders, logs) lives here.
WORK="$(mktemp -d /tmp/tribune-bench-import.XXXXXX)"
PG_CREATED=0

cleanup() {
  if [ "$PG_CREATED" = 1 ]; then
    pg postgres -c "DROP DATABASE IF EXISTS $PG_DB" || printf 'warning: could not drop %s\n' "$PG_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tribune"

# --- the export file -----------------------------------------------------------------------

# Named after its parameters and the generator's own hash: a changed generator writes a new one.
generate() {
  local hash
  hash="$(sha256sum "$ROOT/bench/gen_disqus.py" | cut -c1-10)"
  mkdir -p "$CACHE"
  FILE="$CACHE/disqus-$POSTS-$DISQUS_THREADS-seed$SEED-$hash.xml"
  STATS="$FILE.stats"
  if [ -s "$FILE" ] && [ -s "$STATS" ]; then
    log "Reusing $FILE"
  else
    log "Writing a Disqus export of $POSTS posts in $DISQUS_THREADS threads to $FILE"
    python3 "$ROOT/bench/gen_disqus.py" --posts "$POSTS" --threads "$DISQUS_THREADS" --seed "$SEED" \
      --out "$FILE" --stats "$STATS"
  fi
  FILE_BYTES="$(stat -c %s "$FILE")"
}

# A figure the generator counted (see its --stats file).
stat_of() { sed -n "s/^$1=//p" "$STATS"; }

# --- one import ----------------------------------------------------------------------------

# Each stderr line with the seconds since the import started: the progress lines
# ("Reading: 40%", "Writing: 80%", one every 5 s) then say how long each phase took.
stamp() {
  local start="$1" line
  while IFS= read -r line; do
    printf '%7.1f s  %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$start" 'BEGIN { print a - b }')" "$line"
  done
}

WALL=""
RSS_MB=""
CPU=""
IMPORTED=""
PRESENT=""
CUT=""

# Runs `tribune import disqus FILE …` under /usr/bin/time -v as NAME: its summary in
# $WORK/NAME.out, its stamped stderr in $WORK/NAME.err; sets WALL (s), RSS_MB, CPU,
# IMPORTED and PRESENT. An import still running after $LIMIT s is stopped: CUT then says
# how far it got (IMPORTED and PRESENT are empty).
run_import() {
  local name="$1" start elapsed status=0
  shift
  log "tribune import disqus ${FILE##*/} $*"
  start="$EPOCHREALTIME"
  CUT=""
  /usr/bin/time -v -o "$WORK/$name.time" timeout --signal=INT --kill-after=30 "$LIMIT" \
    "$BIN" import disqus "$FILE" "$@" 2>&1 >"$WORK/$name.out" | stamp "$start" >"$WORK/$name.err" || status=$?
  if [ "$status" != 0 ]; then
    if grep -q 'Command exited with non-zero status 124' "$WORK/$name.time"; then
      CUT="stopped after $LIMIT s at $(grep -E '(Reading|Writing): [0-9]+%' "$WORK/$name.err" | tail -n 1 | awk '{ print $3, $4 }')"
      log "$name: $CUT (BENCH_IMPORT_TIMEOUT)"
    else
      cat "$WORK/$name.err" "$WORK/$name.out" "$WORK/$name.time" >&2 || true
      die "the import ($name) failed"
    fi
  fi
  elapsed="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/$name.time")"
  WALL="$(awk -v t="$elapsed" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }')"
  RSS_MB="$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$WORK/$name.time")"
  CPU="$(sed -n 's/.*Percent of CPU this job got: //p' "$WORK/$name.time")"
  IMPORTED="$(sed -n 's/^Comments: \([0-9]*\) imported, .*/\1/p' "$WORK/$name.out")"
  PRESENT="$(sed -n 's/^Comments: [0-9]* imported, \([0-9]*\) already present.*/\1/p' "$WORK/$name.out")"
  [ -n "$WALL" ] && [ -n "$RSS_MB" ] && { [ -n "$CUT" ] || { [ -n "$IMPORTED" ] && [ -n "$PRESENT" ]; }; } \
    || { cat "$WORK/$name.out" "$WORK/$name.time" >&2; die "cannot read the import's summary or /usr/bin/time's figures ($name)"; }
  log "$name: $WALL s, peak RSS $RSS_MB MiB, ${IMPORTED:-?} imported, ${PRESENT:-?} already present"
}

# Runs `tribune export --format FORMAT` of the whole site under /usr/bin/time -v and adds
# a row to EXPORTS: wall time, peak RSS, the file's size.
run_export() {
  local backend="$1" label="$2" format="$3" out="$WORK/export-$1.$3" wall rss
  shift 3
  log "tribune export --format $format ($backend)"
  /usr/bin/time -v -o "$WORK/export-$backend-$format.time" \
    "$BIN" export --format "$format" --output "$out" "$@" >/dev/null 2>"$WORK/export-$backend-$format.err" \
    || { cat "$WORK/export-$backend-$format.err" >&2; die "the export ($backend, $format) failed"; }
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/export-$backend-$format.time")"
  wall="$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }')"
  rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$WORK/export-$backend-$format.time")"
  EXPORTS+="| $label | $format | $wall s | $rss MiB | $(mib "$(stat -c %s "$out")") MiB |"$'\n'
  [ "$(awk -v m="$rss" 'BEGIN { print (m * 1.048576 < 200) }')" = 1 ] || FAILED+="$backend $format export memory, "
  rm -f "$out"
}

# The stamped second of the last progress line of a phase ("Reading" or "Writing"): about
# when it ended (the lines come every 5 s).
phase_end() { awk -v p="$1:" '$3 == p { t = $1 } END { print t + 0 }' "$WORK/$2.err"; }

# SQL on the backend's database.
query() {
  if [ "$1" = postgres ]; then
    pg "$PG_DB" -At -c "$2"
  else
    sqlite3 -readonly -cmd '.timeout 10000' "$WORK/data-sqlite/tribune.db" "$2"
  fi
}

db_size() {
  if [ "$1" = postgres ]; then
    query postgres "SELECT pg_database_size(current_database())"
  else
    du -cb "$WORK/data-sqlite"/tribune.db* | awk 'END { print $1 }'
  fi
}

mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

# --- main ----------------------------------------------------------------------------------

STARTED="$(date +%s)"
tools=(sqlite3:sqlite3 python3:python3)
[ -x /usr/bin/time ] || tools+=(gnu-time-missing:time)
[[ " $BACKENDS " != *" postgres "* ]] || tools+=(psql:postgresql-client)
install_packages "${tools[@]}"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
build
generate
FSYNC="$(fsync_ms "$WORK")"

ROWS=""
CHECKS=""
PHASES=""
LOADS=""
FAILED=""
SQLITE_WALL=""
SQLITE_RSS=""
PG_INFO=""
DRY_DONE=0
EXPORTS=""

for backend in $BACKENDS; do
  if [ "$backend" = postgres ]; then
    if ! pg postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
      log "PostgreSQL is not reachable at $PG_SERVER: skipping it (set BENCH_PG_URL)"
      ROWS+="| PostgreSQL | skipped: no server at \`$PG_SERVER\` | | | | | |"$'\n'
      continue
    fi
    create_pg_database
    URL="$PG_SERVER/$PG_DB"
    PG_INFO=" PostgreSQL $(pg postgres -Atc 'SHOW server_version' | cut -d' ' -f1) on the same machine"
    PG_INFO+=" (fsync=$(pg postgres -Atc 'SHOW fsync'), synchronous_commit=$(pg postgres -Atc 'SHOW synchronous_commit'),"
    PG_INFO+=" shared_buffers=$(pg postgres -Atc 'SHOW shared_buffers'), max_wal_size=$(pg postgres -Atc 'SHOW max_wal_size'))."
    LABEL="PostgreSQL"
  else
    URL="sqlite://$WORK/data-sqlite/tribune.db"
    LABEL="SQLite (WAL, synchronous=FULL)"
  fi
  DATA="$WORK/data-$backend"
  ARGS=(--create-missing --database-url "$URL" --data-dir "$DATA")

  # Reading alone, once: with --dry-run no draft is made, so every thread matches nothing
  # and nothing is written; what is left is reading the file and laying it out.
  if [ "$DRY_DONE" = 0 ]; then
    LOADS+="dry run $(cut -d' ' -f1 /proc/loadavg), "
    run_import "dry-$backend" "${ARGS[@]}" --dry-run
    DRY_ROW="| reading only (\`--dry-run\`, $LABEL, nothing matched) | $WALL s | | $RSS_MB MiB | $CPU | | |"
    DRY_DONE=1
  fi

  LOADS+="$backend $(cut -d' ' -f1 /proc/loadavg), "
  run_import "first-$backend" "${ARGS[@]}"
  if [ -n "$CUT" ]; then
    DONE="$(query "$backend" "SELECT COUNT(*) FROM comments")"
    ROWS+="| $LABEL, first import | **$CUT** | $(awk -v n="$DONE" -v s="$WALL" 'BEGIN { printf "%.0f", n / s }') | $RSS_MB MiB | $CPU | $DONE comments written when stopped | $(mib "$(db_size "$backend")") MiB |"$'\n'
    PHASES+="| $LABEL | $(phase_end Reading "first-$backend") s | (stopped) | $WALL s |"$'\n'
    [ "$backend" != sqlite ] || { SQLITE_WALL="$WALL"; SQLITE_RSS="$RSS_MB"; }
    CHECKS+="| $LABEL | not checked: the import was stopped | | | | | | | |"$'\n'
    continue
  fi
  FIRST_WALL="$WALL" FIRST_RSS="$RSS_MB" FIRST_IMPORTED="$IMPORTED"
  RATE="$(awk -v n="$IMPORTED" -v s="$WALL" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')"
  SIZE="$(db_size "$backend")"
  ROWS+="| $LABEL, first import | $WALL s | $RATE | $RSS_MB MiB | $CPU | $IMPORTED imported, $PRESENT already present | $(mib "$SIZE") MiB |"$'\n'
  READ_END="$(phase_end Reading "first-$backend")"
  WRITE_END="$(phase_end Writing "first-$backend")"
  PHASES+="| $LABEL | $READ_END s | $WRITE_END s | $WALL s |"$'\n'
  if [ "$backend" = sqlite ]; then
    SQLITE_WALL="$WALL"
    SQLITE_RSS="$RSS_MB"
  fi

  LOADS+="$backend again $(cut -d' ' -f1 /proc/loadavg), "
  run_import "again-$backend" "${ARGS[@]}"
  ROWS+="| $LABEL, the same file again | ${CUT:-$WALL s} | | $RSS_MB MiB | $CPU | ${IMPORTED:-?} imported, ${PRESENT:-?} already present | $(mib "$(db_size "$backend")") MiB |"$'\n'
  IDEM="yes"
  if [ -n "$CUT" ]; then
    IDEM="not known: $CUT"
  elif [ "$IMPORTED" != 0 ] || [ "$PRESENT" != "$FIRST_IMPORTED" ]; then
    IDEM="**no**: $IMPORTED imported, $PRESENT already present (expected 0 and $FIRST_IMPORTED)"
    FAILED+="$backend idempotence, "
  fi

  # The rows themselves: what the summary said, what the generator wrote.
  COMMENTS="$(query "$backend" "SELECT COUNT(*) FROM comments")"
  DISQUS_ROWS="$(query "$backend" "SELECT COUNT(*) FROM comments WHERE source = 'disqus'")"
  ARTICLES="$(query "$backend" "SELECT COUNT(*) FROM articles")"
  DELETED="$(query "$backend" "SELECT COUNT(*) FROM comments WHERE status = 'deleted'")"
  REJECTED="$(query "$backend" "SELECT COUNT(*) FROM comments WHERE status = 'rejected'")"
  MAXDEPTH="$(query "$backend" "SELECT MAX(depth) FROM comments")"
  TOPS="$(query "$backend" "SELECT COUNT(*) FROM comments WHERE parent_id IS NULL")"
  COUNTED="$(query "$backend" "SELECT COALESCE(SUM(comment_count), 0) FROM articles")"
  PUBLISHED="$(query "$backend" "SELECT COUNT(*) FROM comments WHERE status = 'published'")"
  ROWS_OK="yes"
  if [ "$COMMENTS" != "$FIRST_IMPORTED" ] || [ "$DISQUS_ROWS" != "$FIRST_IMPORTED" ]; then
    ROWS_OK="**no**"
    FAILED+="$backend rows, "
  fi
  CHECKS+="| $LABEL | $COMMENTS ($ROWS_OK) | $ARTICLES | $PUBLISHED / $COUNTED | $DELETED | $REJECTED | $TOPS | $MAXDEPTH | $IDEM |"$'\n'

  # Leaving with everything: the issue asks that it stays under 200 MB of memory.
  for format in json disqus wxr; do
    run_export "$backend" "$LABEL" "$format" --database-url "$URL" --data-dir "$DATA"
  done
done

SUMMARY="$(cat "$WORK"/first-sqlite.out 2>/dev/null || true)"
[ -n "$SUMMARY" ] || SUMMARY="$(cat "$WORK"/first-postgres.out 2>/dev/null || true)"
[ -n "$SUMMARY" ] || SUMMARY="(none: the import was stopped before its summary)"
MEASURES=""
if [ -n "$SQLITE_WALL" ]; then
  SCALE=""
  [ "$POSTS" = 1000000 ] || SCALE=" (the targets are for 1,000,000 posts; this run had $POSTS)"
  MEASURES+="| SQLite import of the file, wall time | $SQLITE_WALL s | < $TARGET_SECONDS s: $(verdict "$SQLITE_WALL < $TARGET_SECONDS")$SCALE |"$'\n'
  MEASURES+="| SQLite import, peak RSS | $SQLITE_RSS MiB ($(awk -v m="$SQLITE_RSS" 'BEGIN { printf "%.0f", m * 1.048576 }') MB) | < $TARGET_RSS_MB MB: $(verdict "$SQLITE_RSS * 1.048576 < $TARGET_RSS_MB")$SCALE |"$'\n'
fi
RUNTIME="$(($(date +%s) - STARTED))"

REPORT="$(cat <<EOF
## Tribune import benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

Commit $(revision), $("$BIN" --version). Machine: $(machine).
Filesystem: $(findmnt -n -o FSTYPE -T "$WORK"), fdatasync after an 8 KiB write: $FSYNC.${PG_INFO}
1-minute load average before each import: ${LOADS%, }. Whole run: $RUNTIME s.

The file: \`bench/gen_disqus.py --posts $POSTS --threads $DISQUS_THREADS --seed $SEED\`,
$FILE_BYTES bytes ($(mib "$FILE_BYTES") MiB). $(stat_of top) posts at the top, $(stat_of depth_1_to_3) at depth 1-3,
$(stat_of depth_over_3) deeper (deepest $(stat_of max_depth), $(stat_of chains) long chains); $(stat_of deleted) deleted
($(stat_of deleted_with_replies) with replies), $(stat_of spam) spam; $(stat_of non_ascii_bodies) bodies with non-ASCII text;
$(stat_of entities) bodies entity-encoded, the rest CDATA; $(stat_of replies_before_parent) replies before their parent in the file;
biggest thread $(stat_of biggest_thread) posts, $(stat_of threads_over_10k) threads of 10,000+, $(stat_of threads_under_5) of fewer than 5.

### \`/usr/bin/time -v tribune import disqus FILE --create-missing\`

| import | wall time | comments/s | peak RSS | CPU | summary | database size |
| --- | ---: | ---: | ---: | ---: | --- | ---: |
${ROWS%$'\n'}
${DRY_ROW:-}

Phases of the first import, from its progress lines (one every 5 s, so each end is known
to 5 s): reading and laying out the file, then writing.

| backend | reading ended by | writing ended by | total |
| --- | ---: | ---: | ---: |
${PHASES%$'\n'}

### Rows after both imports

| backend | comments (= imported?) | articles | published / articles' comment_count sum | deleted | rejected (spam) | at the top | deepest | second import added nothing |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${CHECKS%$'\n'}

### Exporting the imported site: \`/usr/bin/time -v tribune export --format F --output FILE\`

| backend | format | wall time | peak RSS (target < 200 MB) | file |
| --- | --- | ---: | ---: | ---: |
${EXPORTS%$'\n'}

| measure | value | target |
| --- | --- | --- |
${MEASURES%$'\n'}

The first import's summary:

\`\`\`
$SUMMARY
\`\`\`
EOF
)"

printf '\n%s\n' "$REPORT"
printf '%s\n' "$REPORT" >"$RESULTS"
log "Written to ${RESULTS#"$ROOT"/} ($RUNTIME s)"
[ -z "$FAILED" ] || die "checks failed: ${FAILED%, }"
