#!/bin/bash
# The shell completion the build makes with `acmectl --completion`: bash's
# registers itself (complete -p) and completes verbs, certbot's verbs,
# options, their values and the running acmed's lineage names, each
# checked by calling the completion function with COMP_WORDS and
# COMP_CWORD set and reading COMPREPLY; every option certonly --help shows
# completes; zsh's is valid zsh naming the same options; both, the docs
# and the LICENSE are installed where they belong.
source "$(dirname "$0")/lib.sh"

BASH_SCRIPT=$BUILD_DIR/completion/acmectl
ZSH_SCRIPT=$BUILD_DIR/completion/_acmectl
assert_file "$BASH_SCRIPT"
assert_file "$ZSH_SCRIPT"
# What the build installs is what acmectl prints now.
diff <("$ACMECTL" --completion bash) "$BASH_SCRIPT" >/dev/null || fail "stale $BASH_SCRIPT"
diff <("$ACMECTL" --completion zsh) "$ZSH_SCRIPT" >/dev/null || fail "stale $ZSH_SCRIPT"
assert_exit 2 "$ACMECTL" --completion fish

say "installed where bash-completion, zsh and the docs look"
require_cmd meson jq
installed=$(meson introspect "$BUILD_DIR" --installed)
to() { jq -r --arg f "$1" '.[$f] // "missing"' <<<"$installed"; }
assert_match "$(to "$BASH_SCRIPT")" "/share/bash-completion/completions/acmectl$"
assert_match "$(to "$ZSH_SCRIPT")" "/share/zsh/site-functions/_acmectl$"
for f in LICENSE README.md; do
	assert_match "$(to "$REPO_DIR/$f")" "/share/doc/acmed/${f##*/}$"
done
for f in "$REPO_DIR"/docs/*.md; do
	assert_match "$(to "$f")" "/share/doc/acmed/${f##*/}$"
done
assert_match "$(head -1 "$REPO_DIR/LICENSE")" "^ISC License$"

say "bash: complete -p"
assert_exit 0 bash -c 'source "$1" && complete -p acmectl' _ "$BASH_SCRIPT"
assert_eq "$OUT" "complete -F _acmectl acmectl" "complete -p acmectl"

# comp WORD...: what bash completes for the command line WORD... (the last
# word is the one being completed), one candidate a line, sorted.
comp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_acmectl; printf "%s\n" "${COMPREPLY[@]}"' _ "$BASH_SCRIPT" "$@" | sed '/^$/d' | sort
}
# has WORDS... -- CANDIDATE...: every CANDIDATE is among the completions.
has() {
	local -a w=()
	local got c
	while [[ $1 != -- ]]; do
		w+=("$1")
		shift
	done
	shift
	got=$(comp "${w[@]}")
	for c in "$@"; do
		grep -qxF -- "$c" <<<"$got" || fail "'${w[*]}' does not complete to '$c': $(tr '\n' ' ' <<<"$got")"
	done
}

say "bash: verbs, options, values"
has acmectl "" -- certonly renew revoke certificates account import-certbot plugins \
	register show_account update_symlinks reconfigure help
assert_eq "$(comp acmectl cert | tr '\n' ' ')" "certificates certonly " "acmectl cert<TAB>"
assert_eq "$(comp acmectl --so | tr '\n' ' ')" "--socket " "acmectl --so<TAB>"
assert_eq "$(comp acmectl certonly --webr | tr '\n' ' ')" "--webroot --webroot-map --webroot-path " \
	"certonly --webr<TAB>"
has acmectl certonly --no -- --no-eff-email --non-interactive --noninteractive
has acmectl certonly "" -- --user-agent --issuance-timeout --disable-hook-validation --quiet -q \
	--verbose -v --eff-email
assert_eq "$(comp acmectl certonly --key-type "" | tr '\n' ' ')" "ecdsa rsa " "--key-type <TAB>"
assert_eq "$(comp acmectl certonly -a "" | tr '\n' ' ')" "dns-rfc2136 manual nginx standalone webroot " \
	"-a <TAB>"
assert_eq "$(comp acmectl certonly -d "" | tr '\n' ' ')" "" "-d <TAB>: a name, nothing to offer"
assert_eq "$(comp acmectl account "" | tr '\n' ' ')" "deactivate register rollover show update " \
	"account <TAB>"
has acmectl account show --e -- --email --eff-email
# reconfigure takes certonly's options, from the same table.
has acmectl reconfigure --webr -- --webroot --webroot-map --webroot-path
has acmectl reconfigure --c -- --cert-name
has acmectl register --a -- --agree-tos
assert_eq "$(comp acmectl help ren | tr '\n' ' ')" "renew " "help ren<TAB>"
assert_eq "$(comp acmectl renew --no-r | tr '\n' ' ')" "--no-random-sleep-on-renew " \
	"renew --no-r<TAB>"
assert_eq "$(comp acmectl revoke --reason k | tr '\n' ' ')" "keycompromise " "--reason k<TAB>"
assert_eq "$(comp acmectl rollback --h | tr '\n' ' ')" "--help " "certbot's verb without one"
mkdir -p "$T/roots/www-a" "$T/roots/www-b"
: >"$T/roots/file"
assert_eq "$(comp acmectl certonly -w "$T/roots/" | tr '\n' ' ')" \
	"$T/roots/www-a $T/roots/www-b " "-w: directories only"
has acmectl certonly --csr "$T/roots/f" -- "$T/roots/file"

say "every option certonly --help shows completes"
"$ACMECTL" certonly --help | grep -oE -- '--[a-z0-9-]+' | sort -u | while read -r opt; do
	has acmectl certonly "$opt" -- "$opt"
	grep -qF -- "'*$opt[" "$ZSH_SCRIPT" || fail "zsh's completion lacks $opt"
done

say "bash: the running acmed's lineage names"
start_pebble
start_acmed
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" certonly --standalone \
	--http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" -d "named.$TEST_DOMAIN" -n \
	--agree-tos --register-unsafely-without-email
has "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "" -- "named.$TEST_DOMAIN"
has "$ACMECTL" --socket "$ACMED_SOCKET" revoke --cert-name na -- "named.$TEST_DOMAIN"

say "zsh: valid, and a #compdef for acmectl"
assert_eq "$(head -1 "$ZSH_SCRIPT")" "#compdef acmectl" "zsh's first line"
if command -v zsh >/dev/null; then
	assert_exit 0 zsh -n "$ZSH_SCRIPT"
	# Loaded through compinit from a directory on $fpath, as installed.
	mkdir -p "$T/zfunc"
	cp "$ZSH_SCRIPT" "$T/zfunc/"
	assert_exit 0 zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -d "$2"
		print -r -- ${_comps[acmectl]}' _ "$T/zfunc" "$T/zcompdump"
	assert_eq "$OUT" "_acmectl" "zsh's completion for acmectl"
else
	say "zsh is not installed: its script is checked by name only"
fi

pass
