#!/bin/bash
# An alert mailed through a real local MTA: a private Postfix instance (its
# own configuration, queue and mailbox under the test's directory; no
# network listener) delivers acmed's mail to a mailbox on this host, and
# the mailbox holds the alert with its subject and facts.
if ((EUID != 0)); then
	echo "skip: alert-mail: needs root (Postfix's master)"
	exit 77
fi
source "$(dirname "$0")/lib.sh"
require_cmd postfix
[[ -x /usr/sbin/sendmail && -x /usr/lib/postfix/sbin/master ]] || skip "no Postfix sendmail"

# ---------------------------------------------------------------- Postfix

PF=$T/postfix
mkdir -p "$PF/conf" "$PF/queue" "$PF/data" "$PF/spool"
chmod 711 "$T" # Postfix's own user reaches its queue below
chown postfix "$PF/data" "$PF/spool"
cp /etc/postfix/master.cf "$PF/conf/"
cat >"$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
master_service_disable = inet
inet_interfaces = loopback-only
myhostname = mail.acmed.test
mydestination = mail.acmed.test, acmed.test, localhost
alias_maps =
alias_database =
virtual_alias_maps = inline:{ ops@acmed.test=postfix }
mail_spool_directory = $PF/spool
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
biff = no
EOF
postfix -c "$PF/conf" start >"$T/postfix.out" 2>&1 || fail "postfix start: $(cat "$T/postfix.out")"
at_exit "postfix -c '$PF/conf' stop >/dev/null 2>&1"
# acmed runs the system's sendmail with this instance's configuration.
cat >"$T/sendmail" <<EOF
#!/bin/sh
exec /usr/sbin/sendmail -C "$PF/conf" "\$@"
EOF
chmod +x "$T/sendmail"

# ---------------------------------------------------------------- acmed

start_pebble
start_ca_proxy
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
alert_email = "ops@acmed.test";
sendmail = "$T/sendmail";
EOF
start_acmed
A=a.$TEST_DOMAIN
assert_exit 0 acmectl certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$HTTP01_PORT" -d "$A" --agree-tos --register-unsafely-without-email
proxy_config '{"down": true}'
assert_exit 1 acmectl renew --cert-name "$A" --force-renewal

MBOX=$PF/spool/postfix
wait_until 60 "the alert in the mailbox" grep -q "^Subject: \\[acmed\\]" "$MBOX"
assert_match "$(grep '^Subject:' "$MBOX")" \
	"^Subject: \\[acmed\\] [^ ]+: $A: renewal failed \\(1 failure in a row\\)$"
assert_contains "$MBOX" "X-Original-To: ops@acmed.test"
assert_contains "$MBOX" "Auto-Submitted: auto-generated"
assert_contains "$MBOX" "ACMED_EVENT=renewal-failed"
assert_contains "$MBOX" "ACMED_CERT_NAME=$A"
assert_contains "$MBOX" "ACMED_FAILURES=1"
assert_match "$(grep '^ACMED_LAST_ERROR=' "$MBOX")" "loading the CA's directory failed"
assert_eq "$(grep -c '^Subject:' "$MBOX")" 1 "mails in the mailbox"
assert_match "$(cat "$PF/maillog")" "status=sent \\(delivered to mailbox\\)"
stop_acmed
pass
