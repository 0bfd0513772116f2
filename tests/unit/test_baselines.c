// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Baselines: finite-difference gradient checks of the GRU (both
 * directions), dense, embedding, SELU, max pooling, softmax
 * cross-entropy, the whole Deep Packet and FS-Net losses (class and
 * reconstruction terms separately); GRU values by hand; the k-means++
 * baseline and the two networks on small learnable problems.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "base_deeppacket.h"
#include "base_fsnet.h"
#include "base_gru.h"
#include "base_kmeans.h"
#include "base_layers.h"

static int close_enough(double a, double n)
{
	return fabs(a - n) <= 2e-3 + 3e-2 * fmax(fabs(a), fabs(n));
}

/* --------------------------------------------------------------- GRU */

#define GT 4
#define GN 3
#define GIN 3
#define GH 4

static double gru_loss(struct bgru *g, const float *x, const float *r)
{
	const float *y = bgru_fwd(g, x, GT, GN);
	double s = 0;
	int i;

	for (i = 0; i < GT * GN * GH; i++)
		s += (double)r[i] * y[i];
	return s;
}

static int check_array(double (*loss)(void *), void *ctx, float *w,
		       const float *g, int n, float h, int *checks)
{
	double lp, lm, num;
	int i, bad = 0;
	float save;

	for (i = 0; i < n; i++) {
		save = w[i];
		w[i] = save + h;
		lp = loss(ctx);
		w[i] = save - h;
		lm = loss(ctx);
		w[i] = save;
		num = (lp - lm) / (2 * h);
		if (!close_enough(g[i], num)) {
			print_message("grad %d: analytic %g numeric %g\n", i,
				      g[i], num);
			bad++;
		}
		(*checks)++;
	}
	return bad;
}

struct gru_ctx {
	struct bgru *g;
	float *x, *r;
};

static double gru_ctx_loss(void *p)
{
	struct gru_ctx *c = p;

	return gru_loss(c->g, c->x, c->r);
}

static void gru_grad(int rev)
{
	float x[GT * GN * GIN], r[GT * GN * GH], dx[GT * GN * GIN];
	struct bparams ps = { 0 };
	struct gru_ctx c;
	struct nn_rng rng;
	struct bgru g;
	int i, bad = 0, checks = 0;

	nn_rng_seed(&rng, 11 + rev);
	assert_int_equal(bgru_init(&g, &ps, GIN, GH, rev, GT, GN, &rng), 0);
	for (i = 0; i < GT * GN * GIN; i++)
		x[i] = (float)nn_rng_normal(&rng);
	for (i = 0; i < GT * GN * GH; i++)
		r[i] = (float)nn_rng_normal(&rng);
	bparams_zero_grad(&ps);
	bgru_fwd(&g, x, GT, GN);
	bgru_bwd(&g, r, dx);
	c = (struct gru_ctx){ .g = &g, .x = x, .r = r };
	bad += check_array(gru_ctx_loss, &c, x, dx, GT * GN * GIN, 1e-2f,
			   &checks);
	bad += check_array(gru_ctx_loss, &c, g.wx, g.gwx, 3 * GH * GIN, 1e-2f,
			   &checks);
	bad += check_array(gru_ctx_loss, &c, g.wh, g.gwh, 3 * GH * GH, 1e-2f,
			   &checks);
	bad += check_array(gru_ctx_loss, &c, g.bx, g.gbx, 3 * GH, 1e-2f,
			   &checks);
	bad += check_array(gru_ctx_loss, &c, g.bh, g.gbh, 3 * GH, 1e-2f,
			   &checks);
	assert_int_equal(checks, GT * GN * GIN + 3 * GH * (GIN + GH + 2));
	assert_int_equal(bad, 0);
	bgru_free(&g);
	bparams_free(&ps);
}

static void test_gru_grad_fwd(void **s)
{
	gru_grad(0);
}

static void test_gru_grad_rev(void **s)
{
	gru_grad(1);
}

/* A 1x1 GRU with only bx_n = 1: r = z = 1/2, n = tanh(1), h' = (n + h)/2
 * at every step: 0.3808, 0.5712, 0.6664 ...
 */
