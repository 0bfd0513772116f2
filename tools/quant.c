// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Post-training int8 quantization of the Fast model (see quant.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
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
			__s32 *bq, __s32 *mult, __u8 *shift, double in_max,
			const double *U)
{
	int o, i, j, t, n = cin * k;
	double amax, sw, v, lim, r[ROBOT_FASTQ_FLAT_MAX], e;

	lim = 2147483647.0 - (double)n * 127.0 * in_max - 1;
	for (o = 0; o < cout; o++) {
		amax = 0;
		for (i = 0; i < cin; i++)
			for (j = 0; j < k; j++)
				amax = fmax(amax, fabs(w[(o * cin + i) * k + j] *
						       (double)sx[i]));
		sw = amax > 0 ? amax / 127.0 : 1.0;
		for (i = 0; i < cin; i++)
			for (j = 0; j < k; j++)
				r[i * k + j] = w[(o * cin + i) * k + j] * sx[i] / sw;
		/* GPTQ: round in order, pushing each rounding error onto
		 * the weights not yet rounded (U: upper Cholesky factor of
		 * the inverse input Hessian)
		 */
		for (j = 0; j < n; j++) {
			v = fmax(-127, fmin(127, nearbyint(r[j])));
			wq[o * n + j] = (__s8)v;
			if (!U)
				continue;
			e = (r[j] - v) / U[j * n + j];
			for (t = j + 1; t < n; t++)
				r[t] -= e * U[j * n + t];
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

/* Clip value of v[0..m) (sorted ascending, >= 0) with the least squared
 * error after uniform quantization to `levels` steps over [0, clip]:
 * clipping error of the values above plus the rounding error (step^2/12
 * per value) of those below. Candidates: the p-th percentile for p in
 * 90..100 and fractions of the maximum.
 */
static float mse_clip(const float *v, int m, int levels)
{
	double best = -1, err, c, step, ex;
	float bestc;
	int j, k, lo, hi, mid;

	if (m <= 0 || v[m - 1] <= 0)
		return 0;
	bestc = v[m - 1];
	for (k = 0; k < 48; k++) {
		c = v[m - 1] * (1.0 - k * 0.02);
		if (c <= 0)
			break;
		step = c / levels;
		/* hi = first index with v > c */
		lo = 0;
		hi = m;
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (v[mid] > c)
				hi = mid;
			else
				lo = mid + 1;
		}
		err = (double)hi * step * step / 12.0;
		for (j = hi; j < m; j++) {
			ex = v[j] - c;
			err += ex * ex;
		}
		if (best < 0 || err < best) {
			best = err;
			bestc = (float)c;
		}
	}
	return bestc;
}

/* Per-channel scales of act [n][ch][len] (uint8 range): p-th percentile,
 * or the least-squared-error clip when p < 0.
 */
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
		if (p < 0) {
			qsort(v, m, sizeof(float), cmp_float);
			hi = mse_clip(v, m, 255);
		} else {
			hi = percentile(v, m, p);
		}
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
	if (p < 0) {
		qsort(v, (size_t)n * e, sizeof(float), cmp_float);
		hi = mse_clip(v, n * e, 127);
	} else {
		hi = percentile(v, n * e, p);
	}
	*se = hi > 0 ? hi / 127.0f : 1.0f / 127.0f;
	free(v);
	return 0;
}

/* Build q from f and the scales in f (s1, s2, se). */
static int quant_build(struct robot_fast *f, struct robot_fastq *q,
		       const float *w3, const float *b3, const double *U2,
		       const double *U3)
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
		    wq, q->b1, q->m1, q->sh1, 255, NULL);
	for (o = 0; o < a->c1; o++)
		memcpy(q->w1[o], wq + o * a->k1, a->k1);
	quant_layer(net->l[2].w, net->l[2].b, a->c2, a->c1, a->k2, f->s1,
		    f->s2, wq, q->b2, q->m2, q->sh2, 255, U2);
	for (o = 0; o < a->c2; o++)
		for (i = 0; i < a->c1; i++)
			memcpy(q->w2[o][i], wq + (o * a->c1 + i) * a->k2, a->k2);
	/* dense input j = c * L2 + l has the scale of channel c */
	for (j = 0; j < flat; j++)
		sx2[j] = f->s2[j / a->l2];
	for (o = 0; o < a->emb; o++)
		sye[o] = f->se;
	quant_layer(w3 ? w3 : net->l[4].w, b3 ? b3 : net->l[4].b, a->emb, flat,
		    1, sx2, sye, wq, q->b3, q->m3, q->sh3, 255, U3);
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

