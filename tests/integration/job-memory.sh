#!/bin/bash
# Nothing of one job is in the memory of the next. Every job runs in its own
# process (acmed-job, exec'd by the daemon), so job A's request cannot be
# found in job B's address space, however B's allocator reuses memory.
#
# Job A, a certonly whose hooks and first domain carry a marker of its own,
# completes. Job B, another certonly with a marker of its own, is then held
# in flight: the test proxy in front of Pebble holds B's finalize request.
# While B's process (a child of acmed named acmed-worker) is alive, its whole
# readable memory is read through /proc/PID/maps and /proc/PID/mem: A's
# markers must not be there. So that the scan can fail, B's own markers
# must be found there, and A's must be in A's renewal file.
source "$(dirname "$0")/lib.sh"

[[ -r /proc/self/mem ]] || skip "no /proc/PID/mem"
start_pebble
start_ca_proxy
start_acmed

rand() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
MA=jobmema$(rand) # A's marker, in A's hooks and A's first domain
MB=jobmemb$(rand) # B's marker, likewise for B
A=$MA.$TEST_DOMAIN
B=$MB.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
hooks() { printf '%s\n' --pre-hook "true pre-$1" --deploy-hook "true deploy-$1" \
	--post-hook "true post-$1"; }

# scan PID MARKER...: print, for each MARKER, "MARKER N REGIONS" with the
# number of times it occurs in PID's readable memory and where.
scan() {
	"$PYTHON" - "$@" <<'EOF'
import sys
pid, markers = sys.argv[1], [m.encode() for m in sys.argv[2:]]
hits = {m: [] for m in markers}
scanned = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        name = f[5] if len(f) > 5 else "[anon]"
        # Regions of a GiB or more are a sanitizer's shadow memory, mostly
        # never touched: the program's own data is elsewhere (B's markers
        # are still found, which is the check that the scan works).
        if (f[1][0] != "r" or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]")
                or hi - lo >= 1 << 30):
            continue
        found, tail, pos = set(), b"", lo
        try:
            mem.seek(lo)
            while pos < hi:
                chunk = mem.read(min(hi - pos, 16 << 20))
                if not chunk:
                    break
                data = tail + chunk  # a marker may straddle two chunks
                found.update(m for m in markers if m in data)
                tail = data[-64:]
                pos += len(chunk)
                scanned += len(chunk)
        except OSError:
            pass
        for m in found:
            hits[m].append(name)
if scanned == 0:
    sys.exit("nothing readable in the memory of %s" % pid)
print("# scanned %d KiB of pid %s" % (scanned // 1024, pid), file=sys.stderr)
for m in markers:
    print(m.decode(), len(hits[m]), ",".join(hits[m]) or "-")
EOF
}

# job_pid NAME: the pid of the process of the job acmed started for NAME,
# from acmed's log ("job N started (worker PID) for NAME").
job_pid() {
	sed -n "s/.* started (worker \([0-9]*\)) for $1\$/\1/p" "$T/acmed.log" | tail -n 1 | grep .
}

say "job A: $A, completes"
mapfile -t ha < <(hooks "$MA")
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$A" -d "www.$A" "${ha[@]}" \
	--agree-tos -m admin@example.org -n
assert_contains "$T/state/renewal/$A.conf" "deploy-$MA"
a_pid=$(job_pid "$A") || fail "no process for job A in acmed.log"
wait_until 10 "job A's process to exit" eval "! _alive $a_pid"

say "job B: $B, held at finalize by the proxy"
proxy_config '{"faults": [{"path": "^/finalize-order/", "delay": 10}]}'
mapfile -t hb < <(hooks "$MB")
command "$ACMECTL" --socket "$ACMED_SOCKET" certonly "${standalone[@]}" -d "$B" "${hb[@]}" \
	-n >"$T/b.out" 2>&1 &
b_client=$!
wait_until 15 "job B's process" job_pid "$B"
wpid=$(job_pid "$B")
# Its authorization done, B has sent its finalize, which the proxy holds
# 10 s: B is still running while it is scanned.
wait_until 15 "job B's authorization" grep -q "$B: Authorization 1/1 valid" "$T/acmed.log"
_alive "$wpid" || fail "job B's process $wpid is gone before the scan"
read -r _ comm _ ppid _ <"/proc/$wpid/stat"
assert_eq "$comm $ppid" "(acmed-worker) $ACMED_PID" "job B's process name and parent"
assert_eq "$(basename "$(readlink "/proc/$wpid/exe")")" acmed-job "job B's program"
out=$(scan "$wpid" "$MA" "pre-$MA" "deploy-$MA" "post-$MA" "$MB" "deploy-$MB" "pre-$MB" "post-$MB") ||
	fail "cannot scan job B's memory (pid $wpid)"
printf '# %s\n' "${out//$'\n'/$'\n'# }"
_alive "$wpid" || fail "job B's process $wpid ended during the scan"
while read -r m n where; do
	case $m in
	*"$MA") assert_eq "$n" 0 "job A's marker $m in job B's memory (in $where)" ;;
	*"$MB") ((n > 0)) || fail "job B's own marker $m is not in its memory: the scan finds nothing" ;;
	esac
done <<<"$out"

# For the record: the daemon, which ran both jobs, may still hold A's marker.
say "in acmed's own memory: $(scan "$ACMED_PID" "deploy-$MA" | cut -d' ' -f2) region(s) with A's deploy hook"

wait "$b_client" || { cat "$T/b.out" >&2; fail "job B failed"; }
assert_contains "$T/state/renewal/$B.conf" "deploy-$MB"
pass
