/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dml.h - deep-metric-learning losses over all pairs of a mini-batch.
 *
 * D_ij = ||y_i - y_j|| (Euclidean; y are the L2-normalized embeddings).
 *
 * Fast model (dml_pair_loss):
 *   L = sum_{i<j, same class} [D_ij - a]+ + sum_{i<j, diff class} [m - D_ij]+
 * Robust model (dml_cluster_loss), with a < b < m:
 *   L = sum_{same cluster} [D - a]+ + sum_{same class, other cluster} [b - D]+
 *     + sum_{diff class} [m - D]+
 * Both are divided by the number of pairs n(n-1)/2, so that the learning
 * rate does not depend on the batch size. dy receives dL/dy ([n][d]).
 * At D_ij < 1e-6 the pair's gradient is taken as 0 (no direction).
 */
#ifndef ROBOT_DML_H
#define ROBOT_DML_H

struct dml_stats {
	long pairs;       /* pairs in the batch */
	long active;      /* pairs with a non-zero hinge */
	double d_same;    /* mean D over same-class pairs */
	double d_diff;    /* mean D over different-class pairs */
};

double dml_pair_loss(const float *y, int n, int d, const int *cls, float a,
		     float m, float *dy, struct dml_stats *st);
double dml_cluster_loss(const float *y, int n, int d, const int *cls,
			const int *clu, float a, float b, float m, float *dy,
			struct dml_stats *st);

#endif
