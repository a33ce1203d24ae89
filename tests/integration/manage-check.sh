#!/bin/bash
# acmectl check and repair on lineages broken on purpose, and acmectl
# delete. Each broken lineage has two versions, live/ at the second:
#   dangling   chain2.pem removed: live/chain.pem dangles
#   flat       live/ links copied over by regular files (a backup restore)
#   empty      cert2.pem truncated to zero bytes
#   mismatch   privkey2.pem replaced by another lineage's key
#   mixed      live/cert.pem pointing at version 1, the others at 2
#   lostarch   only live/'s flattened files left, the archive emptied
#   modes      privkey1.pem and privkey2.pem readable by everyone, and
#              its renewal file too
# check reports each (exit 1); repair relinks to the version the check
# picks (version 1 where 2 is broken, never simply the highest), makes
# flattened links links again, saves live/'s own files when no archive
# version holds them, closes key modes; then check passes.
source "$(dirname "$0")/lib.sh"

start_pebble
echo 'hook_timeout = "2s";' >"$T/acmed.conf"
start_acmed
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
s=$T/state
names=(dangling flat empty mismatch mixed lostarch modes keep)
first=1
for n in "${names[@]}"; do
	reg=()
	((first)) && reg=(--agree-tos --register-unsafely-without-email) && first=0
	for v in 1 2; do
		assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$n.$TEST_DOMAIN" \
			--cert-name "$n" "${reg[@]}"
		reg=(--force-renewal)
	done
done
assert_exit 0 "$ACMECTL" check
assert_match "$OUT" "All 8 lineage\\(s\\) are whole."

# Break them.
rm "$s/archive/dangling/chain2.pem"
for f in cert chain fullchain privkey; do
	cp --remove-destination "$(readlink -f "$s/live/flat/$f.pem")" "$s/live/flat/$f.pem"
done
: >"$s/archive/empty/cert2.pem"
install -m 0600 "$s/archive/keep/privkey2.pem" "$s/archive/mismatch/privkey2.pem.new"
mv "$s/archive/mismatch/privkey2.pem.new" "$s/archive/mismatch/privkey2.pem"
ln -sfn ../../archive/mixed/cert1.pem "$s/live/mixed/cert.pem"
for f in cert chain fullchain privkey; do
	cp --remove-destination "$(readlink -f "$s/live/lostarch/$f.pem")" "$s/live/lostarch/$f.pem"
done
rm "$s/archive/lostarch/"*.pem
chmod 0644 "$s/archive/modes/privkey1.pem" "$s/archive/modes/privkey2.pem"
chmod 0644 "$s/renewal/modes.conf"
keep_before=$(cd "$s" && find archive/keep live/keep -printf '%p %l %s %m\n' | sort)

# check: every problem, by lineage; exit 1.
assert_exit 1 "$ACMECTL" check
assert_match "$OUT" "dangling: .*problem"
assert_match "$OUT" "live/dangling/chain.pem points at ../../archive/dangling/chain2.pem, which does not exist"
assert_match "$OUT" "live/flat/cert.pem is a regular file, not a link into archive/flat"
assert_match "$OUT" "archive/empty version 2: cert is empty"
assert_match "$OUT" "archive/mismatch version 2: privkey does not match cert"
assert_match "$OUT" "live/mixed links point at different versions \\(privkey 2, cert 1, chain 2, fullchain 2\\)"
assert_match "$OUT" "live/lostarch/privkey.pem is a regular file"
assert_match "$OUT" "archive/modes/privkey1.pem has mode 0644"
assert_match "$OUT" "renewal/modes.conf has mode 0644: it should be 0600"
assert_match "$OUT" "keep: ok"
assert_match "$OUT" "7 lineage\\(s\\) with problems"
"$ACMECTL" --json check --cert-name mixed --cert-name keep >"$T/check.json" && fail "check --json exited 0"
assert_eq "$(jq -r '[.schema, .problems, (.lineages | map(.name + "=" + (.ok | tostring)) | join(","))] | join(" ")' "$T/check.json")" \
	"1 1 mixed=false,keep=true" "check JSON"
assert_exit 1 "$ACMECTL" check --cert-name nosuch
assert_match "$OUT" "no certificate named 'nosuch'"

