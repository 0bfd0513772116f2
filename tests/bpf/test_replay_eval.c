// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Replay vs eval equality through BPF_PROG_TEST_RUN (root): the test of
 * tests/unit/test_replay_eval.c with `robot replay`'s BPF mode.
 */
#define RE_BPF 1
#include "../unit/test_replay_eval.c"
