#!/bin/bash
# tests/systemd/mkroot.sh: print the path of a minimal Debian 12 root for
# systemd-nspawn, building it first if it is not cached yet.
#
# The root holds systemd (booted as PID 1 by the tests in tests/systemd/),
# nginx (for the deploy-hook and webroot tests) and the libraries acmed,
# acmed-job and acmectl link (ldd of the three: libssl3, libcurl4,
# libjson-c5, libconfig9, libsystemd0, libldns3). acmed itself is not in it:
# each test installs its build into a throwaway overlay of its own.
#
# mmdebstrap builds it from the Debian mirrors apt is configured with on this
# machine: 170 MB, in 1.5 to 4 minutes on two busy cores (most of it
# downloading and unpacking). It is kept under $ACMED_TEST_CACHE
# (default /var/cache/acmed-tests), in a directory named after a hash of
# everything below that shapes it, so a change to the package list builds a
# new root and never reuses a stale one. Concurrent callers wait on a lock
# and build it once; a half-built root is never used (it is built under a
# temporary name and renamed when complete). Old roots are not removed:
# another checkout may still use one.
#
# Exit status: 0 (path printed), 1 if mmdebstrap failed (its log printed),
# 2 if the tools are missing. Needs root.
set -euo pipefail

SUITE=bookworm
VARIANT=minbase
PACKAGES=(
	# the init system, and a D-Bus for what talks to it that way
	systemd systemd-sysv dbus
	# deploy hooks reload it; the webroot test serves its web root
	nginx-light
	# what acmed, acmed-job and acmectl link
	libssl3 libcurl4 libjson-c5 libconfig9 libsystemd0 libldns3
)
# Documentation and translations are not needed to boot and test.
DPKG_OPTS=(
	'path-exclude=/usr/share/man/*'
	'path-exclude=/usr/share/doc/*'
	'path-exclude=/usr/share/locale/*'
)
# Run in the finished root: no service of its own may start on the host's
# ports (the container shares the host's network): nginx is enabled by the
# tests with a configuration of their own.
CUSTOMIZE='systemctl --root="$1" disable nginx.service'
# Bump when the way the root is built changes in a way the lists above do
# not show.
FORMAT=1

CACHE=${ACMED_TEST_CACHE:-/var/cache/acmed-tests}

die() {
	echo "mkroot: $*" >&2
	exit "${2:-1}"
}

((EUID == 0)) || die "must run as root" 2
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (run scripts/install-deps)" 2

key=$(printf '%s\n' "$FORMAT" "$SUITE" "$VARIANT" "${PACKAGES[@]}" "${DPKG_OPTS[@]}" \
	"$CUSTOMIZE" | sha256sum | cut -c1-12)
root=$CACHE/debian12-$key

# cached: say so, with how long it took to build (kept next to the root).
cached() {
	echo "mkroot: cached root, $(cat "$root.built" 2>/dev/null || echo "build time not recorded")" >&2
	printf '%s\n' "$root"
	exit 0
}

[[ ! -d $root ]] || cached

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
# Another caller may have built it while we waited.
[[ ! -d $root ]] || cached
# What a killed build left behind (we hold the lock: nobody is building).
rm -rf "$root".tmp.*

# The Debian mirrors apt uses here (so the root comes from where the host's
# packages come from); if apt knows none, mmdebstrap's default mirror.
mirrors=()
while IFS='|' read -r origin codename uri release component; do
	[[ $origin == Debian && $codename == "$SUITE"* ]] || continue
	mirrors+=("deb $uri $release $component")
done < <(apt-get indextargets --format \
	'$(ORIGIN)|$(CODENAME)|$(REPO_URI)|$(RELEASE)|$(COMPONENT)' 'Created-By: Packages' 2>/dev/null |
	sort -u)

tmp=$root.tmp.$$
log=$CACHE/debian12-$key.log
trap 'rm -rf "$tmp"' EXIT
dpkgopts=()
for o in "${DPKG_OPTS[@]}"; do
	dpkgopts+=(--dpkgopt="$o")
done
include=$(IFS=,; echo "${PACKAGES[*]}")
echo "mkroot: building a Debian 12 root in $root (once; about a minute)" >&2
start=$SECONDS
if ! mmdebstrap --variant="$VARIANT" --include="$include" "${dpkgopts[@]}" \
	--customize-hook="$CUSTOMIZE" "$SUITE" "$tmp" "${mirrors[@]}" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "mmdebstrap failed (log: $log)"
fi
built="built in $((SECONDS - start)) s on $(date -u '+%Y-%m-%d %H:%M UTC'), $(du -sh "$tmp" | cut -f1)"
printf '%s\n' "$built" >"$root.built"
mv "$tmp" "$root"
trap - EXIT
echo "mkroot: $built" >&2
printf '%s\n' "$root"
