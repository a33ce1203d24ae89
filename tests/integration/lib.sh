# shellcheck shell=bash
# tests/integration/lib.sh: harness for acmed's integration tests.
#
# Source it at the top of a test script:
#
#     . "$(dirname "$0")/lib.sh"
#     start_pebble
#     start_acmed
#     assert_exit 0 acmectl certonly --standalone ... -d "www.$TEST_DOMAIN"
#     pass
#
# Every test gets its own temp dir $T and its own free loopback ports, so
# tests can run in parallel. Everything the harness starts is tracked by PID
# and stopped on exit; if the test fails, the tail of each service's log is
# printed. Exit status follows meson's protocol: 0 pass, 77 skip, else fail.
#
# Environment (all optional):
#   BUILD_DIR       meson build dir holding acmed and acmectl (meson sets it;
#                   default <repo>/build)
#   ACMED, ACMECTL  the binaries (default $BUILD_DIR/acmed, $BUILD_DIR/acmectl)
#   READY_TIMEOUT   seconds to wait for a service to come up (default 10)
#   KEEP_TMP=1      keep $T after the test (its path is printed)
#   DEMO=1          friendly progress lines for tests/demo.sh
#   ACMED_WRAP      array: a command start_acmed runs acmed under (strace)
#
# Exported variables, set by the functions below:
#   T                          per-test temp dir
#   TEST_NAME                  test script name without .sh
#   TEST_DOMAIN                domain suffix to issue for (see start_pebble)
#   CHALLTESTSRV_DNS           host:port of the mock DNS server
#   CHALLTESTSRV_URL           http://... management API of pebble-challtestsrv
#   PEBBLE_DIR_URL             https://127.0.0.1:PORT/dir
#   PEBBLE_MGMT                https://127.0.0.1:PORT (roots, intermediates)
#   PEBBLE_CA_BUNDLE           CA that signed Pebble's own HTTPS certificate
#   PEBBLE_ROOT                Pebble's issuing root (after pebble_root)
#   HTTP01_PORT, TLSALPN_PORT  where Pebble sends http-01 / tls-alpn-01 checks
#   ACMED_SOCKET               acmed's control socket (after start_acmed)
#   ACMED_SERVER               the directory acmed uses (default PEBBLE_DIR_URL;
#                              start_ca_proxy points it at the proxy)
#   CA_PROXY_CONFIG, CA_PROXY_LOG  the test proxy's config and request log
#   CA_PROXY_FORGE_ROOT, CA_PROXY_FORGE_INTERMEDIATE  the CA the proxy forges
#                              certificates with ("forge" faults), in PEM
#   OUT                        output of the last assert_exit command

set -euo pipefail

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
ACMED=${ACMED:-$BUILD_DIR/acmed}
ACMECTL=${ACMECTL:-$BUILD_DIR/acmectl}
READY_TIMEOUT=${READY_TIMEOUT:-10}
DEMO=${DEMO:-0}
[[ -v ACMED_WRAP ]] || ACMED_WRAP=()
# A pyenv shim costs ~100 ms per start; the system python does not.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

# Which names Pebble 2.4 issues for (tried with lego): it has no public
# suffix or reserved-TLD policy. It accepts example.com, foo.test,
# foo.invalid, foo.localhost, even single labels ("localhost", "com"), and
# mixed case. It rejects only malformed names (malformed: empty, characters
# outside [a-z0-9.-] such as "_", a trailing dot, an IP address as a DNS
# identifier, a misplaced or double wildcard) and names under its config's
# domainBlocklist (rejectedIdentifier; see start_pebble --blocklist).
# "*.acmed.test" orders are accepted, but with a dns-01 challenge only.
# We use names under the reserved .test TLD (RFC 2606), which can never be
# real; challtestsrv resolves every one of them to 127.0.0.1.
TEST_DOMAIN=${TEST_DOMAIN:-acmed.test}

export T TEST_NAME BUILD_DIR ACMED ACMECTL TEST_DOMAIN