static void test_gru_values(void **s)
{
	struct bparams ps = { 0 };
	float x[3] = { 0.3f, -2.0f, 5.0f };
	struct nn_rng rng;
	double n = tanh(1.0), h = 0;
	const float *y;
	struct bgru g, gr;
	int t;

	nn_rng_seed(&rng, 1);
	assert_int_equal(bgru_init(&g, &ps, 1, 1, 0, 3, 1, &rng), 0);
	assert_int_equal(bgru_init(&gr, &ps, 1, 1, 1, 3, 1, &rng), 0);
	g.wx[0] = g.wx[1] = g.wx[2] = 0;
	g.wh[0] = g.wh[1] = g.wh[2] = 0;
	memset(g.bx, 0, 3 * sizeof(float));
	memset(g.bh, 0, 3 * sizeof(float));
	g.bx[2] = 1;
	y = bgru_fwd(&g, x, 3, 1);
	for (t = 0; t < 3; t++) {
		h = (n + h) / 2;
		assert_true(fabs(y[t] - h) < 1e-6);
	}
	assert_true(fabs(bgru_final(&g)[0] - h) < 1e-6);
	/* reverse of reversed input == forward, time-flipped */
	memcpy(gr.wx, g.wx, 3 * sizeof(float));
	memcpy(gr.wh, g.wh, 3 * sizeof(float));
	memcpy(gr.bx, g.bx, 3 * sizeof(float));
	memcpy(gr.bh, g.bh, 3 * sizeof(float));
	g.wx[0] = 0.7f, g.wx[1] = -0.4f, g.wx[2] = 1.3f, g.wh[2] = 0.5f;
	gr.wx[0] = 0.7f, gr.wx[1] = -0.4f, gr.wx[2] = 1.3f, gr.wh[2] = 0.5f;
	{
		float xr[3] = { x[2], x[1], x[0] }, yf[3];

		memcpy(yf, bgru_fwd(&g, x, 3, 1), sizeof(yf));
		y = bgru_fwd(&gr, xr, 3, 1);
		for (t = 0; t < 3; t++)
			assert_true(fabs(y[t] - yf[2 - t]) < 1e-6);
		assert_true(fabs(bgru_final(&gr)[0] - yf[2]) < 1e-6);
	}
	/* bad shapes */
	assert_null(bgru_fwd(&g, x, 4, 1));
	assert_null(bgru_fwd(&g, x, 0, 1));
	bgru_free(&g);
	bgru_free(&gr);
	bparams_free(&ps);
}

/* ------------------------------------------------------ small layers */

struct dense_ctx {
	struct bdense *d;
	struct bembed *e;
	float *x, *r, *y;
	int *tok, n;
};

static double dense_loss(void *p)
{
	struct dense_ctx *c = p;
	double s = 0;
	int i;

	bdense_fwd(c->d, c->x, c->n, c->y);
	for (i = 0; i < c->n * c->d->out; i++)
		s += (double)c->r[i] * c->y[i];
	return s;
}

static void test_dense_grad(void **s)
{
	struct bparams ps = { 0 };
	float x[3 * 5], r[3 * 4], y[3 * 4], dx[3 * 5];
	struct dense_ctx c;
	struct nn_rng rng;
	struct bdense d;
	int i, checks = 0, bad = 0;

	nn_rng_seed(&rng, 5);
	assert_int_equal(bdense_init(&d, &ps, 5, 4, &rng, 1), 0);
	for (i = 0; i < 15; i++)
		x[i] = (float)nn_rng_normal(&rng);
	for (i = 0; i < 12; i++)
		r[i] = (float)nn_rng_normal(&rng);
	for (i = 0; i < 4; i++)
		d.b[i] = 0.1f * i;
	c = (struct dense_ctx){ .d = &d, .x = x, .r = r, .y = y, .n = 3 };
	bparams_zero_grad(&ps);
	bdense_fwd(&d, x, 3, y);
	bdense_bwd(&d, x, r, 3, dx);
	bad += check_array(dense_loss, &c, x, dx, 15, 1e-2f, &checks);
	bad += check_array(dense_loss, &c, d.w, d.gw, 20, 1e-2f, &checks);
	bad += check_array(dense_loss, &c, d.b, d.gb, 4, 1e-2f, &checks);
	assert_int_equal(checks, 39);
	assert_int_equal(bad, 0);
	/* value: y = W x + b */
	{
		double v = d.b[1];

		for (i = 0; i < 5; i++)
			v += (double)d.w[5 + i] * x[5 + i];
		assert_true(fabs(y[4 + 1] - v) < 1e-5);
	}
	bparams_free(&ps);
}