# repair: each to the version the check picks.
assert_exit 0 "$ACMECTL" repair
for n in dangling empty mismatch; do
	assert_eq "$(live_version "$n")" 1 "$n: back to version 1, the newest good one"
done
assert_eq "$(live_version mixed)" 2 "mixed: all at version 2"
assert_eq "$(live_version flat)" 2 "flat: links again, at the version they held"
assert_eq "$(live_version lostarch)" 1 "lostarch: live/'s files saved as a version again"
assert_match "$OUT" "lostarch: saved what live/ held as version 1"
for n in "${names[@]}"; do
	for f in cert chain fullchain privkey; do
		assert_symlink "$s/live/$n/$f.pem"
	done
done
assert_eq "$(stat -c %a "$s/archive/modes/privkey1.pem")" 600 "key mode closed"
assert_eq "$(stat -c %a "$s/renewal/modes.conf")" 600 "renewal file mode closed"
assert_eq "$(cd "$s" && find archive/keep live/keep -printf '%p %l %s %m\n' | sort)" \
	"$keep_before" "a whole lineage untouched by repair"
assert_exit 0 "$ACMECTL" check
assert_match "$OUT" "All 8 lineage\\(s\\) are whole."
assert_exit 0 openssl verify -partial_chain -CAfile "$s/live/lostarch/chain.pem" \
	"$s/live/lostarch/cert.pem"

# delete: refused without confirmation, for a name that does not exist, and
# while the lineage is being renewed; then it removes that lineage only.
state_before=$(cd "$s" && find . -printf '%p %l %s\n' | sort)
assert_exit 2 "$ACMECTL" delete --cert-name keep </dev/null
assert_match "$OUT" "not on a terminal, so nobody can confirm: pass -n"
assert_exit 2 "$ACMECTL" delete
assert_exit 1 "$ACMECTL" delete --cert-name keep --cert-name nosuch -n
assert_match "$OUT" "no certificate named 'nosuch'"
printf 'c\n' | script -qec "'$ACMECTL' delete --cert-name keep" /dev/null >"$T/tty.out" 2>&1 || true
assert_contains "$T/tty.out" "Are you sure you want to delete the above certificate\\(s\\)\\?"
assert_contains "$T/tty.out" "^\\(Y\\)es/\\(N\\)o: "
assert_contains "$T/tty.out" "Nothing was deleted."
"$ACMECTL" renew --force-renewal --cert-name keep --no-directory-hooks \
	--pre-hook "sleep 30" >/dev/null 2>&1 &
renewing=$!
wait_until 5 "the renewal's pre hook" pgrep -f "^sleep 30$"
assert_exit 1 "$ACMECTL" delete --cert-name keep -n
assert_match "$OUT" "keep is being renewed; try again when that is done"
wait "$renewing" || true
assert_eq "$(cd "$s" && find . -path ./archive/keep -prune -o -path ./live/keep -prune -o \
	-path ./renewal/keep.conf -prune -o -printf '%p %l %s\n' | sort)" \
	"$(grep -v -e '^./archive/keep' -e '^./live/keep' -e '^./renewal/keep.conf' <<<"$state_before")" \
	"nothing but keep changed by refused deletes"
printf 'y\n' | script -qec "'$ACMECTL' delete --cert-name keep" /dev/null >"$T/tty.out" 2>&1 ||
	fail "delete with confirmation failed: $(cat "$T/tty.out")"
assert_contains "$T/tty.out" "Deleted all files relating to certificate keep."
for d in archive/keep live/keep renewal/keep.conf; do
	[[ ! -e $s/$d ]] || fail "$d is still there after delete"
done
assert_eq "$(cd "$s" && find . -printf '%p %l %s\n' | sort)" \
	"$(grep -v -e '^./archive/keep' -e '^./live/keep' -e '^./renewal/keep.conf' <<<"$state_before")" \
	"delete touched nothing else"
"$ACMECTL" --json delete --cert-name modes -n >"$T/delete.json" || fail "delete --json failed"
assert_eq "$(jq -r '[.schema, (.deleted | join(","))] | join(" ")' "$T/delete.json")" "1 modes" \
	"delete JSON"
assert_exit 0 "$ACMECTL" check
assert_match "$OUT" "All 6 lineage\\(s\\) are whole."
pass
