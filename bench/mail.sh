#!/usr/bin/env bash
# Mails per second through the outbox to an SMTP sink on loopback, on SQLite and on
# PostgreSQL: one node's worker, BENCH_MAILS messages queued first. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRIBUNE_TEST_POSTGRES_URL="${TRIBUNE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export BENCH_MAILS="${BENCH_MAILS:-2000}"
nice -n 19 cargo test -q -p tribune --test mail outbox_throughput -- --ignored --nocapture \
    2>&1 | grep -E "outbox to SMTP sink|panicked|FAILED"
