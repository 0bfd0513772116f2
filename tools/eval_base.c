// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The baselines of one seed: Deep Packet, Deep Packet*, k-means++ on raw
 * bytes, FS-Net, trained on the seed's training flows (eval_int.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base_kmeans.h"
#include "eval_int.h"
#include "log.h"
#include "model.h"

/* x [n][64] = hdr / 255 of the classified packet of flows idx. */
static float *flow_inputs(const struct eval_seed *s, const int *idx, int n)
{
	float *x = malloc(((size_t)n + 1) * ROBOT_HDR_LEN * sizeof(float));
	int k;

	for (k = 0; x && k < n; k++)
		robot_fast_input(s->ds->flows[idx[k]].pkts[s->pkt[idx[k]]].hdr,
				 x + (size_t)k * ROBOT_HDR_LEN);
	return x;
}

/* Every payload packet of the seen-test flows: x and labels. */
static int seen_packets(const struct eval_seed *s, float **x, int **y)
{
	const struct robot_ds_flow *f;
	int pass, k, p, n = 0;

	*x = NULL;
	*y = NULL;
	for (pass = 0; pass < 2; pass++) {
		if (pass) {
			*x = malloc(((size_t)n + 1) * ROBOT_HDR_LEN *
				    sizeof(float));
			*y = malloc((n + 1) * sizeof(int));
			if (!*x || !*y)
				return -ENOMEM;
			n = 0;
		}
		for (k = 0; k < s->nte; k++) {
			f = &s->ds->flows[s->te[k]];
			for (p = 0; p < f->n_pkts; p++) {
				if (!f->pkts[p].payload_len)
					continue;
				if (pass) {
					robot_fast_input(f->pkts[p].hdr,
						*x + (size_t)n * ROBOT_HDR_LEN);
					(*y)[n] = f->class_idx;
				}
				n++;
			}
		}
	}
	return n;
}

static double pkt_acc(const int *pred, const int *y, int n)
{
	int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += pred[i] == y[i];
	return n ? (double)ok / n : NAN;
}

static int run_deeppacket(struct eval_seed *s, const float *xtr,
			  const int *ytr, int ntr, const int *tst, int ntst,
			  const float *xp, const int *yp, int np,
			  struct eval_result *res, int si)
{
	const struct eval_opts *o = s->o;
	struct dp_opts dpo = o->dp;
	float *xt = NULL, *ftr = NULL, *fte = NULL;
	int *pp = NULL, k, i, err, fd, pred;
	struct deeppacket d;
	struct nn_rng rng;
	double t0 = eval_now(), t1;
	struct bkm km;

	dpo.seed = s->seed;
	err = dp_init(&d, &dpo, s->nc, dpo.batch);
	if (err)
		return err;
	err = dp_train(&d, xtr, ytr, ntr, o->prog, o->tty);
	if (err)
		goto out;
	xt = flow_inputs(s, tst, ntst);
	fd = dp_feat_dim(&d);
	ftr = malloc(((size_t)ntr + 1) * fd * sizeof(float));
	fte = malloc(((size_t)ntst + 1) * fd * sizeof(float));
	pp = malloc((np + 1) * sizeof(int));
	err = -ENOMEM;
	if (!xt || !ftr || !fte || !pp)
		goto out;
	/* per flow, one at a time (the latency of one decision) */
	for (k = 0; k < ntst; k++) {
		i = tst[k];
		t1 = eval_now();
		dp_predict(&d, xt + (size_t)k * ROBOT_HDR_LEN, 1, &pred,
			   fte + (size_t)k * fd);
		s->lat[PM_DP][i] = eval_wait_ms(&s->ds->flows[i], s->pkt[i]) +
				   (eval_now() - t1) * 1e3;
		s->pred[PM_DP][i] = pred;
	}
	dp_predict(&d, xp, np, pp, NULL);
	res->v[EM_DP_PKT_SEEN_ACC][si] = pkt_acc(pp, yp, np);
	res->train_secs[1] += eval_now() - t0;
	/* Deep Packet*: k-means++ on the penultimate features */
	dp_predict(&d, xtr, ntr, NULL, ftr);
	nn_rng_seed(&rng, s->seed ^ 0x647073ULL);
	err = bkm_fit(&km, ftr, ytr, ntr, fd, o->km_k, o->km_q, &rng);
	if (err)
		goto out;
	for (k = 0; k < ntst; k++) {
		bkm_predict(&km, fte + (size_t)k * fd, 1, &pred,
			    &s->fdd[PM_DPS][tst[k]], NULL);
		s->pred[PM_DPS][tst[k]] = pred;
	}
	bkm_free(&km);
	err = 0;
out:
	dp_free(&d);
	free(xt);
	free(ftr);
	free(fte);
	free(pp);
	return err;
}

