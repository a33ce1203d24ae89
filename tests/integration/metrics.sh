#!/bin/bash
# Metrics: `acmectl metrics`, metrics_file and metrics_listen give the same
# Prometheus text, clean under `promtool check metrics`; the file is
# replaced whole (read in a loop while it is rewritten every second, it is
# never seen half-written); a real Prometheus scrapes the listener and a
# PromQL query through its HTTP API returns each lineage's notAfter; the
# listener answers GET /metrics only, and stays bounded: idle connections
# beyond its limit are refused and the idle ones closed at its deadline.
source "$(dirname "$0")/lib.sh"
require_cmd promtool prometheus

start_pebble
start_ca_proxy
# Pebble has no ARI: the proxy answers renewalInfo with a window far ahead.
ARI='"ari": {"start": "'$(date -u -d '+300 days' +%FT%TZ)'", "end": "'$(date -u -d '+301 days' +%FT%TZ)'", "retry_after": 86400}'
proxy_config "{$ARI}"
MPORT=$(free_port)
mkdir "$T/textfile"
PROM=$T/textfile/acmed.prom
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
metrics_file = "$PROM";
metrics_interval = "1s";
metrics_listen = "127.0.0.1:$MPORT";
EOF
start_acmed

A=a.$TEST_DOMAIN
B=b.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$B" --no-autorenew
# A's window, to see it in the metrics.
ari_known() {
	[[ $(cert_json "$A" ari.window_start) != null ]]
}
wait_until 30 "A's ARI window" ari_known
ws_a=$(cert_json "$A" ari.window_start)
we_a=$(cert_json "$A" ari.window_end)

# A failure for B, to be counted.
proxy_config "{\"down\": true, $ARI}"
assert_exit 1 acmectl renew --cert-name "$B" --force-renewal
proxy_config "{$ARI}"
na_a=$(cert_json "$A" not_after)
na_b=$(cert_json "$B" not_after)
nb_a=$(cert_json "$A" not_before)

# ---------------------------------------------------------------- acmectl metrics

assert_exit 0 acmectl metrics
printf '%s\n' "$OUT" >"$T/ctl.prom"
promtool check metrics <"$T/ctl.prom" >"$T/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$T/promtool.out")"
metric() { # FILE SERIES: its value
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}
m=$T/ctl.prom
assert_eq "$(metric "$m" "acmed_certificate_not_after_timestamp_seconds{name=\"$A\"}")" "$na_a" "A's notAfter"
assert_eq "$(metric "$m" "acmed_certificate_not_after_timestamp_seconds{name=\"$B\"}")" "$na_b" "B's notAfter"
assert_eq "$(metric "$m" "acmed_certificate_not_before_timestamp_seconds{name=\"$A\"}")" "$nb_a" "A's notBefore"
assert_eq "$(metric "$m" "acmed_certificate_next_renewal_timestamp_seconds{name=\"$A\"}")" \
	"$(cert_json "$A" next_renewal)" "A's next renewal"
assert_eq "$(metric "$m" "acmed_certificate_next_renewal_timestamp_seconds{name=\"$B\"}")" "" \
	"B's next renewal (autorenew off: none)"
assert_eq "$(metric "$m" "acmed_certificate_autorenew{name=\"$B\"}")" 0 "B's autorenew"
assert_eq "$(metric "$m" "acmed_certificate_ari_window_start_timestamp_seconds{name=\"$A\"}")/$(metric "$m" "acmed_certificate_ari_window_end_timestamp_seconds{name=\"$A\"}")" \
	"$ws_a/$we_a" "A's ARI window"
assert_eq "$(metric "$m" "acmed_certificate_alert_level{name=\"$A\"}")" 0 "A's alert level"
assert_eq "$(metric "$m" 'acmed_hook_runs_total{kind="alert",result="success"}')" 0 \
	"alert hook runs (none configured)"
assert_eq "$(metric "$m" "acmed_certificate_consecutive_failures{name=\"$B\"}")" 1 "B's failures"
assert_eq "$(metric "$m" "acmed_certificate_last_attempt_timestamp_seconds{name=\"$B\"}")" \
	"$(cert_json "$B" last_attempt)" "B's last attempt"
assert_eq "$(metric "$m" 'acmed_renewals_total{result="success"}')" 2 "successful renewals"
assert_eq "$(metric "$m" 'acmed_renewals_total{result="failure"}')" 1 "failed renewals"
assert_eq "$(metric "$m" 'acmed_alerts_total{event="renewal-failed"}')" 1 "renewal-failed alerts"
assert_eq "$(metric "$m" 'acmed_certificates')" 2 "certificates"
assert_eq "$(metric "$m" 'acmed_jobs_running')" 0 "jobs running"
assert_match "$(grep '^acmed_build_info' "$m")" '^acmed_build_info\{version="[^"]+"\} 1$'
# The jobs' requests to the CA, by endpoint and status, with their latency.
for series in 'endpoint="directory",status="200"' 'endpoint="newNonce",status="200"' \
	'endpoint="newAccount",status="201"' 'endpoint="newOrder",status="201"' \
	'endpoint="authz",status="200"' 'endpoint="challenge",status="200"' \
	'endpoint="finalize",status="200"' 'endpoint="certificate",status="200"'; do
	n=$(metric "$m" "acmed_acme_request_duration_seconds_count{$series}")
	[[ -n $n ]] && ((n >= 1)) || fail "no request counted for {$series}"
	assert_eq "$(metric "$m" "acmed_acme_request_duration_seconds_bucket{$series,le=\"+Inf\"}")" "$n" \
		"the +Inf bucket of {$series}"
