# Sourced by the browser and API test runners: serves a fresh demo database with the debug binary
# on a random loopback port, sets $base, $password and $data (the server's log is $data/server.log),
# waits until it answers, and stops it and removes the data when the runner exits.
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
password=suite-pass-$RANDOM$RANDOM
target/debug/zjtx demo --data "$data" --listen "127.0.0.1:$port" --demo-password "$password" > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$data/server.log"; exit 1; }
  sleep 0.5
done
base="http://127.0.0.1:$port"
