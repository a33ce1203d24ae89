#!/bin/bash
# The benchmark: acmed next to certbot, lego and uacme, against one local
# Pebble, in one run. Every figure is the median of several runs with min
# and max; every ratio is taken pair by pair (run i of a peer over run i of
# acmed), then summarised the same way. Results: a Markdown report on
# stdout (and in --out FILE), the machine described at its top.
#
# Usage: tests/bench/compare.sh [--smoke] [--out FILE] [--runs N]
#                               [--idle-seconds S] [--startup-lineages N]
#
#   A  one certificate: wall time and peak RSS of the whole client (acmed:
#      acmectl + the worker that did the job + its largest child, the
#      signer or responder; each tool's own process tree for the peers)
#   B  20 certificates one after another
#   C  100 certificates at once: `acmectl renew --force-renewal` over 100
#      lineages (acmed's default 4 parallel jobs, and 16) against 10
#      parallel lego processes over the same 100 names; Pebble's ceiling
#      measured through acmed at 32 and 64 parallel jobs
#   D  listing 1,000 lineages through a pipe: `acmectl certificates | cat` /
#      `certbot certificates | cat`
#   E  the daemon at rest with 1,000 lineages: RSS, wake-ups in 60 s (its
#      context switches: any timer, poll or signal would show) and when it
#      next plans to wake, against one `certbot renew` run on the same set
#   F  start-up with 10,000 lineages: time until the socket answers, RSS
#
# --smoke (what the test suite runs): A once per tool, B with 3
# certificates, D with 100 lineages; it checks that every tool produced
# valid certificates and reports, but keeps no figures.
#
# Pebble runs with PEBBLE_VA_NOSLEEP=1, PEBBLE_VA_ALWAYS_VALID=1 (validation
# is not what is measured) and no bad-nonce rejections, for every tool
# alike. Each tool has its own fresh state and an account registered before
# the clock starts. All tools use EC P-256 keys and answer http-01 through
# a web root (uacme through a hook that writes the file there). Needs: the
# build, pebble, certbot, lego, uacme, GNU time.
source "$(dirname "$0")/../integration/lib.sh"

SMOKE=0 OUT="" RUNS=5 IDLE=60 STARTUP_N=10000
while (($#)); do
	case $1 in
	--smoke) SMOKE=1; shift ;;
	--out) OUT=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--idle-seconds) IDLE=$2; shift 2 ;;
	--startup-lineages) STARTUP_N=$2; shift 2 ;;
	*) fail "unknown argument $1 (see the comment at the top of $0)" ;;
	esac
done
require_cmd certbot lego uacme openssl unshare
[[ -x /usr/bin/time ]] || fail "GNU time is needed: apt-get install time"
B_CERTS=20 D_N=1000
((SMOKE)) && RUNS=1 B_CERTS=3 D_N=100
B_RUNS=$(((RUNS + 1) / 2))
R=$T/results
mkdir -p "$R" "$T/www"

start_pebble PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0
pebble_root
start_acmed --log-level info
WEB=$T/www

# ---------------------------------------------------------------- helpers

now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
secs() { awk -v d="$1" 'BEGIN {printf "%.4f", d / 1e6}'; }
# record SCENARIO METRIC TOOL VALUE: one value per run, in run order.
record() { echo "$4" >>"$R/$1.$2.$3"; }

# valid FULLCHAIN DOMAIN: the first certificate of FULLCHAIN names DOMAIN
# and verifies up to Pebble's root through the rest of the file.
valid() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:$2\b" ||
		fail "$1: no certificate for $2"
	openssl verify -CAfile "$PEBBLE_ROOT" -untrusted "$1" "$1" >/dev/null 2>&1 ||
		fail "$1: the certificate for $2 does not verify against Pebble's root"
	VALID=$((VALID + 1))
}
VALID=0

