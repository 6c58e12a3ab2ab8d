#!/usr/bin/env bash
# Browser tests: serve a fresh demo database with the debug binary and drive it with Debian's
# Chromium through playwright-core. Needs /usr/bin/chromium (apt: chromium) and node.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /usr/bin/chromium ] || { echo "browser tests need /usr/bin/chromium (apt-get install chromium)"; exit 1; }
(cd tests/browser && npm ci --silent --no-audit --no-fund)
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
password=browser-test-$RANDOM$RANDOM
target/debug/zjtx demo --data "$data" --listen "127.0.0.1:$port" --demo-password "$password" > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$data/server.log"; exit 1; }
  sleep 0.5
done
ZJTX_URL="http://127.0.0.1:$port" ZJTX_PASSWORD="$password" ZJTX_BROWSER_OUT="$PWD/target/browser" \
  node --test tests/browser/
