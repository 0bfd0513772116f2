#!/bin/bash
# Run every test: cmocka unit tests (plain and ASan+UBSan), BPF tests
# (BPF_PROG_TEST_RUN), network-namespace tests (tests/net/*.sh).
# A test exits 0 (pass), 77 (skipped, with a one-line reason) or anything
# else (fail). Exit status: 0 when nothing failed.
# ROBOT_TEST_FILTER=regex runs only the matching tests.
cd "$(dirname "$0")/.." || exit 1
B=build
pass=0 fail=0 skip=0
failed=()
filter=${ROBOT_TEST_FILTER:-.}
export ROBOT_DATA=${ROBOT_DATA:-$(cd .. && pwd)/shared/data/ndpi}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
	local name=$1; shift
	[[ $name =~ $filter ]] || return 0
	local log=$B/tests/logs/$name.log t0=$SECONDS
	mkdir -p $B/tests/logs
	"$@" >"$log" 2>&1
	local rc=$?
	local dt=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf '  PASS  %-40s %3ss\n' "$name" "$dt"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1))
		printf '  SKIP  %-40s %s\n' "$name" "$(grep -m1 -i 'skip' "$log" | cut -c1-100)"
	else
		fail=$((fail + 1)); failed+=("$name")
		printf '  FAIL  %-40s (rc %d) log: %s\n' "$name" "$rc" "$log"
		tail -n 30 "$log" | sed 's/^/        | /'
	fi
}

echo "unit tests"
for t in $B/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
echo "unit tests under ASan+UBSan"
for t in $B/tests/asan_test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
echo "BPF tests"
for t in $B/tests/bpf_test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
echo "fuzzers (short bounded runs)"
for t in $B/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	run_one "$n" tests/fuzz/run_short.sh "${n#fuzz_}"
done
echo "network-namespace tests"
for t in tests/net/*.sh; do
	[ -x "$t" ] || continue
	run_one "net_$(basename "$t" .sh)" "$t"
done
echo "passed $pass, skipped $skip, failed $fail"
[ $fail -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
