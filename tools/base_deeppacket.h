/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * base_deeppacket.h - Deep Packet baseline (Lotfollahi et al., 2020), its
 * 1D-CNN scaled to Robot's 64-byte masked header input (docs/eval.md):
 *
 *   x = hdr / 255 [1][64]
 *   conv1d C1 filters, kernel K1, stride S1 -> ReLU   (paper 200, 4, 3)
 *   conv1d C2 filters, kernel K2, stride 1  -> ReLU   (paper 200, 5, 1)
 *   max pool 2
 *   dense F1 -> ReLU -> dense F2 -> ReLU -> dense F3 -> ReLU (paper
 *   200, 100, 50: the traffic-characterization head) -> dense C -> softmax
 *
 * Deep Packet* = the F3 penultimate features + k-means++ (base_kmeans.h)
 * for FDD detection.
 */
#ifndef ROBOT_BASE_DEEPPACKET_H
#define ROBOT_BASE_DEEPPACKET_H

#include <stdio.h>
#include "nn.h"
#include "robot_abi.h"

struct dp_opts {
	int c1, k1, s1, c2, k2, f1, f2, f3;
	int epochs, batch;
	float lr, wd;
	unsigned long long seed;
};

void dp_defaults(struct dp_opts *o);

struct deeppacket {
	struct dp_opts o;
	int n_classes, l2, lp; /* conv2 length, pooled length */
	struct nn_net conv;    /* conv, relu, conv, relu */
	struct nn_net head;    /* dense, relu, dense, relu, dense, relu, dense */
	int max_n;
	float *pool;    /* [max_n][c2][lp] */
	int *arg;       /* pooling winners */
	float *dconv;   /* [max_n][c2][l2] */
	float *dlog;    /* [max_n][C] */
};

int dp_init(struct deeppacket *d, const struct dp_opts *o, int n_classes,
	    int max_n);
void dp_free(struct deeppacket *d);
/* Forward n <= max_n inputs x [n][64]; returns the logits [n][C]. */
const float *dp_forward(struct deeppacket *d, const float *x, int n);
/* Mean CE of the last forward against y; with backward, adds gradients
 * (zeroes them first) of both nets.
 */
double dp_loss(struct deeppacket *d, const int *y, int n, int backward);
int dp_train(struct deeppacket *d, const float *x, const int *y, int n,
	     FILE *prog, int tty);
/* Classes ([n], may be NULL) and penultimate features ([n][F3], may be
 * NULL) of n inputs.
 */
int dp_predict(struct deeppacket *d, const float *x, int n, int *pred,
	       float *feat);
int dp_feat_dim(const struct deeppacket *d);

#endif
