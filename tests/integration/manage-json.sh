#!/bin/bash
# acmectl --json, field by field (docs/json.md: "schema": 1, times in
# RFC 3339 UTC, the same names everywhere); exit statuses (2 for every
# verb's usage errors, 3 when the daemon cannot be reached); reload, by
# `acmectl reload` and SIGHUP: a bad acmed.conf refuses it whole, a bad
# renewal file quarantines its lineage only.
source "$(dirname "$0")/lib.sh"

start_pebble
echo 'renew_jitter = 0;' >"$T/acmed.conf"
start_acmed
A=a.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
TIME='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

json() { # FILTER ARGS...: run acmectl --json ARGS and apply the jq FILTER
	local filter=$1
	shift
	"$ACMECTL" --json "$@" >"$T/out.json" || true
	jq -r "$filter" "$T/out.json"
}
is_time() { # VALUE DESC
	grep -Eq "$TIME" <<<"$1" || fail "$2: '$1' is not an RFC 3339 UTC time"
}

# certonly
"$ACMECTL" --json certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email >"$T/c.json" 2>/dev/null || fail "certonly --json failed"
assert_eq "$(jq -r '[.schema, .name, .version, .hook_failures, (.hooks | length)] | join(" ")' \
	"$T/c.json")" "1 $A 1 0 0" "certonly JSON"
is_time "$(jq -r .not_after "$T/c.json")" "certonly not_after"
assert_eq "$(jq -r .fullchain_path "$T/c.json")" "$T/state/live/$A/fullchain.pem" "fullchain_path"

# certificates
c='.certificates[0]'
assert_eq "$(json "[.schema, $c.name, ($c.domains | join(\",\")), $c.authenticator, $c.job_running,
	$c.failures, $c.version, $c.key_type, $c.valid, $c.last_result.status] | join(\" \")" \
	certificates)" "1 $A $A standalone false 0 1 ECDSA true issued" "certificates JSON"
for f in not_before not_after next_renewal last_result.at; do
	is_time "$(jq -r "$c.$f" "$T/out.json")" "certificates $f"
done
assert_match "$(jq -r "$c.serial" "$T/out.json")" "^[0-9a-f]+$"
assert_eq "$(jq -r "$c.server" "$T/out.json")" "$PEBBLE_DIR_URL" "server"

# status
assert_eq "$(json '[.schema, .certificates, .jobs_running, .jobs_queued, .hooks_pending,
	(.jobs | length), .next_renewal.name, (.failing | length)] | join(" ")' status)" \
	"1 1 0 0 0 0 $A 0" "status JSON"
for f in started next_wakeup next_renewal.at; do
	is_time "$(jq -r ".$f" "$T/out.json")" "status $f"
done
assert_match "$(jq -r .pid "$T/out.json")" "^[0-9]+$"

# renew: not due, then a dry run
assert_eq "$(json '[.schema, .dry_run, (.renewed | length), (.failed | length),
	.not_due[0].name, (.skipped | length), .hook_failures] | join(" ")' renew)" \
	"1 false 0 0 $A 0 0" "renew JSON"
is_time "$(jq -r .not_due[0].not_after "$T/out.json")" "renew not_after"
is_time "$(jq -r .not_due[0].next_renewal "$T/out.json")" "renew next_renewal"
assert_eq "$(json '[.dry_run, .renewed[0].name] | join(" ")' renew --dry-run)" "true $A" \
	"renew --dry-run JSON"

# errors as JSON: from the daemon (exit 1), and no daemon at all (exit 3)
rc=0
"$ACMECTL" --json revoke --cert-name nosuch >"$T/err.json" 2>/dev/null || rc=$?
assert_eq "$rc" 1 "exit status of a refused command"
assert_eq "$(jq -r '[.schema, .error.code] | join(" ")' "$T/err.json")" "1 not-found" "error JSON"
rc=0
"$ACMECTL" --json --socket "$T/none.sock" status >"$T/err.json" 2>/dev/null || rc=$?
assert_eq "$rc" 3 "exit status without a daemon"
assert_eq "$(jq -r '[.schema, .error.code] | join(" ")' "$T/err.json")" "1 unreachable" \
	"unreachable JSON"

# every verb's usage errors: exit 2, nothing sent
for verb in certonly renew revoke delete certificates check repair status reload; do
	assert_exit 2 "$ACMECTL" "$verb" --no-such-option