/* The two conv layers of the integer inference (as robot_fastq_infer). */
static void int_convs(const struct robot_fastq *m, const __u8 *hdr, __u8 *x2,
		      __u8 x1[ROBOT_FASTQ_C1_MAX][ROBOT_FASTQ_L1_MAX])
{
	const struct robot_fastq_arch *a = &m->arch;
	__u32 o, c, l, k;
	__s64 acc, pos, v;

	for (o = 0; o < a->c1; o++)
		for (l = 0; l < a->l1; l++) {
			acc = m->b1[o];
			for (k = 0; k < a->k1; k++) {
				pos = (__s64)l * a->s1 + k - a->p1;
				if (pos >= 0 && pos < ROBOT_FASTQ_IN)
					acc += m->w1[o][k] * hdr[pos];
			}
			v = (acc * m->m1[o] + (1LL << (m->sh1[o] - 1))) >>
			    m->sh1[o];
			x1[o][l] = v < 0 ? 0 : v > 255 ? 255 : v;
		}
	for (o = 0; o < a->c2; o++)
		for (l = 0; l < a->l2; l++) {
			acc = m->b2[o];
			for (c = 0; c < a->c1; c++)
				for (k = 0; k < a->k2; k++) {
					pos = (__s64)l * a->s2 + k - a->p2;
					if (pos >= 0 && pos < a->l1)
						acc += m->w2[o][c][k] * x1[c][pos];
				}
			v = (acc * m->m2[o] + (1LL << (m->sh2[o] - 1))) >>
			    m->sh2[o];
			x2[o * a->l2 + l] = v < 0 ? 0 : v > 255 ? 255 : v;
		}
}

/* Cholesky factor of the SPD matrix A [d][d] in place (lower triangle). */
static int chol_factor(double *A, int d)
{
	int i, j, k;
	double s;

	for (j = 0; j < d; j++) {
		s = A[j * d + j];
		for (k = 0; k < j; k++)
			s -= A[j * d + k] * A[j * d + k];
		if (s <= 0)
			return -EDOM;
		A[j * d + j] = sqrt(s);
		for (i = j + 1; i < d; i++) {
			s = A[i * d + j];
			for (k = 0; k < j; k++)
				s -= A[i * d + k] * A[j * d + k];
			A[i * d + j] = s / A[j * d + j];
		}
	}
	return 0;
}

/* Solve the SPD system A x = b in place (Cholesky); A [d][d], b [d][r]. */
static int chol_solve(double *A, double *b, int d, int r)
{
	int i, k, c;
	double s;

	if (chol_factor(A, d))
		return -EDOM;
	for (c = 0; c < r; c++) {
		for (i = 0; i < d; i++) { /* L y = b */
			s = b[i * r + c];
			for (k = 0; k < i; k++)
				s -= A[i * d + k] * b[k * r + c];
			b[i * r + c] = s / A[i * d + i];
		}
		for (i = d - 1; i >= 0; i--) { /* L^T x = y */
			s = b[i * r + c];
			for (k = i + 1; k < d; k++)
				s -= A[k * d + i] * b[k * r + c];
			b[i * r + c] = s / A[i * d + i];
		}
	}
	return 0;
}

/* Refit the dense layer on the integer conv outputs: ridge least squares
 * of the float pre-embedding on the dequantized x2 of each calibration
 * sample, so that the dense layer compensates the conv layers' rounding
 * (the float model itself is unchanged). w3 [emb][flat], b3 [emb].
 */
