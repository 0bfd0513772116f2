// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Replay vs eval equality on the shared data (issue 6, `robot replay`):
 * `robot replay` with the emulated datapath (no root) and `robot eval`'s
 * per-flow decision (eval_robot_flow) on the dataset flows built from
 * the same captures, with models/default: every compared flow has the
 * same fast class, int8 distance terms, FDD flag, robust and final class
 * (definitions and what is not compared: tests/unit/replay_eval.h).
 *
 * Two runs: the collector idle timeout at the dataset's 120 s (no window
 * cut, eval's windows exactly), and at the daemon's default 2 s (windows
 * with a 2 s gap are closed there; eval decides on the cut window).
 * tests/bpf/test_replay_eval.c builds this file with RE_BPF 1: the same
 * through the XDP program itself (BPF_PROG_TEST_RUN, root), which must
 * not fall back to the emulation.
 *
 * Skips (77, "skip: ..."; cmocka skip()) without the shared data
 * ($ROBOT_DATA, else ../shared/data/ndpi) or the models ($ROBOT_MODELS,
 * else models/default), and in the BPF build without root.
 */
#ifndef RE_BPF
#define RE_BPF 0
#endif
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "unit/replay_eval.h"

/* Not vacuous: the shared captures give ~1000 dataset flows, dozens FDD
 * with the bundled models (figures printed by the test).
 */
#define RE_MIN_MATCHED 500
#define RE_MIN_FDD 10

static struct re_run run;
static int skipped;

static int setup(void **state)
{
	int err;

	memset(&run, 0, sizeof(run));
	if (RE_BPF && geteuid() != 0) {
		snprintf(run.p.why, sizeof(run.p.why),
			 "needs root (BPF_PROG_TEST_RUN)");
		return 0;
	}
	if (re_find(&run.p))
		return 0; /* the test skips */
	err = re_setup(&run);
	if (err)
		printf("setup: %s\n", strerror(-err));
	return err ? -1 : 0;
}

static int teardown(void **state)
{
	re_free(&run);
	return 0;
}

static void check(__u64 idle_ns, int min_cut)
{
	struct re_counts c;
	int mode = -1;

	if (run.p.why[0]) {
		printf("skip: %s\n", run.p.why);
		skipped = 1;
		skip();
	}
	assert_int_equal(re_check(&run, !RE_BPF, idle_ns, &c, &mode), 0);
	assert_int_equal(mode, RE_BPF); /* BPF: not the fallback */
	assert_int_equal(c.mismatches, 0);
	assert_true(c.matched >= RE_MIN_MATCHED);
	assert_true(c.fdd >= RE_MIN_FDD);
	assert_true(c.matched + c.no_payload + c.later + c.beyond ==
		    c.ds_flows);
	assert_true(c.cut >= (__u32)min_cut); /* the cut windows are tested */
}

static void test_replay_eval_no_cut(void **state)
{
	check(ROBOT_DSB_IDLE_DEFAULT_NS, 0);
}

static void test_replay_eval_daemon_timeout(void **state)
{
	check(2000ull * 1000000, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_eval_no_cut),
		cmocka_unit_test(test_replay_eval_daemon_timeout),
	};
	int err;

	err = cmocka_run_group_tests(tests, setup, teardown);
	return !err && skipped ? 77 : err;
}
