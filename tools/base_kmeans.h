/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * base_kmeans.h - the k-means++ baseline classifier/FDD detector, on any
 * feature vectors (raw normalized header bytes for "k-means++", Deep
 * Packet's penultimate features for "Deep Packet*"):
 *   fit:     k-means++ (tools/kmeans.h) with k clusters over the training
 *            vectors; each centroid takes its members' majority class;
 *            threshold = the q-quantile of the training vectors' distances
 *            to their nearest centroid
 *   predict: class of the nearest centroid; FDD when that distance is
 *            above the threshold
 */
#ifndef ROBOT_BASE_KMEANS_H
#define ROBOT_BASE_KMEANS_H

#include <linux/types.h>
#include "nn.h"

struct bkm {
	int k, d;
	float *cent; /* [k][d] */
	int *cls;    /* [k] */
	double thresh;
};

int bkm_fit(struct bkm *m, const float *x, const int *y, int n, int d,
	    int k, double q, struct nn_rng *rng);
void bkm_free(struct bkm *m);
/* pred, fdd, dist may each be NULL. */
void bkm_predict(const struct bkm *m, const float *x, int n, int *pred,
		 __u8 *fdd, float *dist);

#endif
