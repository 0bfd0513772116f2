// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* GRU layer with backpropagation through time (base_gru.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "base_gru.h"

void bgru_free(struct bgru *g)
{
	free(g->gx);
	free(g->gh);
	free(g->gate);
	free(g->y);
	free(g->dgx);
	free(g->dh);
	free(g->dgh);
	free(g->zero);
	g->gx = g->gh = g->gate = g->y = g->dgx = g->dh = g->dgh = NULL;
	g->zero = NULL;
}

int bgru_init(struct bgru *g, struct bparams *ps, int in, int hid, int rev,
	      int max_t, int max_n, struct nn_rng *rng)
{
	size_t big = (size_t)max_t * max_n * 3 * hid;
	double k = 1.0 / sqrt(hid);
	int i;

	memset(g, 0, sizeof(*g));
	if (in < 1 || hid < 1 || max_t < 1 || max_n < 1)
		return -EINVAL;
	g->in = in;
	g->hid = hid;
	g->rev = !!rev;
	g->max_t = max_t;
	g->max_n = max_n;
	g->wx = bparams_add(ps, (size_t)3 * hid * in, &g->gwx);
	g->wh = bparams_add(ps, (size_t)3 * hid * hid, &g->gwh);
	g->bx = bparams_add(ps, 3 * hid, &g->gbx);
	g->bh = bparams_add(ps, 3 * hid, &g->gbh);
	if (!g->wx || !g->wh || !g->bx || !g->bh)
		return -ENOMEM;
	for (i = 0; i < 3 * hid * in; i++)
		g->wx[i] = (float)(k * (2 * nn_rng_uniform(rng) - 1));
	for (i = 0; i < 3 * hid * hid; i++)
		g->wh[i] = (float)(k * (2 * nn_rng_uniform(rng) - 1));
	for (i = 0; i < 3 * hid; i++) {
		g->bx[i] = (float)(k * (2 * nn_rng_uniform(rng) - 1));
		g->bh[i] = (float)(k * (2 * nn_rng_uniform(rng) - 1));
	}
	g->gx = malloc(big * sizeof(float));
	g->gh = malloc(big * sizeof(float));
	g->gate = malloc(big * sizeof(float));
	g->dgx = malloc(big * sizeof(float));
	g->y = malloc((size_t)max_t * max_n * hid * sizeof(float));
	g->dh = malloc((size_t)max_n * hid * sizeof(float));
	g->dgh = malloc((size_t)max_n * 3 * hid * sizeof(float));
	g->zero = calloc((size_t)max_n * hid, sizeof(float));
	if (!g->gx || !g->gh || !g->gate || !g->dgx || !g->y || !g->dh ||
	    !g->dgh || !g->zero) {
		bgru_free(g);
		return -ENOMEM;
	}
	return 0;
}

static inline float sigm(float v)
{
	return 1.0f / (1.0f + expf(-v));
}

/* Time index of processing step s, and of the state before it. */
static inline int tstep(const struct bgru *g, int s)
{
	return g->rev ? g->t - 1 - s : s;
}

static const float *hprev(const struct bgru *g, int s)
{
	if (!s)
		return g->zero;
	return g->y + (size_t)tstep(g, s - 1) * g->n * g->hid;
}

