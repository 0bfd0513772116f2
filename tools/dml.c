// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pairwise hinge losses for deep metric learning (see dml.h). */
#include <math.h>
#include <string.h>
#include "dml.h"

double dml_cluster_loss(const float *y, int n, int d, const int *cls,
			const int *clu, float a, float b, float m, float *dy,
			struct dml_stats *st)
{
	long pairs = (long)n * (n - 1) / 2, ns = 0, nd = 0, active = 0;
	double loss = 0, ss = 0, sd = 0, dist, g, norm;
	const float *yi, *yj;
	int i, j, k;

	if (dy)
		memset(dy, 0, (size_t)n * d * sizeof(float));
	if (pairs <= 0)
		goto out;
	norm = 1.0 / pairs;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			yi = y + (size_t)i * d;
			yj = y + (size_t)j * d;
			dist = 0;
			for (k = 0; k < d; k++)
				dist += ((double)yi[k] - yj[k]) *
					((double)yi[k] - yj[k]);
			dist = sqrt(dist);
			g = 0; /* dL/dD for this pair */
			if (cls[i] == cls[j]) {
				ns++;
				ss += dist;
				if (clu[i] == clu[j]) {
					if (dist > a) {
						loss += dist - a;
						g = 1;
					}
				} else if (dist < b) {
					loss += b - dist;
					g = -1;
				}
			} else {
				nd++;
				sd += dist;
				if (dist < m) {
					loss += m - dist;
					g = -1;
				}
			}
			if (g != 0)
				active++;
			if (!dy || g == 0 || dist < 1e-6)
				continue;
			g *= norm / dist;
			for (k = 0; k < d; k++) {
				float v = (float)(g * ((double)yi[k] - yj[k]));

				dy[(size_t)i * d + k] += v;
				dy[(size_t)j * d + k] -= v;
			}
		}
	loss *= norm;
out:
	if (st) {
		st->pairs = pairs > 0 ? pairs : 0;
		st->active = active;
		st->d_same = ns ? ss / ns : 0;
		st->d_diff = nd ? sd / nd : 0;
	}
	return loss;
}

double dml_pair_loss(const float *y, int n, int d, const int *cls, float a,
		     float m, float *dy, struct dml_stats *st)
{
	/* cluster = class: no "same class, other cluster" pairs */
	return dml_cluster_loss(y, n, d, cls, cls, a, m, m, dy, st);
}
