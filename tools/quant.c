// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Post-training int8 quantization of the Fast model (see quant.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "quant.h"

void quant_multiplier(double M, __s32 *mult, __u8 *shift)
{
	double v;
	int s = 1;

	if (!(M > 0)) {
		*mult = 0;
		*shift = 1;
		return;
	}
	while (s < 62 && M * ldexp(1.0, s) < ldexp(1.0, 30))
		s++;
	v = nearbyint(M * ldexp(1.0, s));
	if (v >= ldexp(1.0, 31)) {
		if (s > 1) {
			s--;
			v = nearbyint(M * ldexp(1.0, s));
		}
		if (v > 2147483647.0)
			v = 2147483647.0;
	}
	*mult = (__s32)v;
	*shift = s;
}

__u64 quant_thresh(double D)
{
	double t = 1.0 - D * D / 2.0;

	if (!(D > 0) || !(t > 0))
		return 0;
	return (__u64)nearbyint(t * t * 127.0 * 127.0 *
				(double)(1 << ROBOT_FASTQ_TSHIFT));
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* p-th percentile (0..100) of v[0..n) (sorted in place). */
static float percentile(float *v, int n, double p)
{
	double pos;
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(float), cmp_float);
	pos = p / 100.0 * (n - 1);
	i = (int)pos;
	if (i >= n - 1)
		return v[n - 1];
	return (float)(v[i] + (pos - i) * (v[i + 1] - v[i]));
}

/* One layer: w [cout][cin][k], input scales sx[cin], output scales
 * sy[cout]; writes wq [cout][cin * k] densely, bias, mult, shift.
 * lim: bound on |sum w x| so that bias + sum stays in int32.
 */
static void quant_layer(const float *w, const float *b, int cout, int cin,
			int k, const float *sx, const float *sy, __s8 *wq,
			__s32 *bq, __s32 *mult, __u8 *shift, double in_max)
{
	int o, i, j, n = cin * k;
	double amax, sw, v, lim;

	lim = 2147483647.0 - (double)n * 127.0 * in_max - 1;
	for (o = 0; o < cout; o++) {
		amax = 0;
		for (i = 0; i < cin; i++)
			for (j = 0; j < k; j++)
				amax = fmax(amax, fabs(w[(o * cin + i) * k + j] *
						       (double)sx[i]));
		sw = amax > 0 ? amax / 127.0 : 1.0;
		for (i = 0; i < cin; i++)
			for (j = 0; j < k; j++) {
				v = nearbyint(w[(o * cin + i) * k + j] * sx[i] / sw);
				wq[o * n + i * k + j] =
					(__s8)fmax(-127, fmin(127, v));
			}
		v = nearbyint(b[o] / sw);
		bq[o] = (__s32)fmax(-lim, fmin(lim, v));
		quant_multiplier(sw / sy[o], &mult[o], &shift[o]);
	}
}

/* Float activations of the calibration set: act1 [n][c1][l1], act2
 * [n][c2 * l2], emb (pre-normalization) [n][emb].
 */
struct calib {
	int n;
	float *act1, *act2, *pre;
};

static void calib_free(struct calib *c)
{
	free(c->act1);
	free(c->act2);
	free(c->pre);
	memset(c, 0, sizeof(*c));
}

static int calib_collect(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
			 int n, struct calib *c)
{
	const struct robot_fastq_arch *a = &f->arch;
	int d1 = a->c1 * a->l1, d2 = a->c2 * a->l2, s, i, cnt, mb;
	struct nn_net *net = &f->net;
	float x[64 * ROBOT_HDR_LEN];

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->act1 = malloc((size_t)n * d1 * sizeof(float) + 1);
	c->act2 = malloc((size_t)n * d2 * sizeof(float) + 1);
	c->pre = malloc((size_t)n * a->emb * sizeof(float) + 1);
	if (!c->act1 || !c->act2 || !c->pre) {
		calib_free(c);
		return -ENOMEM;
	}
	mb = net->max_batch < 64 ? net->max_batch : 64;
	for (s = 0; s < n; s += cnt) {
		cnt = n - s < mb ? n - s : mb;
		for (i = 0; i < cnt; i++)
			robot_fast_input(hdr[s + i], x + i * ROBOT_HDR_LEN);
		nn_forward(net, x, cnt);
		memcpy(c->act1 + (size_t)s * d1, net->l[1].out,
		       (size_t)cnt * d1 * sizeof(float));
		memcpy(c->act2 + (size_t)s * d2, net->l[3].out,
		       (size_t)cnt * d2 * sizeof(float));
		memcpy(c->pre + (size_t)s * a->emb, net->l[4].out,
		       (size_t)cnt * a->emb * sizeof(float));
	}
	return 0;
}

