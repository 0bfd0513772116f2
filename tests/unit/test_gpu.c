// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * librobot_gpu.so against the CPU Robust model. Loads the library the way
 * the daemon does (dlopen, robot_infer.h symbols; $ROBOT_GPU_LIB or
 * build/librobot_gpu.so), checks its argument and model-file errors (no
 * GPU needed), then, on a GPU, runs random windows through both engines
 * for two architectures and several batch sizes:
 *   - every embedding component within GT_EMB_TOL of the CPU's;
 *   - the GPU's class is the CPU rule's nearest center of the GPU's own
 *     embedding (exactly), and the CPU's class except near ties
 *     (gt_near_tie), at most 1% of windows;
 *   - robot_gpu_infer's classes equal robot_gpu_embed's; a rerun is
 *     bitwise identical (deterministic algorithms).
 * ROBOT_GPU_TEST_MODEL=path adds a model file (e.g. a trained one).
 * Skips (77): no library ("librobot_gpu.so not built"), no usable GPU,
 * or an ASan build (CUDA and ASan's shadow memory do not mix).
 * Plain C without cmocka: gpu/check.sh also builds it on bare CUDA boxes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"

#if defined(__SANITIZE_ADDRESS__)
#define GT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GT_ASAN 1
#endif
#endif

#define MAX_BATCH 512

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,      \
				__LINE__, #cond);                          \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

static char dir[] = "/tmp/robot_test_gpu.XXXXXX";

static int save_model(const char *name, const struct robot_robust_arch *a,
		      __u64 seed, int n_cent, struct robot_robust *r,
		      char *path, size_t sz)
{
	int err;

	snprintf(path, sz, "%s/%s", dir, name);
	err = gt_make_model(r, a, seed, n_cent);
	err = err ?: robot_robust_save(path, r);
	if (err)
		fprintf(stderr, "cannot build %s: %s\n", path, strerror(-err));
	return err;
}

/* A copy of src cut to half its size. */
static int truncated_copy(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	char *buf = NULL;
	int err = -1;
	long len;

	if (!in || !out || fseek(in, 0, SEEK_END) || (len = ftell(in)) <= 0)
		goto out;
	rewind(in);
	buf = malloc(len);
	if (buf && fread(buf, 1, len, in) == (size_t)len &&
	    fwrite(buf, 1, len / 2, out) == (size_t)len / 2)
		err = 0;
out:
	free(buf);
	if (in)
		fclose(in);
	if (out && fclose(out))
		err = -1;
	return err;
}

/* Errors every build must give, GPU or not. */
static void check_errors(struct gt_gpu_api *api, const char *good)
{
	struct robot_gpu *g = (struct robot_gpu *)1;
	char bad[256];
	__u8 c;

	CHECK(api->abi() == ROBOT_GPU_ABI, "abi %d", api->abi());
	CHECK(api->open(NULL, 16, &g) == -EINVAL, "NULL path");
	CHECK(api->open(good, 0, &g) == -EINVAL, "max_batch 0");
	CHECK(api->open(good, 16, NULL) == -EINVAL, "NULL out");
	snprintf(bad, sizeof(bad), "%s/absent.model", dir);
	CHECK(api->open(bad, 16, &g) == -ENOENT && !g, "absent file");
	snprintf(bad, sizeof(bad), "%s/truncated.model", dir);
	CHECK(!truncated_copy(good, bad), "copy");
	CHECK(api->open(bad, 16, &g) == -EINVAL && !g, "truncated file");
	CHECK(api->infer(NULL, NULL, NULL, 1, &c) == -EINVAL, "NULL handle");
	CHECK(api->embed(NULL, NULL, NULL, 1, NULL, NULL) == -EINVAL,
	      "NULL handle");
	CHECK(!strcmp(api->device(NULL), "none"), "device(NULL)");
	CHECK(api->emb_dim(NULL) == -EINVAL, "emb_dim(NULL)");
	api->close(NULL);
}

/* n windows through CPU and GPU; returns the near-tie flips. */
static int compare_batch(struct gt_gpu_api *api, struct robot_gpu *g,
			 struct robot_robust *r, struct nn_rng *rng, int n,
			 double *maxd)
{
	int e = r->arch.emb, i, ties = 0;
	struct robot_pkt_feat *pkts;
	float *ce, *ge, *ge2, d;
	__u8 *np, *cc, *gc, *gc2, *ic;

	pkts = malloc((size_t)n * ROBOT_WINDOW * sizeof(*pkts));
	np = malloc(n), cc = malloc(n), gc = malloc(n), gc2 = malloc(n);
	ic = malloc(n);
	ce = malloc((size_t)n * e * sizeof(float));
	ge = malloc((size_t)n * e * sizeof(float));
	ge2 = malloc((size_t)n * e * sizeof(float));
	if (!pkts || !np || !cc || !gc || !gc2 || !ic || !ce || !ge || !ge2) {
		CHECK(0, "out of memory");
		goto out;
	}
	gt_make_windows(rng, n, pkts, np);
	CHECK(!gt_cpu_infer(r, pkts, np, n, ce, cc), "CPU inference");
	CHECK(!api->embed(g, pkts, np, n, ge, gc), "GPU embed, n %d", n);
	CHECK(!api->embed(g, pkts, np, n, ge2, gc2), "GPU embed, n %d", n);
	CHECK(!api->infer(g, pkts, np, n, ic), "GPU infer, n %d", n);
	CHECK(!memcmp(ge, ge2, (size_t)n * e * sizeof(float)) &&
		      !memcmp(gc, gc2, n),
	      "rerun differs, n %d", n);
	CHECK(!memcmp(gc, ic, n), "infer and embed classes differ, n %d", n);
	for (i = 0; i < n * e; i++) {
		d = fabsf(ce[i] - ge[i]);
		if (!(d <= *maxd))
			*maxd = isnan(d) ? INFINITY : d;
	}
	for (i = 0; i < n; i++) {
		CHECK(gc[i] == r->cent_class[robot_robust_nearest(
				       r, ge + (size_t)i * e, NULL)],
		      "window %d: GPU class %u is not its embedding's", i,
		      gc[i]);
		if (gc[i] == cc[i])
			continue;
		ties++;
		CHECK(gt_near_tie(r, ce + (size_t)i * e, gc[i], GT_EMB_TOL),
		      "window %d of %d: class GPU %u CPU %u, not a near tie",
		      i, n, gc[i], cc[i]);
	}
out:
	free(pkts);
	free(np);
	free(cc);
	free(gc);
	free(gc2);
	free(ic);
	free(ce);
	free(ge);
	free(ge2);
	return ties;
}

static int check_model(struct gt_gpu_api *api, struct robot_robust *r,
		       const char *path, __u64 seed)
{
	static const int sizes[] = { 1, 2, 17, 256, MAX_BATCH };
	struct robot_pkt_feat w[ROBOT_WINDOW];
	struct robot_gpu *g = NULL;
	int i, err, ties = 0, total = 0;
	double maxd = 0;
	struct nn_rng rng;
	__u8 np = 1, c;

	err = api->open(path, MAX_BATCH, &g);
	if (err)
		return err;
	printf("device: %s\n", api->device(g));
	CHECK(api->emb_dim(g) == (int)r->arch.emb, "emb_dim %d",
	      api->emb_dim(g));
	memset(w, 0, sizeof(w));
	CHECK(api->infer(g, w, &np, 0, &c) == 0, "n 0");
	CHECK(api->infer(g, w, &np, MAX_BATCH + 1, &c) == -EINVAL,
	      "n > max_batch");
	CHECK(api->infer(g, NULL, &np, 1, &c) == -EINVAL, "NULL pkts");
	nn_rng_seed(&rng, seed);
	for (i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); i++) {
		ties += compare_batch(api, g, r, &rng, sizes[i], &maxd);
		total += sizes[i];
	}
	printf("arch %u,%u,%u,%u: %d windows, max |emb diff| %.3g "
	       "(tolerance %g), near-tie class flips %d\n", r->arch.c1,
	       r->arch.c2, r->arch.hidden, r->arch.emb, total, maxd,
	       GT_EMB_TOL, ties);
	CHECK(maxd <= GT_EMB_TOL, "max |emb diff| %g", maxd);
	CHECK(ties <= total / 100, "%d near-tie flips", ties);
	api->close(g);
	return 0;
}