static int refit_dense(struct robot_fast *f, const struct robot_fastq *q,
		       const __u8 (*hdr)[ROBOT_HDR_LEN], const struct calib *c,
		       float *w3, float *b3)
{
	const struct robot_fastq_arch *a = &f->arch;
	int flat = a->c2 * a->l2, d = flat + 1, e = a->emb, n = c->n, i, j;
	double *X, *A, *B, *E, tr = 0, lambda;
	__u8 x2[ROBOT_FASTQ_FLAT_MAX], x1[ROBOT_FASTQ_C1_MAX][ROBOT_FASTQ_L1_MAX];
	int err = -ENOMEM;

	X = calloc((size_t)n * d + 1, sizeof(double));
	A = malloc((size_t)d * d * sizeof(double));
	B = malloc((size_t)d * e * sizeof(double));
	E = malloc((size_t)n * e * sizeof(double));
	if (!X || !A || !B || !E)
		goto out;
	for (i = 0; i < n; i++) {
		int_convs(q, hdr[i], x2, x1);
		for (j = 0; j < flat; j++)
			X[(size_t)i * d + j] = x2[j] * (double)f->s2[j / a->l2];
		X[(size_t)i * d + flat] = 1.0;
	}
	/* A = X^T X + lambda I, B = X^T E */
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, n, 1.0, X,
		    d, X, d, 0.0, A, d);
	for (i = 0; i < n; i++)
		for (j = 0; j < e; j++)
			E[(size_t)i * e + j] = c->pre[(size_t)i * e + j];
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, e, n, 1.0, X,
		    d, E, e, 0.0, B, e);
	for (j = 0; j < flat; j++)
		tr += A[j * d + j];
	lambda = 1e-3 * tr / flat + 1e-9;
	for (j = 0; j < flat; j++)
		A[j * d + j] += lambda;
	err = chol_solve(A, B, d, e);
	if (err)
		goto out;
	for (j = 0; j < e; j++) {
		for (i = 0; i < flat; i++)
			w3[j * flat + i] = (float)B[i * e + j];
		b3[j] = (float)B[flat * e + j];
	}
out:
	free(X);
	free(A);
	free(B);
	free(E);
	return err;
}

static int quant_scales(struct robot_fast *f, const struct calib *c,
			double p_act, double p_emb)
{
	const struct robot_fastq_arch *a = &f->arch;

	return channel_scales(c->act1, c->n, a->c1, a->l1, p_act, f->s1) ?:
	       channel_scales(c->act2, c->n, a->c2, a->l2, p_act, f->s2) ?:
	       emb_scale(c->pre, c->n, a->emb, p_emb, &f->se);
}

/* Agreement given the float pre-embeddings c->pre of hdr. */
static void agreement(struct robot_fast *f, const struct robot_fastq *q,
		      const __u8 (*hdr)[ROBOT_HDR_LEN], const struct calib *c,
		      struct quant_report *rep)
{
	int e = f->arch.emb, n = c->n, i, j, ca = 0, fa = 0;
	float emb[ROBOT_FASTQ_EMB_MAX];
	const float *pre = c->pre;
	struct robot_fastq_out qo;
	struct robot_fast_out fo;
	double err = 0, num, den, d;

	for (i = 0; i < n; i++) {
		den = 0;
		for (j = 0; j < e; j++)
			den += (double)pre[i * e + j] * pre[i * e + j];
		den = sqrt(den);
		for (j = 0; j < e; j++)
			emb[j] = den > 0 ? pre[i * e + j] / den : 0;
		robot_fast_decide(f, emb, &fo);
		robot_fastq_infer(q, hdr[i], &qo);
		ca += fo.class == qo.class;
		fa += fo.fdd == qo.fdd;
		num = 0;
		for (j = 0; j < e; j++) {
			d = pre[i * e + j] - qo.emb[j] * (double)f->se;
			num += d * d;
		}
		err += den > 0 ? sqrt(num) / den : 0;
	}
	memset(rep, 0, sizeof(*rep));
	rep->n = n;
	rep->class_agree = n ? (double)ca / n : 1;
	rep->fdd_agree = n ? (double)fa / n : 1;
	rep->emb_err = n ? err / n : 0;
}

int quant_agreement(struct robot_fast *f, const struct robot_fastq *q,
		    const __u8 (*hdr)[ROBOT_HDR_LEN], int n,
		    struct quant_report *rep)
{
	struct calib c;

	if (calib_collect(f, hdr, n, &c))
		return -ENOMEM;
	agreement(f, q, hdr, &c, rep);
	calib_free(&c);
	return 0;
}

/* U for GPTQ: upper Cholesky factor of H^-1, H = X^T X + damping, X
 * [n][d] the layer's integer inputs (rows: samples, or conv patches).
 */