# mkdtemp under /tmp unless TMPDIR is set; keep it short, because
# $T/acmed.sock must fit in sun_path (108 bytes).
T=$(mktemp -d "${TMPDIR:-/tmp}/acmed-$TEST_NAME.XXXXXX")
if (( ${#T} > 80 )); then
	rmdir "$T"
	T=$(mktemp -d "/tmp/acmed-$TEST_NAME.XXXXXX")
fi

# Port reservations shared by all tests on this machine (see free_port):
# always in /tmp, whatever TMPDIR says, so that every test sees them.
PORT_DIR=/tmp/acmed-test-ports

_PIDS=()   # processes we started, in start order
_NAMES=()  # their names, same index ("pebble", "acmed", ...)
_LOGS=()   # log files printed when the test fails
_AT_EXIT=() # commands run at exit, last first (see at_exit)

# ---------------------------------------------------------------- output

# say MSG...: a progress line ("==> MSG" in demo mode, "# MSG" otherwise).
say() {
	if [[ $DEMO == 1 ]]; then
		printf '==> %s\n' "$*"
	else
		printf '# %s\n' "$*"
	fi
}

# _where: "file:line" of the innermost caller outside lib.sh.
_where() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [[ ${BASH_SOURCE[i]} != "${BASH_SOURCE[0]}" ]]; then
			printf '%s:%s' "${BASH_SOURCE[i]##*/}" "${BASH_LINENO[i-1]}"
			return
		fi
	done
	printf '%s:%s' "${BASH_SOURCE[0]##*/}" "${BASH_LINENO[0]}"
}

# _where_line: the source text of that line, for context.
_where_line() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [[ ${BASH_SOURCE[i]} != "${BASH_SOURCE[0]}" ]]; then
			sed -n "${BASH_LINENO[i-1]}{s/^[[:space:]]*//;p}" "${BASH_SOURCE[i]}"
			return
		fi
	done
}

# fail MSG...: report MSG with the test's file:line and end the test.
fail() {
	local where line
	where=$(_where)
	line=$(_where_line)
	_FAIL_MSG="FAIL: $where: $*${line:+ (at: $line)}"
	printf 'FAIL: %s: %s\n' "$where" "$*" >&2
	[[ -n $line ]] && printf '  at: %s\n' "$line" >&2
	exit 1
}

# skip MSG...: end the test as skipped (meson's exit code 77). The demo
# cannot be skipped: there it is an error.
skip() {
	if [[ $DEMO == 1 ]]; then
		printf 'error: %s\n' "$*" >&2
		exit 1
	fi
	printf 'skip: %s: %s\n' "$TEST_NAME" "$*"
	exit 77
}

# pass: end the test successfully ("ok: NAME" is printed once the cleanup
# has found no dead daemon and no sanitizer report).
pass() {
	exit 0
}

# require_cmd CMD...: skip the test unless every CMD is installed.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			skip "$c is not installed (run scripts/install-deps)"
	done
}

# ---------------------------------------------------------------- assertions

# assert_eq ACTUAL EXPECTED [MSG]
assert_eq() {
	[[ $1 == "$2" ]] || fail "${3:-values differ}: got '$1', expected '$2'"
}

# assert_file FILE: FILE exists and is a regular file (symlinks followed).
assert_file() {
	[[ -f $1 ]] || fail "not a regular file: $1"
}

# assert_symlink FILE: FILE is a symbolic link.
assert_symlink() {
	[[ -L $1 ]] || fail "not a symlink: $1"
}

# assert_contains FILE REGEX: some line of FILE matches the extended REGEX.
assert_contains() {
	[[ -f $1 ]] || fail "no such file: $1"
	grep -Eq -- "$2" "$1" && return
	{
		printf -- '--- %s (last 20 lines)\n' "$1"
		tail -n 20 "$1"
	} >&2
	fail "$1 does not match /$2/"
}

# assert_match STRING REGEX: STRING (e.g. "$OUT") matches the extended REGEX.
assert_match() {
	grep -Eq -- "$2" <<<"$1" && return
	printf -- '--- text:\n%s\n' "$1" >&2
	fail "text does not match /$2/"
}

# assert_exit CODE CMD [ARGS...]: run CMD, keep stdout+stderr in $OUT, and
# fail unless it exits with CODE.
assert_exit() {
	local want=$1 rc
	shift
	OUT=$("$@" 2>&1) && rc=0 || rc=$?
	printf '# $ %s  -> exit %s\n' "$*" "$rc"
	if [[ $rc != "$want" ]]; then
		printf -- '--- output:\n%s\n' "$OUT" >&2
		fail "'$*' exited $rc, expected $want"
	fi
}

# ---------------------------------------------------------------- processes

# _alive PID: the process exists and is not a zombie.
_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# spawn NAME LOG CMD [ARGS...]: start CMD in the background with stdout and
# stderr in LOG, and track it for cleanup. Sets SPAWNED_PID. Must be called
# from the test's main shell, not in $(...), so the trap can wait for it.
spawn() {
	local name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 </dev/null &
	SPAWNED_PID=$!
	_PIDS+=("$SPAWNED_PID")
	_NAMES+=("$name")
	_LOGS+=("$log")
}

# stop_pid PID: SIGTERM, up to 5 s grace, then SIGKILL; reap it and return
# its exit status. The PID is forgotten by the cleanup trap.
stop_pid() {
	local pid=$1 i rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		_alive "$pid" || break
		sleep 0.05
	done
	if _alive "$pid"; then
		printf '# pid %s ignored SIGTERM for 5 s, killing it\n' "$pid" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	for i in "${!_PIDS[@]}"; do
		[[ ${_PIDS[i]} == "$pid" ]] && unset '_PIDS[i]' '_NAMES[i]'
	done
	return "$rc"
}