# timed LOG CMD...: run CMD, output to LOG; sets ELAPSED (µs) and PEAK (KiB,
# GNU time's maximum RSS of the process and its waited-for children).
timed() {
	local log=$1 t0 t1
	shift
	t0=$(now_us)
	/usr/bin/time -f '%M' -o "$T/time.out" "$@" >"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; fail "$* failed"; }
	t1=$(now_us)
	ELAPSED=$((t1 - t0))
	PEAK=$(tail -n 1 "$T/time.out")
}

# timed_piped LOG CMD...: timed(), with CMD's output read through a pipe
# (`CMD | cat >LOG`) made by this shell, as a user's shell makes one: the
# time includes cat's, not the start of another shell.
timed_piped() {
	local log=$1 t0 t1 st
	shift
	t0=$(now_us)
	/usr/bin/time -f '%M' -o "$T/time.out" "$@" 2>&1 | cat >"$log"
	st=${PIPESTATUS[0]}
	t1=$(now_us)
	((st == 0)) || { tail -n 20 "$log" >&2; fail "$* failed"; }
	ELAPSED=$((t1 - t0))
	PEAK=$(tail -n 1 "$T/time.out")
}

# The peers, each with its own state under $T and Pebble's TLS CA.
CB=(certbot --config-dir "$T/certbot/config" --work-dir "$T/certbot/work"
	--logs-dir "$T/certbot/logs" --server "$PEBBLE_DIR_URL" --non-interactive)
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE LEGO_CA_CERTIFICATES=$PEBBLE_CA_BUNDLE
LEGO=(lego --server "$PEBBLE_DIR_URL" --email bench@example.org --accept-tos
	--key-type ec256 --path "$T/lego" --http --http.webroot "$WEB")
# uacme reads the system's trust store only: it runs in a mount namespace
# of its own where Pebble's CA is bind-mounted over that file.
cat >"$T/uacme-run" <<EOF
#!/bin/sh
mount --bind "$PEBBLE_CA_BUNDLE" /etc/ssl/certs/ca-certificates.crt && exec "\$@"
EOF
cat >"$T/uacme-hook" <<EOF
#!/bin/sh
# uacme hook: METHOD TYPE IDENT TOKEN KEY_AUTH; http-01 through the web root.
[ "\$2" = http-01 ] || exit 1
mkdir -p "$WEB/.well-known/acme-challenge"
case \$1 in
begin) printf '%s' "\$5" >"$WEB/.well-known/acme-challenge/\$4" ;;
*) rm -f "$WEB/.well-known/acme-challenge/\$4" ;;
esac
EOF
chmod +x "$T/uacme-run" "$T/uacme-hook"
UACME=(unshare -m "$T/uacme-run" uacme -c "$T/uacme" -a "$PEBBLE_DIR_URL" -t EC -y
	-h "$T/uacme-hook")

# issue TOOL DOMAIN: one certificate; checks it; ELAPSED, PEAK as timed().
issue() {
	local tool=$1 d=$2 before worker child
	case $tool in
	acmed)
		before=$(grep -c 'worker done' "$T/acmed.log" || true)
		timed "$T/issue.log" "$ACMECTL" --socket "$ACMED_SOCKET" -q certonly --webroot \
			-w "$WEB" -d "$d" --agree-tos --register-unsafely-without-email
		# The daemon's share: this job's worker and its largest child.
		read -r worker child < <(grep 'worker done' "$T/acmed.log" | tail -n +$((before + 1)) |
			sed -n 's/.*peak memory \([0-9]*\) KiB, largest child \([0-9]*\) KiB.*/\1 \2/p' |
			tail -n 1)
		PEAK=$((PEAK + ${worker:-0} + ${child:-0}))
		valid "$T/state/live/$d/fullchain.pem" "$d"
		;;
	certbot)
		timed "$T/issue.log" "${CB[@]}" certonly --webroot -w "$WEB" -d "$d" \
			--key-type ecdsa --elliptic-curve secp256r1
		valid "$T/certbot/config/live/$d/fullchain.pem" "$d"
		;;
	lego)
		timed "$T/issue.log" "${LEGO[@]}" -d "$d" run
		valid "$T/lego/certificates/$d.crt" "$d"
		;;
	uacme)
		timed "$T/issue.log" "${UACME[@]}" issue "$d"
		valid "$T/uacme/$d/cert.pem" "$d"
		;;
	esac
}

