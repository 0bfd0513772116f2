// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The GPU engine's plan run on the CPU (no GPU needed): gpu/plan.h's
 * shapes, convolution parameters and column-major GEMM operands, fed to
 * textbook definitions of cuDNN's cross-correlation (NCHW, KCRS filters)
 * and cuBLAS's SGEMM, with the engine's own element functions
 * (gpu_bias_act, gpu_l2_nearest) applied exactly as gpu/kernels.cu does,
 * in the order gpu/engine.c's gpu_run does. Its embeddings must match the
 * CPU model (robot_robust_infer) within GT_EMB_TOL and its classes
 * everywhere but near ties. A wrong pad, stride, transpose, leading
 * dimension or bias index fails here. What it cannot check is the CUDA
 * API plumbing itself: tests/unit/test_gpu.c does that on a GPU.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "plan.h"
#include "testlib.h"

/* cuDNN CUDNN_CROSS_CORRELATION, dilation 1, zero padding:
 * y[n,k,p,q] = sum_{c,r,s} x[n,c,p*u-ph+r,q*v-pw+s] w[k,c,r,s]
 * accumulated in float with FMAs (as the FMA-math kernels do; the order
 * differs from the CPU's, as the GPU's does).
 */
static void emu_conv(const struct gpu_conv *c, const float *x,
		     const float *w, int n, float *y)
{
	int s, k, p, q, ch, r, t, ih, iw;
	float acc;

	for (s = 0; s < n; s++)
		for (k = 0; k < c->cout; k++)
			for (p = 0; p < c->hout; p++)
				for (q = 0; q < c->wout; q++) {
					acc = 0;
					for (ch = 0; ch < c->cin; ch++)
						for (r = 0; r < c->kh; r++)
							for (t = 0; t < c->kw; t++) {
								ih = p * c->sh - c->ph + r;
								iw = q * c->sw - c->pw + t;
								if (ih < 0 || ih >= c->hin ||
								    iw < 0 || iw >= c->win)
									continue;
								acc = fmaf(x[(((size_t)s * c->cin + ch) * c->hin + ih) * c->win + iw],
									   w[((k * c->cin + ch) * c->kh + r) * c->kw + t], acc);
							}
					y[(((size_t)s * c->cout + k) * c->hout + p) * c->wout + q] = acc;
				}
}

/* cublasSgemm, column-major, alpha 1, beta 0:
 * C(i,j) = sum_p op(A)(i,p) op(B)(p,j), X(i,j) at x[i + j * ldx],
 * float FMA accumulation.
 */
static void emu_sgemm(int transa, int transb, int m, int n, int k,
		      const float *a, int lda, const float *b, int ldb,
		      float *c, int ldc)
{
	int i, j, p;
	float acc, av, bv;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			acc = 0;
			for (p = 0; p < k; p++) {
				av = transa ? a[p + (size_t)i * lda] :
					      a[i + (size_t)p * lda];
				bv = transb ? b[j + (size_t)p * ldb] :
					      b[p + (size_t)j * ldb];
				acc = fmaf(av, bv, acc);
			}
			c[i + (size_t)j * ldc] = acc;
		}
}

/* What gpu_launch_bias_act does: every element through gpu_bias_act. */
static void emu_bias_act(float *y, const float *b, size_t total, int c,
			 int hw, int relu)
{
	size_t i;

	for (i = 0; i < total; i++)
		gpu_bias_act(y, b, i, c, hw, relu);
}

static const int param_layer[4] = { 0, 2, 4, 6 };

