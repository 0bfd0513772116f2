// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* nn layers: finite-difference gradient checks of every layer kind, shapes,
 * determinism of the PRNG.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "nn.h"

#define N 3

/* loss = sum r * y, in double */
static double proj_loss(struct nn_net *net, const float *x, const float *r)
{
	const float *y = nn_forward(net, x, N);
	int i, d = nn_out_size(net) * N;
	double s = 0;

	for (i = 0; i < d; i++)
		s += (double)r[i] * y[i];
	return s;
}

static int close_enough(double a, double n)
{
	double scale = fmax(1.0, fmax(fabs(a), fabs(n)));

	return fabs(a - n) <= 2e-2 * scale;
}

/* Compare analytic and central-difference gradients of every input and
 * every parameter; returns the number of mismatches, counts the checks.
 */
static int grad_check(struct nn_net *net, float *x, int *checks)
{
	int din = nn_in_size(net) * N, dout = nn_out_size(net) * N;
	float *r = malloc(dout * sizeof(float)), *dx, save;
	const float h = 1e-3f;
	struct nn_rng rng;
	double lp, lm, num;
	int i, j, bad = 0;
	struct nn_layer *l;

	nn_rng_seed(&rng, 7);
	for (i = 0; i < dout; i++)
		r[i] = (float)nn_rng_normal(&rng);
	net->need_dx = 1;
	nn_zero_grad(net);
	nn_forward(net, x, N);
	nn_backward(net, r, N);
	dx = malloc(din * sizeof(float));
	memcpy(dx, net->dx, din * sizeof(float));
	for (i = 0; i < din; i++) {
		save = x[i];
		x[i] = save + h;
		lp = proj_loss(net, x, r);
		x[i] = save - h;
		lm = proj_loss(net, x, r);
		x[i] = save;
		num = (lp - lm) / (2 * h);
		bad += !close_enough(dx[i], num);
		(*checks)++;
	}
	for (j = 0; j < net->n_layers; j++) {
		l = &net->l[j];
		if (!l->w)
			continue;
		for (i = 0; i < l->nw + l->cout; i++) {
			float *p = i < l->nw ? &l->w[i] : &l->b[i - l->nw];
			float g = i < l->nw ? l->gw[i] : l->gb[i - l->nw];

			save = *p;
			*p = save + h;
			lp = proj_loss(net, x, r);
			*p = save - h;
			lm = proj_loss(net, x, r);
			*p = save;
			num = (lp - lm) / (2 * h);
			if (!close_enough(g, num)) {
				bad++;
				print_message("layer %d param %d: analytic %g numeric %g\n",
					      j, i, g, num);
			}
			(*checks)++;
		}
	}
	free(r);
	free(dx);
	return bad;
}

static float *rand_input(struct nn_net *net, __u64 seed, float min_abs)
{
	int i, d = nn_in_size(net) * N;
	float *x = malloc(d * sizeof(float));
	struct nn_rng rng;

	nn_rng_seed(&rng, seed);
	for (i = 0; i < d; i++) {
		do
			x[i] = (float)nn_rng_normal(&rng);
		while (fabsf(x[i]) < min_abs);
	}
	return x;
}

static void check_net(struct nn_net *net, float min_abs, int max_bad)
{
	struct nn_rng rng;
	int checks = 0, bad;
	float *x;

	assert_int_equal(nn_alloc(net, N, 1), 0);
	nn_rng_seed(&rng, 1);
	nn_init_params(net, &rng);
	/* non-zero biases, so that their gradients are exercised */
	for (int j = 0; j < net->n_layers; j++)
		if (net->l[j].b)
			for (int o = 0; o < net->l[j].cout; o++)
				net->l[j].b[o] = 0.1f * (float)nn_rng_normal(&rng);
	x = rand_input(net, 3, min_abs);
	bad = grad_check(net, x, &checks);
	print_message("%d checks, %d mismatches\n", checks, bad);
	assert_true(checks > 0);
	assert_true(bad <= max_bad);
	free(x);
	nn_free(net);
}

