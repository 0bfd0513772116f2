// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Deep Packet baseline: 1D-CNN + softmax (base_deeppacket.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base_deeppacket.h"
#include "base_layers.h"

#define DP_IN ROBOT_HDR_LEN
#define DP_POOL 2

void dp_defaults(struct dp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->c1 = 64;
	o->k1 = 4;
	o->s1 = 3;
	o->c2 = 64;
	o->k2 = 5;
	o->f1 = 200;
	o->f2 = 100;
	o->f3 = 50;
	o->epochs = 30;
	o->batch = 64;
	o->lr = 1e-3f;
	o->wd = 1e-4f;
	o->seed = 1;
}

void dp_free(struct deeppacket *d)
{
	nn_free(&d->conv);
	nn_free(&d->head);
	free(d->pool);
	free(d->arg);
	free(d->dconv);
	free(d->dlog);
	memset(d, 0, sizeof(*d));
}

int dp_init(struct deeppacket *d, const struct dp_opts *o, int n_classes,
	    int max_n)
{
	struct nn_rng rng;
	int err, c2;

	memset(d, 0, sizeof(*d));
	if (n_classes < 2 || max_n < 1 || o->c1 < 1 || o->c2 < 1)
		return -EINVAL;
	d->o = *o;
	d->n_classes = n_classes;
	d->max_n = max_n;
	nn_init(&d->conv, 1, 1, DP_IN);
	err = nn_add_conv(&d->conv, o->c1, 1, o->k1, 1, o->s1, 0, 0);
	err = err ?: nn_add_relu(&d->conv);
	err = err ?: nn_add_conv(&d->conv, o->c2, 1, o->k2, 1, 1, 0, 0);
	err = err ?: nn_add_relu(&d->conv);
	err = err ?: nn_alloc(&d->conv, max_n, 1);
	if (err)
		goto out;
	c2 = o->c2;
	d->l2 = d->conv.l[2].wout;
	d->lp = d->l2 / DP_POOL;
	if (d->lp < 1) {
		err = -EINVAL;
		goto out;
	}
	nn_init(&d->head, c2, 1, d->lp);
	err = nn_add_dense(&d->head, o->f1);
	err = err ?: nn_add_relu(&d->head);
	err = err ?: nn_add_dense(&d->head, o->f2);
	err = err ?: nn_add_relu(&d->head);
	err = err ?: nn_add_dense(&d->head, o->f3);
	err = err ?: nn_add_relu(&d->head);
	err = err ?: nn_add_dense(&d->head, n_classes);
	err = err ?: nn_alloc(&d->head, max_n, 1);
	if (err)
		goto out;
	d->head.need_dx = 1;
	err = -ENOMEM;
	d->pool = malloc((size_t)max_n * c2 * d->lp * sizeof(float));
	d->arg = malloc((size_t)max_n * c2 * d->lp * sizeof(int));
	d->dconv = malloc((size_t)max_n * c2 * d->l2 * sizeof(float));
	d->dlog = malloc((size_t)max_n * n_classes * sizeof(float));
	if (!d->pool || !d->arg || !d->dconv || !d->dlog)
		goto out;
	nn_rng_seed(&rng, o->seed ^ 0x6470ULL);
	nn_init_params(&d->conv, &rng);
	nn_init_params(&d->head, &rng);
	return 0;
out:
	dp_free(d);
	return err;
}

int dp_feat_dim(const struct deeppacket *d)
{
	return d->o.f3;
}

const float *dp_forward(struct deeppacket *d, const float *x, int n)
{
	const float *c;

	if (n < 1 || n > d->max_n)
		return NULL;
	c = nn_forward(&d->conv, x, n);
	bmaxpool_fwd(c, n, d->o.c2, d->l2, DP_POOL, d->pool, d->arg);
	return nn_forward(&d->head, d->pool, n);
}

double dp_loss(struct deeppacket *d, const int *y, int n, int backward)
{
	const float *logits = nn_layer_out(&d->head, d->head.n_layers - 1);
	double loss;

	loss = bsoftmax_ce(logits, y, n, d->n_classes, 1.0f,
			   backward ? d->dlog : NULL);
	if (!backward)
		return loss;
	nn_zero_grad(&d->head);
	nn_zero_grad(&d->conv);
	nn_backward(&d->head, d->dlog, n);
	bmaxpool_bwd(d->head.dx, d->arg, n, d->o.c2, d->l2, DP_POOL,
		     d->dconv);
	nn_backward(&d->conv, d->dconv, n);
	return loss;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int dp_train(struct deeppacket *d, const float *x, const int *y, int n,
	     FILE *prog, int tty)
{
	int B = d->o.batch < d->max_n ? d->o.batch : d->max_n;
	int *idx, *by, ep, s, k, i, err = 0;
	double loss, t0 = now_s();
	struct nn_rng rng;
	float *bx, lr;

	if (n < 1 || B < 1)
		return -EINVAL;
	idx = malloc(n * sizeof(int));
	by = malloc(B * sizeof(int));
	bx = malloc((size_t)B * DP_IN * sizeof(float));
	if (!idx || !by || !bx) {
		err = -ENOMEM;
		goto out;
	}
	nn_rng_seed(&rng, d->o.seed ^ 0x64707472ULL);
	for (i = 0; i < n; i++)
		idx[i] = i;
	for (ep = 1; ep <= d->o.epochs; ep++) {
		lr = d->o.lr * (0.05f + 0.475f * (1.0f + cosf((float)M_PI *
				(ep - 1) / d->o.epochs)));
		nn_rng_shuffle(&rng, idx, n);
		loss = 0;
		for (s = 0; s < n; s += B) {
			k = n - s < B ? n - s : B;
			for (i = 0; i < k; i++) {
				memcpy(bx + (size_t)i * DP_IN,
				       x + (size_t)idx[s + i] * DP_IN,
				       DP_IN * sizeof(float));
				by[i] = y[idx[s + i]];
			}
			dp_forward(d, bx, k);
			loss += dp_loss(d, by, k, 1) * k;
			err = nn_adam_step(&d->head, lr, d->o.wd);
			err = err ?: nn_adam_step(&d->conv, lr, d->o.wd);
			if (err)
				goto out;
		}
		if (prog) {
			fprintf(prog, tty ? "\rdeeppacket epoch %d/%d loss "
				"%.4f (%.1f s)  " : "deeppacket epoch %d/%d "
				"loss %.4f (%.1f s)\n", ep, d->o.epochs,
				loss / n, now_s() - t0);
			if (tty && ep == d->o.epochs)
				fputc('\n', prog);
			fflush(prog);
		}
	}
out:
	free(idx);
	free(by);
	free(bx);
	return err;
}

int dp_predict(struct deeppacket *d, const float *x, int n, int *pred,
	       float *feat)
{
	int s, k, f3 = d->o.f3;
	const float *lg;

	for (s = 0; s < n; s += k) {
		k = n - s < d->max_n ? n - s : d->max_n;
		lg = dp_forward(d, x + (size_t)s * DP_IN, k);
		if (pred)
			bargmax(lg, k, d->n_classes, pred + s);
		if (feat)
			memcpy(feat + (size_t)s * f3,
			       nn_layer_out(&d->head, 5),
			       (size_t)k * f3 * sizeof(float));
	}
	return 0;
}