/* gpu_run on the CPU. emb [n][E], cls [n]. */
static void emu_run(const struct robot_robust *r, const struct gpu_plan *p,
		    const struct robot_pkt_feat *pkts, const __u8 *n_pkts,
		    int n, float *emb, __u8 *cls)
{
	const struct nn_layer *l[4];
	float *act[5];
	size_t sz[5] = { p->in_size, p->a1_size, p->a2_size, p->h_size,
			 p->emb };
	int i;

	for (i = 0; i < 4; i++)
		l[i] = &r->net.l[param_layer[i]];
	for (i = 0; i < 5; i++) {
		act[i] = malloc((size_t)n * sz[i] * sizeof(float));
		assert_non_null(act[i]);
	}
	for (i = 0; i < n; i++)
		robot_robust_featurize(pkts + (size_t)i * ROBOT_WINDOW,
				       n_pkts[i], act[0] + (size_t)i * sz[0]);
	for (i = 0; i < 2; i++) {
		const struct gpu_conv *c = &p->conv[i];

		emu_conv(c, act[i], l[i]->w, n, act[i + 1]);
		emu_bias_act(act[i + 1], l[i]->b,
			     (size_t)n * c->cout * c->hout * c->wout, c->cout,
			     c->hout * c->wout, 1);
	}
	for (i = 0; i < 2; i++) {
		const struct gpu_gemm *f = &p->fc[i];

		emu_sgemm(f->transa, f->transb, f->m, n, f->k, l[2 + i]->w,
			  f->lda, act[2 + i], f->ldb, act[3 + i], f->ldc);
		emu_bias_act(act[3 + i], l[2 + i]->b, (size_t)n * f->m, f->m,
			     1, i == 0);
	}
	for (i = 0; i < n; i++)
		cls[i] = gpu_l2_nearest(act[4] + (size_t)i * p->emb, p->emb,
					r->cent, r->cent_class, p->n_cent);
	memcpy(emb, act[4], (size_t)n * p->emb * sizeof(float));
	for (i = 0; i < 5; i++)
		free(act[i]);
}

static int plan_of(struct gpu_plan *p, const struct robot_robust *r)
{
	return gpu_plan_init(p, ROBOT_WINDOW, ROBOT_ROBUST_FEAT, r->arch.c1,
			     r->arch.c2, r->arch.hidden, r->arch.emb,
			     r->n_cent);
}

/* The plan's shapes are the CPU net's (gpu_check_net in engine.c). */
static void check_plan_vs_net(const struct gpu_plan *p,
			      const struct nn_net *net)
{
	const struct nn_layer *l;
	int i;

	assert_int_equal(net->n_layers, 8);
	for (i = 0; i < 2; i++) {
		l = &net->l[param_layer[i]];
		assert_int_equal(l->kind, NN_CONV);
		assert_int_equal(l->cin, p->conv[i].cin);
		assert_int_equal(l->hin, p->conv[i].hin);
		assert_int_equal(l->win, p->conv[i].win);
		assert_int_equal(l->cout, p->conv[i].cout);
		assert_int_equal(l->kh, p->conv[i].kh);
		assert_int_equal(l->kw, p->conv[i].kw);
		assert_int_equal(l->sh, p->conv[i].sh);
		assert_int_equal(l->sw, p->conv[i].sw);
		assert_int_equal(l->ph, p->conv[i].ph);
		assert_int_equal(l->pw, p->conv[i].pw);
		assert_int_equal(l->hout, p->conv[i].hout);
		assert_int_equal(l->wout, p->conv[i].wout);
	}
	for (i = 0; i < 2; i++) {
		l = &net->l[param_layer[2 + i]];
		assert_int_equal(l->kind, NN_DENSE);
		assert_int_equal(l->cout, p->fc[i].m);
		assert_int_equal(l->nw, p->fc[i].m * p->fc[i].k);
	}
}

static void test_plan_default(void **state)
{
	struct robot_robust r;
	struct gpu_plan p;

	assert_int_equal(gt_make_model(&r, &gt_arch_default, 1, 8), 0);
	assert_int_equal(plan_of(&p, &r), 0);
	/* user/robust.h: [16][20][34], [16][10][17], 2720 -> 64 -> 32 */
	assert_int_equal(p.conv[0].hout, 20);
	assert_int_equal(p.conv[0].wout, 34);
	assert_int_equal(p.conv[1].hout, 10);
	assert_int_equal(p.conv[1].wout, 17);
	assert_int_equal(p.fc[0].k, 16 * 10 * 17);
	assert_int_equal(p.fc[0].m, 64);
	assert_int_equal(p.fc[1].k, 64);
	assert_int_equal(p.fc[1].m, 32);
	assert_int_equal(p.max_tensor, 16 * 20 * 34);
	check_plan_vs_net(&p, &r.net);
	robot_robust_free(&r);
}

