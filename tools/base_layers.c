// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Small float layers of the baselines (base_layers.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "base_layers.h"

float *bparams_add(struct bparams *ps, size_t n, float **grad)
{
	struct bparam *p;

	if (ps->n >= BPARAMS_MAX || !n)
		return NULL;
	p = &ps->p[ps->n];
	p->w = calloc(n, sizeof(float));
	p->g = calloc(n, sizeof(float));
	p->m = calloc(n, sizeof(float));
	p->v = calloc(n, sizeof(float));
	if (!p->w || !p->g || !p->m || !p->v) {
		free(p->w);
		free(p->g);
		free(p->m);
		free(p->v);
		memset(p, 0, sizeof(*p));
		return NULL;
	}
	p->n = n;
	ps->n++;
	if (grad)
		*grad = p->g;
	return p->w;
}

void bparams_free(struct bparams *ps)
{
	int i;

	for (i = 0; i < ps->n; i++) {
		free(ps->p[i].w);
		free(ps->p[i].g);
		free(ps->p[i].m);
		free(ps->p[i].v);
	}
	memset(ps, 0, sizeof(*ps));
}

void bparams_zero_grad(struct bparams *ps)
{
	int i;

	for (i = 0; i < ps->n; i++)
		memset(ps->p[i].g, 0, ps->p[i].n * sizeof(float));
}

size_t bparams_count(const struct bparams *ps)
{
	size_t s = 0;
	int i;

	for (i = 0; i < ps->n; i++)
		s += ps->p[i].n;
	return s;
}

int bparams_copy(struct bparams *dst, const struct bparams *src)
{
	int i;

	if (dst->n != src->n)
		return -EINVAL;
	for (i = 0; i < src->n; i++)
		if (dst->p[i].n != src->p[i].n)
			return -EINVAL;
	for (i = 0; i < src->n; i++)
		memcpy(dst->p[i].w, src->p[i].w, src->p[i].n * sizeof(float));
	return 0;
}

void bparams_adam(struct bparams *ps, float lr, float clip)
{
	const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
	double norm = 0, scale = 1, c1, c2, g;
	struct bparam *p;
	size_t j;
	int i;

	if (clip > 0) {
		for (i = 0; i < ps->n; i++)
			for (j = 0; j < ps->p[i].n; j++)
				norm += (double)ps->p[i].g[j] * ps->p[i].g[j];
		norm = sqrt(norm);
		if (norm > clip)
			scale = clip / norm;
	}
	ps->t++;
	c1 = 1 - pow(b1, ps->t);
	c2 = 1 - pow(b2, ps->t);
	for (i = 0; i < ps->n; i++) {
		p = &ps->p[i];
		for (j = 0; j < p->n; j++) {
			g = p->g[j] * scale;
			p->m[j] = (float)(b1 * p->m[j] + (1 - b1) * g);
			p->v[j] = (float)(b2 * p->v[j] + (1 - b2) * g * g);
			p->w[j] -= (float)(lr * (p->m[j] / c1) /
					   (sqrt(p->v[j] / c2) + eps));
		}
	}
}

/* ------------------------------------------------------------ dense */

int bdense_init(struct bdense *d, struct bparams *ps, int in, int out,
		struct nn_rng *rng, float gain)
{
	double std = sqrt(gain / in);
	int i;

	if (in < 1 || out < 1)
		return -EINVAL;
	d->in = in;
	d->out = out;
	d->w = bparams_add(ps, (size_t)in * out, &d->gw);
	d->b = bparams_add(ps, out, &d->gb);
	if (!d->w || !d->b)
		return -ENOMEM;
	for (i = 0; i < in * out; i++)
		d->w[i] = (float)(std * nn_rng_normal(rng));
	return 0;
}

void bdense_fwd(const struct bdense *d, const float *x, int n, float *y)
{
	int i;

	for (i = 0; i < n; i++)
		memcpy(y + (size_t)i * d->out, d->b, d->out * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d->out, d->in,
		    1.0f, x, d->in, d->w, d->in, 1.0f, y, d->out);
}

void bdense_bwd(struct bdense *d, const float *x, const float *dy, int n,
		float *dx)
{
	int i, o;

	/* gw[out][in] += dy^T x */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d->out, d->in, n,
		    1.0f, dy, d->out, x, d->in, 1.0f, d->gw, d->in);
	for (i = 0; i < n; i++)
		for (o = 0; o < d->out; o++)
			d->gb[o] += dy[(size_t)i * d->out + o];
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n,
			    d->in, d->out, 1.0f, dy, d->out, d->w, d->in, 0.0f,
			    dx, d->in);
}

/* -------------------------------------------------------- embedding */

int bembed_init(struct bembed *e, struct bparams *ps, int vocab, int dim,
		struct nn_rng *rng)
{
	int i;