done
assert_exit 2 "$ACMECTL" account show --no-such-option
assert_exit 2 "$ACMECTL" no-such-verb
assert_exit 2 "$ACMECTL" certonly --standalone
assert_match "$OUT" "no domains given: use -d DOMAIN"
assert_exit 2 "$ACMECTL" renew extra-argument
assert_exit 2 "$ACMECTL" status extra-argument

# reload: a renewal file edited by hand takes effect...
na=$(cert_json "$A" not_after)
echo 'renew_before_expiry = "100d";' >>"$T/state/renewal/$A.conf"
assert_eq "$(json '[.schema, .reloaded, .certificates] | join(" ")' reload)" "1 true 1" \
	"reload JSON"
assert_eq "$(cert_json "$A" next_renewal)" "$((na - 100 * 86400))" "renew_before_expiry reloaded"
# ...a bad acmed.conf is refused whole, and nothing changes (also by SIGHUP)...
cp "$T/acmed.conf" "$T/acmed.conf.good"
printf 'renew_jitter = 0;\nmax_parallel_jobs = "many";\n' >"$T/acmed.conf"
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "$T/acmed.conf:2: max_parallel_jobs: must be an integer"
cp "$T/acmed.conf.good" "$T/acmed.conf"
cp "$T/state/renewal/$A.conf" "$T/a.conf.good"
printf '# acmed.conf for manage-json\nrenew_jitter = 0;\n' >"$T/acmed.conf"
printf 'max_parallel_jobs = "many";\n' >>"$T/acmed.conf"
kill -HUP "$ACMED_PID"
wait_until 5 "SIGHUP's refusal" grep -q "reload refused, the running configuration stays" \
	"$T/acmed.log"
assert_exit 0 "$ACMECTL" status
cp "$T/acmed.conf.good" "$T/acmed.conf"
# ...and a renewal file that does not parse quarantines its lineage: the
# others are reloaded, it is reported (exit 1), never renewed or rewritten.
sed -i 's/^renew_before_expiry = .*/renew_before_expiry = "soon";/' "$T/state/renewal/$A.conf"
sum=$(sha256sum <"$T/state/renewal/$A.conf")
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "1 quarantined \(fix and reload\): .*renewal/$A.conf:[0-9]+: renew_before_expiry: must be a duration"
assert_exit 1 "$ACMECTL" renew --cert-name "$A" --force-renewal
assert_eq "$(sha256sum <"$T/state/renewal/$A.conf")" "$sum" "the quarantined file, untouched"
kill -HUP "$ACMED_PID"
wait_until 5 "SIGHUP's quarantine" grep -q "1 quarantined (fix and reload)" "$T/acmed.log"
cp "$T/a.conf.good" "$T/state/renewal/$A.conf"
sed -i '/renew_before_expiry/d' "$T/state/renewal/$A.conf"
kill -HUP "$ACMED_PID"
wait_until 5 "SIGHUP's reload" grep -q "reloaded acmed.conf and 1 renewal files" "$T/acmed.log"
assert_eq "$(cert_json "$A" next_renewal)" "$((na - 30 * 86400))" "the default rule again"

# Many lineages: answers longer than a request may be (64 KiB) still come
# whole: 800 clones of A through the store's own layout, then a reload.
# (One Python process for the 6,400 files: a shell loop of cp, ln and sed
# took half a minute of CPU.)
"$PYTHON" - "$T/state" "$A" <<-'EOF'
	import os, re, shutil, sys
	s, a = sys.argv[1:]
	os.umask(0o077)  # renewal files are 0600, as acmed writes them
	conf = open(f"{s}/renewal/{a}.conf").read()
	for i in range(1, 801):
	    n = f"clone-{i}"
	    shutil.copytree(f"{s}/archive/{a}", f"{s}/archive/{n}", symlinks=True)
	    os.mkdir(f"{s}/live/{n}")
	    for f in ("cert", "chain", "fullchain", "privkey"):
	        os.symlink(f"../../archive/{n}/{f}1.pem", f"{s}/live/{n}/{f}.pem")
	    with open(f"{s}/renewal/{n}.conf", "w") as out:
	        out.write(re.sub(r"(?m)^name = .*$", f'name = "{n}";', conf))
	EOF
assert_exit 0 "$ACMECTL" reload
assert_eq "$(json '.certificates | length' certificates)" 801 "all 801 lineages listed"
assert_exit 0 "$ACMECTL" certificates
assert_eq "$(grep -c "Certificate Name:" <<<"$OUT")" 801 "all 801 in the text listing"
assert_eq "$(json '[.problems, (.lineages | length)] | join(" ")' check)" "0 801" \
	"check of 801 lineages"
stop_acmed
pass