static double embed_loss(void *p)
{
	struct dense_ctx *c = p;
	double s = 0;
	int i;

	bembed_fwd(c->e, c->tok, c->n, c->y);
	for (i = 0; i < c->n * c->e->dim; i++)
		s += (double)c->r[i] * c->y[i];
	return s;
}

static void test_embed_grad(void **s)
{
	struct bparams ps = { 0 };
	int tok[5] = { 1, 3, 1, 0, 9 /* out of range: token 0 */ };
	float r[5 * 2], y[5 * 2];
	struct dense_ctx c;
	struct nn_rng rng;
	struct bembed e;
	int i, checks = 0;

	nn_rng_seed(&rng, 9);
	assert_int_equal(bembed_init(&e, &ps, 4, 2, &rng), 0);
	for (i = 0; i < 10; i++)
		r[i] = (float)nn_rng_normal(&rng);
	c = (struct dense_ctx){ .e = &e, .tok = tok, .r = r, .y = y, .n = 5 };
	bparams_zero_grad(&ps);
	bembed_fwd(&e, tok, 5, y);
	assert_memory_equal(y + 2, e.w + 3 * 2, 2 * sizeof(float));
	assert_memory_equal(y + 8, e.w, 2 * sizeof(float));
	bembed_bwd(&e, tok, r, 5);
	assert_int_equal(check_array(embed_loss, &c, e.w, e.gw, 8, 1e-2f,
				     &checks), 0);
	/* token 2 unused: zero gradient */
	assert_true(e.gw[4] == 0 && e.gw[5] == 0);
	bparams_free(&ps);
}

