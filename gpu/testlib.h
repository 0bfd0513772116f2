/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * testlib.h - helpers shared by the GPU test, its CPU emulation and the
 * GPU benchmark (tests/unit/test_gpu.c, tests/unit/test_gpu_emu.c,
 * tests/bench/bench_gpu.c): a random Robust model, random windows, the
 * CPU/GPU comparison rule, and loading librobot_gpu.so like the daemon.
 * Plain C, no cmocka (gpu/check.sh builds these on bare CUDA boxes).
 */
#ifndef ROBOT_GPU_TESTLIB_H
#define ROBOT_GPU_TESTLIB_H

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "robust.h"
#include "robot_infer.h"

#define GT_UNUSED __attribute__((unused))

/* |CPU - GPU| bound on every embedding component (docs/gpu.md). */
#define GT_EMB_TOL 1e-4

static const struct robot_robust_arch gt_arch_default = {
	ROBOT_ROBUST_DEF_C1, ROBOT_ROBUST_DEF_C2, ROBOT_ROBUST_DEF_HIDDEN,
	ROBOT_ROBUST_DEF_EMB,
};

/* A random Robust model: He-initialized weights, random (nonzero) biases,
 * n_cent random unit centers with random classes. 0 or -errno.
 */
GT_UNUSED static int gt_make_model(struct robot_robust *r,
				   const struct robot_robust_arch *a,
				   __u64 seed, int n_cent)
{
	static const char *const names[] = ROBOT_CLASS_NAMES;
	struct nn_rng rng;
	struct nn_layer *l;
	double s;
	int i, j, err;

	err = robot_robust_init(r, a, ROBOT_ROBUST_BATCH, 0);
	if (err)
		return err;
	nn_rng_seed(&rng, seed);
	nn_init_params(&r->net, &rng);
	for (i = 0; i < r->net.n_layers; i++) {
		l = &r->net.l[i];
		if (l->kind == NN_CONV || l->kind == NN_DENSE)
			for (j = 0; j < l->cout; j++)
				l->b[j] = (float)(0.1 * nn_rng_normal(&rng));
	}
	r->n_cent = n_cent;
	r->cent = calloc((size_t)n_cent * a->emb, sizeof(float));
	r->cent_class = calloc(n_cent, 1);
	if (!r->cent || !r->cent_class)
		return -ENOMEM;
	for (i = 0; i < n_cent; i++) {
		float *c = r->cent + (size_t)i * a->emb;

		s = 0;
		for (j = 0; j < (int)a->emb; j++) {
			c[j] = (float)nn_rng_normal(&rng);
			s += (double)c[j] * c[j];
		}
		for (j = 0; j < (int)a->emb; j++)
			c[j] = (float)(c[j] / sqrt(s));
		r->cent_class[i] = nn_rng_below(&rng, ROBOT_CLASS_MAX);
	}
	r->meta.n_classes = ROBOT_CLASS_MAX;
	for (i = 0; i < ROBOT_CLASS_MAX; i++) {
		snprintf(r->meta.class_names[i], ROBOT_MODEL_NAME_MAX, "%s",
			 names[i]);
		r->meta.class_ids[i] = i;
	}
	r->meta.seed = seed;
	return 0;
}

/* n random windows pkts[n][ROBOT_WINDOW], n_pkts[n] in 1..20 (a quarter
 * full): random header bytes, sizes past 1500 (clamped), increasing times
 * with occasional steps backwards, both directions; unused records zero.
 */
GT_UNUSED static void gt_make_windows(struct nn_rng *rng, int n,
				      struct robot_pkt_feat *pkts,
				      __u8 *n_pkts)
{
	struct robot_pkt_feat *p;
	__u64 ts;
	int i, k, j;

	memset(pkts, 0, (size_t)n * ROBOT_WINDOW * sizeof(*pkts));
	for (i = 0; i < n; i++) {
		n_pkts[i] = nn_rng_below(rng, 4) ? 1 + nn_rng_below(rng,
								    ROBOT_WINDOW) :
						   ROBOT_WINDOW;
		ts = 1000000000ULL + nn_rng_below(rng, 1000000);
		for (k = 0; k < n_pkts[i]; k++) {
			p = &pkts[(size_t)i * ROBOT_WINDOW + k];
			for (j = 0; j < ROBOT_HDR_LEN; j++)
				p->hdr[j] = nn_rng_below(rng, 256);
			p->ip_len = 40 + nn_rng_below(rng, 1600);
			p->dir = nn_rng_below(rng, 2);
			if (nn_rng_below(rng, 16))
				ts += (__u64)exp(nn_rng_uniform(rng) * 23);
			else
				ts -= nn_rng_below(rng, 1000);
			p->ts_ns = ts;
		}
	}
}