# wait_for DESC PID CMD [ARGS...]: poll CMD every 0.05 s until it succeeds.
# Fails the test after $READY_TIMEOUT s, or at once if PID has exited.
wait_for() {
	local desc=$1 pid=$2 now deadline
	shift 2
	now=${EPOCHREALTIME//[.,]/}
	deadline=$((now + READY_TIMEOUT * 1000000))
	until "$@" >/dev/null 2>&1; do
		if [[ -n $pid ]] && ! _alive "$pid"; then
			fail "$desc exited during startup (see its log below)"
		fi
		now=${EPOCHREALTIME//[.,]/}
		((now < deadline)) || fail "$desc not ready after ${READY_TIMEOUT}s"
		sleep 0.05
	done
}

# _sanitizer_errors LOG: LOG holds an ASan/LSan/UBSan report.
_sanitizer_errors() {
	grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1" 2>/dev/null
}

# The EXIT trap: stop everything in reverse start order, release ports,
# print logs if the test failed, remove $T.
_cleanup() {
	local rc=$? i j log
	local -a idx=("${!_PIDS[@]}")
	trap - EXIT
	set +e
	for ((j = ${#idx[@]} - 1; j >= 0; j--)); do
		i=${idx[j]}
		# (rc >= 128: we were signalled, e.g. by meson's timeout, which
		# signals acmed too.)
		if [[ ${_NAMES[i]} == acmed ]] && ((rc < 128)) && ! _alive "${_PIDS[i]}"; then
			if ((rc == 0 || rc == 77)); then
				printf 'FAIL: acmed (pid %s) died during the test\n' "${_PIDS[i]}" >&2
				rc=1
			else
				printf 'note: acmed (pid %s) had exited\n' "${_PIDS[i]}" >&2
			fi
		fi
		stop_pid "${_PIDS[i]}" >/dev/null 2>&1
	done
	for ((j = ${#_AT_EXIT[@]} - 1; j >= 0; j--)); do
		eval "${_AT_EXIT[j]}" >/dev/null 2>&1
	done
	# A sanitizer report from the daemon fails the test even if every
	# assertion passed (the sanitizer build runs this same suite).
	if [[ -f $T/acmed.log ]] && _sanitizer_errors "$T/acmed.log"; then
		_FAIL_MSG="FAIL: sanitizer report in acmed.log"
		printf 'FAIL: sanitizer report in acmed.log\n' >&2
		((rc == 0 || rc == 77)) && rc=1
	fi
	if ((rc != 0 && rc != 77)); then
		# acmed's own log last and longest, then the failure once more:
		# a runner that keeps only the end of the output still shows why.
		for log in "${_LOGS[@]}"; do
			[[ -s $log && $log != "$T/acmed.log" ]] || continue
			printf -- '--- %s (last 25 lines)\n' "${log#"$T"/}" >&2
			tail -n 25 "$log" >&2
		done
		if [[ -s $T/acmed.log ]]; then
			printf -- '--- acmed.log (last 40 lines)\n' >&2
			tail -n 40 "$T/acmed.log" >&2
		fi
		((rc >= 128)) && _FAIL_MSG="FAIL: killed by signal $((rc - 128)) (a test timeout?)"
		[[ -n ${_FAIL_MSG:-} ]] && printf '%s\n' "$_FAIL_MSG" >&2
	fi
	((rc == 0)) && [[ $DEMO != 1 ]] && printf 'ok: %s\n' "$TEST_NAME"
	grep -lx "$$" "$PORT_DIR"/*/pid 2>/dev/null | while read -r log; do
		rm -rf "${log%/pid}"
	done
	if [[ ${KEEP_TMP:-0} == 1 ]]; then
		printf '# kept %s\n' "$T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# at_exit CMD: run CMD (a shell string) when the test ends, pass or fail,
# after the services are stopped: to remove users and groups a test made.
at_exit() {
	_AT_EXIT+=("$1")
}

# ---------------------------------------------------------------- ports

# free_port: print a TCP+UDP port on 127.0.0.1 that is free now and that no
# other test using this harness will get. The kernel picks the port (bind to
# port 0); a mkdir in $PORT_DIR reserves it until this test exits, since
# the kernel may hand the same, now unbound, port to a parallel test.
free_port() {
	local port i
	# Sticky and world-writable like /tmp: root and non-root runs share it.
	[[ -d $PORT_DIR ]] || mkdir -m 1777 "$PORT_DIR" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		port=$("$PYTHON" -c '
import socket
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.1", 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", t.getsockname()[1]))  # DNS needs UDP too
print(t.getsockname()[1])' 2>/dev/null) || continue
		if mkdir "$PORT_DIR/$port" 2>/dev/null; then
			echo "$$" >"$PORT_DIR/$port/pid"
			echo "$port"
			return
		fi
	done
	fail "no free port found"
}

# ---------------------------------------------------------------- DNS

# dns_query NAME [TYPE]: ask challtestsrv's DNS for NAME (TYPE A, AAAA or
# TXT, default A) over UDP; print one address (or TXT string) per line,
# nothing for NODATA.
# Returns non-zero on timeout or an error rcode. No dig needed.
dns_query() {
	"$PYTHON" - "$CHALLTESTSRV_DNS" "$1" "${2:-A}" <<'EOF'
import random, socket, struct, sys
server, name, qtype = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = server.rsplit(":", 1)
types = {"A": (1, socket.AF_INET), "AAAA": (28, socket.AF_INET6), "TXT": (16, None)}
code, family = types[qtype]
qid = random.randrange(65536)
query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
for label in name.rstrip(".").split("."):
    query += bytes([len(label)]) + label.encode()
query += b"\0" + struct.pack(">HH", code, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(query, (host, int(port)))
resp = s.recv(4096)
rid, flags, qd, an = struct.unpack(">HHHH", resp[:8])
if rid != qid or flags & 0xF:
    sys.exit("bad response: id %d rcode %d" % (rid, flags & 0xF))
def skip_name(off):
    while resp[off]:
        if resp[off] & 0xC0 == 0xC0:
            return off + 2
        off += resp[off] + 1
    return off + 1
off = 12
for _ in range(qd):
    off = skip_name(off) + 4
for _ in range(an):
    off = skip_name(off)
    rtype, _, _, rlen = struct.unpack(">HHIH", resp[off:off + 10])
    off += 10
    if rtype == code and family is None:
        print(resp[off + 1:off + 1 + resp[off]].decode())
    elif rtype == code:
        print(socket.inet_ntop(family, resp[off:off + rlen]))
    off += rlen
EOF
}

# challtestsrv PATH JSON: POST to challtestsrv's management API, e.g.
#   challtestsrv /set-txt '{"host":"_acme-challenge.x.acmed.test.","value":"..."}'
challtestsrv() {
	curl -sSf -o /dev/null -d "$2" "$CHALLTESTSRV_URL$1"
}

# ---------------------------------------------------------------- Pebble

# make_pebble_tls: a throwaway CA ($T/tls/ca.pem) and, signed by it, the
# certificate Pebble serves its API with: localhost and IP 127.0.0.1, EC
# P-256 ($T/tls/pebble.pem, $T/tls/pebble.key).
make_pebble_tls() {
	local d=$T/tls
	mkdir -p "$d"
	cat >"$d/pebble.ext" <<-EOF
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature
		extendedKeyUsage = serverAuth
		subjectAltName = DNS:localhost,IP:127.0.0.1
		authorityKeyIdentifier = keyid
	EOF
	# (&&, not set -e: errexit is off inside a command followed by ||.)
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
			-subj "/CN=acmed test harness CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" &&
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
				-nodes -keyout "$d/pebble.key" -out "$d/pebble.csr" \
				-subj "/CN=localhost" &&
			openssl x509 -req -in "$d/pebble.csr" -CA "$d/ca.pem" \
				-CAkey "$d/ca.key" -CAcreateserial -days 2 \
				-extfile "$d/pebble.ext" -out "$d/pebble.pem"
	} >"$d/openssl.log" 2>&1 || {
		cat "$d/openssl.log" >&2
		fail "make_pebble_tls: openssl failed"
	}
}

# start_challtestsrv: pebble-challtestsrv as Pebble's DNS server only (its
# http-01/https-01/tls-alpn-01 responders are off: acmed or nginx answer
# those). Every A query gets 127.0.0.1; AAAA queries get an empty answer
# (NODATA), so Pebble never tries ::1. Sets CHALLTESTSRV_DNS/_URL.
start_challtestsrv() {
	local dns_port mgmt_port
	dns_port=$(free_port)
	mgmt_port=$(free_port)
	CHALLTESTSRV_DNS=127.0.0.1:$dns_port
	CHALLTESTSRV_URL=http://127.0.0.1:$mgmt_port
	export CHALLTESTSRV_DNS CHALLTESTSRV_URL
	say "starting pebble-challtestsrv: DNS on $CHALLTESTSRV_DNS answers 127.0.0.1 for every name"
	spawn challtestsrv "$T/challtestsrv.log" pebble-challtestsrv \
		-dns01 "$CHALLTESTSRV_DNS" -management "127.0.0.1:$mgmt_port" \
		-http01 "" -https01 "" -tlsalpn01 "" \
		-defaultIPv4 127.0.0.1 -defaultIPv6 ""
	# The management API answers 404 on /: any HTTP answer means "up".
	wait_for challtestsrv "$SPAWNED_PID" curl -s -o /dev/null "$CHALLTESTSRV_URL/"
	wait_for "challtestsrv DNS" "$SPAWNED_PID" dns_query "ready.$TEST_DOMAIN"
}

# start_bind ZONE: BIND 9 (named) on a free loopback port, authoritative
# for ZONE (every name in it has A 127.0.0.1), accepting DNS UPDATEs signed
# with a fresh HMAC-SHA256 TSIG key and nothing else. Sets BIND_DNS
# (127.0.0.1:PORT), BIND_PORT, BIND_KEY_NAME, BIND_KEY_SECRET, BIND_LOG.
start_bind() {
	local zone=$1 d=$T/bind
	require_cmd named tsig-keygen dig
	mkdir -p "$d"
	BIND_PORT=$(free_port)
	BIND_DNS=127.0.0.1:$BIND_PORT
	BIND_KEY_NAME=acmed-test.
	BIND_LOG=$T/named.log
	tsig-keygen -a hmac-sha256 "$BIND_KEY_NAME" >"$d/key.conf" ||
		fail "tsig-keygen failed"
	BIND_KEY_SECRET=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$d/key.conf")
	[[ -n $BIND_KEY_SECRET ]] || fail "no secret in $d/key.conf"
	export BIND_DNS BIND_PORT BIND_KEY_NAME BIND_KEY_SECRET BIND_LOG
	cat >"$d/$zone.zone" <<-EOF
		\$TTL 60
		@ IN SOA ns.$zone. hostmaster.$zone. 1 3600 600 86400 60
		@ IN NS ns.$zone.
		@ IN A 127.0.0.1
		* IN A 127.0.0.1
	EOF
	cat >"$d/named.conf" <<-EOF
		include "$d/key.conf";
		options {
		  directory "$d";
		  pid-file "$d/named.pid";
		  session-keyfile "$d/session.key";
		  managed-keys-directory "$d";
		  listen-on port $BIND_PORT { 127.0.0.1; };
		  listen-on-v6 { none; };
		  recursion no;
		  dnssec-validation no;
		  notify no;
		};
		controls { };
		zone "$zone" {
		  type primary;
		  file "$d/$zone.zone";
		  update-policy { grant $BIND_KEY_NAME zonesub TXT; };
		};
	EOF
	say "starting BIND 9 on $BIND_DNS, authoritative for $zone (TSIG key $BIND_KEY_NAME)"
	# -g: foreground, logging to stderr; -n 1: one worker thread is enough.
	spawn named "$BIND_LOG" named -g -n 1 -c "$d/named.conf"
	wait_for named "$SPAWNED_PID" dig +time=1 +tries=1 +short -p "$BIND_PORT" \
		@127.0.0.1 SOA "$zone"
}

# bind_txt NAME: the TXT values BIND answers for NAME, one per line, sorted.
bind_txt() {
	dig +time=2 +tries=1 +short -p "$BIND_PORT" @127.0.0.1 TXT "$1" | tr -d '"' | sort
}

# start_pebble [--validity SECONDS] [--blocklist DOMAIN]... [--eab KID KEY]...
#              [--dnsserver ADDR:PORT] [VAR=VALUE]...
# Starts challtestsrv, then Pebble on free ports, and waits until its
# directory answers. VAR=VALUE pairs go into Pebble's environment (e.g.
# PEBBLE_AUTHZREUSE=0, PEBBLE_CHAIN_LENGTH=2). Pebble always runs with
# PEBBLE_VA_NOSLEEP=1 and its default 5% bad-nonce rejection, which clients
# must retry. --validity sets the issued certificates' lifetime (Pebble's
# default is 5 years); --blocklist makes Pebble refuse a domain and its
# subdomains (rejectedIdentifier); --eab makes Pebble require an external
# account binding and accept KID with MAC key KEY (base64url). --dnsserver
# points Pebble's resolver at another server than challtestsrv (BIND).
start_pebble() {
	local validity="" blocklist="" sep="" port mgmt_port eab_required=false eab="" esep=""
	local dnsserver=""
	local -a env=(PEBBLE_VA_NOSLEEP=1)
	while (($#)); do
		case $1 in
		--validity) validity="\"certificateValidityPeriod\": $2,"; shift 2 ;;
		--blocklist) blocklist+="$sep\"$2\""; sep=", "; shift 2 ;;
		--eab) eab+="$esep\"$2\": \"$3\""; esep=", "; eab_required=true; shift 3 ;;
		--dnsserver) dnsserver=$2; shift 2 ;;
		*=*) env+=("$1"); shift ;;
		*) fail "start_pebble: unknown argument $1" ;;
		esac
	done
	require_cmd pebble pebble-challtestsrv openssl curl
	start_challtestsrv
	make_pebble_tls
	port=$(free_port)
	mgmt_port=$(free_port)
	HTTP01_PORT=$(free_port)
	TLSALPN_PORT=$(free_port)
	PEBBLE_DIR_URL=https://127.0.0.1:$port/dir
	PEBBLE_MGMT=https://127.0.0.1:$mgmt_port
	PEBBLE_CA_BUNDLE=$T/tls/ca.pem
	export HTTP01_PORT TLSALPN_PORT PEBBLE_DIR_URL PEBBLE_MGMT PEBBLE_CA_BUNDLE
	# Pebble reads JSON keys case-insensitively (Go's encoding/json).
	cat >"$T/pebble.json" <<-EOF
		{
		  "pebble": {
		    "listenAddress": "127.0.0.1:$port",
		    "managementListenAddress": "127.0.0.1:$mgmt_port",
		    "certificate": "$T/tls/pebble.pem",
		    "privateKey": "$T/tls/pebble.key",
		    "httpPort": $HTTP01_PORT,
		    "tlsPort": $TLSALPN_PORT,
		    "ocspResponderURL": "",
		    "externalAccountBindingRequired": $eab_required,
		    "externalAccountMACKeys": {$eab},
		    $validity
		    "domainBlocklist": [$blocklist]
		  }
		}
	EOF
	say "starting a local Pebble CA on 127.0.0.1:$port"
	# -strict=false, not "-strict false": Go's flag package stops parsing
	# at "false" and leaves strict mode ON.
	spawn pebble "$T/pebble.log" env "${env[@]}" pebble \
		-config "$T/pebble.json" -dnsserver "${dnsserver:-$CHALLTESTSRV_DNS}" -strict=false
	wait_for pebble "$SPAWNED_PID" \
		curl -sf --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_DIR_URL"
}

# pebble_root: fetch Pebble's issuing root (new on every Pebble start) into
# $T/pebble-root.pem and export PEBBLE_ROOT.
pebble_root() {
	PEBBLE_ROOT=$T/pebble-root.pem
	export PEBBLE_ROOT
	curl -sSf --cacert "$PEBBLE_CA_BUNDLE" -o "$PEBBLE_ROOT" "$PEBBLE_MGMT/roots/0" ||
		fail "cannot fetch $PEBBLE_MGMT/roots/0"
}

# ---------------------------------------------------------------- the proxy

# start_ca_proxy: tests/integration/ca-proxy.py on a free port in front of
# Pebble (which must be running), with an empty config: it forwards
# everything until proxy_config says otherwise. Points ACMED_SERVER at it.
# The proxy writes its forging CA's root and intermediate to
# $T/forge-root.pem and $T/forge-intermediate.pem (next to its config).
start_ca_proxy() {
	local port
	port=$(free_port)
	CA_PROXY_CONFIG=$T/proxy.json
	CA_PROXY_LOG=$T/proxy.log
	CA_PROXY_FORGE_ROOT=$T/forge-root.pem
	CA_PROXY_FORGE_INTERMEDIATE=$T/forge-intermediate.pem
	ACMED_SERVER=https://127.0.0.1:$port/dir
	export CA_PROXY_CONFIG CA_PROXY_LOG CA_PROXY_FORGE_ROOT CA_PROXY_FORGE_INTERMEDIATE
	export ACMED_SERVER
	echo '{}' >"$CA_PROXY_CONFIG"
	: >"$CA_PROXY_LOG"
	say "starting the test proxy on 127.0.0.1:$port in front of Pebble"
	spawn ca-proxy "$T/ca-proxy.err" "$PYTHON" "$REPO_DIR/tests/integration/ca-proxy.py" \
		"$port" "$PEBBLE_DIR_URL" "$T/tls/pebble.pem" "$T/tls/pebble.key" \
		"$PEBBLE_CA_BUNDLE" "$CA_PROXY_CONFIG" "$CA_PROXY_LOG"
	wait_for ca-proxy "$SPAWNED_PID" curl -sf --cacert "$PEBBLE_CA_BUNDLE" "$ACMED_SERVER"
}

# proxy_config JSON: replace the proxy's config (atomically; it re-reads it
# on the next request).
proxy_config() {
	printf '%s\n' "$1" >"$CA_PROXY_CONFIG.tmp"
	mv "$CA_PROXY_CONFIG.tmp" "$CA_PROXY_CONFIG"
}

# proxy_requests [JQ-FILTER]: the proxy's log lines (JSON) matching the jq
# select() filter, e.g. proxy_requests '.path | test("new-order")'.
proxy_requests() {
	jq -c "select(${1:-true})" "$CA_PROXY_LOG"
}

# What certbot 2.1 prints when Pebble's badNonce got the better of it: it
# retries a badNonce only once (at registration not at all), and on some
# paths dies with "AttributeError: can't set attribute" in its error path.
CERTBOT_BAD_NONCE="error:badNonce|invalid anti-replay nonce|AttributeError: can't set attribute"

# certbot_is CODE ARGS...: run "${CB[@]}" ARGS (the test's certbot command
# line) and assert its exit status is CODE; its output is in CB_OUT. Pebble
# rejects 5% of good nonces: a run that failed that way
# ($CERTBOT_BAD_NONCE) is run again (up to three times in all).
certbot_is() {
	local want=$1 rc
	shift
	for _ in 1 2 3; do
		rc=0
		"${CB[@]}" "$@" >"$T/certbot.out" 2>&1 || rc=$?
		grep -qE "$CERTBOT_BAD_NONCE" "$T/certbot.out" || break
	done
	CB_OUT=$(cat "$T/certbot.out")
	[[ $rc == "$want" ]] || fail "certbot $*: exit $rc, want $want: $CB_OUT"
}

# pebble_drop_authzs: deactivate every authorization the proxy has seen,
# signed with the one account under $T/state. Pebble creates a new
# authorization with rand.Intn(100) > PEBBLE_AUTHZREUSE, so even at 0 it
# reuses a valid one for 1 order in 100; a test whose steps each need the
# CA to validate afresh calls this between them.
pebble_drop_authzs() {
	local key acct path try n=0
	key=$(find "$T/state/accounts" -name key.pem | head -n 1)
	[[ -n $key ]] || return 0
	acct=$(jq -r .url "$(dirname "$key")/account.json")
	# Straight to Pebble, past the proxy and its faults: the key ID then
	# has Pebble's origin, as Pebble checks it against the request's.
	acct=${PEBBLE_DIR_URL%/dir}/${acct#https://*/}
	touch "$T/dropped-authzs"
	for path in $(jq -r 'select(.path | startswith("/authZ/")) | .path' "$CA_PROXY_LOG" |
		sort -u | comm -23 - "$T/dropped-authzs"); do
		for try in 1 2 3 4 5; do # Pebble's 5% badNonce
			"$PYTHON" "$REPO_DIR/tests/integration/jws-post.py" "$PEBBLE_DIR_URL" \
				"$PEBBLE_CA_BUNDLE" "$key" "$acct" "${PEBBLE_DIR_URL%/dir}$path" \
				'{"status": "deactivated"}' >"$T/drop.out" 2>&1 ||
				fail "jws-post.py failed: $(cat "$T/drop.out")"
			grep -q badNonce "$T/drop.out" || break
		done
		if [[ $(head -n 1 "$T/drop.out") == 200 ]]; then
			n=$((n + 1))
		else # one already invalid or deactivated stays so
			grep -q "status valid\|deactivated\|invalid" "$T/drop.out" ||
				fail "deactivating $path: $(cat "$T/drop.out")"
		fi
		echo "$path" >>"$T/dropped-authzs"
		sort -o "$T/dropped-authzs" "$T/dropped-authzs"
	done
	say "deactivated $n authorization(s) at Pebble"
}

# ---------------------------------------------------------------- prometheus

# start_prometheus TARGET INTERVAL: a real Prometheus on a free port
# (PPORT) scraping TARGET (ADDRESS:PORT) every INTERVAL, its data in $T.
start_prometheus() {
	PPORT=$(free_port)
	cat >"$T/prometheus.yml" <<-EOF
		global:
		  scrape_interval: $2
		scrape_configs:
		  - job_name: acmed
		    static_configs:
		      - targets: ["$1"]
	EOF
	spawn prometheus "$T/prometheus.log" prometheus --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/prometheus-data" --web.listen-address="127.0.0.1:$PPORT"
	wait_for prometheus "$SPAWNED_PID" curl -sf "http://127.0.0.1:$PPORT/-/ready"
}

# cert_serial FILE: the serial of a PEM certificate, in the same form.
cert_serial() {
	local s
	s=$(openssl x509 -in "$1" -noout -serial) || return 1
	s=${s#serial=}
	s=$(tr 'A-F' 'a-f' <<<"$s")
	while [[ ${s:0:1} == 0 && ${#s} -gt 1 ]]; do s=${s:1}; done
	printf '%s\n' "$s"
}

# live_version NAME [STATE_DIR]: the version live/NAME/cert.pem points at.
live_version() {
	local t
	t=$(readlink "${2:-$T/state}/live/$1/cert.pem") || return 1
	t=${t##*/cert}
	printf '%s\n' "${t%.pem}"
}

# certonly_together WEBROOT NAME...: `acmectl certonly --webroot` for each
# NAME, all at once (configuration management on a new host); fails unless
# every one succeeds. Each one's output is in $T/NAME.out.
certonly_together() {
	local web=$1 n i rc pids=()
	shift
	for n in "$@"; do
		"$ACMECTL" certonly --webroot -w "$web" -n --agree-tos -m admin@example.org \
			-d "$n" >"$T/$n.out" 2>&1 &
		pids+=($!)
	done
	for ((i = 1; i <= $#; i++)); do
		rc=0
		wait "${pids[i - 1]}" || rc=$?
		((rc == 0)) || fail "certonly -d ${!i} exited $rc: $(cat "$T/${!i}.out")"
	done
}

# live_at_least NAME N: live/NAME points at version N or later.
live_at_least() {
	local v
	v=$(live_version "$1") && ((v >= $2))
}

# serial_is EXPECTED: nginx presents the certificate with this serial.
serial_is() {
	[[ $(tls_serial) == "$1" ]]
}

# wait_until SECONDS DESC CMD [ARGS...]: poll CMD every 0.1 s for its first
# 3 s, then every 0.3 s; fail after SECONDS. For things that take longer
# than a service's start-up. (A minute's wait polled ten times a second
# ran 1,200 acmectl and jq processes, CPU the other tests running beside
# it lacked.)
wait_until() {
	local secs=$1 desc=$2 now start deadline
	shift 2
	start=${EPOCHREALTIME//[.,]/}
	deadline=$((start + secs * 1000000))
	until "$@" >/dev/null 2>&1; do
		now=${EPOCHREALTIME//[.,]/}
		((now < deadline)) || fail "$desc: not within ${secs}s"
		if ((now - start < 3000000)); then sleep 0.1; else sleep 0.3; fi
	done
}

# ---------------------------------------------------------------- acmed

# start_acmed [ARGS...]: run acmed in the foreground (backgrounded by us)
# against Pebble, with state in $T/state, its control socket at
# $T/acmed.sock and the config $T/acmed.conf (a comment only, unless the test
# wrote one first); ARGS are appended. Waits until "acmectl status" answers.
# Exports ACMED_SOCKET and ACMED_PID; the log (with the workers') is
# $T/acmed.log.
start_acmed() {
	[[ -x $ACMED && -x $ACMECTL ]] ||
		fail "$ACMED or $ACMECTL missing: build first (meson setup build && meson compile -C build)"
	ACMED_SOCKET=$T/acmed.sock
	export ACMED_SOCKET
	[[ -f $T/acmed.conf ]] || echo "# acmed.conf for $TEST_NAME: defaults only" >"$T/acmed.conf"
	say "starting acmed with state in $T/state"
	# ACMED_WRAP: a command to run acmed under (strace in privsep.sh).
	spawn acmed "$T/acmed.log" "${ACMED_WRAP[@]}" "$ACMED" --foreground --log-level debug \
		--config "$T/acmed.conf" --state-dir "$T/state" \
		--socket "$ACMED_SOCKET" --server "${ACMED_SERVER:-$PEBBLE_DIR_URL}" \
		--ca-bundle "$PEBBLE_CA_BUNDLE" "$@"
	ACMED_PID=$SPAWNED_PID
	wait_for acmed "$ACMED_PID" _acmed_ready
}

_acmed_ready() {
	[[ -S $ACMED_SOCKET ]] && command "$ACMECTL" --socket "$ACMED_SOCKET" status
}

# stop_acmed [CODE]: SIGTERM acmed, wait for it, and fail the test unless it
# exits with CODE (default 0: a clean shutdown).
stop_acmed() {
	local rc=0
	stop_pid "$ACMED_PID" || rc=$?
	assert_eq "$rc" "${1:-0}" "acmed exit status after SIGTERM"
}

# cert_json NAME FIELD: FIELD (a jq path such as "failures" or
# "ari.window_start") of lineage NAME in `acmectl --json certificates`;
# times (RFC 3339 in the JSON) are printed as Unix times, "null" if absent.
cert_json() {
	command "$ACMECTL" --socket "$ACMED_SOCKET" --json certificates --cert-name "$1" |
		jq -r ".certificates[0].$2 | $JQ_EPOCH"
}
# A jq filter: an RFC 3339 time as a Unix time, anything else unchanged.
JQ_EPOCH='if type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T") then fromdateiso8601 else . end'

# acmectl ARGS...: the acmectl binary talking to this test's acmed.
acmectl() {
	command "$ACMECTL" --socket "$ACMED_SOCKET" "$@"
}

# nginx: started, reloaded and probed (nginx-lib.sh).
source "$REPO_DIR/tests/integration/nginx-lib.sh"
