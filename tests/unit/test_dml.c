// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DML losses: values on hand-made cases, finite-difference gradients,
 * and a tiny embedding trained by the loss separates its classes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dml.h"
#include "nn.h"

/* Two points per class on a line: exact values. */
static void test_pair_loss_values(void **state)
{
	/* y0 = (0,0), y1 = (0.5,0) same class; y2 = (0,0.3) other class */
	float y[6] = { 0, 0, 0.5f, 0, 0, 0.3f };
	int cls[3] = { 0, 0, 1 };
	struct dml_stats st;
	double l, d12 = sqrt(0.25 + 0.09);

	/* same: [0.5 - 0.4]+ = 0.1; diff: [1 - 0.3]+ + [1 - d12]+ */
	l = dml_pair_loss(y, 3, 2, cls, 0.4f, 1.0f, NULL, &st);
	assert_float_equal(l, (0.1 + 0.7 + (1 - d12)) / 3, 1e-6);
	assert_int_equal(st.pairs, 3);
	assert_int_equal(st.active, 3);
	assert_float_equal(st.d_same, 0.5, 1e-6);
	/* nothing active with a = 1, m = 0.2 */
	l = dml_pair_loss(y, 3, 2, cls, 1.0f, 0.2f, NULL, &st);
	assert_float_equal(l, 0, 1e-9);
	assert_int_equal(st.active, 0);
}

static void test_cluster_loss_values(void **state)
{
	/* 0,1 same cluster; 2 same class other cluster; 3 other class */
	float y[8] = { 0, 0, 0.2f, 0, 0, 0.6f, 0.8f, 0 };
	int cls[4] = { 0, 0, 0, 1 }, clu[4] = { 0, 0, 1, 2 };
	double l, want = 0;
	float a = 0.1f, b = 0.7f, m = 1.2f;
	double d[4][4];
	int i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			d[i][j] = hypot(y[2 * i] - y[2 * j],
					y[2 * i + 1] - y[2 * j + 1]);
	want += fmax(d[0][1] - a, 0);                       /* same cluster */
	want += fmax(b - d[0][2], 0) + fmax(b - d[1][2], 0); /* other cluster */
	want += fmax(m - d[0][3], 0) + fmax(m - d[1][3], 0) +
		fmax(m - d[2][3], 0);                        /* other class */
	l = dml_cluster_loss(y, 4, 2, cls, clu, a, b, m, NULL, NULL);
	assert_float_equal(l, want / 6, 1e-6);
}

static int check_grad(int robust)
{
	enum { N = 10, D = 5 };
	float y[N * D], dy[N * D], save;
	int cls[N], clu[N], i, bad = 0;
	const float h = 1e-3f;
	struct nn_rng rng;
	double lp, lm, num;

	nn_rng_seed(&rng, robust ? 11 : 12);
	for (i = 0; i < N * D; i++)
		y[i] = (float)(0.4 * nn_rng_normal(&rng));
	for (i = 0; i < N; i++) {
		cls[i] = i % 3;
		clu[i] = i % 5;
	}
#define LOSS(g) (robust ? dml_cluster_loss(y, N, D, cls, clu, 0.3f, 0.6f, \
					    1.0f, g, NULL) :                \
			  dml_pair_loss(y, N, D, cls, 0.3f, 1.0f, g, NULL))
	LOSS(dy);
	for (i = 0; i < N * D; i++) {
		save = y[i];
		y[i] = save + h;
		lp = LOSS(NULL);
		y[i] = save - h;
		lm = LOSS(NULL);
		y[i] = save;
		num = (lp - lm) / (2 * h);
		if (fabs(num - dy[i]) > 1e-3 + 1e-2 * fabs(num)) {
			print_message("y[%d]: analytic %g numeric %g\n", i,
				      dy[i], num);
			bad++;
		}
	}
#undef LOSS
	return bad;
}

static void test_pair_loss_grad(void **state)
{
	assert_int_equal(check_grad(0), 0);
}

static void test_cluster_loss_grad(void **state)
{
	assert_int_equal(check_grad(1), 0);
}

/* Through an L2-normalized dense embedding: training separates classes
 * (same-class distances below a, other-class ones near m).
 */
static void test_loss_trains(void **state)
{
	enum { N = 24, IN = 6, E = 4 };
	float x[N * IN], dy[N * E];
	int cls[N], i, j, it;
	struct dml_stats st0, st;
	struct nn_net net;
	struct nn_rng rng;
	const float *y;

	nn_rng_seed(&rng, 3);
	for (i = 0; i < N; i++) {
		cls[i] = i % 3;
		for (j = 0; j < IN; j++)
			x[i * IN + j] = (float)(0.5 * nn_rng_normal(&rng) +
						(j == cls[i] ? 2.0 : 0.0));
	}
	nn_init(&net, IN, 1, 1);
	assert_int_equal(nn_add_dense(&net, 8), 0);
	assert_int_equal(nn_add_relu(&net), 0);
	assert_int_equal(nn_add_dense(&net, E), 0);
	assert_int_equal(nn_add_l2norm(&net), 0);
	assert_int_equal(nn_alloc(&net, N, 1), 0);
	nn_init_params(&net, &rng);
	y = nn_forward(&net, x, N);
	dml_pair_loss(y, N, E, cls, 0.4f, 1.0f, NULL, &st0);
	for (it = 0; it < 300; it++) {
		y = nn_forward(&net, x, N);
		dml_pair_loss(y, N, E, cls, 0.4f, 1.0f, dy, &st);
		nn_zero_grad(&net);
		nn_backward(&net, dy, N);
		nn_adam_step(&net, 0.01f, 0);
	}
	y = nn_forward(&net, x, N);
	dml_pair_loss(y, N, E, cls, 0.4f, 1.0f, NULL, &st);
	print_message("same %.3f -> %.3f, diff %.3f -> %.3f\n", st0.d_same,
		      st.d_same, st0.d_diff, st.d_diff);
	assert_true(st0.d_same > 0.4);
	assert_true(st.d_same < 0.25);
	assert_true(st.d_diff > 1.0);
	nn_free(&net);
}

static void test_degenerate(void **state)
{
	float y[4] = { 0.5f, 0.5f, 0.5f, 0.5f }, dy[4];
	int cls[2] = { 0, 1 };
	struct dml_stats st;

	/* identical points of different classes: loss m, zero gradient */
	assert_float_equal(dml_pair_loss(y, 2, 2, cls, 0.4f, 1.0f, dy, &st),
			   1.0, 1e-6);
	assert_float_equal(dy[0], 0, 0);
	/* one sample: no pairs */
	assert_float_equal(dml_pair_loss(y, 1, 2, cls, 0.4f, 1.0f, dy, &st),
			   0, 0);
	assert_int_equal(st.pairs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_loss_values),
		cmocka_unit_test(test_cluster_loss_values),
		cmocka_unit_test(test_pair_loss_grad),
		cmocka_unit_test(test_cluster_loss_grad),
		cmocka_unit_test(test_loss_trains),
		cmocka_unit_test(test_degenerate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
