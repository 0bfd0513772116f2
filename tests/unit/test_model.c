// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Model files: round trips of the Fast (float + int8) and Robust models,
 * the JSON parser, and corrupt files: every truncation, flipped bytes,
 * hostile headers. Each must give an error, never a crash (run under
 * ASan too).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "log.h"
#include "mjson.h"
#include "model.h"
#include "quant.h"
#include "robust.h"

static char dir[] = "/tmp/robot_test_model.XXXXXX";
static char fpath[256], rpath[256], tpath[256];

static void meta_fill(struct robot_model_meta *m)
{
	m->n_classes = 3;
	strcpy(m->class_names[0], "VoIP");
	strcpy(m->class_names[1], "Chat");
	strcpy(m->class_names[2], "P2P");
	m->class_ids[0] = ROBOT_CLASS_VOIP;
	m->class_ids[1] = ROBOT_CLASS_CHAT;
	m->class_ids[2] = ROBOT_CLASS_P2P;
	m->a = 0.4f;
	m->b = 0.8f;
	m->m = 1.0f;
	m->beta = 0.5f;
	m->D = 0.2f;
	m->seed = 1234567890123ULL;
	m->data_checksum = 0xdeadbeef;
	strcpy(m->split, "A");
}

/* A random (untrained) Fast model with centroids, quantized. */
static void make_fast(struct robot_fast *f, struct robot_fastq *q)
{
	struct robot_fastq_arch a = { .c1 = 8, .k1 = 4, .s1 = 2, .p1 = 1,
				      .c2 = 16, .k2 = 3, .s2 = 2, .p2 = 1,
				      .emb = 16 };
	__u8 hdr[200][ROBOT_HDR_LEN];
	struct nn_rng rng;
	int i, j;

	assert_int_equal(robot_fast_init(f, &a, 64, 0), 0);
	nn_rng_seed(&rng, 3);
	nn_init_params(&f->net, &rng);
	for (i = 0; i < 200; i++)
		for (j = 0; j < ROBOT_HDR_LEN; j++)
			hdr[i][j] = nn_rng_below(&rng, 256);
	f->n_cent = 5;
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 16; j++)
			f->cent[i][j] = (float)nn_rng_normal(&rng);
		f->cent_class[i] = i % 3 == 2 ? ROBOT_CLASS_P2P : i % 3;
	}
	for (i = 0; i < 5; i++) {
		double s = 0;

		for (j = 0; j < 16; j++)
			s += f->cent[i][j] * f->cent[i][j];
		for (j = 0; j < 16; j++)
			f->cent[i][j] /= sqrt(s);
	}
	meta_fill(&f->meta);
	assert_int_equal(quant_fast_with(f, (const __u8(*)[ROBOT_HDR_LEN])hdr,
					 200, 99.9, 99.9, 1, q),
			 0);
}

static void make_robust(struct robot_robust *r)
{
	struct robot_robust_arch a = { 4, 4, 16, 8 };
	struct nn_rng rng;
	int i;

	assert_int_equal(robot_robust_init(r, &a, 8, 0), 0);
	nn_rng_seed(&rng, 4);
	nn_init_params(&r->net, &rng);
	r->n_cent = 6;
	r->cent = malloc(6 * 8 * sizeof(float));
	r->cent_class = malloc(6);
	for (i = 0; i < 6 * 8; i++)
		r->cent[i] = (float)nn_rng_normal(&rng);
	for (i = 0; i < 6; i++)
		r->cent_class[i] = i % 3;
	meta_fill(&r->meta);
}

