/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kmeans.h - k-means with k-means++ seeding (Arthur & Vassilvitskii),
 * Lloyd iterations, deterministic for a given PRNG state. An empty cluster
 * is re-seeded with the point farthest from its centroid.
 */
#ifndef ROBOT_KMEANS_H
#define ROBOT_KMEANS_H

#include "nn.h"

/* x: [n][d]; cent: [k][d] out; assign: [n] out (may be NULL). Runs
 * `restarts` seedings (>= 1) and keeps the lowest inertia (sum of squared
 * distances), returned in *inertia when not NULL.
 * Returns 0, -EINVAL (k < 1, k > n, d < 1), -ENOMEM.
 */
int kmeans_pp(const float *x, int n, int d, int k, int iters, int restarts,
	      struct nn_rng *rng, float *cent, int *assign, double *inertia);

/* Index of the nearest centroid, squared distance in *d2 (may be NULL). */
int kmeans_nearest(const float *cent, int k, int d, const float *x,
		   double *d2);

/* Scale each of the k rows of cent to unit length (zero rows stay). */
void kmeans_normalize(float *cent, int k, int d);

#endif
