// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A small sequential float32 network (see nn.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "nn.h"


/* ------------------------------------------------------------- PRNG */

__u64 nn_mix64(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 splitmix64(__u64 *x)
{
	return nn_mix64(*x += 0x9e3779b97f4a7c15ULL);
}

void nn_rng_seed(struct nn_rng *r, __u64 seed)
{
	__u64 x = seed;
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static __u64 rotl(__u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

__u64 nn_rng_next(struct nn_rng *r)
{
	__u64 *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double nn_rng_uniform(struct nn_rng *r)
{
	return (nn_rng_next(r) >> 11) * 0x1.0p-53;
}

double nn_rng_normal(struct nn_rng *r)
{
	double u1 = 1.0 - nn_rng_uniform(r), u2 = nn_rng_uniform(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

__u32 nn_rng_below(struct nn_rng *r, __u32 n)
{
	return (__u32)(((nn_rng_next(r) >> 32) * (__u64)n) >> 32);
}

void nn_rng_shuffle(struct nn_rng *r, int *v, int n)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = nn_rng_below(r, i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

/* ------------------------------------------------------------ build */

void nn_init(struct nn_net *net, int c, int h, int w)
{
	memset(net, 0, sizeof(*net));
	net->in_c = c;
	net->in_h = h;
	net->in_w = w;
}

static struct nn_layer *nn_push(struct nn_net *net)
{
	struct nn_layer *l, *p;

	if (net->n_layers >= NN_MAX_LAYERS || net->max_batch)
		return NULL;
	l = &net->l[net->n_layers];
	memset(l, 0, sizeof(*l));
	if (net->n_layers) {
		p = &net->l[net->n_layers - 1];
		l->cin = p->cout;
		l->hin = p->hout;
		l->win = p->wout;
	} else {
		l->cin = net->in_c;
		l->hin = net->in_h;
		l->win = net->in_w;
	}
	return l;
}

int nn_add_conv(struct nn_net *net, int cout, int kh, int kw, int sh, int sw,
		int ph, int pw)
{
	struct nn_layer *l = nn_push(net);

	if (!l || cout <= 0 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 ||
	    ph < 0 || pw < 0 || ph >= kh || pw >= kw)
		return -EINVAL;
	if (l->hin + 2 * ph < kh || l->win + 2 * pw < kw)
		return -EINVAL;
	l->kind = NN_CONV;
	l->cout = cout;
	l->kh = kh;
	l->kw = kw;
	l->sh = sh;
	l->sw = sw;
	l->ph = ph;
	l->pw = pw;
	l->hout = (l->hin + 2 * ph - kh) / sh + 1;
	l->wout = (l->win + 2 * pw - kw) / sw + 1;
	l->nw = cout * l->cin * kh * kw;
	net->n_layers++;
	return 0;
}

int nn_add_dense(struct nn_net *net, int out)
{
	struct nn_layer *l = nn_push(net);

	if (!l || out <= 0)
		return -EINVAL;
	l->kind = NN_DENSE;
	l->cout = out;
	l->hout = 1;
	l->wout = 1;
	l->nw = out * l->cin * l->hin * l->win;
	net->n_layers++;
	return 0;
}

static int nn_add_elem(struct nn_net *net, int kind)
{
	struct nn_layer *l = nn_push(net);

	if (!l)
		return -EINVAL;
	l->kind = kind;
	l->cout = l->cin;
	l->hout = l->hin;
	l->wout = l->win;
	net->n_layers++;
	return 0;
}

int nn_add_relu(struct nn_net *net)
{
	return nn_add_elem(net, NN_RELU);
}

int nn_add_l2norm(struct nn_net *net)
{
	return nn_add_elem(net, NN_L2NORM);
}

static int lin_size(const struct nn_layer *l)
{
	return l->cin * l->hin * l->win;
}

static int lout_size(const struct nn_layer *l)
{
	return l->cout * l->hout * l->wout;
}

static int has_params(const struct nn_layer *l)
{
	return l->kind == NN_CONV || l->kind == NN_DENSE;
}

int nn_in_size(const struct nn_net *net)
{
	return net->in_c * net->in_h * net->in_w;
}

int nn_out_size(const struct nn_net *net)
{
	if (!net->n_layers)
		return nn_in_size(net);
	return lout_size(&net->l[net->n_layers - 1]);
}

long nn_macs(const struct nn_net *net)
{
	long m = 0;
	int i;

	for (i = 0; i < net->n_layers; i++)
		if (has_params(&net->l[i]))
			m += (long)net->l[i].nw *
			     (net->l[i].kind == NN_CONV ?
				      net->l[i].hout * net->l[i].wout : 1);
	return m;
}

size_t nn_n_params(const struct nn_net *net)
{
	size_t n = 0;
	int i;

	for (i = 0; i < net->n_layers; i++)
		if (has_params(&net->l[i]))
			n += net->l[i].nw + net->l[i].cout;
	return n;
}

static void nn_free_acts(struct nn_net *net)
{
	int i;

	for (i = 0; i < net->n_layers; i++) {
		free(net->l[i].out);
		free(net->l[i].aux);
		net->l[i].out = net->l[i].aux = NULL;
	}
	free(net->col);
	free(net->tmp);
	net->tmp = NULL;
	free(net->g[0]);
	free(net->g[1]);
	free(net->dx);
	net->col = net->g[0] = net->g[1] = net->dx = NULL;
}

static int nn_alloc_params(struct nn_net *net, int train)
{
	struct nn_layer *l;
	int i;

	for (i = 0; i < net->n_layers; i++) {
		l = &net->l[i];
		if (!has_params(l))
			continue;
		if (!l->w) {
			l->w = calloc(l->nw, sizeof(float));
			l->b = calloc(l->cout, sizeof(float));
			if (!l->w || !l->b)
				return -ENOMEM;
		}
		if (train && !l->gw) {
			l->gw = calloc(l->nw, sizeof(float));
			l->gb = calloc(l->cout, sizeof(float));
			if (!l->gw || !l->gb)
				return -ENOMEM;
		}
	}
	if (train)
		net->trainable = 1;
	return 0;
}

int nn_alloc(struct nn_net *net, int max_batch, int train)
{
	size_t col = 0, gmax = nn_in_size(net), c, tmax = 0;
	struct nn_layer *l;
	int i, err;

	if (max_batch <= 0 || !net->n_layers)
		return -EINVAL;
	err = nn_alloc_params(net, train);
	if (err)
		return err;
	if (max_batch <= net->max_batch &&
	    (!net->trainable || net->g[0]))
		return 0;
	nn_free_acts(net);
	for (i = 0; i < net->n_layers; i++) {
		l = &net->l[i];
		l->out = malloc((size_t)max_batch * lout_size(l) *
				sizeof(float));
		if (!l->out)
			goto out_nomem;
		if (l->kind == NN_L2NORM) {
			l->aux = malloc((size_t)max_batch * sizeof(float));
			if (!l->aux)
				goto out_nomem;
		}
		if (l->kind == NN_CONV) {
			c = (size_t)l->hout * l->wout * l->cin * l->kh * l->kw;
			if (c > col)
				col = c;
			if ((size_t)lout_size(l) > tmax)
				tmax = lout_size(l);
		}
		if ((size_t)lout_size(l) > gmax)
			gmax = lout_size(l);
	}
	if (col) {
		net->col = malloc(col * max_batch * sizeof(float));
		net->tmp = malloc(tmax * max_batch * sizeof(float));
		if (!net->col || !net->tmp)
			goto out_nomem;
	}
	if (net->trainable) {
		net->g[0] = malloc(gmax * max_batch * sizeof(float));
		net->g[1] = malloc(gmax * max_batch * sizeof(float));
		net->dx = malloc((size_t)nn_in_size(net) * max_batch *
				 sizeof(float));
		if (!net->g[0] || !net->g[1] || !net->dx)
			goto out_nomem;
	}
	net->max_batch = max_batch;
	return 0;
out_nomem:
	nn_free_acts(net);
	net->max_batch = 0;
	return -ENOMEM;
}

void nn_free(struct nn_net *net)
{
	struct nn_layer *l;
	int i;

	nn_free_acts(net);
	for (i = 0; i < net->n_layers; i++) {
		l = &net->l[i];
		free(l->w);
		free(l->b);
		free(l->gw);
		free(l->gb);
		free(l->mw);
		free(l->vw);
		free(l->mb);
		free(l->vb);
	}
	memset(net, 0, sizeof(*net));
}

void nn_init_params(struct nn_net *net, struct nn_rng *rng)
{
	struct nn_layer *l;
	double std;
	int i, j, fan_in, relu_next;

	for (i = 0; i < net->n_layers; i++) {
		l = &net->l[i];
		if (!has_params(l) || !l->w)
			continue;
		fan_in = l->nw / l->cout;
		relu_next = i + 1 < net->n_layers &&
			    net->l[i + 1].kind == NN_RELU;
		std = sqrt((relu_next ? 2.0 : 1.0) / fan_in);
		for (j = 0; j < l->nw; j++)
			l->w[j] = (float)(std * nn_rng_normal(rng));
		memset(l->b, 0, l->cout * sizeof(float));
	}
}

/* ----------------------------------------------------------- forward */

/* col[(n * HW + oh * Wo + ow)][c * KH * KW + i * KW + j]. Like ReLU, the
 * copy loops need the full vectorizer (25 % of the inference time).
 */
NN_HOT
static void im2col(const struct nn_layer *l, const float *x, int n, float *col)
{
	int hw = l->hout * l->wout, kk = l->cin * l->kh * l->kw;
	int s, oh, ow, c, i, j, ih, iw, lo, hi;
	const float *src;
	float *dst;

	/* output columns whose kernel window lies inside the input row */
	lo = (l->pw + l->sw - 1) / l->sw;
	hi = l->win + l->pw - l->kw >= 0 ?
		     (l->win + l->pw - l->kw) / l->sw + 1 : 0;
	if (hi > l->wout)
		hi = l->wout;
	if (lo > hi)
		lo = hi;
	for (s = 0; s < n; s++)
		for (oh = 0; oh < l->hout; oh++)
			for (c = 0; c < l->cin; c++)
				for (i = 0; i < l->kh; i++) {
					ih = oh * l->sh + i - l->ph;
					dst = col + ((size_t)s * hw + oh * l->wout) * kk +
					      (c * l->kh + i) * l->kw;
					if (ih < 0 || ih >= l->hin) {
						for (ow = 0; ow < l->wout; ow++)
							memset(dst + (size_t)ow * kk, 0,
							       l->kw * sizeof(float));
						continue;
					}
					src = x + (size_t)s * lin_size(l) +
					      ((size_t)c * l->hin + ih) * l->win;
					for (ow = 0; ow < l->wout; ow++) {
						float *d = dst + (size_t)ow * kk;

						iw = ow * l->sw - l->pw;
						if (ow >= lo && ow < hi) {
							for (j = 0; j < l->kw; j++)
								d[j] = src[iw + j];
							continue;
						}
						for (j = 0; j < l->kw; j++, iw++)
							d[j] = iw < 0 || iw >= l->win ?
								       0.0f : src[iw];
					}
				}
}

static void col2im(const struct nn_layer *l, const float *col, int n, float *dx)
{
	int hw = l->hout * l->wout, kk = l->cin * l->kh * l->kw;
	int s, oh, ow, c, i, j, ih, iw;
	const float *row;
	float *xs;

	memset(dx, 0, (size_t)n * lin_size(l) * sizeof(float));
	for (s = 0; s < n; s++) {
		xs = dx + (size_t)s * lin_size(l);
		for (oh = 0; oh < l->hout; oh++)
			for (ow = 0; ow < l->wout; ow++) {
				row = col + ((size_t)s * hw + oh * l->wout + ow) * kk;
				for (c = 0; c < l->cin; c++)
					for (i = 0; i < l->kh; i++) {
						ih = oh * l->sh + i - l->ph;
						for (j = 0; j < l->kw; j++, row++) {
							iw = ow * l->sw + j - l->pw;
							if (ih < 0 || ih >= l->hin ||
							    iw < 0 || iw >= l->win)
								continue;
							xs[(c * l->hin + ih) * l->win + iw] += *row;
						}
					}
			}
	}
}

static void conv_forward(struct nn_net *net, struct nn_layer *l,
			 const float *x, int n)
{
	int hw = l->hout * l->wout, kk = l->cin * l->kh * l->kw, co = l->cout;
	float *y = l->out, *t = net->tmp, b;
	const float *r;
	int s, o, p;

	im2col(l, x, n, net->col);
	/* one GEMM for the batch: t[n * hw][cout] = col[n * hw][kk] W^T */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n * hw, co, kk,
		    1.0f, net->col, kk, l->w, kk, 0.0f, t, co);
	/* to NCHW, plus bias, in tiles of 16 positions (both sides cached) */
	for (s = 0; s < n; s++) {
		float *ys = y + (size_t)s * co * hw;
		const float *ts = t + (size_t)s * hw * co;
		int p0, pe;

		for (p0 = 0; p0 < hw; p0 += 16) {
			pe = p0 + 16 < hw ? p0 + 16 : hw;
			for (o = 0; o < co; o++) {
				float *d = ys + (size_t)o * hw;

				b = l->b[o];
				r = ts + o;
				for (p = p0; p < pe; p++)
					d[p] = r[(size_t)p * co] + b;
			}
		}
	}
}

static void dense_forward(struct nn_layer *l, const float *x, int n)
{
	int in = lin_size(l), s, o;

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, l->cout, in,
		    1.0f, x, in, l->w, in, 0.0f, l->out, l->cout);
	for (s = 0; s < n; s++)
		for (o = 0; o < l->cout; o++)
			l->out[(size_t)s * l->cout + o] += l->b[o];
}

/* -O2's cheap vectorizer leaves this loop scalar and branchy (a third of
 * the Robust model's inference time): ask for the full vectorizer.
 */
NN_HOT
static void relu_forward(struct nn_layer *l, const float *restrict x, int n)
{
	float *restrict y = l->out;
	size_t i, e = (size_t)n * lin_size(l);

	/* branch-free, vectorizable */
	for (i = 0; i < e; i++)
		y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void nn_l2_rows(const float *x, int n, int d, float *y, float *norms)
{
	int s, i;
	double ss;
	float nrm;

	for (s = 0; s < n; s++) {
		const float *xs = x + (size_t)s * d;
		float *ys = y + (size_t)s * d;

		ss = 0;
		for (i = 0; i < d; i++)
			ss += (double)xs[i] * xs[i];
		nrm = (float)sqrt(ss);
		if (nrm < NN_L2_EPS)
			nrm = NN_L2_EPS;
		if (norms)
			norms[s] = nrm;
		for (i = 0; i < d; i++)
			ys[i] = xs[i] / nrm;
	}
}

static void l2_forward(struct nn_layer *l, const float *x, int n)
{
	nn_l2_rows(x, n, lin_size(l), l->out, l->aux);
}

const float *nn_forward(struct nn_net *net, const float *x, int n)
{
	const float *cur = x;
	struct nn_layer *l;
	int i;

	net->in = x;
	for (i = 0; i < net->n_layers; i++) {
		l = &net->l[i];
		switch (l->kind) {
		case NN_CONV:
			conv_forward(net, l, cur, n);
			break;
		case NN_DENSE:
			dense_forward(l, cur, n);
			break;
		case NN_RELU:
			relu_forward(l, cur, n);
			break;
		case NN_L2NORM:
			l2_forward(l, cur, n);
			break;
		}
		cur = l->out;
	}
	return cur;
}

const float *nn_layer_out(const struct nn_net *net, int i)
{
	return net->l[i].out;
}

void nn_infer(struct nn_net *net, const float *x, int n, float *out)
{
	int in = nn_in_size(net), od = nn_out_size(net), s, c;
	const float *y;

	for (s = 0; s < n; s += c) {
		c = n - s < net->max_batch ? n - s : net->max_batch;
		y = nn_forward(net, x + (size_t)s * in, c);
		memcpy(out + (size_t)s * od, y, (size_t)c * od * sizeof(float));
	}
}

/* ---------------------------------------------------------- backward */

void nn_zero_grad(struct nn_net *net)
{
	struct nn_layer *l;
	int i;

	for (i = 0; i < net->n_layers; i++) {
		l = &net->l[i];
		if (!has_params(l) || !l->gw)
			continue;
		memset(l->gw, 0, l->nw * sizeof(float));
		memset(l->gb, 0, l->cout * sizeof(float));
	}
}

/* dy: [n][cout][hw]; x: the layer input; dx may be NULL. */
static void conv_backward(struct nn_net *net, struct nn_layer *l,
			  const float *x, const float *dy, float *dx, int n)
{
	int hw = l->hout * l->wout, kk = l->cin * l->kh * l->kw, co = l->cout;
	float *t = net->tmp;
	int s, o, p;

	/* The forward's col is overwritten by later layers: rebuild. */
	im2col(l, x, n, net->col);
	/* t[n * hw][cout] = dy transposed; bias gradient */
	for (o = 0; o < co; o++) {
		double acc = 0;

		for (s = 0; s < n; s++) {
			const float *d = dy + ((size_t)s * co + o) * hw;
			float *r = t + (size_t)s * hw * co + o;

			for (p = 0; p < hw; p++) {
				r[(size_t)p * co] = d[p];
				acc += d[p];
			}
		}
		l->gb[o] += (float)acc;
	}
	/* gW[cout][kk] += t^T col */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, co, kk, n * hw,
		    1.0f, t, co, net->col, kk, 1.0f, l->gw, kk);
	if (!dx)
		return;
	/* dcol[n * hw][kk] = t W, in place of col */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n * hw, kk, co,
		    1.0f, t, co, l->w, kk, 0.0f, net->col, kk);
	col2im(l, net->col, n, dx);
}

static void dense_backward(struct nn_layer *l, const float *x,
			   const float *dy, float *dx, int n)
{
	int in = lin_size(l), s, o;

	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l->cout, in, n,
		    1.0f, dy, l->cout, x, in, 1.0f, l->gw, in);
	for (s = 0; s < n; s++)
		for (o = 0; o < l->cout; o++)
			l->gb[o] += dy[(size_t)s * l->cout + o];
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in,
			    l->cout, 1.0f, dy, l->cout, l->w, in, 0.0f, dx, in);
}

static void relu_backward(struct nn_layer *l, const float *dy, float *dx,
			  int n)
{
	size_t i, e = (size_t)n * lin_size(l);

	for (i = 0; i < e; i++)
		dx[i] = l->out[i] > 0.0f ? dy[i] : 0.0f;
}

/* y = x / |x|: dx = (dy - y (y . dy)) / |x| */
static void l2_backward(struct nn_layer *l, const float *dy, float *dx, int n)
{
	int d = lin_size(l), s, i;
	double dot;

	for (s = 0; s < n; s++) {
		const float *ys = l->out + (size_t)s * d, *g = dy + (size_t)s * d;
		float *o = dx + (size_t)s * d;

		dot = 0;
		for (i = 0; i < d; i++)
			dot += (double)ys[i] * g[i];
		for (i = 0; i < d; i++)
			o[i] = (float)((g[i] - ys[i] * dot) / l->aux[s]);
	}
}

void nn_backward(struct nn_net *net, const float *dy, int n)
{
	const float *cur = dy, *x;
	struct nn_layer *l;
	float *dx;
	int i, k = 0;

	for (i = net->n_layers - 1; i >= 0; i--) {
		l = &net->l[i];
		if (net->inject && i == net->inject_at &&
		    i < net->n_layers - 1) {
			/* cur is one of our g buffers here */
			float *g = (float *)cur;
			size_t j, e = (size_t)n * lout_size(l);

			for (j = 0; j < e; j++)
				g[j] += net->inject[j];
		}
		x = i ? net->l[i - 1].out : net->in;
		if (i)
			dx = net->g[k];
		else
			dx = net->need_dx ? net->dx : NULL;
		switch (l->kind) {
		case NN_CONV:
			conv_backward(net, l, x, cur, dx, n);
			break;
		case NN_DENSE:
			dense_backward(l, x, cur, dx, n);
			break;
		case NN_RELU:
			if (dx)
				relu_backward(l, cur, dx, n);
			break;
		case NN_L2NORM:
			if (dx)
				l2_backward(l, cur, dx, n);
			break;
		}
		cur = dx;
		k ^= 1;
	}
}

/* ------------------------------------------------------------- Adam */

static void adam_vec(float *p, const float *g, float *m, float *v, int n,
		     float lr, float c1, float c2, float wd)
{
	int i;

	for (i = 0; i < n; i++) {
		m[i] = 0.9f * m[i] + 0.1f * g[i];
		v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
		p[i] -= lr * ((m[i] / c1) / (sqrtf(v[i] / c2) + 1e-8f) +
			      wd * p[i]);
	}
}

int nn_adam_step(struct nn_net *net, float lr, float wd)
{
	struct nn_layer *l;
	float c1, c2;
	int i;

	net->adam_t++;
	c1 = 1.0f - powf(0.9f, net->adam_t);
	c2 = 1.0f - powf(0.999f, net->adam_t);
	for (i = 0; i < net->n_layers; i++) {
		l = &net->l[i];
		if (!has_params(l) || !l->gw)
			continue;
		if (!l->mw) {
			l->mw = calloc(l->nw, sizeof(float));
			l->vw = calloc(l->nw, sizeof(float));
			l->mb = calloc(l->cout, sizeof(float));
			l->vb = calloc(l->cout, sizeof(float));
			if (!l->mw || !l->vw || !l->mb || !l->vb)
				return -ENOMEM;
		}
		adam_vec(l->w, l->gw, l->mw, l->vw, l->nw, lr, c1, c2, wd);
		adam_vec(l->b, l->gb, l->mb, l->vb, l->cout, lr, c1, c2, 0.0f);
	}
	return 0;
}

int nn_copy_params(struct nn_net *dst, const struct nn_net *src)
{
	int i;

	if (dst->n_layers != src->n_layers)
		return -EINVAL;
	for (i = 0; i < src->n_layers; i++) {
		const struct nn_layer *s = &src->l[i];
		struct nn_layer *d = &dst->l[i];

		if (s->kind != d->kind || s->nw != d->nw || s->cout != d->cout)
			return -EINVAL;
		if (!has_params(s))
			continue;
		if (!d->w || !s->w)
			return -EINVAL;
		memcpy(d->w, s->w, s->nw * sizeof(float));
		memcpy(d->b, s->b, s->cout * sizeof(float));
	}
	return 0;
}