TOOLS=(acmed certbot lego uacme)

say "registering an account for each tool (not timed)"
issue acmed "warm.acmed.$TEST_DOMAIN"
"${CB[@]}" register --agree-tos --register-unsafely-without-email >"$T/cb-reg.log" 2>&1 ||
	{ cat "$T/cb-reg.log" >&2; fail "certbot register failed"; }
issue certbot "warm.certbot.$TEST_DOMAIN"
issue lego "warm.lego.$TEST_DOMAIN"
"${UACME[@]}" new >"$T/uacme-new.log" 2>&1 || { cat "$T/uacme-new.log" >&2; fail "uacme new failed"; }
issue uacme "warm.uacme.$TEST_DOMAIN"

# ---------------------------------------------------------------- A and B

say "A: one certificate, $RUNS runs per tool"
for ((r = 1; r <= RUNS; r++)); do
	for tool in "${TOOLS[@]}"; do
		issue "$tool" "a$r.$tool.$TEST_DOMAIN"
		record A seconds "$tool" "$(secs "$ELAPSED")"
		record A rss_kib "$tool" "$PEAK"
	done
done

say "B: $B_CERTS certificates one after another, $B_RUNS runs per tool"
for ((r = 1; r <= B_RUNS; r++)); do
	for tool in "${TOOLS[@]}"; do
		total=0
		for ((i = 1; i <= B_CERTS; i++)); do
			issue "$tool" "b$r-$i.$tool.$TEST_DOMAIN"
			total=$((total + ELAPSED))
		done
		record B seconds "$tool" "$(secs "$total")"
	done
done

# ---------------------------------------------------------------- C

# restart_acmed JOBS: acmed again on the same state, JOBS parallel jobs.
restart_acmed() {
	stop_acmed
	echo "max_parallel_jobs = $1;" >"$T/acmed.conf"
	start_acmed --log-level warning
}

# renew_all N: `acmectl renew --force-renewal` over all N lineages; CPS gets
# certificates per second.
renew_all() {
	timed "$T/renew.log" "$ACMECTL" --socket "$ACMED_SOCKET" renew --force-renewal
	grep -q "Congratulations, all renewals succeeded" "$T/renew.log" ||
		fail "not every renewal succeeded: $(tail -n 5 "$T/renew.log")"
	assert_eq "$(grep -c '/fullchain.pem (success)' "$T/renew.log")" "$1" "lineages renewed"
	CPS=$(awk -v n="$1" -v us="$ELAPSED" 'BEGIN {printf "%.2f", n / (us / 1e6)}')
}

