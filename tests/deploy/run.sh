#!/usr/bin/env bash
# The deployment files, tried as an operator would use them:
# 1. deploy/zjtx.service passes `systemd-analyze verify`;
# 2. deploy/nginx-zjtx.conf (TLS, two instances) passes `nginx -t` and serves the platform from
#    two `zjtx serve` started at once on one fresh PostgreSQL database (they migrate it together),
#    configured by deploy/zjtx.example.toml; the request id is nginx's; when one instance is stopped
#    (SIGTERM) the other answers every request;
# 3. deploy/Containerfile builds where a Docker engine runs.
# Each part that cannot run here says that it was skipped. Needs target/debug/zjtx.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=$root/target/debug/zjtx
[ -x "$bin" ] || cargo build -q -p zjtx-cli
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "deploy: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "-- systemd unit"
if command -v systemd-analyze >/dev/null; then
  # The unit as installed names /usr/local/bin/zjtx; here it runs the built binary.
  sed "s|/usr/local/bin/zjtx|$bin|g" deploy/zjtx.service >"$work/zjtx.service"
  out=$(systemd-analyze verify "$work/zjtx.service" 2>&1 || true)
  # Outside a booted systemd the user and the documentation link cannot be looked up; anything
  # else is a mistake in the unit.
  bad=$(printf '%s\n' "$out" | grep -v -e '^$' -e 'Documentation' -e 'usr/share/doc' -e "User=zjtx" -e 'unknown user' -e 'Failed to connect to bus' -e 'Failed to determine' -e 'System has not been booted' || true)
  [ -z "$bad" ] || fail "systemd-analyze verify: $bad"
  echo "unit verified"
else
  echo "systemd unit check SKIPPED: no systemd-analyze"
fi

echo "-- nginx in front of two instances on PostgreSQL"
pg=${ZJTX_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
if ! command -v nginx >/dev/null; then
  echo "nginx check SKIPPED: no nginx (apt-get install nginx-light)"
elif ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null || ! command -v psql >/dev/null; then
  echo "nginx check SKIPPED: no PostgreSQL at 127.0.0.1:5432"
else
  db=zjtx_t_deploy_$$
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  url=${pg%/*}/$db
  a=$(free_port); b=$(free_port); https=$(free_port); http=$(free_port)
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=zjtx.test \
    -addext subjectAltName=DNS:zjtx.test -keyout "$work/zjtx.key" -out "$work/zjtx.crt" 2>/dev/null
  sed -e "s|127.0.0.1:8081|127.0.0.1:$a|; s|127.0.0.1:8082|127.0.0.1:$b|" \
      -e "s|listen 80;|listen 127.0.0.1:$http;|; s|listen 443 ssl http2;|listen 127.0.0.1:$https ssl http2;|" \
      -e '/listen \[::\]/d' -e "s|/etc/nginx/tls/|$work/|" -e 's|zjtx.example.gov.cn|zjtx.test|' \
      deploy/nginx-zjtx.conf >"$work/zjtx.conf"
  cat >"$work/nginx.conf" <<EOF
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http {
  access_log $work/nginx-access.log;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  include $work/zjtx.conf;
}
EOF
  nginx -t -q -c "$work/nginx.conf" -p "$work" || fail "nginx -t"
  # Two instances at once, configured by the example file with the environment over it.
  for port in $a $b; do
    DATABASE_URL=$url ZJTX_LISTEN=127.0.0.1:$port ZJTX_EVIDENCE_DIR=$work/evidence \
      ZJTX_LOG_FORMAT=json "$bin" serve --config deploy/zjtx.example.toml 2>"$work/serve-$port.log" &
    pids+=($!)
  done
  for port in $a $b; do
    for _ in $(seq 1 300); do
      curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      sleep 0.2
    done
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/serve-$port.log" >&2; fail "instance on $port did not start"; }
  done
  echo "both instances started together on $db"
  nginx -c "$work/nginx.conf" -p "$work" || fail "nginx did not start"
  for _ in $(seq 1 50); do [ -f "$work/nginx.pid" ] && break; sleep 0.1; done
  get() { curl -s --cacert "$work/zjtx.crt" --resolve "zjtx.test:$https:127.0.0.1" "$@"; }
  [ "$(get "https://zjtx.test:$https/readyz")" = ready ] || fail "readyz through TLS"
  id=$(get -D - -o /dev/null "https://zjtx.test:$https/login" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-request-id"{print $2}')
  [[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "the request id is not nginx's: '$id'"
  grep -q "\"id\":\"$id\"" "$work"/serve-*.log || fail "no log line carries nginx's request id $id"
  get "https://zjtx.test:$https/login" | grep -q '登录' || fail "the login page through the proxy"
  cookie=$(get -D - -o /dev/null "https://zjtx.test:$https/login" | tr -d '\r' | grep -i '^set-cookie' || true)
  [[ "$cookie" == *Secure* ]] || fail "the sign-in page's cookie is not Secure behind TLS: '$cookie'"
  [ "$(get -o /dev/null -w '%{http_code}' "https://zjtx.test:$https/metrics")" = 404 ] || fail "/metrics reachable through the proxy"
  loc=$(curl -s -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$http/login")
  [[ "$loc" == https://* ]] || fail "plain HTTP is not sent to HTTPS: '$loc'"
  # One instance stops (an upgrade): every request is still answered, by the other.
  kill -TERM "${pids[0]}"
  wait "${pids[0]}" || fail "the stopped instance did not exit cleanly"
  for _ in $(seq 1 20); do
    [ "$(get -o /dev/null -w '%{http_code}' "https://zjtx.test:$https/readyz")" = 200 ] || fail "a request failed while one instance was down"
  done
  echo "TLS proxy: request ids, Secure cookies, /metrics closed, HTTP→HTTPS, one instance down: all answered"
  kill -TERM "${pids[1]}"; wait "${pids[1]}" || fail "the second instance did not exit cleanly"
  pids=()
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
fi

echo "-- container file"
if docker info >/dev/null 2>&1; then
  docker build -q -f deploy/Containerfile -t zjtx-ci . >/dev/null || fail "docker build"
  docker run --rm zjtx-ci config check >/dev/null || fail "the image's zjtx config check"
  echo "container built"
else
  echo "container build SKIPPED: no Docker engine here (the docker client alone cannot build)"
fi
