#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# valgrind memcheck over `robot replay` on shared captures (Ethernet,
# Linux SLL, raw IP), in BPF mode (BPF_PROG_TEST_RUN, root) and emulated
# (--emulate), then on damaged inputs (a capture cut in the middle of a
# record, a file that is no capture): 0 errors, 0 bytes definitely or
# indirectly lost, and the exit status replay documents (0, or 1 when an
# input was skipped). tests/reliability/valgrind.supp suppresses libbpf's
# known bpf() false positives only.
# Skips (77) without valgrind, build/robot, a model or the data.
# Env: ROBOT_DATA, ROBOT_E2E_MODELS (default build/e2e-model, else
# models/default), ROBOT_VG_CAPTURES=all (the BPF run over every capture
# of $ROBOT_DATA/pcap instead of four; about a minute).
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot
skip() { echo "skip: $*"; exit 77; }

command -v valgrind >/dev/null || skip "valgrind not installed"
[ -x "$ROBOT" ] || skip "build/robot not built"
DATA=${ROBOT_DATA:-$ROOT/../shared/data/ndpi}
[ -f "$DATA/pcap/skype.pcap" ] || skip "no capture data at $DATA"
MODELS=${ROBOT_E2E_MODELS:-$ROOT/build/e2e-model}
[ -f "$MODELS/fast.model" ] || MODELS=$ROOT/models/default
[ -f "$MODELS/fast.model" ] || skip "no model (build/e2e-model or models/default; tests/net/daemon_e2e.sh trains one)"

T=$(mktemp -d /tmp/robot-vg.XXXXXX)
FAILED=0
trap '[ $FAILED = 0 ] && rm -rf "$T" || echo "logs in $T"' EXIT

P=$DATA/pcap
CAPS="$P/skype.pcap $P/hangout.pcap $P/KakaoTalk_chat.pcap $P/dingtalk.pcap"
[ "${ROBOT_VG_CAPTURES:-}" = all ] && CAPS=$(ls "$P"/*.pcap "$P"/*.pcapng 2>/dev/null)
head -c 100001 "$P/skype.pcap" >"$T/cut.pcap"
echo "not a capture" >"$T/text.pcap"

# run NAME WANT_RC ARGS...: replay under memcheck.
run() {
	local name=$1 want=$2 rc t0=$SECONDS
	shift 2
	OPENBLAS_NUM_THREADS=1 timeout 300 nice -n 10 valgrind \
		--suppressions=tests/reliability/valgrind.supp \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --log-file="$T/$name.vg" \
		"$ROBOT" replay --models "$MODELS" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	local errs leak
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$T/$name.vg")
	heap=$(sed -n 's/.*total heap usage: //p' "$T/$name.vg")
	if grep -q "no leaks are possible" "$T/$name.vg"; then
		leak=0
	else
		leak=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$T/$name.vg")
		ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$T/$name.vg")
		[ "${ind:-0}" = 0 ] || leak="$leak+$ind"
	fi
	local summ
	summ=$(grep -m1 '^summary:' "$T/$name.out" | cut -c1-120)
	printf '%-9s rc %s, %s errors, %s bytes lost, heap %s, %ss\n    %s\n' \
		"$name" "$rc" "${errs:-?}" "${leak:-?}" "$heap" \
		$((SECONDS - t0)) "$summ"
	if [ "$rc" != "$want" ] || [ "${errs:-x}" != 0 ] || [ "${leak:-x}" != 0 ]; then
		echo "FAIL: $name (want rc $want, 0 errors, 0 lost)"
		grep -v 'WARNING: unhandled eBPF' "$T/$name.vg" | grep -A20 -m2 '^==[0-9]*== [A-Z][a-z]' | head -40
		FAILED=1
	fi
}

if [ "$(id -u)" -eq 0 ]; then
	run bpf 0 $CAPS
	grep -q 'BPF_PROG_TEST_RUN' "$T/bpf.out" || { echo "FAIL: not in BPF mode"; FAILED=1; }
else
	echo "(not root: BPF mode skipped)"
fi
run emulated 0 --emulate $P/hangout.pcap $P/KakaoTalk_chat.pcap $P/dingtalk.pcap
run damaged 1 --emulate "$T/cut.pcap" "$T/text.pcap" "$P/dingtalk.pcap"
[ $FAILED = 0 ] && echo "valgrind_replay: 0 errors, 0 leaks"
exit $FAILED
