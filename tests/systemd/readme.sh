#!/bin/bash
# The README's commands under a real systemd as PID 1, with the units as
# shipped and no drop-in: a Debian 12 root (tests/systemd/mkroot.sh, cached)
# booted with systemd-nspawn -b, the build installed into it with
# `meson install --destdir`, `systemctl enable --now acmed.socket
# acmed.service`, and then, against a Pebble on the host's loopback:
#
#   socket-activation  the service stopped, `acmectl certificates` starts it
#   (certonly)         `acmectl certonly --standalone` (every check below
#                      needs it, so it is not a check of its own)
#   status             `systemctl status acmed` shows acmed's STATUS=
#   reload             `systemctl reload acmed` re-reads, same process
#   journal            `journalctl -u acmed`, and a job's lines found by
#                      their ACMED_CERT_NAME= and ACMED_JOB= fields
#   group-member       a member of group acmed lists, may not change;
#                      anyone else cannot connect
#   renew              `acmectl renew --dry-run`, `--force-renewal`
#   stop-start-job     `systemctl stop acmed` with a job running ends the
#                      job and its hook; `start` brings acmed back intact
#   security           `systemd-analyze security acmed.service` <= 2.5,
#                      with no credit for ProtectProc= (root ignores it)
#   failing-renewal    a failed renewal is in STATUS= and at warning level
#   deploy-hook-nginx  a deploy hook `systemctl reload nginx` reloads nginx
#   deploy-hook-etc    a deploy hook copies the certificate into /etc/nginx
#                      and finds nginx by name: hooks run in a transient
#                      unit of their own, outside acmed's sandbox
#   webroot            `acmectl certonly --webroot -w /var/www/html`
#   webroot-elsewhere  a web root the unit does not list fails with an
#                      error naming the drop-in; with that drop-in applied
#                      as the error says, the same command works
#   webroot-www-data   the same for a web root of www-data's that root may
#                      not write into without CAP_DAC_OVERRIDE
#   nginx-run          the README's "With nginx" command: `acmectl run
#                      --nginx --redirect` edits Debian's nginx once, the
#                      CA validates through it (workers as www-data), nginx
#                      serves the certificate; a renewal leaves nginx's
#                      files alone and the saved `systemctl reload nginx`
#                      makes it serve the new one
#   hook-stop          `systemctl stop acmed` stops a deploy hook's own
#                      unit; `start` runs the unfinished hook again
#
# Each check runs to its end on its own: one failing does not hide the
# others. The test fails if any failed, and lists them. Arguments name the
# checks to run (default: all), e.g. `readme.sh journal webroot`.
#
# Skipped (exit 77) when this machine cannot do it: not root, no
# systemd-nspawn or mmdebstrap, no Debian mirror to build the root from, or
# nspawn cannot start a container here.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib.sh"

CHECKS=(socket-activation status reload journal group-member renew stop-start-job security
	failing-renewal deploy-hook-nginx deploy-hook-etc webroot webroot-elsewhere webroot-www-data
	nginx-run hook-stop)
MAX_EXPOSURE=2.5
for c in "$@"; do
	[[ " ${CHECKS[*]} " == *" $c "* ]] || fail "unknown check '$c' (checks: ${CHECKS[*]})"