static void test_fast_roundtrip(void **state)
{
	struct robot_fastq *q = calloc(1, sizeof(*q)),
			   *q2 = calloc(1, sizeof(*q2));
	struct robot_fast f, f2;
	struct robot_model_meta m;
	struct robot_fastq_out o1, o2;
	__u8 hdr[ROBOT_HDR_LEN];
	float e1[16], e2[16];
	int i, j;

	make_fast(&f, q);
	assert_int_equal(robot_fast_save(fpath, &f, q), 0);
	memset(&f2, 0, sizeof(f2));
	assert_int_equal(robot_fastq_load(fpath, q2, &f2, &m), 0);
	assert_true(q2->version != 0);
	assert_int_equal(m.version, q2->version);
	q->version = q2->version;
	/* the loaded int8 model is the saved one, byte for byte */
	assert_memory_equal(q, q2, sizeof(*q));
	assert_int_equal(m.n_classes, 3);
	assert_string_equal(m.class_names[2], "P2P");
	assert_int_equal(m.class_ids[2], ROBOT_CLASS_P2P);
	assert_float_equal(m.a, 0.4, 1e-7);
	assert_float_equal(m.D, 0.2, 1e-7);
	assert_true(m.seed == 1234567890123ULL);
	assert_true(m.data_checksum == 0xdeadbeef);
	assert_string_equal(m.split, "A");
	assert_float_equal(f2.se, f.se, 0);
	assert_memory_equal(f2.s2, f.s2, sizeof(f.s2));
	/* same float and int8 outputs */
	for (i = 0; i < 20; i++) {
		for (j = 0; j < ROBOT_HDR_LEN; j++)
			hdr[j] = (i * 37 + j * 11) & 0xff;
		robot_fast_embed(&f, (const __u8(*)[ROBOT_HDR_LEN])&hdr, 1, e1);
		robot_fast_embed(&f2, (const __u8(*)[ROBOT_HDR_LEN])&hdr, 1, e2);
		assert_memory_equal(e1, e2, sizeof(e1));
		robot_fastq_infer(q, hdr, &o1);
		robot_fastq_infer(q2, hdr, &o2);
		assert_memory_equal(&o1, &o2, sizeof(o1));
	}
	/* q only, no float model, no meta */
	assert_int_equal(robot_fastq_load(fpath, q2, NULL, NULL), 0);
	assert_memory_equal(q, q2, sizeof(*q));
	robot_fast_free(&f);
	robot_fast_free(&f2);
	free(q);
	free(q2);
}

/* robot_robust_infer's channels-last fast path against the generic
 * nn_forward, default and a small architecture, batches 1 and 37 (both
 * below and at the buffer size, padded and full windows).
 */
static void check_infer_vs_forward(const struct robot_robust_arch *a,
				   int max_batch, int n)
{
	struct robot_robust r;
	struct nn_rng rng;
	float *x, *emb, md = 0, d;
	const float *y;
	int i, k, e = a->emb;

	assert_int_equal(robot_robust_init(&r, a, max_batch, 0), 0);
	nn_rng_seed(&rng, 11);
	nn_init_params(&r.net, &rng);
	/* non-zero biases: the fused bias paths must be exercised */
	for (i = 0; i < r.net.n_layers; i++)
		if (r.net.l[i].b)
			for (k = 0; k < r.net.l[i].cout; k++)
				r.net.l[i].b[k] = (float)(0.1 * nn_rng_normal(&rng));
	x = malloc((size_t)n * ROBOT_ROBUST_IN * sizeof(float));
	emb = malloc((size_t)n * e * sizeof(float));
	assert_non_null(x);
	assert_non_null(emb);
	for (i = 0; i < n * ROBOT_ROBUST_IN; i++)
		x[i] = (i / ROBOT_ROBUST_FEAT) % ROBOT_WINDOW > 12 + i % 5 ?
			       0.0f : (float)nn_rng_uniform(&rng);
	assert_int_equal(robot_robust_infer(&r, x, n, emb, NULL, NULL), 0);
	for (i = 0; i < n; i += k) {
		k = n - i < max_batch ? n - i : max_batch;
		y = nn_forward(&r.net, x + (size_t)i * ROBOT_ROBUST_IN, k);
		for (int j = 0; j < k * e; j++) {
			d = fabsf(y[j] - emb[(size_t)i * e + j]);
			md = d > md ? d : md;
		}
	}
	assert_true(md <= 1e-5f);
	free(x);
	free(emb);
	robot_robust_free(&r);
}