if ((!SMOKE)); then
	say "C: 100 certificates at once"
	# acmed's 100 lineages (the ones A and B made are moved aside).
	stop_acmed
	mv "$T/state" "$T/state-ab"
	mkdir -m 0755 "$T/state"
	cp -a "$T/state-ab/accounts" "$T/state/"
	echo "max_parallel_jobs = 8;" >"$T/acmed.conf"
	start_acmed --log-level warning
	for ((i = 1; i <= 100; i++)); do echo "c$i.$TEST_DOMAIN"; done >"$T/c-names"
	xargs -P 8 -I{} "$ACMECTL" --socket "$ACMED_SOCKET" -q certonly --webroot -w "$WEB" \
		-d {} --agree-tos --register-unsafely-without-email <"$T/c-names" >"$T/c-issue.log" 2>&1 ||
		fail "issuing the 100 lineages for C failed"
	# lego: 10 processes, 10 names each, one after another.
	lego_batch() { # FIRST: names FIRST..FIRST+9
		for ((k = $1; k < $1 + 10; k++)); do
			"${LEGO[@]}" -d "c$k.$TEST_DOMAIN" run >>"$T/lego-c.log" 2>&1 || return 1
		done
	}
	for ((r = 1; r <= B_RUNS; r++)); do
		for jobs in 4 16; do
			restart_acmed "$jobs"
			renew_all 100
			record C certs_per_s "acmed-$jobs" "$CPS"
		done
		rm -rf "$T/lego/certificates"
		t0=$(now_us)
		pids=()
		for ((k = 1; k <= 100; k += 10)); do
			lego_batch "$k" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || fail "a lego process of C failed"; done
		t1=$(now_us)
		record C certs_per_s lego "$(awk -v us=$((t1 - t0)) 'BEGIN {printf "%.2f", 100 / (us / 1e6)}')"
		for ((k = 1; k <= 100; k++)); do
			valid "$T/lego/certificates/c$k.$TEST_DOMAIN.crt" "c$k.$TEST_DOMAIN"
		done
		best=0
		for jobs in 32 64; do
			restart_acmed "$jobs"
			renew_all 100
			best=$(awk -v a="$best" -v b="$CPS" 'BEGIN {print (b > a ? b : a)}')
		done
		record C certs_per_s pebble "$best"
	done
	for ((k = 1; k <= 100; k++)); do
		valid "$T/state/live/c$k.$TEST_DOMAIN/fullchain.pem" "c$k.$TEST_DOMAIN"
	done
	stop_acmed
	rm -rf "$T/state"
	mv "$T/state-ab" "$T/state"
	rm -f "$T/acmed.conf"
	start_acmed --log-level warning
fi

# ---------------------------------------------------------------- D and E

say "D: listing $D_N lineages"
name=a1.acmed.$TEST_DOMAIN
stop_acmed
mv "$T/state" "$T/state-ab"
mkdir -p "$T/state"
(cd "$T/state-ab" && cp -a archive live renewal accounts "$T/state/")
find "$T/state/renewal" -name '*.conf' ! -name "$name.conf" -delete
find "$T/state/live" "$T/state/archive" -mindepth 1 -maxdepth 1 ! -name "$name" \
	-exec rm -rf {} +
"$PYTHON" "$REPO_DIR/tests/bench/clone-lineages.py" acmed "$T/state" "$name" "$D_N"
"$PYTHON" "$REPO_DIR/tests/bench/clone-lineages.py" certbot "$T/state" "$name" "$D_N" \
	"$T/certbot-d" "$PEBBLE_DIR_URL"
CBD=(certbot --config-dir "$T/certbot-d" --work-dir "$T/certbot/work" --logs-dir "$T/certbot/logs")
start_acmed --log-level warning
# Both list through a pipe, as a script or `| less` reads them: output to
# a pipe is block-buffered, and neither tool sees a terminal. Earlier runs
# made the pipe in a bash script of its own; its start (about 15 ms here)
# is kept as a row of its own, so the two ways can be compared.
printf '#!/bin/bash\nset -o pipefail\n"$@" | cat\n' >"$T/piped"
chmod +x "$T/piped"
for ((r = 1; r <= RUNS; r++)); do
	timed_piped "$T/list-a.out" "$ACMECTL" --socket "$ACMED_SOCKET" certificates
	record D seconds acmed "$(secs "$ELAPSED")"
	record D rss_kib acmed "$PEAK"
	timed "$T/list-w.out" "$T/piped" "$ACMECTL" --socket "$ACMED_SOCKET" certificates
	record D seconds acmed_wrapped "$(secs "$ELAPSED")"
	timed_piped "$T/list-c.out" "${CBD[@]}" certificates
	record D seconds certbot "$(secs "$ELAPSED")"
	record D rss_kib certbot "$PEAK"
done
cmp -s "$T/list-a.out" "$T/list-w.out" || fail "the two ways of listing printed different text"
assert_eq "$(grep -c 'Certificate Name:' "$T/list-a.out")" "$D_N" "lineages acmectl listed"
assert_eq "$(grep -c 'Certificate Name:' "$T/list-c.out")" "$D_N" "lineages certbot listed"