static int run_kmeans(struct eval_seed *s, const float *xtr, const int *ytr,
		      int ntr, const int *tst, int ntst, const float *xp,
		      const int *yp, int np, struct eval_result *res, int si)
{
	float *xt = flow_inputs(s, tst, ntst);
	int *pp = malloc((np + 1) * sizeof(int)), k, err, pred;
	double t0 = eval_now();
	struct nn_rng rng;
	struct bkm km;

	err = -ENOMEM;
	if (!xt || !pp)
		goto out;
	nn_rng_seed(&rng, s->seed ^ 0x6b6dULL);
	err = bkm_fit(&km, xtr, ytr, ntr, ROBOT_HDR_LEN, s->o->km_k,
		      s->o->km_q, &rng);
	if (err)
		goto out;
	for (k = 0; k < ntst; k++) {
		bkm_predict(&km, xt + (size_t)k * ROBOT_HDR_LEN, 1, &pred,
			    &s->fdd[PM_KM][tst[k]], NULL);
		s->pred[PM_KM][tst[k]] = pred;
	}
	bkm_predict(&km, xp, np, pp, NULL, NULL);
	res->v[EM_KM_PKT_SEEN_ACC][si] = pkt_acc(pp, yp, np);
	bkm_free(&km);
	res->train_secs[3] += eval_now() - t0;
out:
	free(xt);
	free(pp);
	return err;
}

static int run_fsnet(struct eval_seed *s, const int *tst, int ntst,
		     struct eval_result *res)
{
	struct fsnet_opts fo = s->o->fs;
	int T = fo.t, *tok, *y, k, i, err, pred;
	double t0 = eval_now(), t1;
	struct fsnet m;

	fo.seed = s->seed;
	tok = malloc(((size_t)s->ntr + ntst + 1) * T * sizeof(int));
	y = malloc((s->ntr + 1) * sizeof(int));
	if (!tok || !y) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < s->ntr; k++) {
		fsnet_tokens(&fo, &s->ds->flows[s->tr[k]], tok + (size_t)k * T);
		y[k] = s->ds->flows[s->tr[k]].class_idx;
	}
	err = fsnet_init(&m, &fo, s->nc, fo.batch);
	if (err)
		goto out;
	err = fsnet_train(&m, tok, y, s->ntr, s->o->prog, s->o->tty);
	if (err)
		goto out_m;
	for (k = 0; k < ntst; k++) {
		i = tst[k];
		t1 = eval_now();
		fsnet_tokens(&fo, &s->ds->flows[i], tok);
		fsnet_predict(&m, tok, 1, &pred);
		s->pred[PM_FS][i] = pred;
		s->lat[PM_FS][i] = eval_wait_ms(&s->ds->flows[i], T - 1) +
				   (eval_now() - t1) * 1e3;
	}
	res->train_secs[2] += eval_now() - t0;
out_m:
	fsnet_free(&m);
out:
	free(tok);
	free(y);
	return err;
}

int eval_baselines(struct eval_seed *s, struct eval_result *res, int si)
{
	__u8 (*hdr)[ROBOT_HDR_LEN] = NULL;
	int *ytr = NULL, *tst = NULL, *yp = NULL, ntr, ntst, np, k, err;
	float *xtr = NULL, *xp = NULL;

	ntr = eval_train_samples(s, s->o->fast_pkts, &hdr, &ytr);
	if (ntr < 0)
		return ntr;
	err = -ENOMEM;
	xtr = malloc(((size_t)ntr + 1) * ROBOT_HDR_LEN * sizeof(float));
	tst = malloc((s->nte + s->nun + 1) * sizeof(int));
	if (!xtr || !tst)
		goto out;
	for (k = 0; k < ntr; k++)
		robot_fast_input(hdr[k], xtr + (size_t)k * ROBOT_HDR_LEN);
	ntst = 0;
	for (k = 0; k < s->nte; k++)
		tst[ntst++] = s->te[k];
	for (k = 0; k < s->nun; k++)
		tst[ntst++] = s->un[k];
	np = seen_packets(s, &xp, &yp);
	if (np < 0)
		goto out;
	err = run_deeppacket(s, xtr, ytr, ntr, tst, ntst, xp, yp, np, res, si);
	err = err ?: run_kmeans(s, xtr, ytr, ntr, tst, ntst, xp, yp, np, res,
				si);
	err = err ?: run_fsnet(s, tst, ntst, res);
	if (err)
		pr_warn("eval: baselines: %s\n", strerror(-err));
out:
	free(hdr);
	free(ytr);
	free(xtr);
	free(tst);
	free(xp);
	free(yp);
	return err;
}
