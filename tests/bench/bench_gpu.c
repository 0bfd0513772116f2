// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GPU Robust-model throughput and latency: robot_gpu_infer end to end
 * (host featurization, copies, cuDNN/cuBLAS forward, classes back) on a
 * random default-architecture model, batch sizes 1, 16, 256, 4096; and
 * the CPU (robot_robust_classify, OpenBLAS) on the same windows for
 * comparison. Prints the figures and writes build/bench/gpu.json:
 *   {"gpu": {"device": "...", "batches": [{"batch": B,
 *     "flows_per_s": F, "lat_us_p50": L, "lat_us_p99": L,
 *     "cpu_flows_per_s": F}, ...]}}
 * Without librobot_gpu.so or a GPU it says "skip" and exits 0, writing
 * nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "testlib.h"

#define MAX_BATCH 4096
#define SECONDS 1.0 /* per measurement */
#define MAX_CALLS 20000

static const int sizes[] = { 1, 16, 256, MAX_BATCH };
#define N_SIZES ((int)(sizeof(sizes) / sizeof(sizes[0])))

struct result {
	int batch;
	double fps, p50, p99, cpu_fps;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench_gpu(struct gt_gpu_api *api, struct robot_gpu *g,
		     const struct robot_pkt_feat *pkts, const __u8 *np,
		     __u8 *cls, struct result *res, double *lat)
{
	double t0, t, total;
	int k, calls = 0, err;

	for (k = 0; k < 3; k++) { /* warm up */
		err = api->infer(g, pkts, np, res->batch, cls);
		if (err)
			return err;
	}
	t0 = now();
	do {
		t = now();
		err = api->infer(g, pkts, np, res->batch, cls);
		if (err)
			return err;
		lat[calls++] = (now() - t) * 1e6;
		total = now() - t0;
	} while (total < SECONDS && calls < MAX_CALLS);
	qsort(lat, calls, sizeof(*lat), cmp_dbl);
	res->fps = (double)res->batch * calls / total;
	res->p50 = lat[calls / 2];
	res->p99 = lat[(int)(calls * 0.99)];
	return 0;
}

static int bench_cpu(struct robot_robust *r, const struct robot_pkt_feat *pkts,
		     const __u8 *np, __u8 *cls, struct result *res)
{
	double t0, total;
	int calls = 0, err;

	t0 = now();
	do {
		err = robot_robust_classify(r, pkts, np, res->batch, cls);
		if (err)
			return err;
		calls++;
		total = now() - t0;
	} while (total < SECONDS / 2);
	res->cpu_fps = (double)res->batch * calls / total;
	return 0;
}

static int write_json(const char *argv0, const char *dev,
		      const struct result *res)
{
	char out[4096], *slash;
	FILE *f;
	int i;

	snprintf(out, sizeof(out), "%s", argv0);
	slash = strrchr(out, '/');
	if (slash)
		slash[1] = 0;
	else
		out[0] = 0;
	strncat(out, "gpu.json", sizeof(out) - strlen(out) - 1);
	f = fopen(out, "w");
	if (!f) {
		perror(out);
		return 1;
	}
	fprintf(f, "{\"gpu\": {\"device\": \"");
	for (i = 0; dev[i]; i++)
		if (dev[i] != '"' && dev[i] != '\\' && dev[i] >= ' ')
			fputc(dev[i], f);
	fprintf(f, "\", \"batches\": [");
	for (i = 0; i < N_SIZES; i++)
		fprintf(f, "%s{\"batch\": %d, \"flows_per_s\": %.0f, "
			   "\"lat_us_p50\": %.1f, \"lat_us_p99\": %.1f, "
			   "\"cpu_flows_per_s\": %.0f}",
			i ? ", " : "", res[i].batch, res[i].fps, res[i].p50,
			res[i].p99, res[i].cpu_fps);
	fprintf(f, "]}}\n");
	return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/robot_bench_gpu.XXXXXX", path[300] = "";
	struct result res[N_SIZES];
	struct robot_pkt_feat *pkts = NULL;
	struct robot_gpu *g = NULL;
	struct gt_gpu_api api;
	struct robot_robust r;
	struct nn_rng rng;
	__u8 *np = NULL, *cls = NULL;
	double *lat = NULL;
	int i, err, ret = 1;

	err = gt_gpu_load(&api);
	if (err == -ENOENT) {
		printf("bench_gpu: skip: librobot_gpu.so not built\n");
		return 0;
	}
	if (err)
		return 1;
	memset(&r, 0, sizeof(r));
	if (!mkdtemp(dir))
		goto out;
	snprintf(path, sizeof(path), "%s/robust.model", dir);
	if (gt_make_model(&r, &gt_arch_default, 5, 64) ||
	    robot_robust_save(path, &r))
		goto out;
	err = api.open(path, MAX_BATCH, &g);
	if (err) {
		printf("bench_gpu: skip: no usable GPU (%s)\n", strerror(-err));
		ret = 0;
		goto out;
	}
	pkts = malloc((size_t)MAX_BATCH * ROBOT_WINDOW * sizeof(*pkts));
	np = malloc(MAX_BATCH);
	cls = malloc(MAX_BATCH);
	lat = malloc(MAX_CALLS * sizeof(*lat));
	if (!pkts || !np || !cls || !lat)
		goto out;
	nn_rng_seed(&rng, 9);
	gt_make_windows(&rng, MAX_BATCH, pkts, np);
	printf("bench_gpu: %s, Robust model %u,%u,%u,%u, %ld MACs/window\n",
	       api.device(g), r.arch.c1, r.arch.c2, r.arch.hidden, r.arch.emb,
	       nn_macs(&r.net));
	printf("bench_gpu: %6s %14s %12s %12s %14s\n", "batch", "GPU flows/s",
	       "p50 us", "p99 us", "CPU flows/s");
	for (i = 0; i < N_SIZES; i++) {
		res[i].batch = sizes[i];
		err = bench_gpu(&api, g, pkts, np, cls, &res[i], lat);
		err = err ?: bench_cpu(&r, pkts, np, cls, &res[i]);
		if (err) {
			fprintf(stderr, "bench_gpu: batch %d: %s\n", sizes[i],
				strerror(-err));
			goto out;
		}
		printf("bench_gpu: %6d %14.0f %12.1f %12.1f %14.0f\n",
		       res[i].batch, res[i].fps, res[i].p50, res[i].p99,
		       res[i].cpu_fps);
	}
	ret = write_json(argv[0], api.device(g), res);
out:
	if (g)
		api.close(g);
	robot_robust_free(&r);
	if (path[0]) {
		unlink(path);
		rmdir(dir);
	}
	free(pkts);
	free(np);
	free(cls);
	free(lat);
	dlclose(api.dl);
	return ret;
}
