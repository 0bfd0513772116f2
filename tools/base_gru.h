/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * base_gru.h - one GRU layer (one direction) with backpropagation through
 * time, for the FS-Net baseline. Gates as in PyTorch's nn.GRU:
 *   r = sigmoid(Wir x + bir + Whr h + bhr)
 *   z = sigmoid(Wiz x + biz + Whz h + bhz)
 *   n = tanh(Win x + bin + r * (Whn h + bhn))
 *   h' = (1 - z) * n + z * h,        h before the first step = 0.
 * Sequences are time-major: x [T][N][in], outputs y [T][N][hid] where
 * y[t] is the state after consuming x[t] (a reverse layer consumes
 * x[T-1] first, so its y[t] has seen x[t..T-1]). The final state is
 * y[T-1] (forward) or y[0] (reverse). Weights Wx [3 hid][in] and
 * Wh [3 hid][hid], rows in the order r, z, n.
 */
#ifndef ROBOT_BASE_GRU_H
#define ROBOT_BASE_GRU_H

#include "base_layers.h"

struct bgru {
	int in, hid, rev;
	float *wx, *wh, *bx, *bh;     /* parameters */
	float *gwx, *gwh, *gbx, *gbh; /* gradients */
	/* cache of the last forward, sized for max_t * max_n */
	int max_t, max_n, t, n;
	const float *x; /* the input (not owned) */
	float *gx;  /* [T][N][3h] Wx x + bx */
	float *gh;  /* [T][N][3h] Wh h + bh (by time index) */
	float *gate; /* [T][N][3h] r, z, n after their activations */
	float *y;   /* [T][N][h] outputs */
	float *dgx; /* [T][N][3h] backward scratch */
	float *dh;  /* [N][h] */
	float *dgh; /* [N][3h] */
	float *zero; /* [N][h] zeros (initial state) */
};

/* Register parameters in ps (uniform(-1/sqrt(hid), 1/sqrt(hid)) as
 * PyTorch) and allocate caches for sequences up to max_t x max_n.
 */
int bgru_init(struct bgru *g, struct bparams *ps, int in, int hid, int rev,
	      int max_t, int max_n, struct nn_rng *rng);
void bgru_free(struct bgru *g);
/* Forward x [t][n][in]; returns y [t][n][hid] (owned by g). */
const float *bgru_fwd(struct bgru *g, const float *x, int t, int n);
/* Final state [n][hid] of the last forward. */
const float *bgru_final(const struct bgru *g);
/* Backward of the last forward: dy [t][n][hid] (d loss / d y, including
 * any gradient on the final state at its time index); adds to the weight
 * gradients and writes dx [t][n][in] when dx is not NULL.
 */
void bgru_bwd(struct bgru *g, const float *dy, float *dx);

#endif
