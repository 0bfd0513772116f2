// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* FS-Net baseline: bi-GRU encoder/decoder with reconstruction
 * (base_fsnet.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base_fsnet.h"

void fsnet_defaults(struct fsnet_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->t = FSNET_T_MAX;
	o->bin = 20;
	o->emb = 16;
	o->hid = 32;
	o->layers = 2;
	o->fc = 64;
	o->epochs = 20;
	o->batch = 32;
	o->lr = 5e-3f;
	o->alpha = 1.0f;
	o->clip = 5.0f;
	o->seed = 1;
}

int fsnet_vocab(const struct fsnet_opts *o)
{
	return 1 + 2 * (1500 / o->bin + 1);
}

void fsnet_tokens(const struct fsnet_opts *o, const struct robot_ds_flow *f,
		  int *tok)
{
	int nb = 1500 / o->bin + 1, i, len;

	for (i = 0; i < o->t; i++) {
		if (i >= f->n_pkts) {
			tok[i] = 0;
			continue;
		}
		len = f->pkts[i].ip_len < 1500 ? f->pkts[i].ip_len : 1500;
		tok[i] = 1 + (f->pkts[i].dir ? nb : 0) + len / o->bin;
	}
}

static void *zalloc(size_t n)
{
	return calloc(n ? n : 1, sizeof(float));
}

void fsnet_free(struct fsnet *m)
{
	int l, d;

	for (l = 0; l < FSNET_LAYERS_MAX; l++) {
		for (d = 0; d < 2; d++) {
			bgru_free(&m->enc[l][d]);
			bgru_free(&m->dec[l][d]);
		}
		free(m->ecat[l]);
		free(m->dcat[l]);
	}
	free(m->tok_tm);
	free(m->x0);
	free(m->zrep);
	free(m->ze);
	free(m->zd);
	free(m->z);
	free(m->pre1);
	free(m->a1);
	free(m->logits);
	free(m->rlog);
	free(m->drlog);
	free(m->dcls);
	free(m->da1);
	free(m->dpre1);
	free(m->dz);
	free(m->dze);
	free(m->dzd);
	free(m->dy[0]);
	free(m->dy[1]);
	free(m->dx_a);
	free(m->dx_b);
	free(m->dcatbuf);
	free(m->drep);
	bparams_free(&m->ps);
	memset(m, 0, sizeof(*m));
}

int fsnet_init(struct fsnet *m, const struct fsnet_opts *o, int n_classes,
	       int max_n)
{
	int T = o->t, E = o->emb, H = o->hid, L = o->layers, F = o->fc;
	int l, d, err, in, wide;
	size_t tn = (size_t)T * max_n;
	struct nn_rng rng;

	memset(m, 0, sizeof(*m));
	if (T < 1 || T > FSNET_T_MAX || o->bin < 1 || E < 1 || H < 1 ||
	    L < 1 || L > FSNET_LAYERS_MAX || F < 1 || n_classes < 2 ||
	    max_n < 1)
		return -EINVAL;
	m->o = *o;
	m->vocab = fsnet_vocab(o);
	m->n_classes = n_classes;
	m->max_n = max_n;
	m->zdim = 2 * L * H;
	nn_rng_seed(&rng, o->seed ^ 0x66736e6574ULL);
	err = bembed_init(&m->emb, &m->ps, m->vocab, E, &rng);
	for (l = 0; !err && l < L; l++)
		for (d = 0; !err && d < 2; d++) {
			in = l ? 2 * H : E;
			err = bgru_init(&m->enc[l][d], &m->ps, in, H, d, T,
					max_n, &rng);
			in = l ? 2 * H : m->zdim;
			err = err ?: bgru_init(&m->dec[l][d], &m->ps, in, H, d,
					       T, max_n, &rng);
		}
	err = err ?: bdense_init(&m->rec, &m->ps, 2 * H, m->vocab, &rng, 1);
	err = err ?: bdense_init(&m->fc1, &m->ps, 4 * m->zdim, F, &rng, 1);
	err = err ?: bdense_init(&m->fc2, &m->ps, F, n_classes, &rng, 1);
	if (err)
		goto out;
	wide = m->zdim > 2 * H ? m->zdim : 2 * H;
	if (E > wide)
		wide = E;
	err = -ENOMEM;
	for (l = 0; l < L; l++) {
		m->ecat[l] = zalloc(tn * 2 * H);
		m->dcat[l] = zalloc(tn * 2 * H);
		if (!m->ecat[l] || !m->dcat[l])
			goto out;
	}
	m->tok_tm = calloc(tn, sizeof(int));
	m->x0 = zalloc(tn * E);
	m->zrep = zalloc(tn * m->zdim);
	m->ze = zalloc((size_t)max_n * m->zdim);
	m->zd = zalloc((size_t)max_n * m->zdim);
	m->z = zalloc((size_t)max_n * 4 * m->zdim);
	m->pre1 = zalloc((size_t)max_n * F);
	m->a1 = zalloc((size_t)max_n * F);
	m->logits = zalloc((size_t)max_n * n_classes);
	m->rlog = zalloc(tn * m->vocab);
	m->drlog = zalloc(tn * m->vocab);
	m->dcls = zalloc((size_t)max_n * n_classes);
	m->da1 = zalloc((size_t)max_n * F);
	m->dpre1 = zalloc((size_t)max_n * F);
	m->dz = zalloc((size_t)max_n * 4 * m->zdim);
	m->dze = zalloc((size_t)max_n * m->zdim);
	m->dzd = zalloc((size_t)max_n * m->zdim);
	m->dy[0] = zalloc(tn * H);
	m->dy[1] = zalloc(tn * H);
	m->dx_a = zalloc(tn * wide);
	m->dx_b = zalloc(tn * wide);
	m->dcatbuf = zalloc(tn * 2 * H);
	m->drep = zalloc(tn * m->zdim);
	if (!m->tok_tm || !m->x0 || !m->zrep || !m->ze || !m->zd || !m->z ||
	    !m->pre1 || !m->a1 || !m->logits || !m->rlog || !m->drlog ||
	    !m->dcls || !m->da1 || !m->dpre1 || !m->dz || !m->dze ||
	    !m->dzd || !m->dy[0] || !m->dy[1] || !m->dx_a || !m->dx_b ||
	    !m->dcatbuf || !m->drep)
		goto out;
	return 0;
out:
	fsnet_free(m);
	return err;
}

/* One bidirectional layer: both directions over x, outputs concatenated
 * into cat [T][N][2H], final states into zf at column offset off.
 */
static int bilayer_fwd(struct bgru *g, const float *x, int T, int n,
		       float *cat, float *zf, int zdim, int off)
{
	int H = g[0].hid, d, i, j;
	const float *y, *fin;

	for (d = 0; d < 2; d++) {
		y = bgru_fwd(&g[d], x, T, n);
		if (!y)
			return -EINVAL;
		for (i = 0; i < T * n; i++)
			memcpy(cat + (size_t)i * 2 * H + d * H,
			       y + (size_t)i * H, H * sizeof(float));
		fin = bgru_final(&g[d]);
		for (i = 0; i < n; i++)
			for (j = 0; j < H; j++)
				zf[(size_t)i * zdim + off + d * H + j] =
					fin[(size_t)i * H + j];
	}
	return 0;
}

/* Backward of a bidirectional layer: dcat [T][N][2H] (gradients of its
 * outputs) plus dz (gradients of its final states at column off);
 * dx [T][N][in] = sum of both directions' input gradients.
 */
static void bilayer_bwd(struct fsnet *m, struct bgru *g, const float *dcat,
			const float *dz, int off, float *dx)
{
	int H = g[0].hid, T = g[0].t, n = g[0].n, in = g[0].in, d, i, j;
	size_t k;

	for (d = 0; d < 2; d++) {
		for (i = 0; i < T * n; i++)
			memcpy(m->dy[d] + (size_t)i * H,
			       dcat + (size_t)i * 2 * H + d * H,
			       H * sizeof(float));
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < H; j++) {
			/* forward final state at t = T-1, reverse at t = 0 */
			m->dy[0][((size_t)(T - 1) * n + i) * H + j] +=
				dz[(size_t)i * m->zdim + off + j];
			m->dy[1][(size_t)i * H + j] +=
				dz[(size_t)i * m->zdim + off + H + j];
		}
	bgru_bwd(&g[0], m->dy[0], m->dx_a);
	bgru_bwd(&g[1], m->dy[1], m->dx_b);
	for (k = 0; k < (size_t)T * n * in; k++)
		dx[k] = m->dx_a[k] + m->dx_b[k];
}

double fsnet_forward(struct fsnet *m, const int *tok, const int *y, int n,
		     int backward)
{
	int T = m->o.t, E = m->o.emb, H = m->o.hid, L = m->o.layers;
	int Z = m->zdim, F = m->o.fc, C = m->n_classes, t, i, j, l;
	const float *in;
	double loss = 0;
	float a, b, s;

	if (n < 1 || n > m->max_n)
		return NAN;
	m->n = n;
	for (t = 0; t < T; t++)
		for (i = 0; i < n; i++)
			m->tok_tm[t * n + i] = tok[i * T + t];
	bembed_fwd(&m->emb, m->tok_tm, T * n, m->x0);
	in = m->x0;
	for (l = 0; l < L; l++) {
		bilayer_fwd(m->enc[l], in, T, n, m->ecat[l], m->ze, Z,
			    2 * l * H);
		in = m->ecat[l];
	}
	for (t = 0; t < T; t++)
		memcpy(m->zrep + (size_t)t * n * Z, m->ze,
		       (size_t)n * Z * sizeof(float));
	in = m->zrep;
	for (l = 0; l < L; l++) {
		bilayer_fwd(m->dec[l], in, T, n, m->dcat[l], m->zd, Z,
			    2 * l * H);
		in = m->dcat[l];
	}
	/* classifier */
	for (i = 0; i < n; i++)
		for (j = 0; j < Z; j++) {
			a = m->ze[(size_t)i * Z + j];
			b = m->zd[(size_t)i * Z + j];
			m->z[(size_t)i * 4 * Z + j] = a;
			m->z[(size_t)i * 4 * Z + Z + j] = b;
			m->z[(size_t)i * 4 * Z + 2 * Z + j] = a * b;
			m->z[(size_t)i * 4 * Z + 3 * Z + j] = fabsf(a - b);
		}
	bdense_fwd(&m->fc1, m->z, n, m->pre1);
	bselu_fwd(m->pre1, n * F, m->a1);
	bdense_fwd(&m->fc2, m->a1, n, m->logits);
	if (!y)
		return 0;
	/* losses */
	bdense_fwd(&m->rec, m->dcat[L - 1], T * n, m->rlog);
	loss = bsoftmax_ce(m->logits, y, n, C, 1.0f,
			   backward ? m->dcls : NULL);
	loss += bsoftmax_ce(m->rlog, m->tok_tm, T * n, m->vocab, m->o.alpha,
			    backward ? m->drlog : NULL);
	if (!backward)
		return loss;
	/* classifier backward */
	bdense_bwd(&m->fc2, m->a1, m->dcls, n, m->da1);
	bselu_bwd(m->pre1, m->da1, n * F, m->dpre1);
	bdense_bwd(&m->fc1, m->z, m->dpre1, n, m->dz);
	for (i = 0; i < n; i++)
		for (j = 0; j < Z; j++) {
			const float *dz = m->dz + (size_t)i * 4 * Z;

			a = m->ze[(size_t)i * Z + j];
			b = m->zd[(size_t)i * Z + j];
			s = a > b ? 1.0f : (a < b ? -1.0f : 0.0f);
			m->dze[(size_t)i * Z + j] = dz[j] + dz[2 * Z + j] * b +
						    dz[3 * Z + j] * s;
			m->dzd[(size_t)i * Z + j] = dz[Z + j] +
						    dz[2 * Z + j] * a -
						    dz[3 * Z + j] * s;
		}
	/* reconstruction and decoder backward */
	bdense_bwd(&m->rec, m->dcat[L - 1], m->drlog, T * n, m->dcatbuf);
	for (l = L - 1; l >= 0; l--)
		bilayer_bwd(m, m->dec[l], m->dcatbuf, m->dzd, 2 * l * H,
			    l ? m->dcatbuf : m->drep);
	for (t = 0; t < T; t++)
		for (i = 0; i < n * Z; i++)
			m->dze[i] += m->drep[(size_t)t * n * Z + i];
	/* encoder backward: only the final states carry gradient */
	memset(m->dcatbuf, 0, (size_t)T * n * 2 * H * sizeof(float));
	for (l = L - 1; l >= 0; l--)
		bilayer_bwd(m, m->enc[l], m->dcatbuf, m->dze, 2 * l * H,
			    l ? m->dcatbuf : m->x0 /* reused as dx0 */);
	bembed_bwd(&m->emb, m->tok_tm, m->x0, T * n);
	(void)E;
	return loss;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int fsnet_train(struct fsnet *m, const int *tok, const int *y, int n,
		FILE *prog, int tty)
{
	int T = m->o.t, B = m->o.batch < m->max_n ? m->o.batch : m->max_n;
	int *idx, *bt, *by, ep, s, k, i, ok;
	double loss, t0 = now_s();
	struct nn_rng rng;
	float lr;

	if (n < 1 || B < 1)
		return -EINVAL;
	idx = malloc(n * sizeof(int));
	bt = malloc((size_t)B * T * sizeof(int));
	by = malloc(B * sizeof(int));
	if (!idx || !bt || !by) {
		free(idx);
		free(bt);
		free(by);
		return -ENOMEM;
	}
	nn_rng_seed(&rng, m->o.seed ^ 0x7472616e ^ (__u64)n);
	for (i = 0; i < n; i++)
		idx[i] = i;
	for (ep = 1; ep <= m->o.epochs; ep++) {
		/* cosine decay to lr / 20, as the Robot trainers */
		lr = m->o.lr * (0.05f + 0.475f * (1.0f + cosf((float)M_PI *
				(ep - 1) / m->o.epochs)));
		nn_rng_shuffle(&rng, idx, n);
		loss = 0;
		ok = 0;
		for (s = 0; s < n; s += B) {
			k = n - s < B ? n - s : B;
			for (i = 0; i < k; i++) {
				memcpy(bt + (size_t)i * T,
				       tok + (size_t)idx[s + i] * T,
				       T * sizeof(int));
				by[i] = y[idx[s + i]];
			}
			bparams_zero_grad(&m->ps);
			loss += fsnet_forward(m, bt, by, k, 1) * k;
			for (i = 0; i < k; i++) {
				int c, best = 0;

				for (c = 1; c < m->n_classes; c++)
					if (m->logits[i * m->n_classes + c] >
					    m->logits[i * m->n_classes + best])
						best = c;
				ok += best == by[i];
			}
			bparams_adam(&m->ps, lr, m->o.clip);
		}
		if (prog) {
			fprintf(prog, tty ? "\rfsnet epoch %d/%d loss %.4f "
				"train-acc %.3f (%.1f s)  " :
				"fsnet epoch %d/%d loss %.4f train-acc %.3f "
				"(%.1f s)\n", ep, m->o.epochs, loss / n,
				(double)ok / n, now_s() - t0);
			if (tty && ep == m->o.epochs)
				fputc('\n', prog);
			fflush(prog);
		}
	}
	free(idx);
	free(bt);
	free(by);
	return 0;
}

int fsnet_predict(struct fsnet *m, const int *tok, int n, int *pred)
{
	int s, k;

	for (s = 0; s < n; s += k) {
		k = n - s < m->max_n ? n - s : m->max_n;
		fsnet_forward(m, tok + (size_t)s * m->o.t, NULL, k, 0);
		bargmax(m->logits, k, m->n_classes, pred + s);
	}
	return 0;
}