const float *bgru_fwd(struct bgru *g, const float *x, int t, int n)
{
	int h = g->hid, h3 = 3 * h, s, tt, i, j;
	float *gx, *gh, *gt, *y, r, z, nn;
	const float *hp;

	if (t > g->max_t || n > g->max_n || t < 1 || n < 1)
		return NULL;
	g->t = t;
	g->n = n;
	g->x = x;
	for (i = 0; i < t * n; i++)
		memcpy(g->gx + (size_t)i * h3, g->bx, h3 * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t * n, h3, g->in,
		    1.0f, x, g->in, g->wx, g->in, 1.0f, g->gx, h3);
	for (s = 0; s < t; s++) {
		tt = tstep(g, s);
		hp = hprev(g, s);
		gx = g->gx + (size_t)tt * n * h3;
		gh = g->gh + (size_t)tt * n * h3;
		gt = g->gate + (size_t)tt * n * h3;
		y = g->y + (size_t)tt * n * h;
		for (i = 0; i < n; i++)
			memcpy(gh + (size_t)i * h3, g->bh, h3 * sizeof(float));
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, h3, h,
			    1.0f, hp, h, g->wh, h, 1.0f, gh, h3);
		for (i = 0; i < n; i++) {
			for (j = 0; j < h; j++) {
				size_t o = (size_t)i * h3 + j;

				r = sigm(gx[o] + gh[o]);
				z = sigm(gx[o + h] + gh[o + h]);
				nn = tanhf(gx[o + 2 * h] + r * gh[o + 2 * h]);
				gt[o] = r;
				gt[o + h] = z;
				gt[o + 2 * h] = nn;
				y[(size_t)i * h + j] =
					(1 - z) * nn + z * hp[(size_t)i * h + j];
			}
		}
	}
	return g->y;
}

const float *bgru_final(const struct bgru *g)
{
	return g->y + (size_t)tstep(g, g->t - 1) * g->n * g->hid;
}

void bgru_bwd(struct bgru *g, const float *dy, float *dx)
{
	int h = g->hid, h3 = 3 * h, n = g->n, s, tt, i, j;
	float *dgx, *dgh = g->dgh, *gt, *gh, dhv, r, z, nn, dn, dz, dan, dr;
	const float *hp;
	size_t o;

	memset(g->dh, 0, (size_t)n * h * sizeof(float));
	for (s = g->t - 1; s >= 0; s--) {
		tt = tstep(g, s);
		hp = hprev(g, s);
		gt = g->gate + (size_t)tt * n * h3;
		gh = g->gh + (size_t)tt * n * h3;
		dgx = g->dgx + (size_t)tt * n * h3;
		for (i = 0; i < n; i++) {
			for (j = 0; j < h; j++) {
				o = (size_t)i * h3 + j;
				dhv = g->dh[(size_t)i * h + j] +
				      dy[((size_t)tt * n + i) * h + j];
				r = gt[o];
				z = gt[o + h];
				nn = gt[o + 2 * h];
				dn = dhv * (1 - z);
				dz = dhv * (hp[(size_t)i * h + j] - nn);
				/* the direct path h -> h' */
				g->dh[(size_t)i * h + j] = dhv * z;
				dan = dn * (1 - nn * nn);
				dr = dan * gh[o + 2 * h];
				dgx[o] = dr * r * (1 - r);
				dgx[o + h] = dz * z * (1 - z);
				dgx[o + 2 * h] = dan;
				dgh[o] = dgx[o];
				dgh[o + h] = dgx[o + h];
				dgh[o + 2 * h] = dan * r;
			}
		}
		/* gwh += dgh^T hprev; gbh += sum dgh; dh += dgh Wh */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h3, h, n,
			    1.0f, dgh, h3, hp, h, 1.0f, g->gwh, h);
		for (i = 0; i < n; i++)
			for (j = 0; j < h3; j++)
				g->gbh[j] += dgh[(size_t)i * h3 + j];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, h, h3,
			    1.0f, dgh, h3, g->wh, h, 1.0f, g->dh, h);
	}
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h3, g->in,
		    g->t * n, 1.0f, g->dgx, h3, g->x, g->in, 1.0f, g->gwx,
		    g->in);
	for (i = 0; i < g->t * n; i++)
		for (j = 0; j < h3; j++)
			g->gbx[j] += g->dgx[(size_t)i * h3 + j];
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->t * n,
			    g->in, h3, 1.0f, g->dgx, h3, g->wx, g->in, 0.0f,
			    dx, g->in);
}
