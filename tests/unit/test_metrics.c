// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Metrics on hand-made cases: accuracy, macro-F1, binary FDD detection,
 * 1:1 and 2:1 mixing, stratified split, mean/sd, quantiles.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "metrics.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_accuracy(void **s)
{
	int t[5] = { 0, 1, 2, 1, 0 }, p[5] = { 0, 1, 1, 1, -1 };

	NEAR(metrics_accuracy(t, p, 5), 3.0 / 5);
	assert_true(isnan(metrics_accuracy(t, p, 0)));
}

/* truth 0 0 0 1 1 2, pred 0 0 1 1 2 2:
 * class 0: tp 2, P 2, T 3 -> p 1, r 2/3, F1 0.8
 * class 1: tp 1, P 2, T 2 -> 0.5
 * class 2: tp 1, P 2, T 1 -> p 1/2, r 1 -> 2/3
 * macro = (0.8 + 0.5 + 2/3) / 3
 */
static void test_macro_f1(void **s)
{
	int t[6] = { 0, 0, 0, 1, 1, 2 }, p[6] = { 0, 0, 1, 1, 2, 2 };
	int t2[3] = { 0, 0, 1 }, p2[3] = { 0, 0, 3 };

	NEAR(metrics_macro_f1(t, p, 6, 4), (0.8 + 0.5 + 2.0 / 3) / 3);
	/* class 3 only predicted: counts, F1 0; class 1 F1 0 */
	NEAR(metrics_macro_f1(t2, p2, 3, 4), (1.0 + 0 + 0) / 3);
	/* all right: 1 */
	NEAR(metrics_macro_f1(t, t, 6, 3), 1.0);
	assert_true(isnan(metrics_macro_f1(t, p, 6, 0)));
}

static void test_binary(void **s)
{
	__u8 t[8] = { 1, 1, 1, 1, 0, 0, 0, 0 }, p[8] = { 1, 1, 1, 0, 1, 0, 0,
							    0 };
	__u8 z[4] = { 0 };
	struct metrics_bin b;

	metrics_binary(t, p, 8, &b);
	assert_int_equal(b.tp, 3);
	assert_int_equal(b.fn, 1);
	assert_int_equal(b.fp, 1);
	assert_int_equal(b.tn, 3);
	NEAR(b.acc, 6.0 / 8);
	NEAR(b.prec, 0.75);
	NEAR(b.rec, 0.75);
	NEAR(b.f1, 0.75);
	/* nothing positive, nothing predicted: F1 0, acc 1 */
	metrics_binary(z, z, 4, &b);
	NEAR(b.acc, 1.0);
	NEAR(b.f1, 0.0);
	/* everything predicted positive on a 1:1 set: acc 0.5, F1 2/3 */
	{
		__u8 one[4] = { 1, 1, 1, 1 }, half[4] = { 1, 0, 1, 0 };

		metrics_binary(half, one, 4, &b);
		NEAR(b.acc, 0.5);
		NEAR(b.f1, 2.0 / 3);
	}
}

static int sorted_unique(const int *v, int n, int lim)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] < 0 || v[i] >= lim || (i && v[i] <= v[i - 1]))
			return 0;
	return 1;
}

static void test_mix(void **s)
{
	int ia[100], ib[100], na, nb, seen[100] = { 0 }, r, i;
	struct nn_rng rng;

	nn_rng_seed(&rng, 1);
	/* 1:1 with 193 seen and 35 unseen -> 35 + 35 */
	assert_int_equal(metrics_mix(93, 35, 1, 1, &rng, ia, &na, ib, &nb),
			 0);
	assert_int_equal(na, 35);
	assert_int_equal(nb, 35);
	assert_true(sorted_unique(ia, na, 93));
	assert_true(sorted_unique(ib, nb, 35));
	/* 2:1 -> 70 + 35 */
	assert_int_equal(metrics_mix(93, 35, 2, 1, &rng, ia, &na, ib, &nb),
			 0);
	assert_int_equal(na, 70);
	assert_int_equal(nb, 35);
	/* 2:1 with few seen: limited by A: 9 seen -> 8 + 4 */
	assert_int_equal(metrics_mix(9, 35, 2, 1, &rng, ia, &na, ib, &nb), 0);
	assert_int_equal(na, 8);
	assert_int_equal(nb, 4);
	assert_true(sorted_unique(ib, nb, 35));
	/* the draw is uniform-ish: over many draws every seen index appears */
	for (r = 0; r < 200; r++) {
		metrics_mix(20, 5, 1, 1, &rng, ia, &na, ib, &nb);
		for (i = 0; i < na; i++)
			seen[ia[i]]++;
	}
	for (i = 0; i < 20; i++)
		assert_true(seen[i] > 20 && seen[i] < 80); /* expect 50 */
	assert_int_equal(metrics_mix(9, 35, 0, 1, &rng, ia, &na, ib, &nb),
			 -EINVAL);
	/* empty side: nothing */
	assert_int_equal(metrics_mix(9, 0, 1, 1, &rng, ia, &na, ib, &nb), 0);
	assert_int_equal(na + nb, 0);
}

