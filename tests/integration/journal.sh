#!/bin/bash
# Under systemd acmed logs to the journal, and every entry about a job
# carries ACMED_JOB= and ACMED_CERT_NAME= (what acmed(8) tells
# administrators to filter on) and its PRIORITY=: the daemon's lines, the
# job's own, and those of the job's helper processes, which a close_range()
# once cut off from the journal. A failed renewal is an entry at PRIORITY
# 3 (error) naming the lineage and the reason.
#
# No journald is needed: the test runs in a mount namespace of its own with
# a tmpfs over /run/systemd, where journal-listener.py binds
# /run/systemd/journal/socket, the path every journal client sends to.
# acmed decides to log to the journal as under a unit: $JOURNAL_STREAM names
# the device and inode of its stderr.
if [[ -z ${ACMED_TEST_IN_NS:-} ]]; then
	if ((EUID != 0)) || ! unshare -m --propagation private true 2>/dev/null; then
		echo "skip: journal: needs root and unshare -m (a private /run/systemd)"
		exit 77
	fi
	ACMED_TEST_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- the journal

if [[ -d /run/systemd ]]; then
	mount -t tmpfs -o mode=0755 acmed-test /run/systemd
else
	mount -t tmpfs -o mode=0755 acmed-test /run
	mkdir /run/systemd
fi
mkdir /run/systemd/journal
JLOG=$T/journal.log
: >"$JLOG"
spawn journal "$T/journal-listener.err" "$PYTHON" "$REPO_DIR/tests/integration/journal-listener.py" \
	/run/systemd/journal/socket "$JLOG"
wait_for journal-listener "$SPAWNED_PID" test -S /run/systemd/journal/socket

# The listener itself: a plain entry, one with a binary field (a value
# holding a newline), and one passed as a memfd, as libsystemd sends large
# entries.
"$PYTHON" - <<'EOF'
import array, os, socket, struct
path = "/run/systemd/journal/socket"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"MESSAGE=plain\nPRIORITY=6\nTEST=1\n", path)
v = b"two\nlines"
s.sendto(b"MESSAGE\n" + struct.pack("<Q", len(v)) + v + b"\nPRIORITY=5\nTEST=2\n", path)
fd = os.memfd_create("entry")
os.write(fd, b"MESSAGE=" + b"x" * 300000 + b"\nPRIORITY=7\nTEST=3\n")
s.sendmsg([], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))], 0, path)
EOF
entries_matching() { # JQ-FILTER: how many entries match
	jq -c "select($1)" "$JLOG" | wc -l
}
have_entries() { # JQ-FILTER N: at least N entries match
	(($(entries_matching "$1") >= $2))
}
wait_until 5 "the listener's own entries" have_entries '.TEST' 3
assert_eq "$(entries_matching '.TEST == "1" and .MESSAGE == "plain"')" 1 "a plain entry"
assert_eq "$(entries_matching '.TEST == "2" and .MESSAGE == "two\nlines"')" 1 "a binary field"
assert_eq "$(entries_matching '.TEST == "3" and ._MEMFD and (.MESSAGE | length) == 300000')" 1 \
	"an entry in a memfd"

# ---------------------------------------------------------------- acmed

start_pebble
start_ca_proxy
: >"$T/acmed.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/acmed.log")
export JOURNAL_STREAM
start_acmed
wait_until 5 "acmed's first journal entry" have_entries '.MESSAGE | test("ready")' 1

A=a.$TEST_DOMAIN
M=m.$TEST_DOMAIN
# A standalone issuance with a deploy hook (the daemon's hook lines).
assert_exit 0 acmectl certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$HTTP01_PORT" -d "$A" --agree-tos --register-unsafely-without-email \
	--deploy-hook 'echo deployed "$RENEWED_DOMAINS"'
# A manual dns-01 issuance: the auth hook runs in the job's hook runner, a
# process the job forks before it confines itself.
cat >"$T/dns-auth.sh" <<EOF
#!/bin/sh
curl -sSf -o /dev/null -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\",\"value\":\"\$CERTBOT_VALIDATION\"}" \
	"$CHALLTESTSRV_URL/set-txt"
EOF
chmod +x "$T/dns-auth.sh"
assert_exit 0 acmectl certonly --manual --preferred-challenges dns \
	--manual-auth-hook "$T/dns-auth.sh" -d "$M"
# A failed renewal: the CA cannot be reached.
proxy_config '{"down": true}'
assert_exit 1 acmectl renew --cert-name "$A" --force-renewal
wait_until 5 "the failed renewal in the journal" have_entries '.MESSAGE | test("^renewal of")' 1
stop_acmed

# Nothing went to stderr: every line is in the journal.
[[ ! -s $T/acmed.log ]] || fail "acmed wrote to stderr under JOURNAL_STREAM: $(head -3 "$T/acmed.log")"

# ---------------------------------------------------------------- the entries

