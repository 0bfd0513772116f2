// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* k-means++ baseline classifier and FDD detector (base_kmeans.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base_kmeans.h"
#include "kmeans.h"
#include "metrics.h"

void bkm_free(struct bkm *m)
{
	free(m->cent);
	free(m->cls);
	memset(m, 0, sizeof(*m));
}

int bkm_fit(struct bkm *m, const float *x, const int *y, int n, int d,
	    int k, double q, struct nn_rng *rng)
{
	int *asg = NULL, *votes = NULL, i, j, c, maxc = 0, err;
	double *dist = NULL, d2;

	memset(m, 0, sizeof(*m));
	if (n < 1 || d < 1 || k < 1 || !(q > 0 && q <= 1))
		return -EINVAL;
	if (k > n)
		k = n;
	for (i = 0; i < n; i++)
		if (y[i] + 1 > maxc)
			maxc = y[i] + 1;
	m->k = k;
	m->d = d;
	m->cent = malloc((size_t)k * d * sizeof(float));
	m->cls = malloc(k * sizeof(int));
	asg = malloc(n * sizeof(int));
	votes = calloc((size_t)k * (maxc + 1), sizeof(int));
	dist = malloc(n * sizeof(double));
	err = -ENOMEM;
	if (!m->cent || !m->cls || !asg || !votes || !dist)
		goto out;
	err = kmeans_pp(x, n, d, k, 100, 3, rng, m->cent, asg, NULL);
	if (err)
		goto out;
	for (i = 0; i < n; i++)
		if (y[i] >= 0)
			votes[asg[i] * maxc + y[i]]++;
	for (j = 0; j < k; j++) {
		m->cls[j] = 0;
		for (c = 1; c < maxc; c++)
			if (votes[j * maxc + c] > votes[j * maxc + m->cls[j]])
				m->cls[j] = c;
	}
	for (i = 0; i < n; i++) {
		kmeans_nearest(m->cent, k, d, x + (size_t)i * d, &d2);
		dist[i] = sqrt(d2);
	}
	m->thresh = metrics_quantile(dist, n, q);
	err = 0;
out:
	free(asg);
	free(votes);
	free(dist);
	if (err)
		bkm_free(m);
	return err;
}

void bkm_predict(const struct bkm *m, const float *x, int n, int *pred,
		 __u8 *fdd, float *dist)
{
	double d2, dd;
	int i, j;

	for (i = 0; i < n; i++) {
		j = kmeans_nearest(m->cent, m->k, m->d, x + (size_t)i * m->d,
				   &d2);
		dd = sqrt(d2);
		if (pred)
			pred[i] = m->cls[j];
		if (fdd)
			fdd[i] = dd > m->thresh;
		if (dist)
			dist[i] = (float)dd;
	}
}
