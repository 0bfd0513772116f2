// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_robust - Robust model CPU inference (robot_robust_infer: featurized
 * windows in, class and distance out), default architecture, random
 * weights, synthetic windows (no dataset needed), at batch 1 (one call per
 * window, the latency-bound case) and batch ROBOT_ROBUST_BATCH = 256 (the
 * daemon's batches). Best of 5 rounds of at least 0.3 s each, as the
 * machine is shared. Writes build/bench/robust.json:
 *   {"robust_cpu_fps_b1":.., "robust_cpu_fps_b256":..,
 *    "robust_macs_per_window":.., "robust_blas_threads":..}
 * (fps: windows, i.e. flows, per second). OPENBLAS_NUM_THREADS applies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cblas.h>
#include "json.h"
#include "robust.h"

#define NWIN 1024

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void synth(float *x, int n)
{
	struct robot_pkt_feat pk[ROBOT_WINDOW];
	struct nn_rng rng;
	int i, p, j;

	nn_rng_seed(&rng, 7);
	memset(pk, 0, sizeof(pk));
	for (i = 0; i < n; i++) {
		for (p = 0; p < ROBOT_WINDOW; p++) {
			pk[p].ts_ns = 1000000ULL * p * (1 + i % 5);
			pk[p].ip_len = 60 + nn_rng_below(&rng, 1400);
			pk[p].dir = nn_rng_below(&rng, 2);
			for (j = 0; j < ROBOT_HDR_LEN; j++)
				pk[p].hdr[j] = nn_rng_below(&rng, 256);
		}
		robot_robust_featurize(pk, 5 + i % 16,
				       x + (size_t)i * ROBOT_ROBUST_IN);
	}
}

/* windows per second, calls of `batch` windows */
static double rate(struct robot_robust *r, const float *x, int batch,
		   __u8 *cls, float *dist)
{
	double best = 0, t, el;
	int round, s, done;

	for (round = 0; round < 5; round++) {
		done = 0;
		t = now_s();
		do {
			for (s = 0; s + batch <= NWIN; s += batch) {
				robot_robust_infer(r, x + (size_t)s * ROBOT_ROBUST_IN,
						   batch, NULL, cls + s, dist + s);
				done += batch;
			}
			el = now_s() - t;
		} while (el < 0.3);
		if (done / el > best)
			best = done / el;
	}
	return best;
}

int main(void)
{
	struct robot_robust_arch a = { ROBOT_ROBUST_DEF_C1, ROBOT_ROBUST_DEF_C2,
				       ROBOT_ROBUST_DEF_HIDDEN,
				       ROBOT_ROBUST_DEF_EMB };
	float *x = malloc((size_t)NWIN * ROBOT_ROBUST_IN * sizeof(float));
	float *dist = malloc(NWIN * sizeof(float));
	__u8 *cls = malloc(NWIN);
	struct robot_robust r;
	double b1, b256;
	struct nn_rng rng;
	struct json_w w;
	int i, threads;
	FILE *f;

	if (!x || !dist || !cls ||
	    robot_robust_init(&r, &a, ROBOT_ROBUST_BATCH, 0)) {
		fprintf(stderr, "bench_robust: out of memory\n");
		return 1;
	}
	nn_rng_seed(&rng, 3);
	nn_init_params(&r.net, &rng);
	r.n_cent = 18;
	r.cent = calloc((size_t)r.n_cent * a.emb, sizeof(float));
	r.cent_class = calloc(r.n_cent, 1);
	if (!r.cent || !r.cent_class)
		return 1;
	for (i = 0; i < (int)r.n_cent * (int)a.emb; i++)
		r.cent[i] = (float)nn_rng_normal(&rng);
	for (i = 0; i < (int)r.n_cent; i++)
		r.cent_class[i] = i % 6;
	synth(x, NWIN);
	threads = openblas_get_num_threads();
	rate(&r, x, ROBOT_ROBUST_BATCH, cls, dist); /* warm-up */
	b1 = rate(&r, x, 1, cls, dist);
	b256 = rate(&r, x, ROBOT_ROBUST_BATCH, cls, dist);
	printf("robust cpu: %.0f windows/s at batch 1, %.0f at batch %d "
	       "(%ld MACs each, %d BLAS threads)\n", b1, b256,
	       ROBOT_ROBUST_BATCH, nn_macs(&r.net), threads);
	mkdir("build/bench", 0755);
	f = fopen("build/bench/robust.json", "w");
	if (!f) {
		perror("build/bench/robust.json");
		return 1;
	}
	json_init(&w, f);
	json_obj_open(&w, NULL);
	json_dbl(&w, "robust_cpu_fps_b1", b1);
	json_dbl(&w, "robust_cpu_fps_b256", b256);
	json_u64(&w, "robust_macs_per_window", nn_macs(&r.net));
	json_u64(&w, "robust_blas_threads", threads);
	json_obj_close(&w);
	json_end(&w);
	fclose(f);
	robot_robust_free(&r);
	free(x);
	free(dist);
	free(cls);
	return 0;
}
