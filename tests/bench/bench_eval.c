// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_eval: training throughput (samples/s) of each baseline and of
 * Robot's Fast model trainer, and single-sample inference time, on
 * synthetic inputs of the real shapes (64 header bytes; 20-packet length
 * sequences), one BLAS thread, default sizes of `robot eval`. No data
 * needed.
 *
 * Prints the figures and writes them to eval.json next to the binary
 * (build/bench/eval.json).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include "base_deeppacket.h"
#include "base_fsnet.h"
#include "base_kmeans.h"
#include "train.h"

#define N 1024
#define C 6

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static __u8 hdr[N][ROBOT_HDR_LEN];
	float *x = malloc((size_t)N * ROBOT_HDR_LEN * sizeof(float));
	int *y = malloc(N * sizeof(int)), *tok = malloc(N * 20 * sizeof(int));
	double t, dp_sps, fs_sps, km_pps, fast_sps, dp_us, fs_us;
	struct fast_train_opts fo;
	struct robot_fast fast;
	struct deeppacket d;
	struct dp_opts dpo;
	struct fsnet_opts so;
	struct fsnet m;
	struct nn_rng rng;
	struct bkm km;
	char out[4096], *slash;
	int i, j, pred, reps;
	FILE *f;

	if (!x || !y || !tok)
		return 1;
	openblas_set_num_threads(1);
	nn_rng_seed(&rng, 1);
	for (i = 0; i < N; i++) {
		y[i] = i % C;
		for (j = 0; j < ROBOT_HDR_LEN; j++)
			hdr[i][j] = (__u8)nn_rng_below(&rng, 256);
		hdr[i][9] = (__u8)(40 * y[i]);
		for (j = 0; j < 20; j++)
			tok[i * 20 + j] = 1 + (int)nn_rng_below(&rng, 300);
		for (j = 0; j < ROBOT_HDR_LEN; j++)
			x[i * ROBOT_HDR_LEN + j] = hdr[i][j] / 255.0f;
	}
	/* Deep Packet: 3 epochs */
	dp_defaults(&dpo);
	dpo.epochs = 3;
	dp_init(&d, &dpo, C, dpo.batch);
	t = now_s();
	dp_train(&d, x, y, N, NULL, 0);
	dp_sps = dpo.epochs * N / (now_s() - t);
	t = now_s();
	for (reps = 0; reps < 2000; reps++)
		dp_predict(&d, x + (reps % N) * ROBOT_HDR_LEN, 1, &pred, NULL);
	dp_us = (now_s() - t) / reps * 1e6;
	dp_free(&d);
	/* FS-Net: 2 epochs */
	fsnet_defaults(&so);
	so.epochs = 2;
	fsnet_init(&m, &so, C, so.batch);
	t = now_s();
	fsnet_train(&m, tok, y, N, NULL, 0);
	fs_sps = so.epochs * N / (now_s() - t);
	t = now_s();
	for (reps = 0; reps < 500; reps++)
		fsnet_predict(&m, tok + (reps % N) * 20, 1, &pred);
	fs_us = (now_s() - t) / reps * 1e6;
	fsnet_free(&m);
	/* k-means++ (24 clusters) on the raw bytes */
	t = now_s();
	bkm_fit(&km, x, y, N, ROBOT_HDR_LEN, 24, 0.95, &rng);
	km_pps = N / (now_s() - t);
	bkm_free(&km);
	/* Robot's Fast trainer (DML + k-means), 5 epochs */
	fast_train_defaults(&fo);
	fo.epochs = 5;
	{
		__u8 ids[C] = { 0, 1, 2, 3, 5, 6 };

		t = now_s();
		fast_train(&fo, (const __u8(*)[ROBOT_HDR_LEN])hdr, y, N, C,
			   ids, NULL, &fast);
		fast_sps = fo.epochs * N / (now_s() - t);
		robot_fast_free(&fast);
	}
	printf("bench_eval: deeppacket train %10.0f samples/s, infer %8.1f us\n",
	       dp_sps, dp_us);
	printf("bench_eval: fsnet      train %10.0f samples/s, infer %8.1f us\n",
	       fs_sps, fs_us);
	printf("bench_eval: kmeans++   fit   %10.0f points/s (k 24, 3 restarts "
	       "x 100 Lloyd iterations at most)\n", km_pps);
	printf("bench_eval: robot fast train %10.0f samples/s (DML + k-means)\n",
	       fast_sps);
	snprintf(out, sizeof(out), "%s", argv[0]);
	slash = strrchr(out, '/');
	if (slash)
		slash[1] = 0;
	else
		out[0] = 0;
	strncat(out, "eval.json", sizeof(out) - strlen(out) - 1);
	f = fopen(out, "w");
	if (!f) {
		perror(out);
		return 1;
	}
	fprintf(f, "{\"eval_deeppacket_train_sps\": %.0f, "
		"\"eval_deeppacket_infer_us\": %.2f, "
		"\"eval_fsnet_train_sps\": %.0f, \"eval_fsnet_infer_us\": %.2f, "
		"\"eval_kmeans_fit_pps\": %.0f, \"eval_fast_train_sps\": %.0f}\n",
		dp_sps, dp_us, fs_sps, fs_us, km_pps, fast_sps);
	fclose(f);
	free(x);
	free(y);
	free(tok);
	return 0;
}
