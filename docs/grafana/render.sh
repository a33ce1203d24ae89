#!/bin/bash
# Renders docs/grafana/dashboard.png from a real run: a local Pebble issuing
# 5-minute certificates, acmed with its metrics listener, a real Prometheus
# scraping it every 2 s, and render.py drawing acmed-dashboard.json's own
# queries from Prometheus's HTTP API.
#
# Four lineages: www and api renew on their own; legacy has autorenew off
# and runs out; broken's CA (the test proxy) goes down after its first
# certificate, so its renewals fail and back off, until its CA returns
# near the end and `acmectl renew` brings it back.
#
# Usage: docs/grafana/render.sh [BUILD_DIR] [MINUTES]   (default build, 7)
# Needs what the integration tests need, plus python3-matplotlib.
SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=$(cd "${1:-$SOURCE_DIR/build}" && pwd)
MINUTES=${2:-7}
export SOURCE_DIR BUILD_DIR
source "$SOURCE_DIR/tests/integration/lib.sh"
require_cmd prometheus /usr/bin/python3

start_pebble --validity 300
start_ca_proxy
MPORT=$(free_port)
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
metrics_listen = "127.0.0.1:$MPORT";
EOF
start_acmed
start_prometheus "127.0.0.1:$MPORT" 2s
start=$(date +%s)
D=shop.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT"
	--agree-tos --register-unsafely-without-email --deploy-hook true)
for n in www api; do
	assert_exit 0 acmectl certonly "${standalone[@]}" --server "$PEBBLE_DIR_URL" -d "$n.$D"
done
assert_exit 0 acmectl certonly "${standalone[@]}" --server "$PEBBLE_DIR_URL" -d "legacy.$D" \
	--no-autorenew
assert_exit 0 acmectl certonly "${standalone[@]}" -d "broken.$D"
proxy_config '{"down": true}'

say "running for $MINUTES minutes; broken's CA comes back a minute and a half before the end"
sleep $((MINUTES * 60 - 90))
proxy_config '{}'
acmectl renew --cert-name "broken.$D"
sleep 90
acmectl certificates --timeline
end=$(date +%s)
/usr/bin/python3 "$SOURCE_DIR/docs/grafana/render.py" "$SOURCE_DIR/docs/grafana/acmed-dashboard.json" \
	"http://127.0.0.1:$PPORT" "$start" "$end" "$SOURCE_DIR/docs/grafana/dashboard.png" \
	"a real run, Pebble issuing 5-minute certificates, rendered from Prometheus" ||
	fail "render.py failed"
say "wrote docs/grafana/dashboard.png"
pass
