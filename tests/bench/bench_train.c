// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_train - training throughput of the Fast and Robust models
 * (samples through forward + backward + Adam per second) and the batched
 * CPU inference rate of the Robust model, on synthetic data (no dataset
 * needed). Writes build/bench/train.json:
 *   {"train_fast_samples_per_s":..,"train_robust_samples_per_s":..,
 *    "robust_infer_windows_per_s":..,"robust_macs_per_window":..}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "json.h"
#include "log.h"
#include "train.h"
#include "train_fit.h"

#define NCLS 6

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* samples dml_fit runs per epoch */
static double fit_samples(int n, int per_class, int epochs)
{
	int batch = NCLS * per_class, steps = (n + batch - 1) / batch;

	if (steps < 4)
		steps = 4;
	return (double)steps * batch * epochs;
}

static double bench_fast(void)
{
	struct fast_train_opts o;
	__u8 ids[NCLS] = { 0, 1, 2, 3, 5, 6 };
	int n = 4000, i, j, *label = malloc(n * sizeof(int));
	__u8(*hdr)[ROBOT_HDR_LEN] = malloc((size_t)n * ROBOT_HDR_LEN);
	struct robot_fast f;
	struct nn_rng rng;
	double t;

	nn_rng_seed(&rng, 1);
	for (i = 0; i < n; i++) {
		label[i] = i % NCLS;
		for (j = 0; j < ROBOT_HDR_LEN; j++)
			hdr[i][j] = nn_rng_below(&rng, 256);
		hdr[i][8] = 40 * label[i];
	}
	fast_train_defaults(&o);
	o.epochs = 10;
	t = now_s();
	if (fast_train(&o, (const __u8(*)[ROBOT_HDR_LEN])hdr, label, n, NCLS,
		       ids, NULL, &f))
		return -1;
	t = now_s() - t;
	robot_fast_free(&f);
	free(hdr);
	free(label);
	/* the k-means at the end is included in t: a lower bound */
	return fit_samples(n, o.per_class, o.epochs) / t;
}

static void synth_windows(float *x, int *label, int n)
{
	struct robot_pkt_feat pk[ROBOT_WINDOW];
	struct nn_rng rng;
	int i, p, j;

	nn_rng_seed(&rng, 2);
	for (i = 0; i < n; i++) {
		memset(pk, 0, sizeof(pk));
		label[i] = i % NCLS;
		for (p = 0; p < ROBOT_WINDOW; p++) {
			pk[p].ts_ns = 1000000ULL * p * (1 + label[i]);
			pk[p].ip_len = 60 + nn_rng_below(&rng, 1400);
			pk[p].dir = nn_rng_below(&rng, 2);
			for (j = 0; j < ROBOT_HDR_LEN; j++)
				pk[p].hdr[j] = nn_rng_below(&rng, 256);
		}
		robot_robust_featurize(pk, 5 + i % 16, x + (size_t)i * ROBOT_ROBUST_IN);
	}
}

static double bench_robust(double *infer, long *macs)
{
	struct robust_train_opts o;
	__u8 ids[NCLS] = { 0, 1, 2, 3, 5, 6 }, *cls;
	int n = 1200, *label = malloc(n * sizeof(int)), reps = 10, r;
	float *x = malloc((size_t)n * ROBOT_ROBUST_IN * sizeof(float));
	struct robot_robust rob, inf;
	double t, samples;

	synth_windows(x, label, n);
	robust_train_defaults(&o);
	o.epochs = 3;
	t = now_s();
	if (robust_train(&o, x, label, n, NCLS, ids, NULL, &rob))
		return -1;
	t = now_s() - t;
	samples = fit_samples(n, o.per_class, o.epochs);
	/* inference, batches of ROBOT_ROBUST_BATCH as the daemon runs it */
	if (robot_robust_init(&inf, &o.arch, ROBOT_ROBUST_BATCH, 0))
		return -1;
	nn_copy_params(&inf.net, &rob.net);
	inf.n_cent = rob.n_cent;
	inf.cent = rob.cent;
	inf.cent_class = rob.cent_class;
	*macs = nn_macs(&inf.net);
	cls = malloc(n);
	robot_robust_infer(&inf, x, n, NULL, cls, NULL); /* warm-up */
	*infer = now_s();
	for (r = 0; r < reps; r++)
		robot_robust_infer(&inf, x, n, NULL, cls, NULL);
	*infer = (double)reps * n / (now_s() - *infer);
	inf.cent = NULL;
	inf.cent_class = NULL;
	robot_robust_free(&inf);
	robot_robust_free(&rob);
	free(cls);
	free(x);
	free(label);
	return samples / t;
}

int main(void)
{
	double fast, robust, infer = 0;
	struct json_w w;
	long macs = 0;
	FILE *f;

	robot_log_level = -1; /* synthetic classes: k-means warnings expected */
	fast = bench_fast();
	robust = bench_robust(&infer, &macs);
	if (fast < 0 || robust < 0) {
		fprintf(stderr, "bench_train: training failed\n");
		return 1;
	}
	printf("train fast:   %.0f samples/s\n", fast);
	printf("train robust: %.0f samples/s\n", robust);
	printf("robust infer: %.0f windows/s (%ld MACs each, batch %d)\n",
	       infer, macs, ROBOT_ROBUST_BATCH);
	mkdir("build/bench", 0755);
	f = fopen("build/bench/train.json", "w");
	if (!f) {
		perror("build/bench/train.json");
		return 1;
	}
	json_init(&w, f);
	json_obj_open(&w, NULL);
	json_dbl(&w, "train_fast_samples_per_s", fast);
	json_dbl(&w, "train_robust_samples_per_s", robust);
	json_dbl(&w, "robust_infer_windows_per_s", infer);
	json_u64(&w, "robust_macs_per_window", macs);
	json_obj_close(&w);
	json_end(&w);
	fclose(f);
	return 0;
}