/* Per-channel percentile scales of act [n][ch][len] (uint8 range). */
static int channel_scales(const float *act, int n, int ch, int len, double p,
			  float *scale)
{
	float *v = malloc((size_t)n * len * sizeof(float) + 1), hi;
	int c, s, l, m;

	if (!v)
		return -ENOMEM;
	for (c = 0; c < ch; c++) {
		m = 0;
		for (s = 0; s < n; s++)
			for (l = 0; l < len; l++)
				v[m++] = act[((size_t)s * ch + c) * len + l];
		hi = percentile(v, m, p);
		scale[c] = hi > 0 ? hi / 255.0f : 1.0f / 255.0f;
	}
	free(v);
	return 0;
}

static int emb_scale(const float *pre, int n, int e, double p, float *se)
{
	float *v = malloc((size_t)n * e * sizeof(float) + 1), hi;
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < (size_t)n * e; i++)
		v[i] = fabsf(pre[i]);
	hi = percentile(v, n * e, p);
	*se = hi > 0 ? hi / 127.0f : 1.0f / 127.0f;
	free(v);
	return 0;
}

/* Build q from f and the scales in f (s1, s2, se). */
static int quant_build(struct robot_fast *f, struct robot_fastq *q)
{
	const struct robot_fastq_arch *a = &f->arch;
	const struct nn_net *net = &f->net;
	float sx0 = 1.0f / 255.0f, sx2[ROBOT_FASTQ_FLAT_MAX],
	      sye[ROBOT_FASTQ_EMB_MAX];
	__s8 *wq;
	__u32 o, i, j, flat = a->c2 * a->l2;

	wq = malloc(sizeof(q->w3));
	if (!wq)
		return -ENOMEM;
	memset(q, 0, sizeof(*q));
	q->arch = *a;
	quant_layer(net->l[0].w, net->l[0].b, a->c1, 1, a->k1, &sx0, f->s1,
		    wq, q->b1, q->m1, q->sh1, 255);
	for (o = 0; o < a->c1; o++)
		memcpy(q->w1[o], wq + o * a->k1, a->k1);
	quant_layer(net->l[2].w, net->l[2].b, a->c2, a->c1, a->k2, f->s1,
		    f->s2, wq, q->b2, q->m2, q->sh2, 255);
	for (o = 0; o < a->c2; o++)
		for (i = 0; i < a->c1; i++)
			memcpy(q->w2[o][i], wq + (o * a->c1 + i) * a->k2, a->k2);
	/* dense input j = c * L2 + l has the scale of channel c */
	for (j = 0; j < flat; j++)
		sx2[j] = f->s2[j / a->l2];
	for (o = 0; o < a->emb; o++)
		sye[o] = f->se;
	quant_layer(net->l[4].w, net->l[4].b, a->emb, flat, 1, sx2, sye, wq,
		    q->b3, q->m3, q->sh3, 255);
	for (o = 0; o < a->emb; o++)
		memcpy(q->w3[o], wq + o * flat, flat);
	q->n_cent = f->n_cent;
	for (j = 0; j < f->n_cent; j++) {
		for (i = 0; i < a->emb; i++)
			q->cent[j][i] = (__s8)fmax(-127, fmin(127,
				nearbyint(127.0 * f->cent[j][i])));
		q->cent_class[j] = f->cent_class[j];
	}
	q->thresh = quant_thresh(f->meta.D);
	q->version = 1;
	free(wq);
	return q->thresh ? 0 : -EINVAL;
}