static void test_selu_relu_pool(void **s)
{
	float x[8] = { -2, -0.5f, 0.1f, 3, 1, -1, 0.7f, 0.2f }, y[8], dx[8];
	float dy[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, p[4], dp[4] = { 1, 2, 3, 4 };
	float h = 1e-3f, ya[8], yb[8];
	int arg[4], i;

	bselu_fwd(x, 8, y);
	assert_true(fabs(y[3] - 1.0507009873554805 * 3) < 1e-5);
	assert_true(fabs(y[0] - 1.0507009873554805 * 1.6732632423543772 *
				      expm1(-2.0)) < 1e-5);
	bselu_bwd(x, dy, 8, dx);
	for (i = 0; i < 8; i++) {
		float xp = x[i] + h, xm = x[i] - h;

		bselu_fwd(&xp, 1, &ya[i]);
		bselu_fwd(&xm, 1, &yb[i]);
		assert_true(close_enough(dx[i], dy[i] * (ya[i] - yb[i]) /
							 (2 * h)));
	}
	brelu_fwd(x, 8, y);
	brelu_bwd(x, dy, 8, dx);
	assert_true(y[0] == 0 && y[3] == 3 && dx[1] == 0 && dx[2] == 3);
	/* pool: 2 samples x 1 channel x 4 -> 2 */
	bmaxpool_fwd(x, 2, 1, 4, 2, p, arg);
	assert_true(p[0] == -0.5f && p[1] == 3 && p[2] == 1 && p[3] == 0.7f);
	bmaxpool_bwd(dp, arg, 2, 1, 4, 2, dx);
	assert_true(dx[0] == 0 && dx[1] == 1 && dx[2] == 0 && dx[3] == 2);
	assert_true(dx[4] == 3 && dx[5] == 0 && dx[6] == 4 && dx[7] == 0);
	/* odd length: the tail is dropped */
	bmaxpool_fwd(x, 1, 1, 5, 2, p, arg);
	assert_true(p[0] == -0.5f && p[1] == 3);
}

static void test_softmax_ce(void **s)
{
	float z[3 * 4] = { 0, 0, 0, 0, 1, 2, 3, 4, -1, 5, 0, 2 }, dz[12];
	int y[3] = { 2, 3, -1 }, i, j;
	double l, lp, lm, h = 1e-3;

	/* uniform logits: log 4 */
	l = bsoftmax_ce(z, y, 1, 4, 1.0f, NULL);
	assert_true(fabs(l - log(4.0)) < 1e-6);
	l = bsoftmax_ce(z, y, 3, 4, 0.5f, dz);
	/* ignored row: zero gradient, and the mean is over 2 rows */
	for (j = 0; j < 4; j++)
		assert_true(dz[8 + j] == 0);
	{
		/* row 0: log 4; row 1: logsumexp(1..4) - 4 */
		double e = log(4.0) + log(1 + exp(-1) + exp(-2) + exp(-3));

		assert_true(fabs(l - 0.5 * e / 2) < 1e-5);
	}
	for (i = 0; i < 8; i++) {
		float save = z[i];

		z[i] = save + (float)h;
		lp = bsoftmax_ce(z, y, 3, 4, 0.5f, NULL);
		z[i] = save - (float)h;
		lm = bsoftmax_ce(z, y, 3, 4, 0.5f, NULL);
		z[i] = save;
		assert_true(close_enough(dz[i], (lp - lm) / (2 * h)));
	}
	/* rows of dz sum to 0 */
	assert_true(fabs(dz[0] + dz[1] + dz[2] + dz[3]) < 1e-6);
}

/* -------------------------------------------------------- Deep Packet */

struct dp_ctx {
	struct deeppacket *d;
	float *x;
	int *y, n;
};

static double dp_ctx_loss(void *p)
{
	struct dp_ctx *c = p;

	dp_forward(c->d, c->x, c->n);
	return dp_loss(c->d, c->y, c->n, 0);
}

static void test_deeppacket_grad(void **s)
{
	struct dp_opts o;
	struct deeppacket d;
	float x[3 * ROBOT_HDR_LEN];
	int y[3] = { 0, 2, 1 }, i, l, bad = 0, checks = 0, nw;
	struct nn_rng rng;
	struct dp_ctx c;
	float *gw, *gb;

	dp_defaults(&o);
	o.c1 = 3, o.c2 = 4, o.f1 = 6, o.f2 = 5, o.f3 = 4;
	assert_int_equal(dp_init(&d, &o, 3, 3), 0);
	nn_rng_seed(&rng, 3);
	for (i = 0; i < 3 * ROBOT_HDR_LEN; i++)
		x[i] = (float)nn_rng_uniform(&rng);
	dp_forward(&d, x, 3);
	dp_loss(&d, y, 3, 1);
	c = (struct dp_ctx){ .d = &d, .x = x, .y = y, .n = 3 };
	for (l = 0; l < d.conv.n_layers; l++) {
		if (!d.conv.l[l].w)
			continue;
		nw = d.conv.l[l].nw;
		gw = malloc(nw * sizeof(float));
		gb = malloc(d.conv.l[l].cout * sizeof(float));
		memcpy(gw, d.conv.l[l].gw, nw * sizeof(float));
		memcpy(gb, d.conv.l[l].gb, d.conv.l[l].cout * sizeof(float));
		bad += check_array(dp_ctx_loss, &c, d.conv.l[l].w, gw, nw,
				   2e-3f, &checks);
		bad += check_array(dp_ctx_loss, &c, d.conv.l[l].b, gb,
				   d.conv.l[l].cout, 2e-3f, &checks);
		free(gw);
		free(gb);
	}
	for (l = 0; l < d.head.n_layers; l++) {
		if (!d.head.l[l].w)
			continue;
		nw = d.head.l[l].nw;
		gw = malloc(nw * sizeof(float));
		memcpy(gw, d.head.l[l].gw, nw * sizeof(float));
		bad += check_array(dp_ctx_loss, &c, d.head.l[l].w, gw, nw,
				   2e-3f, &checks);
		free(gw);
	}
	print_message("deep packet: %d of %d checks off\n", bad, checks);
	assert_true(checks > 300);
	assert_int_equal(bad, 0);
	dp_free(&d);
}

/* Classes decided by one header byte: Deep Packet and k-means++ learn it. */
static void test_deeppacket_learns(void **s)
{
	int n = 300, i, *y = malloc(n * sizeof(int)), *p = malloc(n * 4);
	float *x = calloc((size_t)n * ROBOT_HDR_LEN, sizeof(float));
	struct nn_rng rng;
	struct dp_opts o;
	struct deeppacket d;
	struct bkm km;
	__u8 fdd[4];
	int ok = 0;

	nn_rng_seed(&rng, 4);
	for (i = 0; i < n; i++) {
		y[i] = i % 3;
		x[(size_t)i * ROBOT_HDR_LEN + 9] = y[i] / 2.0f;
		x[(size_t)i * ROBOT_HDR_LEN + 30] =
			(float)nn_rng_uniform(&rng) * 0.1f;
	}
	dp_defaults(&o);
	o.c1 = o.c2 = 8, o.epochs = 15;
	assert_int_equal(dp_init(&d, &o, 3, 64), 0);
	assert_int_equal(dp_train(&d, x, y, n, NULL, 0), 0);
	dp_predict(&d, x, n, p, NULL);
	for (i = 0; i < n; i++)
		ok += p[i] == y[i];
	assert_true(ok >= n * 95 / 100);
	dp_free(&d);
	/* k-means++: 3 clusters, threshold at the 0.95 quantile */
	assert_int_equal(bkm_fit(&km, x, y, n, ROBOT_HDR_LEN, 3, 0.95, &rng),
			 0);
	bkm_predict(&km, x, n, p, NULL, NULL);
	for (ok = 0, i = 0; i < n; i++)
		ok += p[i] == y[i];
	assert_int_equal(ok, n);
	/* a far point is FDD, a training point is not */
	{
		float far[2 * ROBOT_HDR_LEN] = { 0 };

		far[5] = 1;
		far[ROBOT_HDR_LEN + 9] = 0.5f;
		far[ROBOT_HDR_LEN + 30] = 0.05f;
		bkm_predict(&km, far, 2, NULL, fdd, NULL);
		assert_int_equal(fdd[0], 1);
		assert_int_equal(fdd[1], 0);
	}
	bkm_free(&km);
	assert_int_equal(bkm_fit(&km, x, y, n, ROBOT_HDR_LEN, 3, 0, &rng),
			 -EINVAL);
	free(x);
	free(y);
	free(p);
}

/* ------------------------------------------------------------- FS-Net */

#define FT 4
#define FN 3

struct fs_ctx {
	struct fsnet *m;
	int *tok, *y;
};

static double fs_ctx_loss(void *p)
{
	struct fs_ctx *c = p;

	return fsnet_forward(c->m, c->tok, c->y, FN, 0);
}

static int fsnet_check(float alpha, int with_class)
{
	struct fsnet_opts o;
	struct fsnet m;
	int tok[FN * FT] = { 1, 5, 0, 8, 2, 2, 7, 3, 6, 1, 4, 0 };
	int y[FN] = { 0, 2, 1 }, noy[FN] = { -1, -1, -1 }, i, bad = 0;
	int checks = 0;
	struct fs_ctx c;
	float **g;

	fsnet_defaults(&o);
	o.t = FT, o.bin = 500, o.emb = 3, o.hid = 3, o.layers = 2, o.fc = 4;
	o.alpha = alpha;
	assert_int_equal(fsnet_init(&m, &o, 3, FN), 0);
	assert_int_equal(m.vocab, 9);
	bparams_zero_grad(&m.ps);
	c = (struct fs_ctx){ .m = &m, .tok = tok, .y = with_class ? y : noy };
	fsnet_forward(&m, tok, c.y, FN, 1);
	g = malloc(m.ps.n * sizeof(float *));
	for (i = 0; i < m.ps.n; i++) {
		g[i] = malloc(m.ps.p[i].n * sizeof(float));
		memcpy(g[i], m.ps.p[i].g, m.ps.p[i].n * sizeof(float));
	}
	for (i = 0; i < m.ps.n; i++)
		bad += check_array(fs_ctx_loss, &c, m.ps.p[i].w, g[i],
				   m.ps.p[i].n, 1e-2f, &checks);
	assert_int_equal(checks, (int)bparams_count(&m.ps));
	for (i = 0; i < m.ps.n; i++)
		free(g[i]);
	free(g);
	fsnet_free(&m);
	return bad;
}

static void test_fsnet_grad_class(void **s)
{
	assert_int_equal(fsnet_check(0.0f, 1), 0);
}

static void test_fsnet_grad_recon(void **s)
{
	assert_int_equal(fsnet_check(1.0f, 0), 0);
}

static void test_fsnet_grad_both(void **s)
{
	assert_int_equal(fsnet_check(0.7f, 1), 0);
}

/* Class = direction pattern of the first packets: FS-Net learns it. */
static void test_fsnet_learns(void **s)
{
	int n = 120, T = 6, i, t, *tok, *y, *p, ok = 0;
	struct fsnet_opts o;
	struct nn_rng rng;
	struct fsnet m;

	tok = malloc((size_t)n * T * sizeof(int));
	y = malloc(n * sizeof(int));
	p = malloc(n * sizeof(int));
	nn_rng_seed(&rng, 8);
	for (i = 0; i < n; i++) {
		y[i] = i % 2;
		for (t = 0; t < T; t++)
			tok[i * T + t] = 1 + (int)nn_rng_below(&rng, 4) +
					 (y[i] && t == 2 ? 8 : 0);
	}
	fsnet_defaults(&o);
	o.t = T, o.bin = 150, o.emb = 4, o.hid = 8, o.fc = 8, o.epochs = 20;
	o.batch = 16, o.lr = 1e-2f;
	assert_int_equal(fsnet_init(&m, &o, 2, 32), 0);
	assert_int_equal(fsnet_train(&m, tok, y, n, NULL, 0), 0);
	fsnet_predict(&m, tok, n, p);
	for (i = 0; i < n; i++)
		ok += p[i] == y[i];
	assert_true(ok >= n * 9 / 10);
	fsnet_free(&m);
	/* bad configurations */
	o.layers = 3;
	assert_int_equal(fsnet_init(&m, &o, 2, 32), -EINVAL);
	o.layers = 2, o.t = FSNET_T_MAX + 1;
	assert_int_equal(fsnet_init(&m, &o, 2, 32), -EINVAL);
	free(tok);
	free(y);
	free(p);
}

static void test_fsnet_tokens(void **s)
{
	struct robot_ds_flow *f = calloc(1, sizeof(*f));
	struct fsnet_opts o;
	int tok[FSNET_T_MAX];

	fsnet_defaults(&o);
	o.bin = 10;
	f->n_pkts = 3;
	f->pkts[0].ip_len = 60, f->pkts[0].dir = 0;
	f->pkts[1].ip_len = 1500, f->pkts[1].dir = 1;
	f->pkts[2].ip_len = 9000, f->pkts[2].dir = 0; /* jumbo: clamped */
	fsnet_tokens(&o, f, tok);
	assert_int_equal(tok[0], 1 + 6);
	assert_int_equal(tok[1], 1 + 151 + 150);
	assert_int_equal(tok[2], 1 + 150);
	assert_int_equal(tok[3], 0);
	assert_int_equal(tok[FSNET_T_MAX - 1], 0);
	assert_int_equal(fsnet_vocab(&o), 303);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gru_grad_fwd),
		cmocka_unit_test(test_gru_grad_rev),
		cmocka_unit_test(test_gru_values),
		cmocka_unit_test(test_dense_grad),
		cmocka_unit_test(test_embed_grad),
		cmocka_unit_test(test_selu_relu_pool),
		cmocka_unit_test(test_softmax_ce),
		cmocka_unit_test(test_deeppacket_grad),
		cmocka_unit_test(test_deeppacket_learns),
		cmocka_unit_test(test_fsnet_grad_class),
		cmocka_unit_test(test_fsnet_grad_recon),
		cmocka_unit_test(test_fsnet_grad_both),
		cmocka_unit_test(test_fsnet_learns),
		cmocka_unit_test(test_fsnet_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
