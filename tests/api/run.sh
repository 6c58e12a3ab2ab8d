#!/usr/bin/env bash
# Contract fuzzing of the API: serve a fresh demo database with the debug binary, then run
# Schemathesis (from PyPI, pinned in requirements.txt) against /api/v1/openapi.json as each role —
# generated valid and invalid inputs for every operation; any 5xx answer, or an answer whose
# status, content type or body the document does not describe, fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/api-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/api/requirements.txt
fi
. tests/demo-server.sh
users=(city xihu firm bank provider)
# Every token first: fuzzing the sign-in operation fails many sign-ins from this address, and the
# limiter then (rightly) refuses this address's next ones for a while — a token asked for after
# one role's run was refused that way now and then.
declare -A tokens
for user in "${users[@]}"; do
  answer=$(curl -s -w '\n%{http_code}' -X POST "$base/api/v1/auth/token" \
    -H 'content-type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"$password\"}")
  status=${answer##*$'\n'}
  if [ "$status" != 200 ]; then
    echo "the token of $user was refused: HTTP $status ${answer%$'\n'*}"
    tail -20 "$data/server.log"
    exit 1
  fi
  tokens[$user]=$(printf '%s' "${answer%$'\n'*}" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
done
for user in "${users[@]}"; do
  token=${tokens[$user]}
  echo "== Schemathesis as $user"
  "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,fuzzing --max-examples 25 --workers 2 --seed 1 \
    --warnings off --no-color
done
if grep -q "panicked" "$data/server.log"; then
  echo "the server panicked during the run:"; grep -A5 "panicked" "$data/server.log"; exit 1
fi
