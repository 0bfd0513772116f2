#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `robot demo` end to end, shortened (~1 min): the lab's apps run 20 s
# through Robot at the lab's gateway. Checks the summary (flows with a
# verdict, correct ones counted, packets/s, marked packets in the HTB
# classes 1:1..1:7), and that nothing is left: no namespace of the demo's
# tag, no daemon process, no pins, no XDP program, no lab state. Then a
# second run interrupted (SIGINT to robot while the apps run) must exit
# 130 and leave nothing either.
# Skips (77) without root, the lab's programs or a model.
# Env: ROBOT_DEMO_MODELS (model dir; default models/default, else
# build/e2e-model).
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot

skip() { echo "skip: $*"; exit 77; }
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, XDP)"
[ -x "$ROBOT" ] || skip "build/robot not built"
out=$(bash tools/lab/lab.sh check 2>&1) || skip "${out#skip: }"
MODELS=${ROBOT_DEMO_MODELS:-}
for m in "$MODELS" models/default build/e2e-model; do
	[ -n "$m" ] && [ -f "$m/fast.model" ] && [ -f "$m/robust.model" ] &&
		{ MODELS=$m; break; }
done
[ -f "$MODELS/fast.model" ] || skip "no model (make model)"

export DEMO_TAG=rdt$$
T=$(mktemp -d /tmp/robot-demo-test.XXXXXX)
cleanup() {
	LAB_TAG=$DEMO_TAG bash tools/lab/lab.sh down >/dev/null 2>&1
	if [ "$FAILED" = 0 ]; then rm -rf "$T"; else echo "files in $T"; fi
}
trap cleanup EXIT

# left DIR: what a run left behind, one word each (empty: nothing).
left() {
	local d=$1 p
	ip netns list | grep -q "^$DEMO_TAG-" && echo netns
	[ -e "/run/robot-lab/$DEMO_TAG" ] && echo lab-state
	p=$(cat "$d/daemon.pid" 2>/dev/null)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo daemon
	[ -s "$d/left.pins" ] && echo pins
	[ -s "$d/left.xdp" ] && echo xdp
	ps -eo pid,args | grep -v grep | grep -q "demo.sh run $d " && echo demo.sh
}

num() { grep -o "\"$2\":[0-9.e+-]*" "$1" | head -1 | cut -d: -f2; }

# ------------------------------------------------------------ full run
"$ROBOT" demo --seconds 20 --models "$MODELS" --out "$T/run" --json \
	>"$T/sum.json" 2>"$T/err"
rc=$?
[ $rc = 0 ] || { fail "robot demo exited $rc"; tail -20 "$T/err"; }
grep -q '^{' "$T/sum.json" || fail "no JSON summary"
v=$(num "$T/sum.json" verdicts) c=$(num "$T/sum.json" correct)
lf=$(num "$T/sum.json" lab_flows) pps=$(num "$T/sum.json" packets_per_s)
mk=$(num "$T/sum.json" htb_marked_packets)
tcm=$(num "$T/sum.json" tc_marked)
echo "demo: lab flows $lf, verdicts $v, correct $c, pps $pps," \
	"HTB marked $mk, tc marked $tcm"
[ "${lf:-0}" -gt 0 ] || fail "no lab flows seen"
[ "${v:-0}" -gt 0 ] || fail "no flow classified"
[ "${c:-0}" -le "${v:-0}" ] || fail "more correct than verdicts"
awk -v p="${pps:-0}" 'BEGIN { exit !(p > 0) }' || fail "packets/s not > 0"
[ "${mk:-0}" -gt 0 ] || fail "no marked packets in the HTB classes"
grep -q '"teardown":"left: nothing"' "$T/sum.json" ||
	fail "demo.sh teardown: $(grep -o '"teardown":"[^"]*"' "$T/sum.json")"
l=$(left "$T/run")
[ -z "$l" ] || fail "left after the run: $l"
grep -q '"started"' "$T/run/daemon.log" || fail "daemon never started"

# ------------------------------------------------------------ Ctrl-C
"$ROBOT" demo --seconds 60 --models "$MODELS" --out "$T/int" --plain \
	>"$T/int.out" 2>"$T/int.err" &
P=$!
for _ in $(seq 600); do
	grep -q '^run ' "$T/int/phase" 2>/dev/null && break
	kill -0 $P 2>/dev/null || break
	sleep 0.1
done
grep -q '^run ' "$T/int/phase" 2>/dev/null || fail "interrupted run never ran"
sleep 3
kill -INT $P
for _ in $(seq 300); do
	kill -0 $P 2>/dev/null || break
	sleep 0.1
done
if kill -0 $P 2>/dev/null; then
	fail "robot demo still running 30 s after SIGINT"
	kill -KILL $P
fi
wait $P
rc=$?
[ $rc = 130 ] || fail "interrupted demo exited $rc, not 130"
l=$(left "$T/int")
[ -z "$l" ] || fail "left after SIGINT: $l"
grep -q "left: nothing" "$T/int/teardown.txt" 2>/dev/null ||
	fail "interrupted teardown: $(cat "$T/int/teardown.txt" 2>/dev/null)"

[ "$FAILED" = 0 ] && echo "demo_short: ok"
exit $FAILED