static void compare(const struct robot_robust_arch *a, __u64 seed,
		    int n_cent, int n)
{
	struct robot_pkt_feat *pkts;
	float *ce, *ee, d, maxd = 0;
	__u8 *np, *cc, *ec;
	struct robot_robust r;
	struct gpu_plan p;
	struct nn_rng rng;
	int i, ties = 0;

	assert_int_equal(gt_make_model(&r, a, seed, n_cent), 0);
	assert_int_equal(plan_of(&p, &r), 0);
	check_plan_vs_net(&p, &r.net);
	pkts = calloc((size_t)n * ROBOT_WINDOW, sizeof(*pkts));
	np = malloc(n);
	cc = malloc(n);
	ec = malloc(n);
	ce = malloc((size_t)n * a->emb * sizeof(float));
	ee = malloc((size_t)n * a->emb * sizeof(float));
	assert_true(pkts && np && cc && ec && ce && ee);
	nn_rng_seed(&rng, seed + 100);
	gt_make_windows(&rng, n, pkts, np);
	assert_int_equal(gt_cpu_infer(&r, pkts, np, n, ce, cc), 0);
	emu_run(&r, &p, pkts, np, n, ee, ec);
	for (i = 0; i < n * (int)a->emb; i++) {
		d = fabsf(ce[i] - ee[i]);
		maxd = d > maxd ? d : maxd;
	}
	for (i = 0; i < n; i++) {
		/* The class is the nearest center of the emulated embedding,
		 * by the CPU's own rule: the same arithmetic, exactly.
		 */
		assert_int_equal(ec[i],
				 r.cent_class[robot_robust_nearest(
					 &r, ee + (size_t)i * a->emb, NULL)]);
		if (ec[i] != cc[i]) {
			assert_true(gt_near_tie(&r, ce + (size_t)i * a->emb,
						ec[i], GT_EMB_TOL));
			ties++;
		}
	}
	printf("arch %u,%u,%u,%u: %d windows, max |emb diff| %.3g, "
	       "near-tie class flips %d\n", a->c1, a->c2, a->hidden, a->emb,
	       n, maxd, ties);
	assert_true(maxd <= GT_EMB_TOL);
	assert_true(ties <= n / 100);
	free(pkts);
	free(np);
	free(cc);
	free(ec);
	free(ce);
	free(ee);
	robot_robust_free(&r);
}

static void test_emu_default(void **state)
{
	compare(&gt_arch_default, 7, 24, 300);
}

static void test_emu_other_arch(void **state)
{
	/* Unequal channel counts catch a swapped cin/cout or C1/C2. */
	static const struct robot_robust_arch a = { 8, 5, 48, 12 };

	compare(&a, 11, 5, 200);
}

/* Ties and degenerate inputs of the shared element functions agree with
 * the CPU rules: lowest index on ties, eps clamp, ReLU of NaN.
 */
static void test_elements(void **state)
{
	struct robot_robust r;
	float e[ROBOT_ROBUST_DEF_EMB], b[2] = { 1.0f, -2.0f }, y[4];
	int i;

	assert_int_equal(gt_make_model(&r, &gt_arch_default, 3, 4), 0);
	/* centers 1 and 2 identical, classes differ */
	memcpy(r.cent + 2 * r.arch.emb, r.cent + r.arch.emb,
	       r.arch.emb * sizeof(float));
	r.cent_class[1] = 3;
	r.cent_class[2] = 5;
	for (i = 0; i < (int)r.arch.emb; i++)
		e[i] = 4.0f * r.cent[r.arch.emb + i];
	assert_int_equal(gpu_l2_nearest(e, r.arch.emb, r.cent, r.cent_class,
					r.n_cent), 3);
	assert_int_equal(robot_robust_nearest(&r, e, NULL), 1);
	for (i = 0; i < (int)r.arch.emb; i++)
		assert_true(fabsf(e[i] - r.cent[r.arch.emb + i]) < 1e-6f);
	/* zero embedding: stays zero, every dot 0, center 0 wins */
	memset(e, 0, sizeof(e));
	assert_int_equal(gpu_l2_nearest(e, r.arch.emb, r.cent, r.cent_class,
					r.n_cent), r.cent_class[0]);
	assert_int_equal(robot_robust_nearest(&r, e, NULL), 0);
	for (i = 0; i < (int)r.arch.emb; i++)
		assert_true(e[i] == 0.0f);
	/* [1][2][2]: channel 0 then 1 */
	y[0] = 0.5f, y[1] = -3.0f, y[2] = 1.0f, y[3] = NAN;
	for (i = 0; i < 4; i++)
		gpu_bias_act(y, b, i, 2, 2, 1);
	assert_true(y[0] == 1.5f && y[1] == 0.0f && y[2] == 0.0f &&
		    y[3] == 0.0f);
	robot_robust_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_default),
		cmocka_unit_test(test_elements),
		cmocka_unit_test(test_emu_default),
		cmocka_unit_test(test_emu_other_arch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
