#!/bin/bash
# The systemd files as `meson install` installs them: the units pass
# `systemd-analyze verify` without a warning, acmed.service's exposure score
# stays at or under 2.5 with no credit for what does not hold for root
# (ProtectProc=), its system call filter lets acmed work (Landlock, fork,
# chown, sockets, systemd-run for hooks) and blocks what it should, the
# sysusers.d and tmpfiles.d files apply, and the files agree with each other
# and with acmed's defaults. Nothing is installed outside $T, and no unit is
# started (no systemd is needed as PID 1).
source "$(dirname "$0")/lib.sh"

require_cmd meson systemd-analyze systemd-sysusers systemd-tmpfiles jq man
# The score tests/systemd/readme.sh measures on the loaded unit inside a
# booted system, too.
MAX_EXPOSURE=2.5

# ---------------------------------------------------------------- install

D=$T/root
say "installing into $D"
# --no-rebuild: meson test has built acmed and acmectl already.
meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$D" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log" >&2; fail "meson install --destdir failed"; }

# find_one NAME PATH-GLOB: the one installed file called NAME whose path
# matches PATH-GLOB (find -path).
find_one() {
	local hits
	hits=$(find "$D" -name "$1" -path "$2")
	[[ -n $hits && $hits != *$'\n'* ]] || fail "expected one installed $1 ($2), found: ${hits:-none}"
	printf '%s\n' "$hits"
}
service=$(find_one acmed.service '*/systemd/system/*')
socket=$(find_one acmed.socket '*/systemd/system/*')
sysusers=$(find_one acmed.conf '*/sysusers.d/*')
tmpfiles=$(find_one acmed.conf '*/tmpfiles.d/*')
unitdir=${service%/*}
[[ ${socket%/*} == "$unitdir" ]] || fail "acmed.socket and acmed.service in different directories"

# unit_value FILE KEY: the values of KEY= in FILE, one per line, in order.
unit_value() {
	sed -n "s/^$2=//p" "$1"
}

# ---------------------------------------------------------------- verify

# ExecStart= names the acmed that was installed with the unit.
exec_start=$(unit_value "$service" ExecStart)
acmed_path=${exec_start%% *}
[[ $acmed_path == /* ]] || fail "ExecStart= is not an absolute path: $exec_start"
[[ -x $D$acmed_path ]] || fail "ExecStart=$acmed_path: not installed as $D$acmed_path"
assert_eq "${exec_start#* }" "--foreground" "acmed's arguments in ExecStart="
# ExecReload= is acmectl's reload, over the socket: no /bin/kill (procps).
exec_reload=$(unit_value "$service" ExecReload)
acmectl_path=${exec_reload%% *}
[[ $acmectl_path == /*/acmectl && -x $D$acmectl_path ]] ||
	fail "ExecReload=$exec_reload: not the installed acmectl"
assert_eq "${exec_reload#* }" "reload" "acmectl's arguments in ExecReload="

# systemd-analyze verify checks that ExecStart's program exists on this
# machine, and looks the Documentation= man pages up with man(1). The units
# are verified as installed; only ExecStart and ExecReload are pointed into
# $D, by a drop-in as an administrator would write one, and man reads $D's
# pages.
mkdir "$service.d"
printf '[Service]\nExecStart=\nExecStart=%s --foreground\nExecReload=\nExecReload=%s reload\n' \
	"$D$acmed_path" "$D$acmectl_path" >"$service.d/verify.conf"
