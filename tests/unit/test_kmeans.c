// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* k-means++: recovers synthetic blobs, deterministic, bad arguments. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kmeans.h"

enum { K = 5, PER = 60, D = 8, NPTS = K * PER };

static void make_blobs(float *x, int *truth, float *centers, __u64 seed)
{
	struct nn_rng rng;
	int c, i, j;

	nn_rng_seed(&rng, seed);
	for (c = 0; c < K; c++)
		for (j = 0; j < D; j++)
			centers[c * D + j] = (float)(4.0 * nn_rng_normal(&rng));
	for (i = 0; i < NPTS; i++) {
		/* interleave the blobs so that order gives nothing away */
		c = i % K;
		truth[i] = c;
		for (j = 0; j < D; j++)
			x[i * D + j] = centers[c * D + j] +
				       (float)(0.3 * nn_rng_normal(&rng));
	}
}

static void test_recovers_blobs(void **state)
{
	float *x = malloc(NPTS * D * sizeof(float)), centers[K * D],
	      cent[K * D];
	int *truth = malloc(NPTS * sizeof(int)), *asg = malloc(NPTS * sizeof(int));
	int map[K], i, c, j, seed;
	struct nn_rng rng;
	double in, d2;

	for (seed = 1; seed <= 5; seed++) {
		make_blobs(x, truth, centers, seed);
		nn_rng_seed(&rng, 100 + seed);
		assert_int_equal(kmeans_pp(x, NPTS, D, K, 50, 3, &rng, cent,
					   asg, &in),
				 0);
		/* each true center has one found centroid close to it */
		for (c = 0; c < K; c++) {
			map[c] = kmeans_nearest(cent, K, D, centers + c * D, &d2);
			assert_true(d2 < 0.1);
			for (j = 0; j < c; j++)
				assert_int_not_equal(map[j], map[c]);
		}
		/* and every point sits in its blob's cluster */
		for (i = 0; i < NPTS; i++)
			assert_int_equal(asg[i], map[truth[i]]);
		/* inertia ~ n * d * sigma^2 */
		assert_true(in < 1.5 * NPTS * D * 0.09);
	}
	free(x);
	free(truth);
	free(asg);
}

static void test_deterministic(void **state)
{
	float *x = malloc(NPTS * D * sizeof(float)), centers[K * D],
	      c1[7 * D], c2[7 * D];
	int *truth = malloc(NPTS * sizeof(int));
	struct nn_rng r1, r2;

	make_blobs(x, truth, centers, 9);
	nn_rng_seed(&r1, 77);
	nn_rng_seed(&r2, 77);
	assert_int_equal(kmeans_pp(x, NPTS, D, 7, 20, 1, &r1, c1, NULL, NULL), 0);
	assert_int_equal(kmeans_pp(x, NPTS, D, 7, 20, 1, &r2, c2, NULL, NULL), 0);
	assert_memory_equal(c1, c2, sizeof(c1));
	free(x);
	free(truth);
}

static void test_edge_cases(void **state)
{
	float x[4 * 2] = { 1, 1, 1, 1, 1, 1, 1, 1 }, cent[4 * 2];
	int asg[4];
	struct nn_rng rng;

	nn_rng_seed(&rng, 1);
	assert_int_equal(kmeans_pp(x, 4, 2, 5, 10, 1, &rng, cent, asg, NULL),
			 -EINVAL);
	assert_int_equal(kmeans_pp(x, 4, 2, 0, 10, 1, &rng, cent, asg, NULL),
			 -EINVAL);
	/* all points equal, k = 3: must not hang or crash */
	assert_int_equal(kmeans_pp(x, 4, 2, 3, 10, 2, &rng, cent, asg, NULL), 0);
	assert_float_equal(cent[0], 1, 1e-6);
	/* k = n: every point its own cluster */
	x[2] = 5;
	x[4] = -5;
	x[6] = 9;
	assert_int_equal(kmeans_pp(x, 4, 2, 4, 10, 1, &rng, cent, asg, NULL), 0);
	assert_int_not_equal(asg[0], asg[1]);
	assert_int_not_equal(asg[2], asg[3]);
	assert_int_not_equal(asg[1], asg[3]);
}

static void test_normalize(void **state)
{
	float c[6] = { 3, 4, 0, 0, 0, 0 };

	kmeans_normalize(c, 2, 3);
	assert_float_equal(c[0], 0.6, 1e-6);
	assert_float_equal(c[1], 0.8, 1e-6);
	assert_float_equal(c[3], 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovers_blobs),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
