// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* k-means++ (see kmeans.h). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmeans.h"

static double dist2(const float *a, const float *b, int d)
{
	double s = 0, t;
	int i;

	for (i = 0; i < d; i++) {
		t = (double)a[i] - b[i];
		s += t * t;
	}
	return s;
}

int kmeans_nearest(const float *cent, int k, int d, const float *x,
		   double *d2)
{
	double best = DBL_MAX, v;
	int j, bi = 0;

	for (j = 0; j < k; j++) {
		v = dist2(cent + (size_t)j * d, x, d);
		if (v < best) {
			best = v;
			bi = j;
		}
	}
	if (d2)
		*d2 = best;
	return bi;
}

void kmeans_normalize(float *cent, int k, int d)
{
	double s;
	int j, i;

	for (j = 0; j < k; j++) {
		float *c = cent + (size_t)j * d;

		s = 0;
		for (i = 0; i < d; i++)
			s += (double)c[i] * c[i];
		if (s <= 0)
			continue;
		s = sqrt(s);
		for (i = 0; i < d; i++)
			c[i] = (float)(c[i] / s);
	}
}

/* k-means++ seeding: first center uniform, then D^2 sampling. */
static void seed_pp(const float *x, int n, int d, int k, struct nn_rng *rng,
		    float *cent, double *md)
{
	double tot, r, v;
	int i, j, pick;

	pick = nn_rng_below(rng, n);
	memcpy(cent, x + (size_t)pick * d, d * sizeof(float));
	for (i = 0; i < n; i++)
		md[i] = dist2(x + (size_t)i * d, cent, d);
	for (j = 1; j < k; j++) {
		tot = 0;
		for (i = 0; i < n; i++)
			tot += md[i];
		pick = -1;
		if (tot > 0) {
			r = nn_rng_uniform(rng) * tot;
			for (i = 0; i < n; i++) {
				r -= md[i];
				if (r < 0 && md[i] > 0) {
					pick = i;
					break;
				}
			}
			if (pick < 0) /* rounding: take the last candidate */
				for (i = n - 1; i >= 0 && pick < 0; i--)
					if (md[i] > 0)
						pick = i;
		}
		if (pick < 0) /* all points coincide with centers */
			pick = nn_rng_below(rng, n);
		memcpy(cent + (size_t)j * d, x + (size_t)pick * d,
		       d * sizeof(float));
		for (i = 0; i < n; i++) {
			v = dist2(x + (size_t)i * d, cent + (size_t)j * d, d);
			if (v < md[i])
				md[i] = v;
		}
	}
}

static double lloyd(const float *x, int n, int d, int k, int iters,
		    float *cent, int *asg, double *sum, int *cnt, double *md)
{
	double inertia = 0;
	int it, i, j, c, changed, far;

	for (i = 0; i < n; i++)
		asg[i] = -1;
	for (it = 0; it <= iters; it++) {
		changed = 0;
		inertia = 0;
		for (i = 0; i < n; i++) {
			c = kmeans_nearest(cent, k, d, x + (size_t)i * d,
					   &md[i]);
			inertia += md[i];
			if (c != asg[i]) {
				asg[i] = c;
				changed++;
			}
		}
		if (!changed || it == iters)
			break;
		memset(sum, 0, (size_t)k * d * sizeof(double));
		memset(cnt, 0, k * sizeof(int));
		for (i = 0; i < n; i++) {
			cnt[asg[i]]++;
			for (j = 0; j < d; j++)
				sum[(size_t)asg[i] * d + j] += x[(size_t)i * d + j];
		}
		for (c = 0; c < k; c++) {
			if (cnt[c]) {
				for (j = 0; j < d; j++)
					cent[(size_t)c * d + j] =
						(float)(sum[(size_t)c * d + j] / cnt[c]);
				continue;
			}
			/* empty: take the point farthest from its center */
			far = 0;
			for (i = 1; i < n; i++)
				if (md[i] > md[far])
					far = i;
			memcpy(cent + (size_t)c * d, x + (size_t)far * d,
			       d * sizeof(float));
			md[far] = 0;
		}
	}
	return inertia;
}

int kmeans_pp(const float *x, int n, int d, int k, int iters, int restarts,
	      struct nn_rng *rng, float *cent, int *assign, double *inertia)
{
	double *md = NULL, *sum = NULL, best = DBL_MAX, in;
	int *asg = NULL, *cnt = NULL, r, err = -ENOMEM;
	float *c = NULL;

	if (k < 1 || k > n || d < 1 || n < 1)
		return -EINVAL;
	if (restarts < 1)
		restarts = 1;
	md = malloc((size_t)n * sizeof(double));
	sum = malloc((size_t)k * d * sizeof(double));
	asg = malloc((size_t)n * sizeof(int));
	cnt = malloc((size_t)k * sizeof(int));
	c = malloc((size_t)k * d * sizeof(float));
	if (!md || !sum || !asg || !cnt || !c)
		goto out;
	for (r = 0; r < restarts; r++) {
		seed_pp(x, n, d, k, rng, c, md);
		in = lloyd(x, n, d, k, iters, c, asg, sum, cnt, md);
		if (in < best) {
			best = in;
			memcpy(cent, c, (size_t)k * d * sizeof(float));
			if (assign)
				memcpy(assign, asg, (size_t)n * sizeof(int));
		}
	}
	if (inertia)
		*inertia = best;
	err = 0;
out:
	free(md);
	free(sum);
	free(asg);
	free(cnt);
	free(c);
	return err;
}