man_page=$(find_one acmed.8 '*/man8/*')
mandir=${man_page%/man8/*}
say "systemd-analyze verify acmed.service acmed.socket"
rc=0
MANPATH=$mandir SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$service" "$socket" \
	>"$T/verify.out" 2>&1 || rc=$?
cat "$T/verify.out"
# Any line about our units is a warning (systemd-analyze exits 0 for an
# unknown key or a bad value), so the output must not name them at all.
if grep -q 'acmed' "$T/verify.out" || ((rc != 0)); then
	fail "systemd-analyze verify: exit $rc, or warnings about acmed's units (above)"
fi
# The check itself works: an unknown key in a copy of the socket is reported.
mkdir "$T/broken"
sed 's/^SocketMode=/SocketMod=/' "$socket" >"$T/broken/acmed.socket"
MANPATH=$mandir systemd-analyze verify "$T/broken/acmed.socket" >"$T/broken.out" 2>&1 || true
assert_contains "$T/broken.out" "acmed.socket:.*SocketMod"
rm "$service.d/verify.conf"

# ---------------------------------------------------------------- security

say "systemd-analyze security --offline=true acmed.service"
SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=true "$service" >"$T/security.out" 2>&1 ||
	{ cat "$T/security.out" >&2; fail "systemd-analyze security failed"; }
# The settings that still count (✗, or - where the locale is not UTF-8).
grep -E '^(✗|-) ' "$T/security.out" || true
score=$(sed -n 's/.*Overall exposure level for acmed\.service: \([0-9]*\.[0-9]\).*/\1/p' "$T/security.out")
[[ -n $score ]] || { cat "$T/security.out" >&2; fail "no overall exposure level in the output"; }
say "exposure score: $score (at most $MAX_EXPOSURE)"
# In tenths, as integers: 2.0 -> 20.
((10#${score/./} <= 10#${MAX_EXPOSURE/./})) ||
	fail "acmed.service exposure $score is over $MAX_EXPOSURE: the hardening regressed"
# systemd's own threshold agrees (exits 1 above it).
systemd-analyze security --offline=true --threshold="${MAX_EXPOSURE/./}" "$service" >/dev/null ||
	fail "systemd-analyze security --threshold=${MAX_EXPOSURE/./} refused acmed.service"

# What the hooks (systemctl reload nginx) and the daemon cannot do without,
# as systemd itself reads the unit: AF_UNIX and the Internet families are
# allowed, no user namespace, the host's network.
security_json=$(systemd-analyze security --offline=true --json=short "$service")
not_restricted() {
	local set
	set=$(jq -r --arg n "$1" '.[] | select(.name == $n) | .set' <<<"$security_json")
	assert_eq "$set" false "$1 (needed: $2)"
}
not_restricted "RestrictAddressFamilies=~AF_UNIX" "control socket, sd_notify, systemd-run for hooks"
not_restricted "RestrictAddressFamilies=~AF_(INET|INET6)" "the CA, the standalone authenticator"
not_restricted "PrivateUsers=" "root hooks, chown, port 80"
not_restricted "PrivateNetwork=" "the CA"
for key in ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes \
	RestrictAddressFamilies="AF_UNIX AF_INET AF_INET6" Type=notify Restart=on-failure \
	StateDirectory=acmed RuntimeDirectory=acmed UMask=0077 \
	"ReadWritePaths=-/var/www -/srv/www -/srv/http -/usr/share/nginx/html"; do
	grep -qxF "$key" "$service" || fail "acmed.service lacks $key"
done
# The web roots acmed's errors and import-certbot take as the unit's
# (common/unitlimits.c) are the unit's ReadWritePaths=.
c_roots=$(sed -n '/unit_web_roots\[\] = {/,/};/p' "$REPO_DIR/common/unitlimits.c" |
	grep -o '"/[^"]*"' | tr -d '"' | paste -sd' ')
assert_eq "$c_roots" "$(unit_value "$service" ReadWritePaths | sed -E 's/(^| )-/\1/g')" \
	"unit_web_roots in common/unitlimits.c and ReadWritePaths= in acmed.service"
# ProtectProc= hides nothing from root (systemd.exec(5)): its credit in the
# score would be false, so the unit does not claim it.
! grep -q '^ProtectProc=' "$service" || fail "acmed.service sets ProtectProc=, which root ignores"
grep -qx 'WatchdogSec=[1-9].*' "$service" || fail "acmed.service has no WatchdogSec="

# ---------------------------------------------------------------- seccomp

# The system calls the unit's SystemCallFilter= lines allow, worked out as
# systemd does: the first line (not ~) makes an allow list that starts with
# @default; each later line adds its calls, or with ~ removes them.
expand() {
	local name
	systemd-analyze syscall-filter "$1" | sed -n '2,${/^ *#/d;/^ *$/d;s/^ *//;p}' |
		while read -r name; do
			if [[ $name == @* ]]; then expand "$name"; else echo "$name"; fi
		done
}
declare -A allowed=()
first=1
while read -r value; do
	invert=0
	if [[ $value == "~"* ]]; then
		invert=1
		value=${value#"~"}
	fi
	if ((first)); then
		((invert == 0)) || fail "SystemCallFilter= must start with an allow list, not ~$value"
		value="@default $value"
		first=0
	fi
	for word in $value; do
		while read -r call; do
			if ((invert)); then unset "allowed[$call]"; else allowed[$call]=1; fi
		done < <(if [[ $word == @* ]]; then expand "$word"; else echo "$word"; fi)
	done
done < <(unit_value "$service" SystemCallFilter)
((${#allowed[@]} > 100)) || fail "only ${#allowed[@]} system calls allowed: cannot be right"
say "SystemCallFilter= allows ${#allowed[@]} system calls"
# Job workers (Landlock, no_new_privs, the signer's socketpair and fork),
# the daemon's loop, files and sockets, and the hooks' fork/exec and chown.
for call in landlock_create_ruleset landlock_add_rule landlock_restrict_self prctl \
	socketpair fork clone clone3 execve wait4 waitid pidfd_open kill setpgid setsid \
	pipe2 close_range epoll_create1 epoll_ctl epoll_wait signalfd4 timerfd_create \
	timerfd_settime socket connect bind listen accept4 sendmsg recvmsg getsockopt \
	openat mkdirat renameat2 unlinkat symlinkat fsync flock getrandom \
	chown fchown fchownat lchown fchmod umask; do
	[[ -n ${allowed[$call]:-} ]] || fail "SystemCallFilter= blocks $call"
done
for call in mount umount2 ptrace setuid setgroups capset reboot swapon init_module \
	settimeofday setrlimit sched_setscheduler; do
	[[ -z ${allowed[$call]:-} ]] || fail "SystemCallFilter= allows $call"
done
assert_eq "$(unit_value "$service" SystemCallErrorNumber)" EPERM \
	"blocked calls fail with EPERM (a hook then gets an error, not SIGSYS)"

# ---------------------------------------------------------------- sysusers, tmpfiles

state_mode=$(unit_value "$service" StateDirectoryMode)
run_mode=$(unit_value "$service" RuntimeDirectoryMode)
assert_eq "$(unit_value "$socket" DirectoryMode)" "$run_mode" \
	"acmed.socket's DirectoryMode= and RuntimeDirectoryMode="
# /run/acmed is root:root, so the members of group acmed reach the socket in
# it through the bits for others.
((8#$run_mode & 01)) || fail "RuntimeDirectoryMode=$run_mode: group acmed cannot reach the socket"
assert_eq "$(unit_value "$service" RuntimeDirectoryPreserve)" yes \
	"RuntimeDirectoryPreserve= (a stop must not delete the socket's directory)"

# mode_owner PATH: "0755 root:root".
mode_owner() {
	printf '%04o %s\n' "0$(stat -c %a "$1")" "$(stat -c %U:%G "$1")"
}
# They create a group and root's directories: only as root.
apply_sysusers_tmpfiles() {
	say "systemd-sysusers --root and systemd-tmpfiles --root --create"
	mkdir -p "$D/etc"
	systemd-sysusers --root="$D" >"$T/sysusers.out" 2>&1 ||
		{ cat "$T/sysusers.out" >&2; fail "systemd-sysusers --root failed"; }
	group_line=$(grep '^acmed:' "$D/etc/group") || fail "no group acmed in $D/etc/group"
	gid=$(cut -d: -f3 <<<"$group_line")
	((gid > 0 && gid < 1000)) || fail "group acmed got gid $gid, not a system gid"
	systemd-tmpfiles --root="$D" --create >"$T/tmpfiles.out" 2>&1 ||
		{ cat "$T/tmpfiles.out" >&2; fail "systemd-tmpfiles --root --create failed"; }
	[[ ! -s $T/tmpfiles.out ]] || { cat "$T/tmpfiles.out" >&2; fail "systemd-tmpfiles warned"; }
	assert_eq "$(mode_owner "$D/var/lib/acmed")" "$state_mode root:root" \
		"/var/lib/acmed from tmpfiles.d, as StateDirectoryMode="
	assert_eq "$(mode_owner "$D/run/acmed")" "$run_mode root:root" \
		"/run/acmed from tmpfiles.d, as RuntimeDirectoryMode="
}
if ((EUID == 0)); then
	apply_sysusers_tmpfiles
else
	say "not root: sysusers.d and tmpfiles.d checked by the units' values only"
	systemd-sysusers --root="$D" --dry-run >"$T/sysusers.out" 2>&1 ||
		{ cat "$T/sysusers.out" >&2; fail "systemd-sysusers --dry-run failed"; }
	assert_contains "$T/sysusers.out" "Creating group 'acmed'"
fi
assert_contains "$tmpfiles" "^d /var/lib/acmed +$state_mode +root +root "
assert_contains "$tmpfiles" "^d /run/acmed +$run_mode +root +root "

# ---------------------------------------------------------------- agreement

# The socket is where acmed and acmectl look by default, in the runtime
# directory; its group is the sysusers.d group and acmed's default
# read_group; the state directory is acmed's default.
help=$("$D$acmed_path" --help)
listen=$(unit_value "$socket" ListenStream)
assert_match "$help" "--socket PATH +control socket \\(default $listen\\)"
assert_eq "${listen%/*}" "/run/$(unit_value "$service" RuntimeDirectory)" "the socket's directory"
assert_match "$help" "--state-dir DIR +where lineages live \\(default /var/lib/$(unit_value "$service" StateDirectory)\\)"
assert_eq "$(unit_value "$socket" SocketGroup)" acmed "SocketGroup="
assert_eq "$(unit_value "$socket" SocketMode)" 0660 "SocketMode="
assert_contains "$sysusers" '^g acmed '
assert_contains "$REPO_DIR/common/config.c" 'config_set_string\(&cfg->read_group, "acmed"\)'
grep -qx 'Requires=acmed.socket' "$service" || fail "acmed.service does not require acmed.socket"
grep -qx 'Also=acmed.socket' "$service" || fail "enabling acmed.service does not enable acmed.socket"
grep -qx 'WantedBy=sockets.target' "$socket" || fail "acmed.socket is not wanted by sockets.target"

# ---------------------------------------------------------------- post-install

# meson's install script: nothing for a staged install (DESTDIR); otherwise
# sysusers and tmpfiles with the installed files, and a daemon-reload only
# where systemd runs. Stubs record what would run.
post=$REPO_DIR/systemd/postinstall.sh
mkdir "$T/stubs"
for cmd in systemd-sysusers systemd-tmpfiles systemctl; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$T/stubs.log" >"$T/stubs/$cmd"
	chmod +x "$T/stubs/$cmd"
done
: >"$T/stubs.log"
DESTDIR=$D PATH=$T/stubs:$PATH bash "$post" /u/sysusers.conf /u/tmpfiles.conf
assert_eq "$(cat "$T/stubs.log")" "" "the install script with DESTDIR"
env -u DESTDIR PATH="$T/stubs:$PATH" bash "$post" /u/sysusers.conf /u/tmpfiles.conf 2>/dev/null
want=""
if ((EUID == 0)); then
	want="systemd-sysusers /u/sysusers.conf
systemd-tmpfiles --create /u/tmpfiles.conf"
	[[ -d /run/systemd/system ]] && want+=$'\nsystemctl daemon-reload'
fi
assert_eq "$(cat "$T/stubs.log")" "$want" "the install script without DESTDIR"

pass
