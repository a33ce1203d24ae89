# shellcheck shell=bash
# tests/systemd/lib.sh: boot a Debian 12 root with systemd as PID 1 under
# systemd-nspawn and run commands inside it. Source it after
# tests/integration/lib.sh (whose skip, fail, spawn and at_exit it uses):
#
#     source "$(dirname "$0")/../integration/lib.sh"
#     source "$(dirname "$0")/lib.sh"
#     container_require            # skips unless this machine can do it
#     container_boot               # the cached root (mkroot.sh), booted
#     container_install            # meson install --destdir, copied in
#     ctr systemctl enable --now acmed.socket
#
# The container shares the host's network namespace (so it reaches a Pebble
# on the host's loopback, and the host's Pebble reaches a responder inside)
# and writes only to a tmpfs overlaid on the cached root
# (--volatile=overlay): every test starts from the same pristine root, and
# several can boot it at once.
#
# It works without systemd on the host: --register=no --keep-unit (no
# machined, no scope unit), and commands run inside through nsenter into the
# namespaces of the container's PID 1 (machinectl shell and systemd-run -M
# need a host systemd). nspawn's own system call filter blocks Landlock,
# which acmed's workers confine themselves with; the three calls are added.
#
# Exported: CONTAINER_ROOT (the cached root), LEADER (host PID of the
# container's systemd), MACHINE (its machine name).

CONTAINER_BOOT_TIMEOUT=${CONTAINER_BOOT_TIMEOUT:-60}
# What commands inside see: a login-like environment, not the host's (the
# test's PATH, BUILD_DIR, LSAN_OPTIONS...). No pager, no colours.
CTR_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	LANG=C.UTF-8 HOME=/root TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0)

