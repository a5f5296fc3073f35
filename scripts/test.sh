#!/usr/bin/env bash
# Runs every test: unit tests, storage and HTTP tests on SQLite *and* PostgreSQL, the
# command line, the HTML checker and the discussion in a headless Chromium. Starts what
# the tests need if it is not running, and installs the tools they need if they are missing.
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
# The browser test: Debian's Chromium, driven by npm's playwright-core (which must never
# download a browser of its own: `playwright install` cannot work here).
PLAYWRIGHT_DIR="$PWD/.tools/node_modules/playwright-core"
# axe-core, injected into each kind of page by the browser test's accessibility check.
AXE="$PWD/.tools/node_modules/axe-core/axe.min.js"
CHROMIUM="${TRIBUNE_CHROMIUM:-/usr/bin/chromium}"
if [ -z "${TRIBUNE_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser test…"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
# The embed's browser test serves the embedding page from Debian's nginx (its own config,
# pid and temp files in a temporary directory, run as the current user).
NGINX="${TRIBUNE_NGINX:-/usr/sbin/nginx}"
if [ -z "${TRIBUNE_NGINX:-}" ] && [ ! -x /usr/sbin/nginx ]; then
  echo "Installing nginx for the embed's browser test…"
  apt-get update -qq && apt-get install -y -qq nginx >/dev/null
fi
export TRIBUNE_NGINX="$NGINX"
# One npm call for whichever of the two is missing.
npm_missing=()
[ -f "$VNU_JAR" ] || npm_missing+=(vnu-jar)
[ -f "$PLAYWRIGHT_DIR/package.json" ] || npm_missing+=(playwright-core)
[ -f "$AXE" ] || npm_missing+=(axe-core)
if [ ${#npm_missing[@]} -gt 0 ]; then
  echo "Installing ${npm_missing[*]} (npm) into .tools/…"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npm install --prefix .tools --no-audit --no-fund --silent "${npm_missing[@]}" >/dev/null
fi
export TRIBUNE_VNU_JAR="$VNU_JAR"
export TRIBUNE_PLAYWRIGHT_DIR="$PLAYWRIGHT_DIR"
export TRIBUNE_AXE="$AXE"
export TRIBUNE_CHROMIUM="$CHROMIUM"

# Tests that could not run say so (`SKIPPED: test: reason` on stderr, and in this file);
# they are listed again at the end, pass or fail, so that none passes silently.
TRIBUNE_SKIPPED_LOG="$(mktemp)"
export TRIBUNE_SKIPPED_LOG
summarise_skipped() {
  if [ -s "$TRIBUNE_SKIPPED_LOG" ]; then
    echo "$(wc -l <"$TRIBUNE_SKIPPED_LOG") test(s) could not run:" >&2
    sort "$TRIBUNE_SKIPPED_LOG" >&2
  fi
  rm -f "$TRIBUNE_SKIPPED_LOG"
}
trap summarise_skipped EXIT

cargo test --workspace --all-targets "$@"
