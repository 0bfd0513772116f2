#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# gpu/check.sh - every GPU check in one short run (< 5 min), for a machine
# with an NVIDIA GPU: builds build/librobot_gpu.so, the CPU/GPU equality
# test (tests/unit/test_gpu.c) and the GPU benchmark (tests/bench/
# bench_gpu.c), runs them and prints the results.
#
# Works from a fresh checkout that has only CUDA + cuDNN, gcc and make:
#   - missing build packages (OpenBLAS, zlib headers) are installed with
#     apt-get only when apt is there and reachable (a few packages, not
#     the whole `make deps` set); otherwise it builds with what is there;
#   - when the full project cannot build (no libbpf/clang/bpftool/...),
#     the test and the benchmark are linked directly against the
#     library's own CPU objects (build/gpu/user/*.o), with OpenBLAS if it
#     links, else gpu/compat/sgemm.c as the CPU reference's SGEMM.
#
# Usage: gpu/check.sh            (from anywhere; CUDA_HOME=/usr/local/cuda)
#        ROBOT_CHECK_MINIMAL=1 gpu/check.sh   force the direct link
# Exit: 0 all passed, 77 the test skipped (no usable GPU), 1 a failure.
set -u
cd "$(dirname "$0")/.." || exit 1
T0=$SECONDS
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
export PATH=$CUDA_HOME/bin:$PATH
J=-j$(nproc 2>/dev/null || echo 2)
B=build
say() { printf '\n== %s\n' "$*"; }

say "machine"
nvidia-smi --query-gpu=index,name,driver_version,memory.total \
	--format=csv,noheader 2>&1 || echo "nvidia-smi: not available"
nvcc --version 2>/dev/null | tail -n 2 || echo "nvcc: not found"
sed -n 's/^#define CUDNN_\(MAJOR\|MINOR\|PATCHLEVEL\) *\([0-9]*\).*/cudnn \1 \2/p' \
	"$CUDA_HOME/include/cudnn_version.h" 2>/dev/null | tr '\n' ' '
echo

# ------------------------------------------------------------ deps
has_hdr() { echo "#include <$1>" | gcc -E -x c - >/dev/null 2>&1; }
links() { echo 'int main(void){return 0;}' | gcc -x c - "$@" -o /dev/null >/dev/null 2>&1; }

say "build dependencies"
pkgs=""
command -v gcc >/dev/null || pkgs="$pkgs gcc"
command -v make >/dev/null || pkgs="$pkgs make"
has_hdr cblas.h && links -lopenblas || pkgs="$pkgs libopenblas-dev"
has_hdr zlib.h || pkgs="$pkgs zlib1g-dev"
has_hdr cmocka.h || pkgs="$pkgs libcmocka-dev"
if [ -z "$pkgs" ]; then
	echo "all there"
elif command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ] &&
     timeout 30 apt-get update -qq >/dev/null 2>&1; then
	echo "installing:$pkgs"
	DEBIAN_FRONTEND=noninteractive timeout 180 apt-get install -y -qq \
		--no-install-recommends $pkgs >/dev/null 2>&1 ||
		echo "apt-get install failed: building with what is there"
else
	echo "missing:$pkgs; apt unreachable: building with what is there"
fi
command -v gcc >/dev/null && command -v make >/dev/null && command -v nvcc >/dev/null || {
	echo "FAIL: gcc, make and nvcc are required"
	exit 1
}

# ------------------------------------------------------------ build
say "build"
if ! make $J $B/librobot_gpu.so; then
	echo "WARNING: build/librobot_gpu.so does not build with -Werror here; retrying without"
	if ! make $J $B/librobot_gpu.so GPU_WERROR=; then
		echo "FAIL: build/librobot_gpu.so does not build"
		exit 1
	fi
fi
TEST=$B/tests/test_gpu EMU=$B/tests/test_gpu_emu BENCH=$B/bench/bench_gpu
# ROBOT_CHECK_MINIMAL=1 forces the direct link (to try it anywhere).
if [ -n "${ROBOT_CHECK_MINIMAL:-}" ] ||
   ! make $J -k $TEST $EMU $BENCH >$B/gpu/check-make.log 2>&1; then
	if [ -n "${ROBOT_CHECK_MINIMAL:-}" ]; then
		echo "ROBOT_CHECK_MINIMAL set"
	else
		echo "the full project does not build here (tail of $B/gpu/check-make.log):"
		tail -n 5 $B/gpu/check-make.log | sed 's/^/  | /'
	fi
	echo "linking the test and benchmark against the library's CPU objects"
	D=$B/gpu/check
	mkdir -p $D/tests $D/bench
	OBJS="$B/gpu/user/robust.o $B/gpu/user/nn.o $B/gpu/user/model.o
	      $B/gpu/user/mjson.o $B/gpu/user/fastq.o $B/gpu/gpu/log.o"
	if links -lopenblas; then BLAS=-lopenblas; else BLAS=gpu/compat/sgemm.c; fi
	echo "CPU reference SGEMM: $BLAS"
	CF="-O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Iuser -Igpu -idirafter gpu/compat"
	LIBS="$BLAS -l:libz.so.1 -lm -ldl"
	[ -z "${ROBOT_CHECK_MINIMAL:-}" ] || rm -f $D/tests/test_gpu $D/bench/bench_gpu
	[ -x $TEST ] && [ -z "${ROBOT_CHECK_MINIMAL:-}" ] || { gcc $CF tests/unit/test_gpu.c $OBJS $LIBS -o $D/tests/test_gpu && TEST=$D/tests/test_gpu; }
	[ -x $BENCH ] && [ -z "${ROBOT_CHECK_MINIMAL:-}" ] || { gcc $CF tests/bench/bench_gpu.c $OBJS $LIBS -o $D/bench/bench_gpu && BENCH=$D/bench/bench_gpu; }
fi

# ------------------------------------------------------------ run
export ROBOT_GPU_LIB=$PWD/$B/librobot_gpu.so
export ROBOT_GPU_VERBOSE=${ROBOT_GPU_VERBOSE:-1}
rc=0
say "CPU emulation of the GPU plan ($EMU)"
if [ -x $EMU ]; then
	$EMU >$B/gpu/check-emu.log 2>&1 || rc=1
	grep -E '^arch|PASSED|FAILED|ERROR' $B/gpu/check-emu.log
else
	echo "not built (needs cmocka and the full project); it needs no GPU: make test runs it"
fi
say "CPU/GPU equality ($TEST)"
if [ -x $TEST ]; then
	timeout 240 $TEST
	t=$?
	case $t in
	0) echo "test: PASS" ;;
	77)
		if nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
			echo "test: FAIL (skipped, but nvidia-smi lists a GPU)"
			rc=1
		else
			echo "test: SKIP"
			[ $rc -eq 0 ] && rc=77
		fi ;;
	*) echo "test: FAIL (rc $t)"; rc=1 ;;
	esac
else
	echo "test: FAIL (not built)"
	t=1 rc=1
fi
say "benchmark ($BENCH)"
if [ -x $BENCH ] && [ $t -eq 0 ]; then
	rm -f "$(dirname $BENCH)/gpu.json"
	timeout 120 $BENCH || { echo "bench: FAIL"; rc=1; }
	[ -f "$(dirname $BENCH)/gpu.json" ] && cat "$(dirname $BENCH)/gpu.json"
else
	echo "bench: not run"
fi
say "done in $((SECONDS - T0)) s, exit $rc"
exit $rc
