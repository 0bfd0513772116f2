/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * base_fsnet.h - FS-Net baseline (Liu et al., INFOCOM 2019), the paper's
 * structure at a smaller size (docs/eval.md lists every difference):
 *
 *   tokens   packet lengths of the flow's first T (20) packets, signed by
 *            direction: token = 1 + dir * NB + min(ip_len, 1500) / bin,
 *            NB = 1500 / bin + 1; absent packets (short flows) token 0
 *   embed    [V][E]
 *   encoder  L-layer bidirectional GRU (hidden H); layer l > 0 reads the
 *            concatenated [fwd, bwd] outputs of layer l - 1.
 *            z_e = final states of every layer and direction (2 L H)
 *   decoder  L-layer bidirectional GRU reading z_e at every time step;
 *            z_d = its final states (2 L H)
 *   reconstruction: dense(2 H -> V) + softmax on the top decoder outputs
 *            at each step, cross-entropy against the input tokens
 *   classifier: z = [z_e, z_d, z_e * z_d, |z_e - z_d|] (8 L H)
 *            -> dense(F) -> SELU -> dense(C) -> softmax
 *   loss     CE(class) + alpha * mean_t CE(reconstruction)
 */
#ifndef ROBOT_BASE_FSNET_H
#define ROBOT_BASE_FSNET_H

#include <stdio.h>
#include "base_gru.h"
#include "dataset.h"

#define FSNET_LAYERS_MAX 2
#define FSNET_T_MAX ROBOT_WINDOW

struct fsnet_opts {
	int t;        /* sequence length (<= FSNET_T_MAX) */
	int bin;      /* length bucket, bytes */
	int emb, hid, layers, fc;
	int epochs, batch;
	float lr, alpha, clip;
	unsigned long long seed;
};

void fsnet_defaults(struct fsnet_opts *o);

struct fsnet {
	struct fsnet_opts o;
	int vocab, n_classes, max_n, zdim;
	struct bparams ps;
	struct bembed emb;
	struct bgru enc[FSNET_LAYERS_MAX][2], dec[FSNET_LAYERS_MAX][2];
	struct bdense rec, fc1, fc2;
	/* activations of the last forward (time-major [T][N][.]) */
	int n;
	int *tok_tm;    /* [T][N] */
	float *x0;      /* [T][N][E] embedded */
	float *ecat[FSNET_LAYERS_MAX]; /* [T][N][2H] encoder outputs */
	float *dcat[FSNET_LAYERS_MAX]; /* decoder outputs */
	float *zrep;    /* [T][N][zdim] z_e repeated */
	float *ze, *zd, *z; /* [N][zdim], [N][zdim], [N][4 zdim] */
	float *pre1, *a1;   /* [N][F] */
	float *logits;      /* [N][C] */
	float *rlog;        /* [T][N][V] */
	/* backward scratch */
	float *drlog, *dcls, *da1, *dpre1, *dz, *dze, *dzd;
	float *dy[2], *dx_a, *dx_b, *dcatbuf, *drep;
};

/* Tokens of a flow's first o->t packets (from packet 0). */
void fsnet_tokens(const struct fsnet_opts *o, const struct robot_ds_flow *f,
		  int *tok);
int fsnet_vocab(const struct fsnet_opts *o);

/* Build a network for n_classes, batches up to max_n; 0 or -errno. */
int fsnet_init(struct fsnet *m, const struct fsnet_opts *o, int n_classes,
	       int max_n);
void fsnet_free(struct fsnet *m);

/* Forward n <= max_n sequences tok [n][t]; logits in m->logits. With y
 * (labels, may contain -1 = no class loss), returns the loss and, with
 * backward set, adds the parameter gradients (zero them first).
 */
double fsnet_forward(struct fsnet *m, const int *tok, const int *y, int n,
		     int backward);

/* Train (Adam, shuffled mini-batches); progress lines to prog (NULL:
 * quiet). 0 or -errno.
 */
int fsnet_train(struct fsnet *m, const int *tok, const int *y, int n,
		FILE *prog, int tty);
/* Predicted classes of n sequences. */
int fsnet_predict(struct fsnet *m, const int *tok, int n, int *pred);

#endif
