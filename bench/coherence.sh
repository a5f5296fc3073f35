#!/usr/bin/env bash
# Measures the cross-node change latency on PostgreSQL: two nodes in one process on
# loopback, an article saved on one a few hundred times, the time until the other serves
# the new text (p50/p99/max). Target: p99 under 100 ms. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRIBUNE_TEST_POSTGRES_URL="${TRIBUNE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export BENCH_CHANGES="${BENCH_CHANGES:-300}"
nice -n 19 cargo test -q -p tribune --test coherence cross_node_change_latency -- --ignored --nocapture \
    2>&1 | grep -E "cross-node change latency|the write on|panicked|FAILED"