static void test_conv1d_grad(void **state)
{
	struct nn_net net;

	nn_init(&net, 2, 1, 16);
	assert_int_equal(nn_add_conv(&net, 3, 1, 4, 1, 2, 0, 1), 0);
	assert_int_equal(net.l[0].wout, 8);
	check_net(&net, 0, 0);
}

static void test_conv2d_grad(void **state)
{
	struct nn_net net;

	nn_init(&net, 2, 5, 7);
	assert_int_equal(nn_add_conv(&net, 3, 3, 4, 1, 2, 1, 1), 0);
	assert_int_equal(net.l[0].hout, 5);
	assert_int_equal(net.l[0].wout, 3);
	assert_int_equal(nn_add_conv(&net, 2, 3, 3, 2, 2, 1, 1), 0);
	check_net(&net, 0, 0);
}

static void test_dense_grad(void **state)
{
	struct nn_net net;

	nn_init(&net, 2, 3, 2);
	assert_int_equal(nn_add_dense(&net, 5), 0);
	assert_int_equal(nn_add_dense(&net, 4), 0);
	check_net(&net, 0, 0);
}

static void test_relu_grad(void **state)
{
	struct nn_net net;

	/* inputs at least 0.05 from the kink: no sign flips at h = 1e-3 */
	nn_init(&net, 1, 1, 20);
	assert_int_equal(nn_add_relu(&net), 0);
	check_net(&net, 0.05f, 0);
}

static void test_l2norm_grad(void **state)
{
	struct nn_net net;

	nn_init(&net, 1, 1, 6);
	assert_int_equal(nn_add_l2norm(&net), 0);
	check_net(&net, 0, 0);
}

/* The Fast model's stack end to end (ReLU kinks may flip a few entries) */
static void test_fast_stack_grad(void **state)
{
	struct nn_net net;

	nn_init(&net, 1, 1, 16);
	assert_int_equal(nn_add_conv(&net, 3, 1, 4, 1, 2, 0, 1), 0);
	assert_int_equal(nn_add_relu(&net), 0);
	assert_int_equal(nn_add_conv(&net, 4, 1, 3, 1, 2, 0, 1), 0);
	assert_int_equal(nn_add_relu(&net), 0);
	assert_int_equal(nn_add_dense(&net, 5), 0);
	assert_int_equal(nn_add_l2norm(&net), 0);
	check_net(&net, 0, 3);
}

static void test_l2norm_output(void **state)
{
	struct nn_net net;
	float x[N * 4] = { 3, 4, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0 };
	const float *y;

	nn_init(&net, 1, 1, 4);
	assert_int_equal(nn_add_l2norm(&net), 0);
	assert_int_equal(nn_alloc(&net, N, 0), 0);
	y = nn_forward(&net, x, N);
	assert_float_equal(y[0], 0.6f, 1e-6);
	assert_float_equal(y[1], 0.8f, 1e-6);
	assert_float_equal(y[4], 0.5f, 1e-6);
	/* a zero vector stays finite */
	assert_float_equal(y[8], 0.0f, 1e-6);
	nn_free(&net);
}

/* A conv against a direct loop */
static void test_conv_reference(void **state)
{
	struct nn_net net;
	struct nn_rng rng;
	const float *y;
	float x[N * 2 * 4 * 5];
	int s, o, oh, ow, c, i, j;

	nn_init(&net, 2, 4, 5);
	assert_int_equal(nn_add_conv(&net, 3, 3, 2, 2, 1, 1, 0), 0);
	assert_int_equal(nn_alloc(&net, N, 0), 0);
	nn_rng_seed(&rng, 5);
	nn_init_params(&net, &rng);
	for (i = 0; i < 3; i++)
		net.l[0].b[i] = i;
	for (i = 0; i < (int)(sizeof(x) / sizeof(x[0])); i++)
		x[i] = (float)nn_rng_normal(&rng);
	y = nn_forward(&net, x, N);
	for (s = 0; s < N; s++)
		for (o = 0; o < 3; o++)
			for (oh = 0; oh < net.l[0].hout; oh++)
				for (ow = 0; ow < net.l[0].wout; ow++) {
					double acc = net.l[0].b[o];

					for (c = 0; c < 2; c++)
						for (i = 0; i < 3; i++)
							for (j = 0; j < 2; j++) {
								int ih = oh * 2 + i - 1, iw = ow + j;

								if (ih < 0 || ih >= 4 || iw >= 5)
									continue;
								acc += net.l[0].w[((o * 2 + c) * 3 + i) * 2 + j] *
								       x[((s * 2 + c) * 4 + ih) * 5 + iw];
							}
					assert_float_equal(
						y[((s * 3 + o) * net.l[0].hout + oh) *
							  net.l[0].wout + ow],
						acc, 1e-4);
				}
	nn_free(&net);
}