int main(void)
{
	static const struct robot_robust_arch other = { 8, 5, 48, 12 };
	const char *extra = getenv("ROBOT_GPU_TEST_MODEL");
	struct robot_robust r1, r2, r3;
	static const char *const files[] = { "a.model", "b.model",
					     "truncated.model" };
	char p1[256], p2[256], f[300];
	int i;
	struct gt_gpu_api api;
	int err;

#ifdef GT_ASAN
	printf("skip: CUDA is not loaded in ASan builds\n");
	return 77;
#endif
	err = gt_gpu_load(&api);
	if (err == -ENOENT) {
		printf("skip: librobot_gpu.so not built (%s)\n", api.path);
		return 77;
	}
	if (err)
		return 1;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	if (!mkdtemp(dir) ||
	    save_model("a.model", &gt_arch_default, 21, 32, &r1, p1,
		       sizeof(p1)) ||
	    save_model("b.model", &other, 22, 5, &r2, p2, sizeof(p2))) {
		err = 1;
		goto out;
	}
	check_errors(&api, p1);
	err = check_model(&api, &r1, p1, 31);
	if (err == -ENODEV) {
		printf("skip: no usable GPU (%s: -ENODEV), error paths "
		       "checked, %d failure(s)\n", api.path, failures);
		err = failures ? 1 : 77;
		goto out;
	}
	CHECK(!err, "open %s: %s", p1, strerror(-err));
	if (!err)
		CHECK(!check_model(&api, &r2, p2, 32), "open %s", p2);
	if (!err && extra && *extra) {
		memset(&r3, 0, sizeof(r3));
		CHECK(!robot_robust_load(extra, &r3), "load %s", extra);
		if (r3.n_cent)
			CHECK(!check_model(&api, &r3, extra, 33), "open %s",
			      extra);
		robot_robust_free(&r3);
	}
	err = failures ? 1 : 0;
	printf("%s: %d failure(s)\n", err ? "FAIL" : "PASS", failures);
out:
	robot_robust_free(&r1);
	robot_robust_free(&r2);
	for (i = 0; dir[strlen(dir) - 1] != 'X' && i < 3; i++) {
		snprintf(f, sizeof(f), "%s/%s", dir, files[i]);
		unlink(f);
	}
	rmdir(dir);
	dlclose(api.dl);
	return err;
}
