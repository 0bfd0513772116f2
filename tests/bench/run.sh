#!/bin/sh
# `make bench`: run every build/bench/bench_* (each writes a JSON object,
# e.g. build/bench/dataset.json, next to itself) and every
# tests/bench/*.sh (namespace benchmarks, same convention), then merge the keys of
# every build/bench/*.json into one object, build/bench.json.
# A benchmark whose data is absent prints "skip" and exits 0.
# Exit status: 0 when every benchmark exited 0.
cd "$(dirname "$0")/../.." || exit 1
B=build
: "${ROBOT_DATA:=$(cd .. && pwd)/shared/data/ndpi}"
export ROBOT_DATA
rm -f $B/bench/*.json
fail=0
for b in $B/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	if ! "$b"; then
		echo "FAIL: $b"
		fail=1
	fi
done
# Shell benchmarks (namespace setups): each writes build/bench/NAME.json.
for b in tests/bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b")"
	if ! "$b"; then
		echo "FAIL: $b"
		fail=1
	fi
done
# Merge: strip each file's outer braces, join the bodies with commas.
out=$B/bench.json
{
	printf '{'
	sep=''
	for j in $B/bench/*.json; do
		[ -f "$j" ] || continue
		body=$(awk '{ s = s $0 "\n" } END {
			sub(/^[ \t\r\n]*\{/, "", s); sub(/\}[ \t\r\n]*$/, "", s);
			gsub(/^[ \t\r\n]+|[ \t\r\n]+$/, "", s); printf "%s", s }' "$j")
		[ -n "$body" ] || continue
		printf '%s%s' "$sep" "$body"
		sep=', '
	done
	printf '}\n'
} >"$out.tmp" && mv "$out.tmp" "$out"
echo "== $out"
cat "$out"
exit $fail
