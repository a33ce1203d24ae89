#!/bin/bash
# docs/certbot-compat.md cannot fall behind acmectl silently: every Y row
# is checked against acmectl's help (a subcommand in `acmectl --help`, an
# option in `acmectl help VERB` of each acmectl verb the row names, or in
# `acmectl --help` for "global", under one of the row's spellings), and the counts at the end against the rows.
set -u
DOC=${SOURCE_DIR:-$(dirname "$0")/..}/docs/certbot-compat.md
ACMECTL=${BUILD_DIR:-$(dirname "$0")/../build}/acmectl
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[[ -r $DOC && -x $ACMECTL ]] || { echo "FAIL: $DOC or $ACMECTL missing"; exit 1; }
top=$("$ACMECTL" --help 2>&1)
# help[VERB]: the help of VERB, read once; help[global]: acmectl's own, for
# its global options.
declare -A help=([global]=$top)
section=
declare -A count
while IFS= read -r line; do
	case $line in
	"## Subcommands"*) section=sub; continue ;;
	"## Options"*) section=opt; continue ;;
	"## "*) section=; continue ;;
	esac
	[[ -n $section && $line == "| \`"* ]] || continue
	IFS='|' read -r _ names verbs status _ <<<"$line"
	names=${names//\`/} status=${status// /}
	count[$section.$status]=$((${count[$section.$status]:-0} + 1))
	[[ $status == Y ]] || continue
	if [[ $section == sub ]]; then
		name=${names// /}
		grep -qE "(^|[ ,])$name([ ,]|$)" <<<"$top" || fail "subcommand $name: not in acmectl --help"
		continue
	fi
	IFS=',' read -ra verblist <<<"$verbs"
	for v in "${verblist[@]}"; do
		v=${v// /}
		[[ -n ${help[$v]+x} ]] || help[$v]=$("$ACMECTL" help "$v" 2>&1)
		found=0
		for spell in ${names//,/ }; do
			[[ $spell == --* ]] || continue
			grep -qE -- "(^|[ ,\[])$spell([] ,=]|$)" <<<"${help[$v]}" && found=1
		done
		((found)) || fail "option $names: not in 'acmectl help $v'"
	done
done <"$DOC"
want="Subcommands: ${count[sub.Y]:-0} Y, ${count[sub.P]:-0} P, ${count[sub.N]:-0} N. Options: ${count[opt.Y]:-0} Y, ${count[opt.P]:-0} P, ${count[opt.N]:-0} N."
grep -qxF "$want" "$DOC" || fail "the counts line should read: $want"
((count[opt.Y] > 0)) || fail "no Y option rows read from $DOC"
((fails == 0)) || exit 1
echo "ok: ${count[sub.Y]} subcommands and ${count[opt.Y]} options marked Y are in acmectl's help"