# container_require: skip the test unless this machine can build and boot
# the container: root, systemd-nspawn, mmdebstrap, nsenter, and a build
# that runs without a sanitizer runtime (the root has none).
container_require() {
	((EUID == 0)) || skip "systemd-nspawn needs root"
	command -v systemd-nspawn >/dev/null 2>&1 ||
		skip "systemd-nspawn is not installed (package systemd-container; run scripts/install-deps)"
	command -v mmdebstrap >/dev/null 2>&1 ||
		skip "mmdebstrap is not installed (run scripts/install-deps)"
	require_cmd nsenter meson flock tar
	local sanitize
	sanitize=$(meson introspect --buildoptions "$BUILD_DIR" 2>/dev/null |
		"$PYTHON" -c 'import json, sys
print(next((o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"), "none"))') ||
		sanitize=unknown
	[[ $sanitize == none ]] ||
		skip "the build uses sanitizers ($sanitize): the container has no sanitizer runtime"
}

# container_root: build (once) or find the cached root; skip if it cannot
# be built (no mirror reachable, for example). Sets CONTAINER_ROOT.
container_root() {
	local start=$SECONDS
	CONTAINER_ROOT=$("$REPO_DIR/tests/systemd/mkroot.sh" 2>"$T/mkroot.log") || {
		cat "$T/mkroot.log" >&2
		skip "cannot build the Debian 12 root (tests/systemd/mkroot.sh, above)"
	}
	# "mkroot: built in N s ..." now, or "mkroot: cached root, built in ...".
	say "root: $CONTAINER_ROOT ($((SECONDS - start)) s here; $(sed -n 's/^mkroot: //p' "$T/mkroot.log" | tail -n 1))"
	export CONTAINER_ROOT
}

# _leader PID: the host PID of the container's PID 1 among PID's children.
_leader() {
	local child status
	for child in $(cat "/proc/$1/task/"*/children 2>/dev/null); do
		status=$(cat "/proc/$child/status" 2>/dev/null) || continue
		if [[ $status =~ NSpid:[[:space:]]+${child}[[:space:]]+1($'\n'|$) ]]; then
			printf '%s\n' "$child"
			return 0
		fi
	done
	return 1
}

# container_boot: boot the cached root (container_root first if needed)
# with systemd-nspawn -b and wait until systemd reports "running". Skips if
# nspawn cannot start a container here at all; fails if the system comes
# up degraded (the failed units are printed). The container is shut down
# when the test ends.
container_boot() {
	local start=$EPOCHREALTIME nspawn deadline state
	[[ -n ${CONTAINER_ROOT:-} ]] || container_root
	MACHINE=acmed-$TEST_NAME-$$
	MACHINE=${MACHINE:0:64}
	say "booting $CONTAINER_ROOT with systemd-nspawn -b (machine $MACHINE)"
	spawn nspawn "$T/nspawn.log" systemd-nspawn --quiet --boot \
		--directory="$CONTAINER_ROOT" --volatile=overlay --machine="$MACHINE" \
		--register=no --keep-unit --console=pipe \
		--system-call-filter='landlock_create_ruleset landlock_add_rule landlock_restrict_self'
	nspawn=$SPAWNED_PID
	deadline=$((SECONDS + CONTAINER_BOOT_TIMEOUT))
	until LEADER=$(_leader "$nspawn") && [[ $(cat "/proc/$LEADER/comm" 2>/dev/null) == systemd ]]; do
		if ! _alive "$nspawn"; then
			cat "$T/nspawn.log" >&2
			skip "systemd-nspawn cannot boot a container on this machine (its output above)"
		fi
		((SECONDS < deadline)) || fail "no systemd in the container after ${CONTAINER_BOOT_TIMEOUT}s"
		sleep 0.05
	done
	export LEADER MACHINE
	# If nspawn is killed, its container would live on: kill its PID 1,
	# which takes every process of the container's PID namespace with it.
	at_exit "_container_kill $LEADER"
	# systemctl talks to PID 1 through this socket, made early in its boot.
	until [[ -S /proc/$LEADER/root/run/systemd/private ]]; do
		_alive "$nspawn" || fail "systemd-nspawn exited while the container booted (its log below)"
		((SECONDS < deadline)) || fail "no /run/systemd/private in the container after ${CONTAINER_BOOT_TIMEOUT}s"
		sleep 0.05
	done
	state=$(timeout "$CONTAINER_BOOT_TIMEOUT" nsenter -t "$LEADER" -a \
		env -i "${CTR_ENV[@]}" systemctl is-system-running --wait 2>&1) || true
	if [[ $state != running ]]; then
		ctr systemctl --failed --no-legend >&2 || true
		fail "the container's systemd is '$state', not 'running' (failed units above)"
	fi
	say "container up: systemd as PID 1 (host PID $LEADER), running after $(_elapsed "$start") s"
}

# _container_kill PID: SIGKILL PID if it is still a container's PID 1.
_container_kill() {
	local status
	status=$(cat "/proc/$1/status" 2>/dev/null) || return 0
	[[ $status =~ NSpid:[[:space:]]+${1}[[:space:]]+1($'\n'|$) ]] && kill -KILL "$1"
}

# _elapsed START: seconds since START (an $EPOCHREALTIME), to 0.1 s.
_elapsed() {
	local now=${EPOCHREALTIME//[.,]/} then=${1//[.,]/}
	local ms=$(((now - then) / 1000))
	printf '%d.%d\n' $((ms / 1000)) $((ms % 1000 / 100))
}

# ctr CMD [ARGS...]: run CMD inside the container as root, in all its
# namespaces, with a clean environment; stdin, stdout, stderr and the exit
# status are CMD's.
ctr() {
	nsenter -t "$LEADER" -a env -i "${CTR_ENV[@]}" "$@"
}

# ctr_sh SCRIPT: run a shell script inside the container.
ctr_sh() {
	ctr /bin/sh -c "$1"
}

# ctr_write PATH [MODE]: write stdin to PATH inside the container.
ctr_write() {
	ctr /bin/sh -c 'cat >"$1" && chmod "$2" "$1"' sh "$1" "${2:-0644}"
}

# container_install: `meson install --destdir` of $BUILD_DIR, copied into
# the container's / as a package would put it there (directory symlinks
# such as /lib -> usr/lib are kept), then ldd checks that the root has
# every library the installed programs link.
container_install() {
	local d=$T/destdir missing
	say "meson install --destdir, copied into the container"
	meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$d" >"$T/install.log" 2>&1 ||
		{ cat "$T/install.log" >&2; fail "meson install --destdir failed"; }
	tar -C "$d" -c . | ctr tar -C / -x --keep-directory-symlink --no-same-owner ||
		fail "copying the installed files into the container failed"
	missing=$(cd "$d" && find . -type f -perm -u+x -path '*bin/*' -o -type f -path '*libexec/*' |
		while read -r f; do ctr ldd "${f#.}" 2>&1 | sed -n "s|^|${f#.}: |;/not found/p" || true; done)
	[[ -z $missing ]] || fail "libraries missing in the root (add their packages to tests/systemd/mkroot.sh): $missing"
}