static int gptq_u(const double *X, long n, int d, double *U)
{
	double *H, tr = 0;
	int i, j, err;

	H = malloc((size_t)d * d * sizeof(double));
	if (!H)
		return -ENOMEM;
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, n, 1.0, X,
		    d, X, d, 0.0, H, d);
	for (j = 0; j < d; j++)
		tr += H[j * d + j];
	for (j = 0; j < d; j++) {
		if (H[j * d + j] == 0) /* dead input: any rounding is exact */
			H[j * d + j] = 1;
		H[j * d + j] += 0.01 * tr / d + 1e-6;
	}
	/* U = H^-1, then its Cholesky factor L (H^-1 = L L^T), U = L^T */
	for (i = 0; i < d * d; i++)
		U[i] = 0;
	for (i = 0; i < d; i++)
		U[i * d + i] = 1;
	err = chol_solve(H, U, d, d);
	free(H);
	if (err)
		return err;
	for (i = 0; i < d; i++)
		for (j = 0; j < i; j++)
			U[i * d + j] = U[j * d + i] =
				0.5 * (U[i * d + j] + U[j * d + i]);
	err = chol_factor(U, d);
	if (err)
		return err;
	for (i = 0; i < d; i++)
		for (j = i + 1; j < d; j++) {
			U[i * d + j] = U[j * d + i];
			U[j * d + i] = 0;
		}
	return 0;
}

/* GPTQ factor of conv2: U2 [c1*k2]^2 from the integer conv1 output
 * patches of the calibration set.
 */
static int gptq_u2(const struct robot_fastq *q, const __u8 (*hdr)[ROBOT_HDR_LEN],
		   int n, double *U2)
{
	const struct robot_fastq_arch *a = &q->arch;
	__u8 x2[ROBOT_FASTQ_FLAT_MAX], x1[ROBOT_FASTQ_C1_MAX][ROBOT_FASTQ_L1_MAX];
	int d2 = a->c1 * a->k2, i, c, k, l, err;
	double *X2, *p;
	long pos;

	X2 = malloc((size_t)n * a->l2 * d2 * sizeof(double) + 1);
	if (!X2)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int_convs(q, hdr[i], x2, x1);
		for (l = 0; l < (int)a->l2; l++) {
			p = X2 + ((size_t)i * a->l2 + l) * d2;
			for (c = 0; c < (int)a->c1; c++)
				for (k = 0; k < (int)a->k2; k++) {
					pos = (long)l * a->s2 + k - a->p2;
					p[c * a->k2 + k] =
						pos >= 0 && pos < a->l1 ?
							x1[c][pos] : 0;
				}
		}
	}
	err = gptq_u(X2, (long)n * a->l2, d2, U2);
	free(X2);
	return err;
}

/* GPTQ factor of the dense layer: U3 [flat]^2 from the integer conv2
 * outputs of the calibration set.
 */
static int gptq_u3(const struct robot_fastq *q, const __u8 (*hdr)[ROBOT_HDR_LEN],
		   int n, double *U3)
{
	const struct robot_fastq_arch *a = &q->arch;
	__u8 x2[ROBOT_FASTQ_FLAT_MAX], x1[ROBOT_FASTQ_C1_MAX][ROBOT_FASTQ_L1_MAX];
	int d3 = a->c2 * a->l2, i, j, err;
	double *X3;

	X3 = malloc((size_t)n * d3 * sizeof(double) + 1);
	if (!X3)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int_convs(q, hdr[i], x2, x1);
		for (j = 0; j < d3; j++)
			X3[(size_t)i * d3 + j] = x2[j];
	}
	err = gptq_u(X3, n, d3, U3);
	free(X3);
	return err;
}

/* Modes: QUANT_REFIT refits the dense layer on the integer conv outputs,
 * QUANT_GPTQ rounds conv2 and dense weights with error feedback.
 */
#define QUANT_REFIT 1
#define QUANT_GPTQ 2

/* What a mode computes once the activation scales s1, s2 are set; the
 * embedding scale se only enters quant_build.
 */
struct qprep {
	int refit, gptq;
	float *w3, b3[ROBOT_FASTQ_EMB_MAX];
	double *U2, *U3;
};

static void qprep_free(struct qprep *p)
{
	free(p->w3);
	free(p->U2);
	free(p->U3);
	memset(p, 0, sizeof(*p));
}

static int qprep_make(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
		      const struct calib *c, int mode, struct robot_fastq *q,
		      struct qprep *p)
{
	const struct robot_fastq_arch *a = &f->arch;
	int flat = a->c2 * a->l2, d2 = a->c1 * a->k2, err;

