#!/usr/bin/env bash
# Browser tests: serve a fresh demo database with the debug binary and drive it with Debian's
# Chromium through playwright-core. Needs /usr/bin/chromium (apt: chromium) and node.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /usr/bin/chromium ] || { echo "browser tests need /usr/bin/chromium (apt-get install chromium)"; exit 1; }
(cd tests/browser && npm ci --silent --no-audit --no-fund)
. tests/demo-server.sh
ZJTX_URL="$base" ZJTX_PASSWORD="$password" ZJTX_BROWSER_OUT="$PWD/target/browser" \
  node --test tests/browser/
