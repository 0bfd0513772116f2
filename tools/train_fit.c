// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The DML training loop shared by the Fast and Robust trainers. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dml.h"
#include "train_fit.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* lambda * Var(log ||e_i||) over the batch, e = input of the final L2
 * layer; its gradient goes to g. Equal norms let one int8 scale fit every
 * embedding (quantization).
 */
static double norm_penalty(struct nn_net *net, int n, float lambda, float *g)
{
	int L = net->n_layers - 2, d = nn_out_size(net), i, j;
	const float *pre = net->l[L].out;
	double mu = 0, var = 0, r2, lr[n];

	for (i = 0; i < n; i++) {
		r2 = 0;
		for (j = 0; j < d; j++)
			r2 += (double)pre[i * d + j] * pre[i * d + j];
		lr[i] = 0.5 * log(r2 + 1e-20);
		mu += lr[i];
	}
	mu /= n;
	for (i = 0; i < n; i++) {
		var += (lr[i] - mu) * (lr[i] - mu);
		r2 = exp(2 * lr[i]) + 1e-20;
		for (j = 0; j < d; j++)
			g[i * d + j] = (float)(lambda * 2.0 * (lr[i] - mu) / n *
					       pre[i * d + j] / r2);
	}
	return lambda * var / n;
}

int dml_fit(struct nn_net *net, const float *x, const int *cls,
	    const int *clu, int n, int n_classes, const struct fit_opts *o,
	    const struct train_progress *p)
{
	int in = nn_in_size(net), e = nn_out_size(net), batch, steps;
	int *members = NULL, *start = NULL, *cnt = NULL, *bcls = NULL;
	int *bclu = NULL, ep, st, c, j, i, k, present = 0, err = -ENOMEM;
	float *bx = NULL, *dy = NULL, *inj = NULL, lr;
	double loss, ds, dd, t0 = now_s();
	struct dml_stats stats;
	struct nn_rng rng;
	const float *y;

	if (n < 2 || n_classes < 1 || o->per_class < 1 || o->epochs < 0)
		return -EINVAL;
	nn_rng_seed(&rng, o->seed);
	/* samples of each class, contiguous */
	members = malloc(n * sizeof(int));
	start = calloc(n_classes + 1, sizeof(int));
	cnt = calloc(n_classes, sizeof(int));
	if (!members || !start || !cnt)
		goto out;
	for (i = 0; i < n; i++) {
		if (cls[i] < 0 || cls[i] >= n_classes) {
			err = -EINVAL;
			goto out;
		}
		cnt[cls[i]]++;
	}
	for (c = 0; c < n_classes; c++) {
		start[c + 1] = start[c] + cnt[c];
		present += cnt[c] > 0;
		cnt[c] = 0;
	}
	for (i = 0; i < n; i++)
		members[start[cls[i]] + cnt[cls[i]]++] = i;
	batch = present * o->per_class;
	err = nn_alloc(net, batch, 1);
	if (err)
		goto out;
	err = -ENOMEM;
	bx = malloc((size_t)batch * in * sizeof(float));
	dy = malloc((size_t)batch * e * sizeof(float));
	bcls = malloc(batch * sizeof(int));
	bclu = malloc(batch * sizeof(int));
	if (!bx || !dy || !bcls || !bclu)
		goto out;
	if (o->norm_reg > 0 && net->n_layers >= 2 &&
	    net->l[net->n_layers - 1].kind == NN_L2NORM) {
		inj = malloc((size_t)batch * e * sizeof(float));
		if (!inj)
			goto out;
		net->inject_at = net->n_layers - 2;
		net->inject = inj;
	}
	steps = (n + batch - 1) / batch;
	if (steps < 4)
		steps = 4;
	for (ep = 1; ep <= o->epochs; ep++) {
		/* cosine decay from lr to lr / 20 */
		lr = o->lr * (0.05f + 0.95f * 0.5f *
				      (1.0f + cosf((float)M_PI * (ep - 1) /
						   o->epochs)));
		loss = ds = dd = 0;
		for (st = 0; st < steps; st++) {
			k = 0;
			for (c = 0; c < n_classes; c++) {
				if (!cnt[c])
					continue;
				for (j = 0; j < o->per_class; j++) {
					i = members[start[c] +
						    nn_rng_below(&rng, cnt[c])];
					memcpy(bx + (size_t)k * in,
					       x + (size_t)i * in,
					       in * sizeof(float));
					bcls[k] = c;
					bclu[k] = clu ? clu[i] : c;
					k++;
				}
			}
			y = nn_forward(net, bx, batch);
			loss += dml_cluster_loss(y, batch, e, bcls, bclu, o->a,
						 clu ? o->b : o->m, o->m, dy,
						 &stats);
			if (inj)
				loss += norm_penalty(net, batch, o->norm_reg,
						     inj);
			ds += stats.d_same;
			dd += stats.d_diff;
			nn_zero_grad(net);
			nn_backward(net, dy, batch);
			err = nn_adam_step(net, lr, o->wd);
			if (err)
				goto out;
		}
		train_progress_epoch(p, o->what, ep, o->epochs, loss / steps,
				     ds / steps, dd / steps, now_s() - t0);
	}
	err = 0;
out:
	net->inject = NULL;
	net->inject_at = 0;
	free(inj);
	free(members);
	free(start);
	free(cnt);
	free(bx);
	free(dy);
	free(bcls);
	free(bclu);
	return err;
}