done
assert_eq "$(metric "$m" 'acmed_acme_request_duration_seconds_count{endpoint="directory",status="0"}')" 1 \
	"the unanswered directory request of the failed renewal"
assert_eq "$(metric "$m" 'acmed_start_time_seconds')" \
	"$(date -d "$(acmectl --json status | jq -r .started)" +%s)" "start time"

# ---------------------------------------------------------------- metrics_file

# Read it as fast as we can while acmed replaces it every second: every read
# is whole (it ends with the last family's last line), and it was replaced
# meanwhile (a new inode each time).
assert_file "$PROM"
last=$(tail -n 1 "$m")
lines=$(wc -l <"$m")
# The file is rewritten every metrics_interval, so it may still be the one
# written before B's issuance: wait for a version that holds both lineages.
for ((i = 0; i < 50; i++)); do
	grep -qF "$last" "$PROM" && break
	sleep 0.1
done
grep -qF "$last" "$PROM" || fail "metrics_file never showed B within 5 s of interval 1 s"
inodes=()
start=$EPOCHSECONDS
reads=0
while ((EPOCHSECONDS < start + 4)); do
	exec {fd}<"$PROM"
	inodes+=("$(stat -L -c %i "/proc/self/fd/$fd")")
	text=$(cat <&"$fd")
	exec {fd}<&-
	[[ $(tail -n 1 <<<"$text") == "$last" ]] ||
		fail "metrics_file read half-written (read $reads): ends with '$(tail -n 1 <<<"$text")'"
	(($(wc -l <<<"$text") == lines)) || fail "metrics_file read with $(wc -l <<<"$text") lines, not $lines"
	reads=$((reads + 1))
done
distinct=$(printf '%s\n' "${inodes[@]}" | sort -u | wc -l)
((distinct >= 2)) || fail "metrics_file was not rewritten during $reads reads"
say "$reads whole reads of metrics_file across $distinct versions"
promtool check metrics <"$PROM" >"$T/promtool.out" 2>&1 ||
	fail "promtool check metrics on metrics_file: $(cat "$T/promtool.out")"
assert_eq "$(metric "$PROM" "acmed_certificate_not_after_timestamp_seconds{name=\"$A\"}")" "$na_a" \
	"A's notAfter in metrics_file"
[[ $(stat -c %a "$PROM") == 644 ]] || fail "metrics_file mode $(stat -c %a "$PROM"), not 644"

# ---------------------------------------------------------------- metrics_listen

URL=http://127.0.0.1:$MPORT
curl -sf "$URL/metrics" >"$T/http.prom" || fail "GET /metrics failed"
promtool check metrics <"$T/http.prom" >"$T/promtool.out" 2>&1 ||
	fail "promtool check metrics on the listener: $(cat "$T/promtool.out")"
assert_match "$(curl -sI "$URL/metrics" -X GET | tr -d '\r' | grep -i '^content-type')" \
	'text/plain; version=0.0.4'
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" 404 "GET /"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL/metrics")" 405 "POST /metrics"

# A real Prometheus scrapes it.
start_prometheus "127.0.0.1:$MPORT" 1s
query() { # PROMQL: the result as "name value" lines, sorted
	curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$PPORT/api/v1/query" |
		jq -r '.data.result[] | "\(.metric.name) \(.value[1])"' | sort
}
scraped() {
	[[ $(query 'acmed_certificate_not_after_timestamp_seconds' | wc -l) == 2 ]]
}
wait_until 60 "Prometheus's first scrape" scraped
assert_eq "$(query 'acmed_certificate_not_after_timestamp_seconds')" \
	"$(printf '%s %s\n%s %s' "$A" "$na_a" "$B" "$na_b")" "notAfter through PromQL"
assert_eq "$(query 'up{job="acmed"}' | cut -d' ' -f2)" 1 "the target is up"

# The Grafana dashboard (docs/grafana): every query in it is valid PromQL
# that Prometheus evaluates, and every acmed metric it names is one acmed
# exposes.
DASH=$REPO_DIR/docs/grafana/acmed-dashboard.json
jq -r '.panels[].targets[].expr' "$DASH" >"$T/dash.exprs"
(($(wc -l <"$T/dash.exprs") >= 15)) || fail "the dashboard has too few queries"
while read -r expr; do
	expr=${expr//'instance=~"$instance"'/'instance=~".*"'}
	expr=${expr//'$__rate_interval'/30s}
	st=$(curl -s --data-urlencode "query=$expr" "http://127.0.0.1:$PPORT/api/v1/query" |
		jq -r '.status + " " + (.error // "")')
	[[ $st == "success " ]] || fail "dashboard query $expr: $st"
done <"$T/dash.exprs"
for m in $(grep -o 'acmed_[a-z_]*' "$T/dash.exprs" | sed 's/_\(bucket\|count\|sum\)$//' | sort -u); do
	grep -q "^# TYPE $m " "$T/http.prom" || fail "the dashboard names $m, which acmed does not expose"
done

# Bounded: 8 idle connections take every slot; a ninth is closed unanswered;
# at the deadline (10 s) the idle ones are closed and scrapes work again.
idle=()
for i in 1 2 3 4 5 6 7 8; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$MPORT"
	idle+=("$fd")
done
wait_until 5 "the ninth connection refused" \
	bash -c "! curl -sf -m 2 '$URL/metrics' >/dev/null"
served() {
	curl -sf -m 2 "$URL/metrics" >/dev/null
}
wait_until 20 "scrapes after the idle connections' deadline" served
for fd in "${idle[@]}"; do
	read -r -t 1 -u "$fd" && fail "an idle connection got an answer"
	exec {fd}<&-
done
assert_exit 0 acmectl status

stop_acmed
pass
