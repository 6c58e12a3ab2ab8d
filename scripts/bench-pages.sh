#!/usr/bin/env bash
# Enterprise pages read one after another by one client over one connection: the per-page cost of
# a server without the queueing of a loaded benchmark, so two builds can be compared on the same
# PostgreSQL database in turn. Serves BIN on POSTGRES_URL, signs in as USER, reads COUNT pages of
# different firms (a warm-up of 200 first) with curl and prints the seconds and the statuses.
# Usage: scripts/bench-pages.sh BIN POSTGRES_URL USER PASSWORD [COUNT]
#   e.g. after the HTTP benchmark on PostgreSQL left zjtx_bench (user `bench`; set its password
#   with `zjtx user --database-url URL passwd bench --password …`), once per binary, alternated.
set -euo pipefail
bin=$1 db=$2 user=$3 password=$4 count=${5:-2000}
case "$db" in
  postgres*) ;;
  *) echo "a postgres:// URL, please: the firms are listed with psql" >&2; exit 2 ;;
esac
port=18094
url=http://127.0.0.1:$port
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" serve --database-url "$db" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "$url/login"; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.5
done
jar=$work/cookies
curl -s -c "$jar" -b "$jar" "$url/login" -o "$work/login.html"
csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/login.html" | head -1 | sed 's/.*value="//;s/"//')
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
  --data-urlencode "username=$user" --data-urlencode "password=$password" "$url/login"
# The firms, spread over the register (their codes' serial parts in order).
codes="SELECT uscc FROM enterprises ORDER BY substr(uscc, 11) LIMIT $((count + 200))"
psql -At "$db" -c "$codes" | sed "s|.*|url = \"$url/enterprises/&\"\noutput = \"/dev/null\"|" >"$work/pages.cfg"
head -400 "$work/pages.cfg" | curl -s -b "$jar" -K - >/dev/null
tail -n +401 "$work/pages.cfg" >"$work/timed.cfg"
start=$(date +%s.%N)
statuses=$(curl -s -b "$jar" -K "$work/timed.cfg" -w '%{http_code}\n' | sort | uniq -c | tr -s ' \n' ' ')
end=$(date +%s.%N)
echo "$count pages in $(echo "$end - $start" | bc) s (statuses:$statuses)"