	memset(p, 0, sizeof(*p));
	p->w3 = malloc(sizeof(float) * a->emb * flat);
	p->U2 = malloc(sizeof(double) * d2 * d2);
	p->U3 = malloc(sizeof(double) * flat * flat);
	if (!p->w3 || !p->U2 || !p->U3) {
		qprep_free(p);
		return -ENOMEM;
	}
	err = quant_build(f, q, NULL, NULL, NULL, NULL);
	if (!err && (mode & QUANT_GPTQ)) {
		/* conv2 first: the dense layer's inputs come from it */
		err = gptq_u2(q, hdr, c->n, p->U2);
		err = err ?: quant_build(f, q, NULL, NULL, p->U2, NULL);
		err = err ?: gptq_u3(q, hdr, c->n, p->U3);
		p->gptq = !err;
		if (err == -EDOM) /* singular: plain rounding */
			err = quant_build(f, q, NULL, NULL, NULL, NULL);
	}
	if (!err && (mode & QUANT_REFIT)) {
		err = refit_dense(f, q, hdr, c, p->w3, p->b3);
		p->refit = !err;
		if (err == -EDOM)
			err = 0;
	}
	if (err)
		qprep_free(p);
	return err;
}

static int qprep_build(struct robot_fast *f, const struct qprep *p,
		       struct robot_fastq *q)
{
	return quant_build(f, q, p->refit ? p->w3 : NULL,
			   p->refit ? p->b3 : NULL, p->gptq ? p->U2 : NULL,
			   p->gptq ? p->U3 : NULL);
}

static int quant_one(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
		     const struct calib *c, double p_act, double p_emb,
		     int mode, struct robot_fastq *q)
{
	struct qprep p;
	int err;

	err = quant_scales(f, c, p_act, p_emb) ?:
	      qprep_make(f, hdr, c, mode, q, &p);
	if (err)
		return err;
	err = qprep_build(f, &p, q);
	qprep_free(&p);
	return err;
}

int quant_fast_with(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
		    int n, double p_act, double p_emb, int refit,
		    struct robot_fastq *q)
{
	struct calib c;
	int err;

	if (n < 1)
		return -EINVAL;
	err = calib_collect(f, hdr, n, &c);
	if (err)
		return err;
	err = quant_one(f, hdr, &c, p_act, p_emb, refit, q);
	f->q_p_act = p_act;
	f->q_p_emb = p_emb;
	f->q_mode = refit;
	calib_free(&c);
	return err;
}

int quant_fast(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN], int n,
	       struct robot_fastq *q, struct quant_report *rep)
{
	static const double grid[] = { -1.0, 99.9, 99.99, 100.0 };
	const int ng = sizeof(grid) / sizeof(grid[0]);
	double best = -1, score, bp = 100, be = 100;
	int err, i, j, mode, bm = 0;
	struct quant_report r;
	struct qprep p;
	struct calib c;

	if (n < 1)
		return -EINVAL;
	err = calib_collect(f, hdr, n, &c);
	if (err)
		return err;
	for (i = 0; i < ng; i++)
		for (mode = 0; mode < 4; mode++) {
			err = quant_scales(f, &c, grid[i], 100.0) ?:
			      qprep_make(f, hdr, &c, mode, q, &p);
			if (err)
				goto out;
			for (j = 0; j < ng && !err; j++) {
				err = emb_scale(c.pre, c.n, f->arch.emb,
						grid[j], &f->se) ?:
				      qprep_build(f, &p, q);
				if (err)
					break;
				agreement(f, q, hdr, &c, &r);
				/* FDD and class count alike; the embedding
				 * error breaks ties
				 */
				score = r.class_agree + r.fdd_agree -
					1e-3 * r.emb_err;
				if (score > best) {
					best = score;
					bp = grid[i];
					be = grid[j];
					bm = mode;
				}
			}
			qprep_free(&p);
			if (err)
				goto out;
		}
	err = quant_one(f, hdr, &c, bp, be, bm, q);
	if (!err)
		agreement(f, q, hdr, &c, &r);
	f->q_p_act = bp;
	f->q_p_emb = be;
	f->q_mode = bm;
	if (!err && rep) {
		*rep = r;
		rep->p_act = bp;
		rep->p_emb = be;
		rep->refit = bm;
	}
out:
	calib_free(&c);
	return err;
}
