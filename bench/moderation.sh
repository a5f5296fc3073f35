#!/usr/bin/env bash
# Measures the content signals (word lists, links, the learned filter) on the labelled
# eval split of data/moderation, first with the shipped model, then after the site learned
# the 200 moderators' decisions of the separate decisions split; and, with the shipped
# model, on the comments other writers wrote without seeing either (other-writers.jsonl).
# Prints the reports and writes bench/results-moderation-latest.md. See bench/README.md.
#
#   bench/moderation.sh                          build (release), then measure (under a minute)
#   BENCH_BIN=/path/to/tribune bench/moderation.sh   measure another binary
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
export LC_ALL=C

DATA="$ROOT/data/moderation"
RESULTS="$ROOT/bench/results-moderation-latest.md"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [ -z "${BENCH_BIN:-}" ]; then
  log "Building the release binary"
  cargo build --release -q -p tribune
  BENCH_BIN="$ROOT/target/release/tribune"
fi

# The issue's eval input is a JSON list; the sets are JSON lines.
as_list() { python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.strip()]))' "$1"; }
as_list "$DATA/eval.jsonl" > "$WORK/eval.json"
as_list "$DATA/other-writers.jsonl" > "$WORK/other-writers.json"

site=(--data-dir "$WORK/site")
log "eval with the shipped model (a new, empty site)"
"$BENCH_BIN" "${site[@]}" moderation eval "$WORK/eval.json" --decisions "$WORK/before.jsonl" | tee "$WORK/before.txt"
log "other writers' comments, with the shipped model"
"$BENCH_BIN" "${site[@]}" moderation eval "$WORK/other-writers.json" | tee "$WORK/other.txt"
log "train on the 200 decisions of data/moderation/decisions.jsonl"
"$BENCH_BIN" "${site[@]}" moderation train "$DATA/decisions.jsonl"
log "eval again"
"$BENCH_BIN" "${site[@]}" moderation eval "$WORK/eval.json" --decisions "$WORK/after.jsonl" | tee "$WORK/after.txt"

figure() { awk -F: -v k="$2" 'index($0, k) == 1 { gsub(/[ %ms]/, "", $2); print $2 }' "$1"; }
points() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", (b - a) * 100 }'; }
spam_gain="$(points "$(figure "$WORK/before.txt" "recall on spam")" "$(figure "$WORK/after.txt" "recall on spam")")"
abuse_gain="$(points "$(figure "$WORK/before.txt" "recall on abuse (")" "$(figure "$WORK/after.txt" "recall on abuse (")")"
benign_change="$(awk -v a="$(figure "$WORK/before.txt" "benign held")" -v b="$(figure "$WORK/after.txt" "benign held")" \
  'BEGIN { printf "%+.1f", b - a }')"

{
  echo "# Moderation quality (bench/moderation.sh)"
  echo
  echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores."
  echo "Eval split: $(wc -l < "$DATA/eval.jsonl") items; decisions split: $(wc -l < "$DATA/decisions.jsonl")."
  echo
  echo "## Shipped model"
  echo '```'; cat "$WORK/before.txt"; echo '```'
  echo
  echo "## Other writers' comments ($(wc -l < "$DATA/other-writers.jsonl") items), shipped model"
  echo '```'; cat "$WORK/other.txt"; echo '```'
  echo
  echo "## After 200 moderators' decisions"
  echo '```'; cat "$WORK/after.txt"; echo '```'
  echo
  echo "Change: recall on spam $spam_gain points, on abuse $abuse_gain points; benign held $benign_change points."
} > "$RESULTS"
log "Change: recall on spam $spam_gain points, on abuse $abuse_gain points; benign held $benign_change points"
log "Wrote $RESULTS"
