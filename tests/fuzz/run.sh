#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run the libFuzzer targets (build/fuzz/fuzz_*) for FUZZ_SECONDS each
# (default 60), under nice. `make fuzz` runs this.
#
#   tests/fuzz/run.sh [NAME...]      NAME: feat, pcap, model, labels, collector
#
# Seeds are generated at run time (tests/fuzz/seeds.py: synthetic, plus
# pieces of the shared captures when $ROBOT_DATA is there, plus the models
# of build/e2e-model) into build/fuzz/seeds/NAME; what the fuzzer finds
# goes into build/fuzz/corpus/NAME (kept between runs; FUZZ_CORPUS=tmp
# uses a throw-away directory). A crash, leak, timeout or sanitizer report
# leaves its input in build/fuzz/artifacts/ and fails the run (exit 1).
# One summary line per fuzzer (runs, execs/s, coverage, corpus) goes to
# stdout and build/fuzz/summary.txt.
cd "$(dirname "$0")/../.." || exit 1
B=build/fuzz
SECS=${FUZZ_SECONDS:-60}
DATA=${ROBOT_DATA:-$(cd .. && pwd)/shared/data/ndpi}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(feat pcap model labels collector)

for n in "${names[@]}"; do
	[ -x "$B/fuzz_$n" ] || { echo "skip: $B/fuzz_$n not built (clang with libFuzzer)"; exit 77; }
done
command -v python3 >/dev/null || { echo "skip: python3 missing (seeds)"; exit 77; }

mkdir -p "$B/seeds" "$B/artifacts" "$B/corpus"
SEEDS=$(mktemp -d "$B/seeds/run.XXXXXX")
TMPC=
cleanup() { rm -rf "$SEEDS" $TMPC; }
trap cleanup EXIT
python3 tests/fuzz/seeds.py "$SEEDS" "$DATA" || exit 1
mkdir -p "$SEEDS/fuzz_model"
FUZZ_MKSEEDS="$SEEDS/fuzz_model" "$B/fuzz_model" >/dev/null 2>&1 ||
	{ echo "fuzz_model could not write its seeds"; exit 1; }
if [ -f build/e2e-model/fast.model ]; then
	{ printf '\001'; cat build/e2e-model/fast.model; } >"$SEEDS/fuzz_model/e2e_fast"
fi

# Leaks are errors (ASan's LeakSanitizer at exit of each input batch).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

fail=0
: >"$B/summary.txt"
for n in "${names[@]}"; do
	if [ "${FUZZ_CORPUS:-keep}" = tmp ]; then
		C=$(mktemp -d "$B/corpus/tmp.XXXXXX")
		TMPC="$TMPC $C"
	else
		C=$B/corpus/$n
		mkdir -p "$C"
	fi
	mkdir -p "$SEEDS/fuzz_$n"
	log=$B/fuzz_$n.log
	maxlen=
	case $n in
	model) maxlen=-max_len=65536 ;;
	pcap) maxlen=-max_len=65536 ;;
	esac
	nice -n 10 "$B/fuzz_$n" -max_total_time="$SECS" -timeout=20 \
		-rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
		-print_final_stats=1 $maxlen \
		-artifact_prefix="$B/artifacts/${n}-" "$C" "$SEEDS/fuzz_$n" \
		>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corp=$(ls "$C" | wc -l)
	if [ $rc -eq 0 ] && ! grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:' "$log"; then
		res=ok
	else
		res="FAIL (rc $rc, log $log)"
		fail=1
	fi
	printf 'fuzz_%-10s %4ss runs %-9s exec/s %-6s cov %-5s corpus %-5s %s\n' \
		"$n" "$SECS" "${runs:-?}" "${eps:-?}" "${cov:-?}" "$corp" "$res" |
		tee -a "$B/summary.txt"
	if [ "$res" != ok ]; then
		grep -m1 -A25 'ERROR\|runtime error\|deadly signal' "$log" | sed 's/^/    | /'
		ls -t "$B/artifacts/" | head -3 | sed "s|^|    artifact: $B/artifacts/|"
	fi
done
exit $fail