static void test_robust_infer_fast_path(void **state)
{
	struct robot_robust_arch def = { ROBOT_ROBUST_DEF_C1,
					 ROBOT_ROBUST_DEF_C2,
					 ROBOT_ROBUST_DEF_HIDDEN,
					 ROBOT_ROBUST_DEF_EMB };
	struct robot_robust_arch small = { 3, 5, 7, 4 };

	check_infer_vs_forward(&def, 16, 1);
	check_infer_vs_forward(&def, 16, 37);
	check_infer_vs_forward(&small, 8, 19);
}

static void test_robust_roundtrip(void **state)
{
	struct robot_robust r, r2;
	struct robot_pkt_feat pk[ROBOT_WINDOW];
	float x[2 * ROBOT_ROBUST_IN], d1[2], d2[2];
	__u8 c1[2], c2[2];
	int i;

	make_robust(&r);
	assert_int_equal(robot_robust_save(rpath, &r), 0);
	assert_int_equal(robot_robust_load(rpath, &r2), 0);
	assert_int_equal(r2.n_cent, 6);
	assert_memory_equal(r.cent, r2.cent, 6 * 8 * sizeof(float));
	assert_string_equal(r2.meta.class_names[1], "Chat");
	memset(pk, 0, sizeof(pk));
	for (i = 0; i < ROBOT_WINDOW; i++) {
		pk[i].ts_ns = 1000000ULL * i * i;
		pk[i].ip_len = 100 + 50 * i;
		pk[i].dir = i & 1;
		pk[i].hdr[3] = i * 10;
	}
	robot_robust_featurize(pk, ROBOT_WINDOW, x);
	robot_robust_featurize(pk, 7, x + ROBOT_ROBUST_IN);
	assert_int_equal(robot_robust_infer(&r, x, 2, NULL, c1, d1), 0);
	assert_int_equal(robot_robust_infer(&r2, x, 2, NULL, c2, d2), 0);
	assert_memory_equal(c1, c2, 2);
	assert_memory_equal(d1, d2, sizeof(d1));
	/* a fast model file is not a robust one and vice versa */
	robot_robust_free(&r2);
	assert_int_equal(robot_robust_load(fpath, &r2), -EINVAL);
	robot_robust_free(&r);
}

static void test_featurize(void **state)
{
	struct robot_pkt_feat pk[3];
	float x[ROBOT_ROBUST_IN];
	const float *row;
	int j;

	memset(pk, 0, sizeof(pk));
	pk[0].ts_ns = 5000000000ULL;
	pk[0].ip_len = 3000; /* clipped */
	pk[0].hdr[0] = 255;
	pk[1].ts_ns = pk[0].ts_ns + 999000; /* 999 us later */
	pk[1].ip_len = 750;
	pk[1].dir = 1;
	pk[2].ts_ns = pk[1].ts_ns - 10; /* time going backwards */
	assert_int_equal(robot_robust_featurize(pk, 3, x), 3);
	assert_float_equal(x[0], 1.0, 0);
	assert_float_equal(x[64], 1.0, 0);
	assert_float_equal(x[65], 0.0, 0);
	assert_float_equal(x[66], 0.0, 0);
	assert_float_equal(x[67], 1.0, 0);
	row = x + ROBOT_ROBUST_FEAT;
	assert_float_equal(row[64], 0.5, 1e-6);
	assert_float_equal(row[65], log1p(999.0) / log1p(1e7), 1e-6);
	assert_float_equal(row[66], 1.0, 0);
	row = x + 2 * ROBOT_ROBUST_FEAT;
	assert_float_equal(row[65], 0.0, 0);
	/* padding rows are all zero, mask included */
	for (j = 3 * ROBOT_ROBUST_FEAT; j < ROBOT_ROBUST_IN; j++)
		assert_float_equal(x[j], 0.0, 0);
	assert_int_equal(robot_robust_featurize(pk, 0, x), 0);
	assert_int_equal(robot_robust_featurize(pk, -1, x), -EINVAL);
}