static void test_strat_split(void **s)
{
	/* app 0: 10 items, app 1: 5, app 2: 1, app 3: 3, two left out */
	int st[21], i, cnt[4] = { 0 }, tot[4] = { 0 }, k, diff = 0;
	__u8 t[21], t2[21];
	struct nn_rng rng;

	for (i = 0; i < 10; i++)
		st[i] = 0;
	for (; i < 15; i++)
		st[i] = 1;
	st[15] = 2;
	st[16] = st[17] = st[18] = 3;
	st[19] = st[20] = -1;
	nn_rng_seed(&rng, 3);
	k = metrics_strat_split(st, 21, 0.2, &rng, t);
	assert_int_equal(k, 2 + 1 + 0 + 1);
	for (i = 0; i < 19; i++) {
		assert_true(t[i] == 0 || t[i] == 1);
		tot[st[i]]++;
		cnt[st[i]] += t[i];
	}
	assert_int_equal(cnt[0], 2);
	assert_int_equal(cnt[1], 1);
	assert_int_equal(cnt[2], 0);
	assert_int_equal(cnt[3], 1); /* round(0.6) */
	assert_int_equal(t[19], 0xff);
	assert_int_equal(t[20], 0xff);
	/* another seed draws other items */
	nn_rng_seed(&rng, 4);
	metrics_strat_split(st, 21, 0.2, &rng, t2);
	for (i = 0; i < 19; i++)
		diff += t[i] != t2[i];
	assert_true(diff > 0);
	assert_int_equal(metrics_strat_split(st, 21, 1.5, &rng, t), -EINVAL);
	assert_int_equal(metrics_strat_split(st, 21, 1.0, &rng, t), 19);
}

static void test_auc(void **s)
{
	double sc[5] = { 0.9, 0.8, 0.3, 0.5, 0.1 };
	__u8 t[5] = { 1, 1, 1, 0, 0 }, none[5] = { 0 };
	double tie[4] = { 1, 1, 1, 1 };

	/* positives 0.9 0.8 0.3 vs negatives 0.5 0.1: 5 of 6 pairs */
	NEAR(metrics_auc(sc, t, 5), 5.0 / 6);
	NEAR(metrics_auc(tie, t, 4), 0.5);
	assert_true(isnan(metrics_auc(sc, none, 5)));
}

static void test_mean_sd_quantile(void **s)
{
	double v[5] = { 1, 2, 3, 4, NAN }, m, sd, q[4] = { 4, 1, 3, 2 };

	metrics_mean_sd(v, 5, &m, &sd);
	NEAR(m, 2.5);
	NEAR(sd, sqrt(5.0 / 3));
	metrics_mean_sd(v, 1, &m, &sd);
	NEAR(m, 1);
	NEAR(sd, 0);
	metrics_mean_sd(v + 4, 1, &m, &sd);
	assert_true(isnan(m));
	NEAR(metrics_quantile(q, 4, 0.5), 2.5);
	NEAR(metrics_quantile(q, 4, 0), 1);
	NEAR(metrics_quantile(q, 4, 1), 4);
	NEAR(metrics_quantile(q, 4, 1.0 / 3), 2);
	assert_true(isnan(metrics_quantile(q, 0, 0.5)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_macro_f1),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_mix),
		cmocka_unit_test(test_strat_split),
		cmocka_unit_test(test_auc),
		cmocka_unit_test(test_mean_sd_quantile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
