#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A bounded run of one fuzzer (or all) for CI: FUZZ_SHORT_SECONDS (10)
# each, throw-away corpus, fails on any crash, leak, timeout or sanitizer
# report. Skips (77) when the fuzzers are not built (no libFuzzer).
#   tests/fuzz/run_short.sh [NAME...]
cd "$(dirname "$0")/../.." || exit 1
FUZZ_SECONDS=${FUZZ_SHORT_SECONDS:-10} FUZZ_CORPUS=tmp exec tests/fuzz/run.sh "$@"
