#!/bin/bash
# Benchmark: listing many lineages, `acmectl certificates` next to
# `certbot certificates`, on equal sets. One real certificate is issued by
# Pebble through acmed and cloned into N lineages in each tool's own layout
# (acmed: archive/, live/ links, renewal/NAME.conf; certbot: the same under
# its --config-dir, with a ConfigObj renewal file per lineage). Runs
# alternate between the two; each figure is the median of ROUNDS runs,
# with min and max, and the ratio is taken in this run.
#
# Usage: tests/bench/certificates-vs-certbot.sh [N] [ROUNDS]   (1000, 5)
# Needs: the build, pebble, certbot (apt-get install certbot), GNU time.
source "$(dirname "$0")/../integration/lib.sh"

N=${1:-1000}
ROUNDS=${2:-5}
command -v certbot >/dev/null || fail "certbot is needed: apt-get install certbot"
[[ -x /usr/bin/time ]] || fail "GNU time is needed: apt-get install time"

start_pebble
start_acmed
name=list.$TEST_DOMAIN
"$ACMECTL" -q certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" \
	-d "$name" --agree-tos --register-unsafely-without-email >/dev/null || fail "certonly failed"
stop_acmed

say "cloning $name into $N lineages for acmed and for certbot"
s=$T/state
c=$T/letsencrypt
mkdir -p "$c/archive" "$c/live" "$c/renewal" "$T/cb-work" "$T/cb-logs"
for ((i = 0; i < N; i++)); do
	n=$name-$i
	((i == 0)) && n=$name
	if ((i > 0)); then
		cp -a "$s/archive/$name" "$s/archive/$n"
		mkdir -m 0755 "$s/live/$n"
		for f in cert chain fullchain privkey; do
			ln -s "../../archive/$n/${f}1.pem" "$s/live/$n/$f.pem"
		done
		sed "s/^name = .*/name = \"$n\";/" "$s/renewal/$name.conf" >"$s/renewal/$n.conf"
	fi
	cp -a "$s/archive/$name" "$c/archive/$n"
	mkdir "$c/live/$n"
	for f in cert chain fullchain privkey; do
		ln -s "../../archive/$n/${f}1.pem" "$c/live/$n/$f.pem"
	done
	cat >"$c/renewal/$n.conf" <<-EOF
		# renew_before_expiry = 30 days
		version = 2.1.0
		archive_dir = $c/archive/$n
		cert = $c/live/$n/cert.pem
		privkey = $c/live/$n/privkey.pem
		chain = $c/live/$n/chain.pem
		fullchain = $c/live/$n/fullchain.pem

		[renewalparams]
		account = 0123456789abcdef0123456789abcdef
		authenticator = standalone
		server = $PEBBLE_DIR_URL
		key_type = ecdsa
	EOF
done
start_acmed --log-level warning

median_min_max() { sort -n | awk '{a[NR]=$1} END {printf "%s %s %s\n", a[int((NR+1)/2)], a[1], a[NR]}'; }
: >"$T/acmed.times"
: >"$T/certbot.times"
# timed OUT TIMES CMD...: run CMD (stdout to OUT), append "seconds peak-KiB"
# to TIMES; wall time from the shell's clock (GNU time's is in 10 ms steps).
timed() {
	local out=$1 times=$2 t0 t1
	shift 2
	t0=${EPOCHREALTIME//[.,]/}
	/usr/bin/time -f '%M' -o "$T/t" "$@" >"$out" 2>&1 || fail "$* failed: $(tail -n 5 "$out")"
	t1=${EPOCHREALTIME//[.,]/}
	printf '%s %s\n' "$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.4f", d / 1e6}')" \
		"$(cat "$T/t")" >>"$times"
}
for ((r = 0; r < ROUNDS; r++)); do
	timed "$T/a.out" "$T/acmed.times" "$ACMECTL" certificates
	timed "$T/c.out" "$T/certbot.times" certbot certificates --config-dir "$c" \
		--work-dir "$T/cb-work" --logs-dir "$T/cb-logs"
done
na=$(grep -c "Certificate Name:" "$T/a.out")
nc=$(grep -c "Certificate Name:" "$T/c.out")
assert_eq "$na/$nc" "$N/$N" "both listed every lineage"

read -r a_med a_min a_max < <(cut -d' ' -f1 "$T/acmed.times" | median_min_max)
read -r c_med c_min c_max < <(cut -d' ' -f1 "$T/certbot.times" | median_min_max)
read -r a_rss _ _ < <(cut -d' ' -f2 "$T/acmed.times" | median_min_max)
read -r c_rss _ _ < <(cut -d' ' -f2 "$T/certbot.times" | median_min_max)
daemon_rss=$(awk '/VmRSS/ {print $2}' "/proc/$ACMED_PID/status")
printf '\n%s lineages, %s rounds (median, min-max)\n' "$N" "$ROUNDS"
printf '  acmectl certificates:  %s s (%s-%s), peak RSS %s KiB (daemon %s KiB)\n' \
	"$a_med" "$a_min" "$a_max" "$a_rss" "$daemon_rss"
printf '  certbot certificates:  %s s (%s-%s), peak RSS %s KiB\n' "$c_med" "$c_min" "$c_max" \
	"$c_rss"
printf '  certbot / acmed:       %s x\n' "$(awk -v a="$a_med" -v c="$c_med" \
	'BEGIN {print (a > 0 ? c / a : "inf")}')"
stop_acmed
pass
