#!/usr/bin/env bash
# The partner API against its own OpenAPI document: start the app on a free loopback port with
# a fresh SQLite database and the demo data, mint a demo API token, run schemathesis, stop.
# Fails on any server error or schema violation. Bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="sqlite:///$WORK/portal.db"
export PORTAL_CONFIG=development
# The API's rate limit stays on, high enough not to throttle the test run itself.
export API_RATE_LIMIT="100000 per minute"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

echo "== database and demo data ($DATABASE_URL)"
timeout 120 .venv/bin/flask --app portal db upgrade >/dev/null
timeout 120 .venv/bin/flask --app portal demo load --reset >/dev/null

echo "== demo API token"
TOKEN="$(timeout 60 "$PY" - <<'PYCODE'
from sqlalchemy import select

from portal import create_app
from portal.db import db
from portal.models import PartnerOrganisation, Role, User
from portal.services.api_tokens import create_api_token

app = create_app()
with app.app_context():
    lead = db.scalar(
        select(User)
        .join(PartnerOrganisation, PartnerOrganisation.id == User.partner_id)
        .where(User.role == Role.PARTNER, User.is_partner_lead.is_(True))
        .order_by(User.id)
    )
    partner = db.get(PartnerOrganisation, lead.partner_id)
    _token, raw = create_api_token(db, partner, lead, "schemathesis")
    db.commit()
    print(raw)
PYCODE
)"

echo "== readmission API token"
RTOKEN="$(timeout 60 .venv/bin/flask --app portal readmissions token create --name schemathesis | tail -n 1)"

echo "== server on 127.0.0.1:$PORT"
.venv/bin/gunicorn -w 2 -b "127.0.0.1:$PORT" --log-level warning 'portal:create_app()' \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.5
done

echo "== schemathesis: partner API (partner token)"
status=0
(cd "$WORK" && timeout 600 "$OLDPWD/.venv/bin/schemathesis" run \
  "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  -H "Authorization: Bearer $TOKEN" \
  --exclude-tag readmissions \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 30 \
  --workers 1 \
  --request-timeout 10 \
  --generation-database none \
  --no-color) || status=$?

echo "== schemathesis: readmission API (readmission token)"
(cd "$WORK" && timeout 600 "$OLDPWD/.venv/bin/schemathesis" run \
  "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  -H "Authorization: Bearer $RTOKEN" \
  --include-tag readmissions \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 30 \
  --workers 1 \
  --request-timeout 10 \
  --generation-database none \
  --no-color) || status=$?

if [ "$status" -ne 0 ]; then
  echo "== server log"
  tail -n 100 "$WORK/server.log"
fi
exit "$status"
