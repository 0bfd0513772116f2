/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The DML training loop shared by the Fast and Robust trainers. */
#ifndef ROBOT_TRAIN_FIT_H
#define ROBOT_TRAIN_FIT_H

#include "nn.h"
#include "train.h"

struct fit_opts {
	const char *what; /* progress label */
	int epochs;
	int per_class;    /* batch = per_class samples of every class */
	float lr, wd;     /* Adam, cosine decay to lr / 20 */
	float a, b, m;    /* margins (b: robust only) */
	float norm_reg;   /* weight of the variance of log ||e|| of the
			   * embeddings before normalization (0: off) */
	__u64 seed;
};

/* Train net (built, parameters initialized) on n inputs x [n][in] with
 * classes cls (0..n_classes-1) and, for the robust loss, clusters clu
 * (NULL: the fast pair loss). Each epoch is ceil(n / batch) (>= 4) steps
 * of class-balanced batches drawn with replacement.
 */
int dml_fit(struct nn_net *net, const float *x, const int *cls,
	    const int *clu, int n, int n_classes, const struct fit_opts *o,
	    const struct train_progress *p);

#endif
