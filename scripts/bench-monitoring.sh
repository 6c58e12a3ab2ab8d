#!/usr/bin/env bash
# The whole-register pages (monitoring and bulletin) on a generated city: for each page, a fresh
# server on the city's data, signed in as `city`, one request timed with curl; prints the time, the
# page's size and the server's peak resident memory (VmHWM); then the same page asked again (what
# the first computed is kept until the firms' data changes) and its second page where it pages.
# Usage: scripts/bench-monitoring.sh [FIRMS] [PAGE…]
#   FIRMS defaults to 300000; the city is made once in target/bench-monitoring-FIRMS (delete it to
#   make it again); PAGE defaults to every whole-register page.
# With LEAVE=PAGE in the environment, a client first asks for that page and leaves after 2 s:
# the time printed then shows whether the page timed had to wait for the abandoned one.
set -euo pipefail
firms=${1:-300000}
shift || true
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  pages=(/monitoring/two-ways /monitoring/rates /monitoring/rule-change /monitoring/bulletin
    /monitoring/projected /monitoring/cohorts)
fi
cd "$(dirname "$0")/.."
cargo build --release -q -p zjtx-cli
bin=$PWD/target/release/zjtx
data=$PWD/target/bench-monitoring-$firms
port=18093
password='Bench-walnut-47x'
url=http://127.0.0.1:$port
# Waits for the server of process $1 to answer (making a large city takes many minutes).
wait_up() {
  while kill -0 "$1" 2>/dev/null; do
    curl -sf -o /dev/null "$url/login" && return 0
    sleep 1
  done
  echo "the server stopped (see $data.log / $data.serve.log)" >&2
  return 1
}
if [ ! -d "$data" ]; then
  echo "making a city of $firms firms in $data (minutes)…"
  "$bin" demo --firms "$firms" --data "$data" --listen "127.0.0.1:$port" \
    --demo-password "$password" >"$data.log" 2>&1 &
  pid=$!
  wait_up "$pid"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
fi
jar=$(mktemp)
page_out=$(mktemp)
trap 'rm -f "$jar" "$page_out"' EXIT
echo "$firms firms; $(nproc) cores"
for page in "${pages[@]}"; do
  "$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$data.serve.log" 2>&1 &
  pid=$!
  wait_up "$pid"
  rm -f "$jar"
  csrf=$(curl -s -c "$jar" -b "$jar" "$url/login" |
    grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  curl -s -c "$jar" -b "$jar" -o /dev/null \
    -d "csrf=$csrf&username=city&password=$password" "$url/login"
  if [ -n "${LEAVE:-}" ]; then
    curl -s -b "$jar" -o /dev/null -m 2 "$url$LEAVE" || true
  fi
  took=$(curl -s -b "$jar" -o "$page_out" -w '%{http_code} %{time_total}' "$url$page")
  peak=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
  echo "$page: HTTP ${took% *}, ${took#* } s, $(stat -c %s "$page_out") bytes, peak memory $peak MB"
  case $page in
    */two-ways) next="$page?became=2" ;;
    */rule-change) next="$page?old=2" ;;
    */projected) next="$page?page=2" ;;
    *) next=$page ;;
  esac
  for again in "$page" "$next"; do
    took=$(curl -s -b "$jar" -o "$page_out" -w '%{http_code} %{time_total}' "$url$again")
    echo "  again $again: HTTP ${took% *}, ${took#* } s, $(stat -c %s "$page_out") bytes"
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done
