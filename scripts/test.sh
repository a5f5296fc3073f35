#!/usr/bin/env bash
# Runs every test: unit tests, storage and HTTP tests on SQLite *and* PostgreSQL, the
# command line, and the HTML checker. Starts what the tests need if it is not running.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL: a local server on 127.0.0.1:5432 (user postgres, trust auth), or Debian's.
export TRIBUNE_TEST_POSTGRES_URL="${TRIBUNE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_answers() { psql "$TRIBUNE_TEST_POSTGRES_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; }
if ! pg_answers; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL $(ls /etc/postgresql | head -n1)…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
  fi
fi
if ! pg_answers; then
  echo "error: no PostgreSQL answers at $TRIBUNE_TEST_POSTGRES_URL." >&2
  echo "Start one (e.g. pg_ctlcluster <version> main start) or set TRIBUNE_TEST_POSTGRES_URL." >&2
  exit 1
fi

# The W3C Nu HTML checker, from npm, run on the machine's Java.
if ! command -v java >/dev/null; then
  echo "Installing a Java runtime for the HTML checker…"
  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
fi
VNU_JAR="$PWD/.tools/node_modules/vnu-jar/build/dist/vnu.jar"
if [ ! -f "$VNU_JAR" ]; then
  echo "Installing the Nu HTML checker (npm vnu-jar) into .tools/…"
  npm install --prefix .tools --no-audit --no-fund --silent vnu-jar >/dev/null
fi
export TRIBUNE_VNU_JAR="$VNU_JAR"

cargo test --workspace --all-targets "$@"