static long file_size(const char *p)
{
	FILE *f = fopen(p, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

static __u8 *slurp(const char *p, long *n)
{
	FILE *f = fopen(p, "rb");
	__u8 *b;

	*n = file_size(p);
	b = malloc(*n);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

static void spit(const char *p, const __u8 *b, long n)
{
	FILE *f = fopen(p, "wb");

	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static int load_any(const char *p, int robust)
{
	struct robot_fastq *q;
	struct robot_robust r;
	struct robot_fast f;
	int err;

	if (robust) {
		err = robot_robust_load(p, &r);
		if (!err)
			robot_robust_free(&r);
		return err;
	}
	q = malloc(sizeof(*q));
	memset(&f, 0, sizeof(f));
	err = robot_fastq_load(p, q, &f, NULL);
	if (!err)
		robot_fast_free(&f);
	free(q);
	return err;
}

/* Every truncation (fast: each length; robust: each header length and a
 * stride through the data) fails cleanly.
 */
static void test_truncations(void **state)
{
	long n, len, step;
	int robust, fd;
	__u8 *b;

	for (robust = 0; robust < 2; robust++) {
		b = slurp(robust ? rpath : fpath, &n);
		spit(tpath, b, n);
		assert_int_equal(load_any(tpath, robust), 0);
		fd = open(tpath, O_WRONLY);
		assert_true(fd >= 0);
		for (len = n - 1; len >= 0; len -= step) {
			assert_int_equal(ftruncate(fd, len), 0);
			assert_int_not_equal(load_any(tpath, robust), 0);
			step = robust && len > 8192 ? 997 : 1;
		}
		close(fd);
		free(b);
	}
}

/* Flip one byte at every position (fast) or a stride (robust). */
static void test_flipped_bytes(void **state)
{
	long n, i, bad = 0;
	int robust, step, fd;
	__u8 *b, x;

	for (robust = 0; robust < 2; robust++) {
		b = slurp(robust ? rpath : fpath, &n);
		spit(tpath, b, n);
		fd = open(tpath, O_WRONLY);
		assert_true(fd >= 0);
		step = robust ? 211 : 1;
		for (i = 0; i < n; i += step) {
			x = b[i] ^ 0x20;
			assert_int_equal(pwrite(fd, &x, 1, i), 1);
			if (!load_any(tpath, robust)) {
				print_message("flip at %ld loads\n", i);
				bad++;
			}
			assert_int_equal(pwrite(fd, &b[i], 1, i), 1);
		}
		close(fd);
		free(b);
	}
	assert_int_equal(bad, 0);
}

/* Hand-made hostile files. */
static void put_file(const __u8 *lenb, const char *hdr, const char *data)
{
	FILE *f = fopen(tpath, "wb");

	fwrite(lenb, 1, 8, f);
	fputs(hdr, f);
	fputs(data, f);
	fclose(f);
}

static void test_hostile(void **state)
{
	__u8 huge[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	__u8 len[8] = { 0 };
	struct st_file s;
	char h[512];
	const char *cases[] = {
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]},\"__metadata__\":{}}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]},\"__metadata__\":{}}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]},\"__metadata__\":{}}",
		"{\"x\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{}}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[18446744073709551615,2],\"data_offsets\":[0,8]}}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,8]}}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"crc32\":1}}",
		"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"crc32\":\"1\"}}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		"{\"x\":\"\\u12\"}",
		"{\"a\":1,}",
		"",
	};
	unsigned i;

	put_file(huge, "{}", "");
	assert_int_equal(st_read(tpath, &s), -EINVAL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t l = strlen(cases[i]);

		memset(len, 0, 8);
		len[0] = l & 0xff;
		len[1] = l >> 8;
		snprintf(h, sizeof(h), "%s", cases[i]);
		put_file(len, h, "01234567");
		assert_int_equal(st_read(tpath, &s), -EINVAL);
	}
	/* a well-formed container, but not a model */
	st_init(&s);
	float v[2] = { 1, 2 };
	__u64 sh[1] = { 2 };
	assert_int_equal(st_add(&s, "x", ST_F32, 1, sh, v), 0);
	assert_int_equal(st_write(&s, tpath), 0);
	st_free(&s);
	assert_int_equal(st_read(tpath, &s), 0);
	st_free(&s);
	assert_int_not_equal(load_any(tpath, 0), 0);
	assert_int_not_equal(load_any(tpath, 1), 0);
	/* absent file, directory */
	assert_int_equal(load_any("/nonexistent/x.model", 0), -ENOENT);
	assert_int_not_equal(load_any(dir, 1), 0);
}

static void test_mjson(void **state)
{
	const char *s = "{\"a\": [1, 2.5e3, -0.5, true, null], \"b\\n\": "
			"\"x\\u00e9\\\"y\", \"c\": {\"d\": 18446744073709551615}}";
	struct mjson_tok t[64];
	char buf[32];
	__u64 v;
	int n, a, c;

	n = mjson_parse(s, strlen(s), t, 64);
	assert_true(n > 0);
	a = mjson_get(s, t, 0, "a");
	assert_int_equal(t[a].type, MJSON_ARR);
	assert_int_equal(t[a].size, 5);
	assert_int_equal(t[mjson_at(t, a, 3)].type, MJSON_BOOL);
	assert_int_equal(mjson_at(t, a, 5), -1);
	assert_int_equal(mjson_str(s, t, mjson_get(s, t, 0, "b\\n"), buf,
				   sizeof(buf)),
			 0);
	assert_string_equal(buf, "x\xc3\xa9\"y");
	c = mjson_get(s, t, 0, "c");
	assert_int_equal(mjson_u64(s, t, mjson_get(s, t, c, "d"), &v), 0);
	assert_true(v == 18446744073709551615ULL);
	assert_int_equal(mjson_u64(s, t, mjson_at(t, a, 1), &v), -EINVAL);
	assert_int_equal(mjson_parse("18446744073709551616", 20, t, 8), 1);
	assert_int_equal(mjson_u64("18446744073709551616", t, 0, &v), -EINVAL);
	assert_int_equal(mjson_get(s, t, 0, "zz"), -1);
	assert_int_equal(mjson_parse(s, strlen(s), t, 3), -E2BIG);
	assert_int_equal(mjson_parse("{} x", 4, t, 8), -EINVAL);
	assert_int_equal(mjson_parse("01", 2, t, 8), -EINVAL);
	assert_int_equal(mjson_parse("\"a\x01\"", 4, t, 8), -EINVAL);
	assert_int_equal(mjson_parse("{\"a\" 1}", 7, t, 8), -EINVAL);
	assert_int_equal(mjson_parse("1.", 2, t, 8), -EINVAL);
	assert_int_equal(mjson_parse("tru", 3, t, 8), -EINVAL);
	assert_int_equal(mjson_parse(" [ ] ", 5, t, 8), 1);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(fpath, sizeof(fpath), "%s/fast.model", dir);
	snprintf(rpath, sizeof(rpath), "%s/robust.model", dir);
	snprintf(tpath, sizeof(tpath), "%s/t.model", dir);
	/* the loaders' error messages are expected here */
	robot_log_level = getenv("V") ? 2 : -1;
	return 0;
}

static int teardown(void **state)
{
	unlink(fpath);
	unlink(rpath);
	unlink(tpath);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mjson),
		cmocka_unit_test(test_featurize),
		cmocka_unit_test(test_fast_roundtrip),
		cmocka_unit_test(test_robust_roundtrip),
		cmocka_unit_test(test_robust_infer_fast_path),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
