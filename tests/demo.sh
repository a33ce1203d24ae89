#!/bin/bash
# tests/demo.sh: a first look at acmed, on loopback only. Starts a local
# Pebble test CA (with pebble-challtestsrv as its DNS: every name resolves to
# 127.0.0.1), starts acmed with a throwaway state directory, issues one
# certificate for two names through acmed's built-in http-01 responder, lists
# it, and stops everything. Nothing is left behind unless KEEP_TMP=1.
#
# Needs: scripts/install-deps. Builds into build/ first (BUILD_DIR=... for
# another build dir).
export DEMO=1
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/integration/lib.sh"

say "building acmed (meson, in $BUILD_DIR)"
"$(dirname "$0")/../scripts/build" "$BUILD_DIR" || fail "the build failed"

start_pebble
start_acmed
say "acmed is up; $T is removed when the demo ends (KEEP_TMP=1 keeps it)"

domain=demo.$TEST_DOMAIN
certonly=(certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT"
	-d "$domain" -d "www.$domain" --agree-tos --register-unsafely-without-email -n)
say "acmectl ${certonly[*]}"
acmectl "${certonly[@]}" || fail "acmectl certonly failed (acmed's log follows)"

say "acmectl certificates"
acmectl certificates || fail "acmectl certificates failed"

say "stopping acmed, Pebble and pebble-challtestsrv"
stop_acmed
say "demo finished"