done
if (($#)); then
	WANTED=("$@")
else
	WANTED=("${CHECKS[@]}")
fi

container_require
require_cmd jq openssl curl
container_root
# No authorization reuse: failing-renewal needs a renewal that validates.
start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
container_boot
container_install

# in_root PATH: PATH inside the container, as the host sees it.
in_root() {
	printf '/proc/%s/root%s\n' "$LEADER" "$1"
}

# actl ARGS...: acmectl inside the container, as root.
actl() {
	ctr acmectl "$@"
}

# journal_cursor: the journal's current end, for `journal_since`.
journal_cursor() {
	ctr journalctl -n 0 --show-cursor --quiet | sed -n 's/^-- cursor: //p'
}

# journal_since CURSOR ARGS...: journal entries after CURSOR, with ARGS
# (e.g. -u acmed).
journal_since() {
	local cursor=$1
	shift
	ctr journalctl --no-pager --quiet --after-cursor="$cursor" "$@"
}

# ------------------------------------------------------------- installing

say "systemd-sysusers and systemd-tmpfiles --create, as a package does"
assert_exit 0 ctr systemd-sysusers acmed.conf
assert_exit 0 ctr systemd-tmpfiles --create acmed.conf
assert_exit 0 ctr getent group acmed
assert_exit 0 ctr systemctl daemon-reload

# acmed.conf where the installed acmed reads it (the build's prefix decides),
# pointing at the host's Pebble; Pebble's HTTPS CA next to it.
config=$(ctr acmed --help | sed -n 's/.*--config FILE .*(default \(.*\))$/\1/p')
[[ $config == /* ]] || fail "no default configuration file in acmed --help"
ctr mkdir -p "${config%/*}"
ctr_write "${config%/*}/pebble-ca.pem" <"$PEBBLE_CA_BUNDLE"
ctr_write "$config" <<EOF
# written by tests/systemd/readme.sh: the host's Pebble
server = "$PEBBLE_DIR_URL";
ca_bundle = "${config%/*}/pebble-ca.pem";
EOF

say "systemctl enable --now acmed.socket acmed.service (the README's line)"
assert_exit 0 ctr systemctl enable --now acmed.socket acmed.service
assert_eq "$(ctr systemctl is-active acmed.socket acmed.service | paste -sd' ')" \
	"active active" "acmed.socket and acmed.service after enable --now"
assert_eq "$(ctr stat -c '%a %U:%G %F' /run/acmed/acmed.sock)" "660 root:acmed socket" \
	"/run/acmed/acmed.sock"

# ------------------------------------------------------------- the checks

check_socket_activation() {
	assert_exit 0 ctr systemctl stop acmed.service
	assert_eq "$(ctr systemctl is-active acmed.service || true)" inactive "acmed.service after stop"
	assert_eq "$(ctr systemctl is-active acmed.socket)" active "acmed.socket after stopping the service"
	local cursor
	cursor=$(journal_cursor)
	# The first connection starts the service; acmectl waits in the queue.
	assert_exit 0 ctr timeout 30 acmectl certificates
	assert_match "$OUT" "No certificates found"
	assert_eq "$(ctr systemctl is-active acmed.service)" active "acmed.service after acmectl"
	journal_since "$cursor" -u acmed.service >"$T/journal.out"
	assert_contains "$T/journal.out" "using the control socket systemd passed \\(fd 3\\)"
}

DOMAIN=one.$TEST_DOMAIN
STANDALONE=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")

# The README's certonly, with Pebble's http-01 port: every check after
# socket-activation needs its lineage, so a failure ends the test.
certonly() {
	local live
	say "acmectl certonly --standalone -d $DOMAIN -m you@example.com --agree-tos"
	assert_exit 0 actl certonly "${STANDALONE[@]}" -d "$DOMAIN" -m you@example.com --agree-tos
	assert_match "$OUT" "Certificate is saved at: /var/lib/acmed/live/$DOMAIN/fullchain.pem"
	live=$(in_root "/var/lib/acmed/live/$DOMAIN")
	assert_exit 0 openssl verify -CAfile "$PEBBLE_ROOT" -untrusted "$live/chain.pem" "$live/cert.pem"
}

check_status() {
	assert_exit 0 ctr systemctl status --no-pager --lines=0 acmed
	assert_match "$OUT" "Active: active \\(running\\)"
	assert_match "$OUT" "Status: \"1 certificate, next renewal $DOMAIN at [0-9-]+ [0-9:]+ UTC\""
}

check_reload() {
	local pid cursor
	pid=$(ctr systemctl show -P MainPID acmed)
	cursor=$(journal_cursor)
	if ! ctr systemctl reload acmed >"$T/reload.out" 2>&1; then
		journal_since "$cursor" >>"$T/reload.out" || true
		cat "$T/reload.out" >&2
		fail "systemctl reload acmed failed (its output and the journal above)"
	fi
	assert_eq "$(ctr systemctl is-active acmed)" active "acmed after reload"
	assert_eq "$(ctr systemctl show -P MainPID acmed)" "$pid" "acmed's main PID after reload"
	journal_since "$cursor" -u acmed.service >"$T/journal.out"
	assert_contains "$T/journal.out" "reloaded acmed.conf and [0-9]+ renewal files"
	assert_contains "$T/journal.out" "Reloaded acmed.service"
}

check_journal() {
	ctr journalctl --no-pager -u acmed >"$T/journal.out"
	assert_contains "$T/journal.out" "acmed\\[[0-9]+\\]: .*ready: 0 certificates in /var/lib/acmed"
	# The job's own lines, as acmed(8) says: its fields find them.
	ctr journalctl --no-pager -u acmed -o json "ACMED_CERT_NAME=$DOMAIN" >"$T/job.json"
	[[ -s $T/job.json ]] ||
		fail "journalctl -u acmed ACMED_CERT_NAME=$DOMAIN shows nothing (acmed(8)'s example)"
	assert_contains "$T/job.json" '"ACMED_JOB":"[0-9]+"'
	assert_contains "$T/job.json" '"PRIORITY":"6"'
	assert_match "$(jq -r .MESSAGE "$T/job.json")" "worker done in [0-9.]+ s"
}

check_group_member() {
	assert_exit 0 ctr useradd --no-create-home --groups acmed alice
	assert_exit 0 ctr useradd --no-create-home bob
	assert_exit 0 ctr runuser -u alice -- acmectl certificates
	assert_match "$OUT" "Certificate Name: $DOMAIN"
	assert_exit 1 ctr runuser -u alice -- acmectl renew --cert-name "$DOMAIN" --force-renewal
	assert_match "$OUT" "permission denied"
	assert_exit 3 ctr runuser -u bob -- acmectl certificates
}

check_renew() {
	assert_exit 0 actl renew --dry-run
	assert_exit 0 actl renew --cert-name "$DOMAIN" --force-renewal
	assert_eq "$(readlink "$(in_root "/var/lib/acmed/live/$DOMAIN/cert.pem")")" \
		"../../archive/$DOMAIN/cert2.pem" "live/$DOMAIN after --force-renewal"
}

# _procs NAME: the PIDs (inside) of the container's processes called NAME.
_procs() {
	ctr sh -c 'for f in /proc/[0-9]*/comm; do read -r c <"$f" 2>/dev/null &&
		[ "$c" = "$1" ] && { p=${f#/proc/}; echo "${p%/comm}"; }; done; true' sh "$1"
}

# status_is TEXT: acmed's STATUS= is TEXT.
status_is() {
	[[ $(ctr systemctl show -P StatusText acmed) == "$1" ]]
}

# in_cgroup TEXT: a process of acmed.service's cgroup has TEXT in its
# command line (as `systemctl status` lists them).
in_cgroup() {
	local out
	out=$(ctr systemctl status --no-pager --lines=0 acmed) || true
	grep -qF -- "$1" <<<"$out"
}

check_stop_start_job() {
	local start stopped rc=0 i
	# A job that waits in its authorization hook for a minute.
	ctr acmectl certonly --manual --manual-auth-hook 'sleep 61' --preferred-challenges http \
		-d "slow.$TEST_DOMAIN" >"$T/slow.out" 2>&1 &
	local ctl=$!
	wait_until 10 "a running job in acmed's STATUS=" status_is "renewing 1 of 1: slow.$TEST_DOMAIN"
	wait_until 10 "the job's hook in acmed.service's cgroup" in_cgroup "sleep 61"
	ctr systemctl status --no-pager --lines=0 acmed >"$T/status.out" || true
	assert_contains "$T/status.out" "acmed-job"
	start=$EPOCHREALTIME
	assert_exit 0 ctr timeout 60 systemctl stop acmed
	stopped=$(_elapsed "$start")
	say "systemctl stop acmed with a job running took $stopped s"
	((${stopped%.*} < 10)) || fail "stopping acmed with a job running took $stopped s"
	assert_eq "$(_procs acmed-job)$(_procs sleep)" "" "processes of the job after stop"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$ctl" 2>/dev/null || break
		sleep 0.1
	done
	wait "$ctl" || rc=$?
	say "acmectl whose job was stopped: exit $rc: $(tail -n 1 "$T/slow.out")"
	((rc != 0)) || fail "acmectl certonly reported success for a job stopped by systemctl stop"
	assert_exit 0 ctr systemctl start acmed
	assert_exit 0 actl certificates
	assert_match "$OUT" "Certificate Name: $DOMAIN"
	assert_exit 0 actl check
}

check_security() {
	assert_exit 0 ctr systemd-analyze security --no-pager acmed.service
	local score
	score=$(sed -n 's/.*Overall exposure level for acmed.service: \([0-9.]*\).*/\1/p' <<<"$OUT")
	[[ -n $score ]] || fail "no exposure level in: $OUT"
	say "systemd-analyze security acmed.service, inside: $score"
	# Nothing is credited that does not hold for a root service.
	assert_match "$OUT" "✗ ProtectProc="
	awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' ||
		fail "exposure $score is above $MAX_EXPOSURE"
}

check_failing_renewal() {
	local name=broken.$TEST_DOMAIN dead status rc try
	assert_exit 0 actl certonly "${STANDALONE[@]}" -d "$name"
	# Its next renewal answers on a port where nothing listens.
	dead=$(free_port)
	ctr sed -i "s/http01_port = $HTTP01_PORT/http01_port = $dead/" \
		"/var/lib/acmed/renewal/$name.conf"
	# (acmectl's reload: this check is about the failure, not ExecReload=.)
	assert_exit 0 actl reload
	# Pebble reuses a valid authorization for about 1 order in 100 even at
	# PEBBLE_AUTHZREUSE=0; such a renewal meets no challenge and succeeds,
	# so it is run again until one does.
	for try in 1 2 3; do
		OUT=$(actl renew --cert-name "$name" --force-renewal 2>&1) && rc=0 || rc=$?
		printf '# $ acmectl renew --cert-name %s --force-renewal  -> exit %s\n' "$name" "$rc"
		[[ $rc == 0 && $OUT == *"(reused)"* ]] || break
		say "Pebble reused the authorization; renewing once more"
	done
	[[ $rc == 1 ]] || fail "the renewal on a dead port exited $rc, expected 1: $OUT"
	status=$(ctr systemctl show -P StatusText acmed)
	say "STATUS= after the failed renewal: $status"
	# (Not only its name: it is named as the next renewal when its due time
	# happens to be the earliest.)
	assert_match "$status" "([Ff]ail|[Ee]rror).*$name|$name.*([Ff]ail|[Ee]rror)"
	# The admin's command as it is (the lineage's name is this check's
	# own). Not after a cursor: journalctl 252 finds nothing with both
	# --after-cursor and -p. journald may not have stored the entry yet
	# when acmectl returns.
	wait_until 10 "the failed renewal in journalctl -u acmed -p warning" \
		journal_has "renewal of $name failed" -u acmed -p warning
}

# journal_has TEXT ARGS...: an entry of journalctl ARGS has TEXT.
journal_has() {
	local text=$1
	shift
	ctr journalctl --no-pager --quiet "$@" | grep -F -- "$text" >/dev/null
}

# nginx_site PORT: nginx's default site on 127.0.0.1:PORT, serving
# /var/www/html (not on port 80: the container shares the host's network).
nginx_site() {
	ctr_write /etc/nginx/sites-enabled/default <<-EOF
		server {
		    listen 127.0.0.1:$1;
		    root /var/www/html;
		}
	EOF
}

check_deploy_hook_nginx() {
	local name=hook.$TEST_DOMAIN cursor
	nginx_site "$(free_port)"
	assert_exit 0 ctr systemctl start nginx
	cursor=$(journal_cursor)
	assert_exit 0 actl certonly "${STANDALONE[@]}" -d "$name" --deploy-hook "systemctl reload nginx"
	journal_since "$cursor" -u nginx.service >"$T/nginx.out" || true
	assert_contains "$T/nginx.out" "Reloaded nginx.service"
}

check_deploy_hook_etc() {
	local name=copy.$TEST_DOMAIN cursor
	ctr systemctl is-active --quiet nginx || assert_exit 0 ctr systemctl start nginx
	cursor=$(journal_cursor)
	# shellcheck disable=SC2016 # $RENEWED_LINEAGE is the hook's
	assert_exit 0 actl certonly "${STANDALONE[@]}" -d "$name" \
		--deploy-hook 'cp "$RENEWED_LINEAGE/fullchain.pem" /etc/nginx/ && echo "nginx: $(pidof nginx)"'
	assert_exit 0 ctr cmp "/var/lib/acmed/live/$name/fullchain.pem" /etc/nginx/fullchain.pem
	journal_since "$cursor" -u acmed >"$T/hook.out"
	assert_contains "$T/hook.out" "running cp .* in acmed-hook-[0-9]+-[0-9]+\\.service"
	assert_contains "$T/hook.out" "nginx: [0-9]+ [0-9]+"
}

check_webroot() {
	local name=web.$TEST_DOMAIN
	# nginx answers Pebble's http-01 requests from the web root.
	nginx_site "$HTTP01_PORT"
	assert_exit 0 ctr systemctl reload-or-restart nginx
	wait_until 10 "nginx on 127.0.0.1:$HTTP01_PORT" curl -s -o /dev/null "http://127.0.0.1:$HTTP01_PORT/"
	assert_exit 0 actl certonly --webroot -w /var/www/html -d "$name" -d "www.$name" \
		--email admin@example.com --agree-tos
	assert_match "$OUT" "Certificate is saved at: /var/lib/acmed/live/$name/fullchain.pem"
}

check_webroot_elsewhere() {
	local name=site.$TEST_DOMAIN
	# A web root the unit does not list: refused, with the fix.
	nginx_site "$HTTP01_PORT"
	assert_exit 0 ctr sed -i 's|root /var/www/html;|root /opt/site;|' \
		/etc/nginx/sites-enabled/default
	assert_exit 0 ctr mkdir -p /opt/site
	assert_exit 0 ctr systemctl reload-or-restart nginx
	assert_exit 1 actl certonly --webroot -w /opt/site -d "$name"
	assert_match "$OUT" "webroot /opt/site is not writable: Read-only file system: acmed.service"
	assert_match "$OUT" "run \`systemctl edit acmed.service\`, add the lines \`\[Service\]\` and \`ReadWritePaths=/opt/site\`, then \`systemctl restart acmed.service\`"
	# The fix as the error words it (systemctl edit writes override.conf).
	apply_fix "$OUT" override.conf
	assert_exit 0 actl certonly --webroot -w /opt/site -d "$name"
	assert_match "$OUT" "Certificate is saved at: /var/lib/acmed/live/$name/fullchain.pem"
}

# apply_fix OUTPUT FILE: the drop-in lines OUTPUT's error names (`[Service]`,
# then each `Key=value` it quotes), written to FILE in acmed.service.d/
# as `systemctl edit` would, then acmed restarted with them.
apply_fix() {
	local dropin
	dropin=$(printf '[Service]\n'; grep -oE '`[A-Za-z]+=[^`]*`' <<<"$1" | tr -d '`')
	say "drop-in $2: $(paste -sd' ' <<<"$dropin")"
	ctr mkdir -p /etc/systemd/system/acmed.service.d
	ctr_write "/etc/systemd/system/acmed.service.d/$2" <<<"$dropin"
	assert_exit 0 ctr systemctl daemon-reload
	assert_exit 0 ctr systemctl restart acmed.service
}

check_webroot_www_data() {
	local name=www.$TEST_DOMAIN
	nginx_site "$HTTP01_PORT"
	assert_exit 0 ctr sed -i 's|root /var/www/html;|root /var/www/other;|' \
		/etc/nginx/sites-enabled/default
	assert_exit 0 ctr install -d -o www-data -g www-data -m 0755 /var/www/other
	assert_exit 0 ctr systemctl reload-or-restart nginx
	assert_exit 1 actl certonly --webroot -w /var/www/other -d "$name"
	assert_match "$OUT" "webroot /var/www/other is not writable: Permission denied: acmed.service"
	assert_match "$OUT" "\`CapabilityBoundingSet=CAP_DAC_OVERRIDE\`"
	apply_fix "$OUT" dac.conf
	assert_exit 0 actl certonly --webroot -w /var/www/other -d "$name"
}

# served_serial NAME PORT SERIAL: nginx's TLS answer for NAME on PORT has
# the certificate with SERIAL.
served_serial() {
	local got
	got=$(openssl s_client -connect "127.0.0.1:$2" -servername "$1" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null)
	[[ ${got#serial=} == "$3" ]]
}

# live_serial NAME: the serial of live/NAME/cert.pem in the container.
live_serial() {
	local s
	s=$(openssl x509 -noout -serial -in "$(in_root "/var/lib/acmed/live/$1/cert.pem")")
	printf '%s\n' "${s#serial=}"
}

# redirected NAME: nginx answers http://NAME/ on the http-01 port with 301.
redirected() {
	[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Host: $1" \
		"http://127.0.0.1:$HTTP01_PORT/") == 301 ]]
}

nginx_sums() {
	ctr sh -c 'find /etc/nginx \( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum'
}

check_nginx_run() {
	local name=run.$TEST_DOMAIN tls s1 s2 sums cursor
	tls=$(free_port)
	ctr_write /etc/nginx/sites-enabled/default <<-EOF
		server {
		    listen 127.0.0.1:$HTTP01_PORT;
		    server_name $name;
		    root /var/www/html;
		}
	EOF
	assert_exit 0 ctr systemctl reload-or-restart nginx
	wait_until 10 "nginx on 127.0.0.1:$HTTP01_PORT" curl -s -o /dev/null "http://127.0.0.1:$HTTP01_PORT/"
	assert_exit 0 actl run --nginx -d "$name" --redirect --http-01-port "$HTTP01_PORT" --https-port "$tls" \
		--email admin@example.com --agree-tos -n
	assert_match "$(ctr cat "/var/lib/acmed/renewal/$name.conf")" "systemctl reload nginx"
	s1=$(live_serial "$name")
	wait_until 20 "nginx serving $name's certificate" served_serial "$name" "$tls" "$s1"
	# (nginx -s reload returns before the old workers are gone: poll.)
	wait_until 20 "a 301 on port 80 after --redirect" redirected "$name"
	sums=$(nginx_sums)
	cursor=$(journal_cursor)
	assert_exit 0 actl renew --cert-name "$name" --force-renewal
	s2=$(live_serial "$name")
	[[ $s2 != "$s1" ]] || fail "the renewal did not change the serial"
	wait_until 20 "nginx serving the renewed certificate" served_serial "$name" "$tls" "$s2"
	assert_eq "$(nginx_sums)" "$sums" "nginx's files after the renewal"
	journal_since "$cursor" -u nginx.service >"$T/nginx-run.out" || true
	assert_contains "$T/nginx-run.out" "Reloaded nginx.service"
}

check_hook_stop() {
	local name=stop.$TEST_DOMAIN
	# The web root checks left nginx on the http-01 port.
	assert_exit 0 ctr systemctl stop nginx
	# acmectl waits for the deploy hook; it is left to run in the
	# background, and ends when acmed stops.
	ctr acmectl certonly "${STANDALONE[@]}" -d "$name" \
		--deploy-hook 'echo stopping-hook; sleep 60' >"$T/stop.out" 2>&1 &
	wait_until 20 "the deploy hook's unit running" hook_unit_running
	assert_exit 0 ctr systemctl stop acmed.service
	assert_eq "$(ctr systemctl list-units --no-legend --state=active 'acmed-hook-*')" "" \
		"hook units still active after systemctl stop acmed"
	wait || true
	assert_exit 0 ctr systemctl start acmed.service
	wait_until 20 "the unfinished deploy hook run again" \
		journal_has "$name: 1 deploy hook(s) for version 1 had not finished" -u acmed
	assert_exit 0 ctr systemctl stop acmed.service
}

# hook_unit_running: an acmed-hook-*.service is active.
hook_unit_running() {
	[[ -n $(ctr systemctl list-units --no-legend --state=active 'acmed-hook-*') ]]
}

# ------------------------------------------------------------- running them

FAILED_CHECKS=()
RAN=0
# check NAME: run check_NAME, if wanted, in a subshell of its own (a failed
# assertion ends that check only), and record the result.
check() {
	local name=$1 start rc
	[[ " ${WANTED[*]} " == *" $name "* ]] || return 0
	say "---- check $name"
	start=$EPOCHREALTIME
	set +e
	(
		set -e
		"check_${name//-/_}"
	)
	rc=$?
	set -e
	RAN=$((RAN + 1))
	if ((rc == 0)); then
		say "---- check $name: ok ($(_elapsed "$start") s)"
	else
		say "---- check $name: FAILED ($(_elapsed "$start") s)"
		FAILED_CHECKS+=("$name")
	fi
}

check socket-activation
certonly
for c in "${CHECKS[@]:1}"; do
	check "$c"
done
# What acmed logged, for a failed check.
ctr journalctl --no-pager -u acmed >"$T/acmed-journal.log" 2>&1 || true
_LOGS+=("$T/acmed-journal.log")
((${#FAILED_CHECKS[@]} == 0)) ||
	fail "${#FAILED_CHECKS[@]} of $RAN checks failed: ${FAILED_CHECKS[*]}"
pass
