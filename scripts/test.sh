#!/usr/bin/env bash
# The whole test suite: every crate on SQLite; the storage suite and the two-instances test on
# PostgreSQL when a server answers (ZJTX_TEST_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/test); the browser tests when Debian's Chromium is installed;
# the API's contract fuzzing (Schemathesis, from PyPI) when Python 3 is; the deployment files
# (tests/deploy/run.sh: nginx and PostgreSQL when present, the container where Docker runs).
# Each leg that cannot run here says that it was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
pg_url=${ZJTX_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "== storage suite on PostgreSQL ($pg_url)"
  ZJTX_TEST_DATABASE_URL=$pg_url cargo test -p zjtx-store --test store
  echo "== two server instances on one PostgreSQL"
  ZJTX_TEST_DATABASE_URL=$pg_url cargo test -p zjtx-web --test instances
  # Each test made a database of its own; drop them.
  if command -v psql >/dev/null; then
    psql "$pg_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'zjtx_t_%'" 2>/dev/null |
      while read -r db; do psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
  fi
else
  echo "== PostgreSQL leg SKIPPED: no server at 127.0.0.1:5432 (the storage suite ran on SQLite only)"
fi
echo "== deployment files (systemd unit, nginx with TLS over two instances, container file)"
tests/deploy/run.sh
if [ -x /usr/bin/chromium ] && command -v node >/dev/null; then
  echo "== browser tests (Debian's Chromium driven by playwright-core)"
  tests/browser/run.sh
else
  echo "== browser tests SKIPPED: they need /usr/bin/chromium (apt-get install chromium) and node"
fi
if command -v python3 >/dev/null && python3 -c 'import venv' 2>/dev/null; then
  echo "== API contract fuzzing (Schemathesis against /api/v1/openapi.json, as each role)"
  tests/api/run.sh
else
  echo "== API contract fuzzing SKIPPED: it needs python3 with venv (Schemathesis comes from PyPI)"
fi
