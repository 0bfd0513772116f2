/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * base_layers.h - small float layers the baselines need beyond nn.h:
 * dense (any batch of row vectors), embedding lookup, SELU, 1D max
 * pooling, softmax cross-entropy, and Adam over a list of parameter
 * arrays. Every backward ADDS to its parameter gradients (zero them
 * first) and WRITES the gradient w.r.t. its input.
 */
#ifndef ROBOT_BASE_LAYERS_H
#define ROBOT_BASE_LAYERS_H

#include <stddef.h>
#include "nn.h"

/* One parameter array with its gradient and Adam moments. */
struct bparam {
	float *w, *g, *m, *v;
	size_t n;
};

#define BPARAMS_MAX 64

struct bparams {
	int n;
	int t; /* Adam step */
	struct bparam p[BPARAMS_MAX];
};

/* Allocate a zeroed parameter array of n floats (and its gradient and
 * moments) and register it; returns the weights or NULL.
 */
float *bparams_add(struct bparams *ps, size_t n, float **grad);
void bparams_free(struct bparams *ps);
void bparams_zero_grad(struct bparams *ps);
/* Adam (0.9, 0.999, 1e-8), gradient clipped to global norm clip (0: no). */
void bparams_adam(struct bparams *ps, float lr, float clip);
size_t bparams_count(const struct bparams *ps);
/* Copy all weights from src (same layout); 0 or -EINVAL. */
int bparams_copy(struct bparams *dst, const struct bparams *src);

/* Dense: y[n][out] = x[n][in] W^T + b, W [out][in]. */
struct bdense {
	int in, out;
	float *w, *b, *gw, *gb;
};

int bdense_init(struct bdense *d, struct bparams *ps, int in, int out,
		struct nn_rng *rng, float gain);
void bdense_fwd(const struct bdense *d, const float *x, int n, float *y);
/* dx may be NULL. */
void bdense_bwd(struct bdense *d, const float *x, const float *dy, int n,
		float *dx);

/* Embedding: y[i] = E[tok[i]], E [vocab][dim]. */
struct bembed {
	int vocab, dim;
	float *w, *gw;
};

int bembed_init(struct bembed *e, struct bparams *ps, int vocab, int dim,
		struct nn_rng *rng);
void bembed_fwd(const struct bembed *e, const int *tok, int n, float *y);
void bembed_bwd(struct bembed *e, const int *tok, const float *dy, int n);

/* SELU (Klambauer et al.), elementwise over n values. */
void bselu_fwd(const float *x, int n, float *y);
void bselu_bwd(const float *x, const float *dy, int n, float *dx);

/* ReLU. */
void brelu_fwd(const float *x, int n, float *y);
void brelu_bwd(const float *x, const float *dy, int n, float *dx);

/* Max pooling over the last axis: x [n][c][l] -> y [n][c][l / k]
 * (window k, stride k, the tail l % k dropped); arg keeps the winners.
 */
void bmaxpool_fwd(const float *x, int n, int c, int l, int k, float *y,
		  int *arg);
void bmaxpool_bwd(const float *dy, const int *arg, int n, int c, int l,
		  int k, float *dx);

/* Mean softmax cross-entropy of logits [n][k] with labels y (rows with
 * y < 0 are ignored; the mean is over the others, scaled by weight).
 * dlogits (may be NULL) receives d(loss)/d(logits). Returns the loss.
 */
double bsoftmax_ce(const float *logits, const int *y, int n, int k,
		   float weight, float *dlogits);

/* argmax of each row of x [n][k]. */
void bargmax(const float *x, int n, int k, int *out);

#endif