static void test_bad_shapes(void **state)
{
	struct nn_net net;

	nn_init(&net, 1, 1, 4);
	assert_int_equal(nn_add_conv(&net, 2, 1, 9, 1, 1, 0, 0), -EINVAL);
	assert_int_equal(nn_add_conv(&net, 2, 1, 3, 1, 0, 0, 0), -EINVAL);
	assert_int_equal(nn_add_conv(&net, 0, 1, 3, 1, 1, 0, 0), -EINVAL);
	assert_int_equal(nn_add_conv(&net, 2, 1, 3, 1, 1, 0, 3), -EINVAL);
	assert_int_equal(nn_alloc(&net, 4, 0), -EINVAL); /* no layers */
	nn_free(&net);
}

static void test_rng(void **state)
{
	struct nn_rng a, b;
	int i, hist[5] = { 0 };
	double m = 0;

	nn_rng_seed(&a, 42);
	nn_rng_seed(&b, 42);
	for (i = 0; i < 1000; i++)
		assert_true(nn_rng_next(&a) == nn_rng_next(&b));
	nn_rng_seed(&b, 43);
	assert_true(nn_rng_next(&a) != nn_rng_next(&b));
	for (i = 0; i < 50000; i++) {
		__u32 v = nn_rng_below(&a, 5);

		assert_true(v < 5);
		hist[v]++;
		m += nn_rng_normal(&a);
	}
	for (i = 0; i < 5; i++)
		assert_true(hist[i] > 9000 && hist[i] < 11000);
	assert_true(fabs(m / 50000) < 0.05);
}

static void test_adam_descends(void **state)
{
	struct nn_net net;
	struct nn_rng rng;
	float x[N * 3], t[N * 2], dy[N * 2];
	double first = 0, last = 0;
	int it, i;

	nn_init(&net, 3, 1, 1);
	assert_int_equal(nn_add_dense(&net, 2), 0);
	assert_int_equal(nn_alloc(&net, N, 1), 0);
	nn_rng_seed(&rng, 9);
	nn_init_params(&net, &rng);
	for (i = 0; i < N * 3; i++)
		x[i] = (float)nn_rng_normal(&rng);
	for (i = 0; i < N * 2; i++)
		t[i] = (float)nn_rng_normal(&rng);
	for (it = 0; it < 2000; it++) {
		const float *y = nn_forward(&net, x, N);
		double l = 0;

		for (i = 0; i < N * 2; i++) {
			dy[i] = y[i] - t[i];
			l += 0.5 * dy[i] * dy[i];
		}
		if (!it)
			first = l;
		last = l;
		nn_zero_grad(&net);
		nn_backward(&net, dy, N);
		assert_int_equal(nn_adam_step(&net, 0.02f, 0), 0);
	}
	print_message("adam loss %g -> %g\n", first, last);
	assert_true(last < 0.01 * first);
	nn_free(&net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv1d_grad),
		cmocka_unit_test(test_conv2d_grad),
		cmocka_unit_test(test_dense_grad),
		cmocka_unit_test(test_relu_grad),
		cmocka_unit_test(test_l2norm_grad),
		cmocka_unit_test(test_fast_stack_grad),
		cmocka_unit_test(test_l2norm_output),
		cmocka_unit_test(test_conv_reference),
		cmocka_unit_test(test_bad_shapes),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_adam_descends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