if ((!SMOKE)); then
	say "E: the daemon at rest with $D_N lineages for ${IDLE} s"
	switches() {
		cat /proc/"$ACMED_PID"/task/*/status |
			awk '/_ctxt_switches/ {n += $2} END {print n}'
	}
	sleep 2
	s0=$(switches)
	sleep "$IDLE"
	s1=$(switches)
	record E wakeups acmed $((s1 - s0))
	next=$("$ACMECTL" --socket "$ACMED_SOCKET" --json status | jq -r ".next_wakeup | $JQ_EPOCH")
	record E next_wakeup_days acmed "$(awk -v a="$next" -v b="$(date +%s)" \
		'BEGIN {printf "%.1f", (a - b) / 86400}')"
	record E rss_kib acmed "$(awk '/VmRSS/ {print $2}' "/proc/$ACMED_PID/status")"
	# Its private part: what the shared libraries (libcrypto, libc...) leave.
	record E anon_kib acmed "$(awk '/^Anonymous/ {print $2}' "/proc/$ACMED_PID/smaps_rollup")"
	for ((r = 1; r <= B_RUNS; r++)); do
		timed "$T/cb-renew.out" "${CBD[@]}" renew
		grep -q "No renewals were attempted" "$T/cb-renew.out" ||
			fail "certbot renew attempted a renewal"
		record E rss_kib certbot "$PEAK"
		record E seconds certbot "$(secs "$ELAPSED")"
	done

	say "F: start-up with $STARTUP_N lineages"
	stop_acmed
	echo "# defaults" >"$T/empty.conf"
	rm -rf "$T/state/archive/"*-[0-9]* "$T/state/live/"*-[0-9]* "$T/state/renewal/"*-[0-9]*.conf
	"$PYTHON" "$REPO_DIR/tests/bench/clone-lineages.py" acmed "$T/state" "$name" "$STARTUP_N"
	for ((r = 1; r <= RUNS; r++)); do
		t0=$(now_us)
		spawn acmed "$T/acmed-f.log" "$ACMED" --foreground --log-level warning \
			--config "$T/empty.conf" --state-dir "$T/state" --socket "$ACMED_SOCKET" \
			--server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
		ACMED_PID=$SPAWNED_PID
		until "$ACMECTL" --socket "$ACMED_SOCKET" status >/dev/null 2>&1; do
			kill -0 "$ACMED_PID" 2>/dev/null || fail "acmed died starting on $STARTUP_N lineages"
			sleep 0.005
		done
		t1=$(now_us)
		record F seconds acmed "$(secs $((t1 - t0)))"
		record F rss_kib acmed "$(awk '/VmRSS/ {print $2}' "/proc/$ACMED_PID/status")"
		assert_eq "$("$ACMECTL" --socket "$ACMED_SOCKET" --json status | jq -r .certificates)" \
			"$STARTUP_N" "lineages acmed loaded"
		stop_acmed
	done
else
	stop_acmed
fi

say "$VALID certificates checked: each names its domain and verifies to Pebble's root"

# ---------------------------------------------------------------- report

machine() {
	echo "- CPU: $(nproc) × $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
	echo "- Memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
	echo "- acmed $(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo '?');" \
		"Debian packages: $(dpkg-query -W -f='${Package} ${Version}, ' certbot lego uacme pebble |
			sed 's/, $//')"
}
if ((SMOKE)); then
	echo "smoke run: every tool issued and listed; $VALID certificates valid"
else
	{
		echo "## Results ($(date -u '+%Y-%m-%d %H:%M UTC'))"
		echo
		machine
		echo
		"$PYTHON" "$REPO_DIR/tests/bench/report.py" "$R" "$RUNS" "$B_CERTS" "$D_N" "$IDLE" "$STARTUP_N"
	} | tee "$T/report.md"
	[[ -z $OUT ]] || cp "$T/report.md" "$OUT"
fi
pass