# The checks, in one place; each failure is printed with the entries.
"$PYTHON" - "$JLOG" "$A" "$M" <<'EOF' || fail "journal entries (see above; all in $JLOG)"
import json, re, sys
log, A, M = sys.argv[1:4]
entries = [json.loads(l) for l in open(log) if l.strip()]
entries = [e for e in entries if "TEST" not in e]
bad = []

def check(ok, what, e=None):
    if not ok:
        bad.append(what + ("\n    " + json.dumps(e, sort_keys=True) if e else ""))

for e in entries:
    check("_BAD" not in e, "an entry the listener could not parse", e)
    check(e.get("SYSLOG_IDENTIFIER") == "acmed", "SYSLOG_IDENTIFIER=acmed", e)
    check(re.fullmatch(r"[0-7]", e.get("PRIORITY", "")) is not None, "PRIORITY 0..7", e)
    check(bool(e.get("MESSAGE")), "a MESSAGE", e)

# The daemon names each job and its worker: "job N started (worker P) for NAME".
daemon_pids = {e["_PID"] for e in entries if e.get("MESSAGE", "").startswith("acmed ")}
check(len(daemon_pids) == 1, "the daemon's start-up entry, from one process")
jobs = {}
for e in entries:
    m = re.match(r"job (\d+) started \(worker (\d+)\)(?: for (\S+))?", e.get("MESSAGE", ""))
    if m:
        jobs[m.group(1)] = (int(m.group(2)), m.group(3))
names = {}  # each lineage's first job: its issuance
for job, (_, name) in jobs.items():
    if name:
        names.setdefault(name, job)
check(A in names and M in names, "jobs started for %s and %s: %s" % (A, M, jobs))

# Every entry that speaks of a job carries its fields, from whichever
# process it came: the daemon ("job N ..."), the job ("job N NAME: ...").
for e in entries:
    m = re.match(r"job (\d+)\b", e.get("MESSAGE", ""))
    if not m or m.group(1) not in jobs:
        continue
    job, (_, name) = m.group(1), jobs[m.group(1)]
    check(e.get("ACMED_JOB") == job, "ACMED_JOB=%s" % job, e)
    if name:
        check(e.get("ACMED_CERT_NAME") == name, "ACMED_CERT_NAME=%s" % name, e)

# The job's own process logged, and so did its helper (the manual hook
# runner): each with the job's fields.
for name in (A, M):
    job = names.get(name)
    worker = jobs.get(job, (0, None))[0]
    own = [e for e in entries if e["_PID"] == worker]
    check(len(own) >= 3, "entries from the worker %d of %s's job %s" % (worker, name, job))
    for e in own:
        check(e.get("ACMED_JOB") == job and e.get("ACMED_CERT_NAME") == name,
              "the worker's entry with ACMED_JOB=%s ACMED_CERT_NAME=%s" % (job, name), e)
job = names.get(M)
runner = [e for e in entries if re.match(r"job \d+ \S+: manual auth hook for", e["MESSAGE"])]
check(len(runner) >= 1, "the manual hook runner's entry")
for e in runner:
    check(e["_PID"] not in daemon_pids | {jobs[job][0]}, "from a process of its own", e)
    check(e.get("ACMED_JOB") == job and e.get("ACMED_CERT_NAME") == M,
          "the runner's entry with ACMED_JOB=%s ACMED_CERT_NAME=%s" % (job, M), e)

# The deploy hook's lines: the lineage and the job that renewed it.
hook = [e for e in entries if e["MESSAGE"].startswith('deploy hook "echo deployed')]
check(any(e["MESSAGE"].endswith(": deployed " + A) for e in hook), "the deploy hook's output")
for e in hook:
    check(e.get("ACMED_JOB") == names.get(A) and e.get("ACMED_CERT_NAME") == A,
          "the deploy hook's entry with its job and lineage", e)

# The failed renewal: an error, readable, with the lineage and the reason.
renew_job = max((j for j, (_, n) in jobs.items() if n == A), key=int)
failed = [e for e in entries if e["MESSAGE"].startswith("renewal of %s failed" % A)]
check(len(failed) == 1, "one entry for the failed renewal of %s" % A)
for e in failed:
    check(int(e["PRIORITY"]) <= 4, "the failed renewal at warning or above", e)
    check(e.get("ACMED_JOB") == renew_job and e.get("ACMED_CERT_NAME") == A,
          "the failed renewal with ACMED_JOB=%s ACMED_CERT_NAME=%s" % (renew_job, A), e)
    check(re.search(r"\(1 in a row; not tried again before \S+\): loading the CA's directory "
                    r"failed", e["MESSAGE"]) is not None, "the count and the reason", e)

if bad:
    print("\n".join("  " + b for b in bad), file=sys.stderr)
    sys.exit(1)
print("# %d entries checked, %d jobs" % (len(entries), len(jobs)))
EOF

pass