	if (vocab < 1 || dim < 1)
		return -EINVAL;
	e->vocab = vocab;
	e->dim = dim;
	e->w = bparams_add(ps, (size_t)vocab * dim, &e->gw);
	if (!e->w)
		return -ENOMEM;
	for (i = 0; i < vocab * dim; i++)
		e->w[i] = (float)nn_rng_normal(rng);
	return 0;
}

void bembed_fwd(const struct bembed *e, const int *tok, int n, float *y)
{
	int i, t;

	for (i = 0; i < n; i++) {
		t = tok[i] < 0 || tok[i] >= e->vocab ? 0 : tok[i];
		memcpy(y + (size_t)i * e->dim, e->w + (size_t)t * e->dim,
		       e->dim * sizeof(float));
	}
}

void bembed_bwd(struct bembed *e, const int *tok, const float *dy, int n)
{
	int i, j, t;

	for (i = 0; i < n; i++) {
		t = tok[i] < 0 || tok[i] >= e->vocab ? 0 : tok[i];
		for (j = 0; j < e->dim; j++)
			e->gw[(size_t)t * e->dim + j] +=
				dy[(size_t)i * e->dim + j];
	}
}

/* ------------------------------------------------------ activations */

#define SELU_L 1.0507009873554805
#define SELU_A 1.6732632423543772

void bselu_fwd(const float *x, int n, float *y)
{
	int i;

	for (i = 0; i < n; i++)
		y[i] = (float)(x[i] > 0 ? SELU_L * x[i] :
					  SELU_L * SELU_A * expm1(x[i]));
}

void bselu_bwd(const float *x, const float *dy, int n, float *dx)
{
	int i;

	for (i = 0; i < n; i++)
		dx[i] = (float)(dy[i] * (x[i] > 0 ? SELU_L :
					 SELU_L * SELU_A * exp(x[i])));
}

void brelu_fwd(const float *x, int n, float *y)
{
	int i;

	for (i = 0; i < n; i++)
		y[i] = x[i] > 0 ? x[i] : 0;
}

void brelu_bwd(const float *x, const float *dy, int n, float *dx)
{
	int i;

	for (i = 0; i < n; i++)
		dx[i] = x[i] > 0 ? dy[i] : 0;
}

/* ---------------------------------------------------------- pooling */

void bmaxpool_fwd(const float *x, int n, int c, int l, int k, float *y,
		  int *arg)
{
	int lo = l / k, s, ch, o, j, best;
	const float *xr;

	for (s = 0; s < n; s++)
		for (ch = 0; ch < c; ch++) {
			xr = x + ((size_t)s * c + ch) * l;
			for (o = 0; o < lo; o++) {
				best = o * k;
				for (j = 1; j < k; j++)
					if (xr[o * k + j] > xr[best])
						best = o * k + j;
				y[((size_t)s * c + ch) * lo + o] = xr[best];
				arg[((size_t)s * c + ch) * lo + o] = best;
			}
		}
}

void bmaxpool_bwd(const float *dy, const int *arg, int n, int c, int l,
		  int k, float *dx)
{
	int lo = l / k, s, ch, o;
	size_t r;

	memset(dx, 0, (size_t)n * c * l * sizeof(float));
	for (s = 0; s < n; s++)
		for (ch = 0; ch < c; ch++) {
			r = (size_t)s * c + ch;
			for (o = 0; o < lo; o++)
				dx[r * l + arg[r * lo + o]] += dy[r * lo + o];
		}
}

/* ------------------------------------------------------------ losses */

double bsoftmax_ce(const float *logits, const int *y, int n, int k,
		   float weight, float *dlogits)
{
	double loss = 0, mx, s, p;
	int i, j, cnt = 0;
	const float *z;

	for (i = 0; i < n; i++)
		cnt += y[i] >= 0 && y[i] < k;
	for (i = 0; i < n; i++) {
		z = logits + (size_t)i * k;
		if (y[i] < 0 || y[i] >= k) {
			if (dlogits)
				memset(dlogits + (size_t)i * k, 0,
				       k * sizeof(float));
			continue;
		}
		mx = z[0];
		for (j = 1; j < k; j++)
			if (z[j] > mx)
				mx = z[j];
		s = 0;
		for (j = 0; j < k; j++)
			s += exp(z[j] - mx);
		loss += -(z[y[i]] - mx - log(s));
		if (!dlogits)
			continue;
		for (j = 0; j < k; j++) {
			p = exp(z[j] - mx) / s;
			dlogits[(size_t)i * k + j] =
				(float)(weight * (p - (j == y[i])) / cnt);
		}
	}
	return cnt ? weight * loss / cnt : 0;
}

void bargmax(const float *x, int n, int k, int *out)
{
	int i, j;

	for (i = 0; i < n; i++) {
		out[i] = 0;
		for (j = 1; j < k; j++)
			if (x[(size_t)i * k + j] > x[(size_t)i * k + out[i]])
				out[i] = j;
	}
}