/* The CPU reference of n raw windows: embeddings and classes. */
GT_UNUSED static int gt_cpu_infer(struct robot_robust *r,
				  const struct robot_pkt_feat *pkts,
				  const __u8 *n_pkts, int n, float *emb,
				  __u8 *cls)
{
	float *x = malloc((size_t)n * ROBOT_ROBUST_IN * sizeof(float));
	int i, err;

	if (!x)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		robot_robust_featurize(pkts + (size_t)i * ROBOT_WINDOW,
				       n_pkts[i], x + (size_t)i * ROBOT_ROBUST_IN);
	err = robot_robust_infer(r, x, n, emb, cls, NULL);
	free(x);
	return err;
}

/* May `got` differ from the CPU's class of embedding e? Only when some
 * center of class `got` is within the dot-product slack of the CPU's best
 * center: |dot(e, c) - dot(e', c)| <= ||e - e'|| <= sqrt(E) * tol for a
 * unit c, so two centers closer than twice that can swap (a near tie).
 */
GT_UNUSED static int gt_near_tie(const struct robot_robust *r,
				 const float *e, int got, double tol)
{
	double best = -1e30, slack = 2 * sqrt((double)r->arch.emb) * tol;
	double dot[ROBOT_ROBUST_CENT_MAX];
	__u32 j, i;

	for (j = 0; j < r->n_cent; j++) {
		dot[j] = 0;
		for (i = 0; i < r->arch.emb; i++)
			dot[j] += (double)e[i] * r->cent[j * r->arch.emb + i];
		if (dot[j] > best)
			best = dot[j];
	}
	for (j = 0; j < r->n_cent; j++)
		if (r->cent_class[j] == got && dot[j] >= best - slack)
			return 1;
	return 0;
}

/* ------------------------------------------------ librobot_gpu.so */

struct gt_gpu_api {
	void *dl;
	int (*abi)(void);
	int (*open)(const char *, __u32, struct robot_gpu **);
	int (*infer)(struct robot_gpu *, const struct robot_pkt_feat *,
		     const __u8 *, __u32, __u8 *);
	int (*embed)(struct robot_gpu *, const struct robot_pkt_feat *,
		     const __u8 *, __u32, float *, __u8 *);
	int (*emb_dim)(const struct robot_gpu *);
	const char *(*device)(const struct robot_gpu *);
	void (*close)(struct robot_gpu *);
	char path[4096];
};

/* $ROBOT_GPU_LIB, else librobot_gpu.so in the parent of the binary's
 * directory (build/tests/x, build/bench/x -> build/).
 */
GT_UNUSED static void gt_gpu_lib_path(char *buf, size_t sz)
{
	const char *env = getenv("ROBOT_GPU_LIB");
	char exe[4000], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(buf, sz, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, sz, "%s/%s", exe[0] ? exe : ".", ROBOT_GPU_LIB);
}

/* 0, -ENOENT (no library file) or -EIO (it does not load or lacks a
 * symbol: a defect; the reason is printed).
 */
GT_UNUSED static int gt_gpu_load(struct gt_gpu_api *g)
{
	memset(g, 0, sizeof(*g));
	gt_gpu_lib_path(g->path, sizeof(g->path));
	if (access(g->path, F_OK))
		return -ENOENT;
	g->dl = dlopen(g->path, RTLD_NOW | RTLD_LOCAL);
	if (!g->dl) {
		fprintf(stderr, "dlopen %s: %s\n", g->path, dlerror());
		return -EIO;
	}
	*(void **)&g->abi = dlsym(g->dl, ROBOT_GPU_SYM_ABI);
	*(void **)&g->open = dlsym(g->dl, ROBOT_GPU_SYM_OPEN);
	*(void **)&g->infer = dlsym(g->dl, ROBOT_GPU_SYM_INFER);
	*(void **)&g->embed = dlsym(g->dl, ROBOT_GPU_SYM_EMBED);
	*(void **)&g->emb_dim = dlsym(g->dl, ROBOT_GPU_SYM_EMB_DIM);
	*(void **)&g->device = dlsym(g->dl, ROBOT_GPU_SYM_DEVICE);
	*(void **)&g->close = dlsym(g->dl, ROBOT_GPU_SYM_CLOSE);
	if (!g->abi || !g->open || !g->infer || !g->embed || !g->emb_dim ||
	    !g->device || !g->close) {
		fprintf(stderr, "%s lacks a robot_infer.h symbol\n", g->path);
		dlclose(g->dl);
		g->dl = NULL;
		return -EIO;
	}
	return 0;
}

#endif
