#!/bin/bash
# Run by `meson install` with the installed sysusers.d and tmpfiles.d files:
# create group acmed and acmed's directories, and make a running systemd see
# the new units, so that `systemctl enable --now acmed.socket acmed.service`
# is all that is left to do. A staged install (DESTDIR, as a package build
# does) is left alone: the package's own scripts do this on the target.
set -euo pipefail

sysusers=$1
tmpfiles=$2

if [[ -n ${DESTDIR:-} || -n ${MESON_INSTALL_DRY_RUN:-} ]]; then
	exit 0
fi
if ((EUID != 0)); then
	echo "acmed: not root: run systemd-sysusers $sysusers and systemd-tmpfiles --create $tmpfiles as root" >&2
	exit 0
fi
if command -v systemd-sysusers >/dev/null; then
	systemd-sysusers "$sysusers"
fi
if command -v systemd-tmpfiles >/dev/null; then
	systemd-tmpfiles --create "$tmpfiles"
fi
# Only where systemd is the running init (not in a container build).
if [[ -d /run/systemd/system ]]; then
	systemctl daemon-reload
fi