static int quant_scales(struct robot_fast *f, const struct calib *c,
			double p_act, double p_emb)
{
	const struct robot_fastq_arch *a = &f->arch;

	return channel_scales(c->act1, c->n, a->c1, a->l1, p_act, f->s1) ?:
	       channel_scales(c->act2, c->n, a->c2, a->l2, p_act, f->s2) ?:
	       emb_scale(c->pre, c->n, a->emb, p_emb, &f->se);
}

int quant_agreement(struct robot_fast *f, const struct robot_fastq *q,
		    const __u8 (*hdr)[ROBOT_HDR_LEN], int n,
		    struct quant_report *rep)
{
	int e = f->arch.emb, i, j, ca = 0, fa = 0;
	struct robot_fastq_out qo;
	struct robot_fast_out fo;
	float *emb, *pre = NULL;
	double err = 0, num, den;
	struct calib c;

	emb = malloc((size_t)n * e * sizeof(float) + 1);
	if (!emb || calib_collect(f, hdr, n, &c)) {
		free(emb);
		return -ENOMEM;
	}
	pre = c.pre;
	for (i = 0; i < n; i++) {
		den = 0;
		for (j = 0; j < e; j++)
			den += (double)pre[i * e + j] * pre[i * e + j];
		den = sqrt(den);
		for (j = 0; j < e; j++)
			emb[i * e + j] = den > 0 ? pre[i * e + j] / den : 0;
		robot_fast_decide(f, emb + i * e, &fo);
		robot_fastq_infer(q, hdr[i], &qo);
		ca += fo.class == qo.class;
		fa += fo.fdd == qo.fdd;
		num = 0;
		for (j = 0; j < e; j++) {
			double d = pre[i * e + j] - qo.emb[j] * (double)f->se;

			num += d * d;
		}
		err += den > 0 ? sqrt(num) / den : 0;
	}
	rep->n = n;
	rep->class_agree = n ? (double)ca / n : 1;
	rep->fdd_agree = n ? (double)fa / n : 1;
	rep->emb_err = n ? err / n : 0;
	calib_free(&c);
	free(emb);
	return 0;
}

int quant_fast_with(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
		    int n, double p_act, double p_emb, struct robot_fastq *q)
{
	struct calib c;
	int err;

	if (n < 1)
		return -EINVAL;
	err = calib_collect(f, hdr, n, &c);
	if (err)
		return err;
	err = quant_scales(f, &c, p_act, p_emb) ?: quant_build(f, q);
	calib_free(&c);
	return err;
}

int quant_fast(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN], int n,
	       struct robot_fastq *q, struct quant_report *rep)
{
	static const double grid[] = { 99.0, 99.9, 99.99, 100.0 };
	double best = -1, score, bp = 100, be = 100;
	struct quant_report r;
	struct calib c;
	unsigned i, j;
	int err;

	if (n < 1)
		return -EINVAL;
	err = calib_collect(f, hdr, n, &c);
	if (err)
		return err;
	for (i = 0; i < sizeof(grid) / sizeof(grid[0]); i++)
		for (j = 0; j < sizeof(grid) / sizeof(grid[0]); j++) {
			err = quant_scales(f, &c, grid[i], grid[j]) ?:
			      quant_build(f, q) ?:
			      quant_agreement(f, q, hdr, n, &r);
			if (err)
				goto out;
			score = r.class_agree + r.fdd_agree;
			if (score > best + 1e-12) {
				best = score;
				bp = grid[i];
				be = grid[j];
			}
		}
	err = quant_scales(f, &c, bp, be) ?: quant_build(f, q) ?:
	      quant_agreement(f, q, hdr, n, &r);
	if (!err && rep) {
		*rep = r;
		rep->p_act = bp;
		rep->p_emb = be;
	}
out:
	calib_free(&c);
	return err;
}
