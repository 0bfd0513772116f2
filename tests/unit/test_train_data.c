// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Training on the real data ($ROBOT_DATA, the nDPI captures): flow
 * selection follows the split, a small deterministic run beats chance by a
 * wide margin and puts unseen-app flows farther from the centroids than
 * held-out seen ones, the written models load back. Skips when the data
 * is absent.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "dsbuild.h"
#include "log.h"
#include "train.h"

static struct robot_dataset ds;
static char outdir[] = "/tmp/robot_test_train.XXXXXX";

static void test_select(void **state)
{
	struct train_sel_opts o = { .split = 0, .holdout = 0.25, .seed = 3 };
	int i, c, n[ROBOT_CLASS_MAX] = { 0 }, t[ROBOT_CLASS_MAX] = { 0 };
	__u8 (*hdr)[ROBOT_HDR_LEN];
	int *label, *flow, k;
	struct train_sel s, s2;

	assert_int_equal(train_select(&ds, &o, &s), 0);
	assert_int_equal(s.n_classes, (int)ds.n_classes);
	for (i = 0; i < (int)ds.n_flows; i++) {
		const struct robot_ds_flow *f = &ds.flows[i];

		/* unseen flows never train */
		if (f->split_a == ROBOT_DS_UNSEEN)
			assert_true(s.role[i] == TRAIN_ROLE_UNSEEN ||
				    s.role[i] == TRAIN_ROLE_SKIP);
		if (s.role[i] == TRAIN_ROLE_TRAIN ||
		    s.role[i] == TRAIN_ROLE_TEST) {
			assert_int_equal(f->split_a, ROBOT_DS_KNOWN);
			assert_true(s.first[i] >= 0);
			assert_true(f->pkts[s.first[i]].payload_len > 0);
			n[s.label[i]]++;
			t[s.label[i]] += s.role[i] == TRAIN_ROLE_TEST;
		}
	}
	assert_true(s.count[TRAIN_ROLE_UNSEEN] > 0);
	/* stratified holdout */
	for (c = 0; c < s.n_classes; c++)
		assert_int_equal(t[c], (int)lround(0.25 * n[c]));
	/* same seed, same draw; another seed, another draw */
	assert_int_equal(train_select(&ds, &o, &s2), 0);
	assert_memory_equal(s.role, s2.role, ds.n_flows);
	train_sel_free(&s2);
	o.seed = 4;
	assert_int_equal(train_select(&ds, &o, &s2), 0);
	assert_memory_not_equal(s.role, s2.role, ds.n_flows);
	train_sel_free(&s2);
	/* one Fast sample per flow, more with extra packets */
	k = train_fast_samples(&s, TRAIN_ROLE_TRAIN, 0, &hdr, &label, &flow);
	assert_int_equal(k, s.count[TRAIN_ROLE_TRAIN]);
	for (i = 0; i < k; i++)
		assert_memory_equal(hdr[i],
				    ds.flows[flow[i]].pkts[s.first[flow[i]]].hdr,
				    ROBOT_HDR_LEN);
	free(hdr);
	free(label);
	free(flow);
	assert_true(train_fast_samples(&s, TRAIN_ROLE_TRAIN, 20, &hdr, &label,
				       &flow) > 2 * k);
	free(hdr);
	free(label);
	free(flow);
	train_sel_free(&s);
	/* bad class lists */
	o.classes = "VoIP,Nope";
	assert_int_equal(train_select(&ds, &o, &s), -EINVAL);
	o.classes = "VoIP,VoIP";
	assert_int_equal(train_select(&ds, &o, &s), -EINVAL);
	o.classes = "VoIP,Chat";
	assert_int_equal(train_select(&ds, &o, &s), 0);
	assert_int_equal(s.n_classes, 2);
	train_sel_free(&s);
}

/* ASan+UBSan slow the plain C loops several times: a smaller run there
 * (same code paths) keeps the test within its time budget.
 */
#ifdef __SANITIZE_ADDRESS__
#define SMALL 1
#else
#define SMALL 0
#endif

static void small_opts(struct train_run_opts *o)
{
	train_run_defaults(o);
	o->sel.split = 0;
	o->sel.holdout = 0.2;
	o->fast.epochs = 80;
	o->robust.epochs = SMALL ? 6 : 12;
	o->robust.arch = (struct robot_robust_arch){ 8, 8, 32, 16 };
	o->calib_max = SMALL ? 250 : 0;
	o->out_dir = outdir;
}

static void test_train_small(void **state)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct train_result r;
	struct train_run_opts o;
	struct robot_model_meta m;
	struct robot_robust rob;
	char path[PATH_MAX];
	const struct train_eval *seen, *unseen;
	int c, best = 0, cnt[ROBOT_CLASS_MAX] = { 0 }, tot = 0;
	double chance;

	small_opts(&o);
	assert_int_equal(train_run(&o, &ds, NULL, &r), 0);
	seen = &r.ev[TRAIN_ROLE_TEST];
	unseen = &r.ev[TRAIN_ROLE_UNSEEN];
	/* chance: always answering the largest class */
	for (c = 0; c < (int)ds.n_flows; c++)
		if (ds.flows[c].split_a == ROBOT_DS_KNOWN) {
			cnt[ds.flows[c].class_idx]++;
			tot++;
		}
	for (c = 0; c < (int)ds.n_classes; c++)
		if (cnt[c] > best)
			best = cnt[c];
	chance = (double)best / tot;
	print_message("chance %.3f; seen-test (%d flows): fast %.3f int8 %.3f "
		      "robust %.3f; dist seen %.3f unseen %.3f (fast), %.3f "
		      "%.3f (robust); int8 agreement %.4f/%.4f\n", chance,
		      seen->n, seen->fast_acc, seen->fastq_acc,
		      seen->robust_acc, seen->fast_dist, unseen->fast_dist,
		      seen->robust_dist, unseen->robust_dist,
		      r.q_calib.class_agree, r.q_calib.fdd_agree);
	assert_true(seen->n >= 100);
	assert_true(seen->fast_acc > chance + 0.25);
	assert_true(seen->fastq_acc > chance + 0.25);
	assert_true(seen->robust_acc > chance + 0.3);
	assert_true(unseen->n > 0);
	assert_true(unseen->fast_dist > seen->fast_dist);
	assert_true(unseen->robust_dist > seen->robust_dist);
	assert_true(r.q_calib.class_agree >= 0.97);
	assert_true(r.q_calib.fdd_agree >= 0.95);
	/* the files load, and say what was trained */
	snprintf(path, sizeof(path), "%s/%s", outdir, ROBOT_FAST_MODEL_FILE);
	assert_int_equal(robot_fastq_load(path, q, NULL, &m), 0);
	assert_int_equal(m.n_classes, ds.n_classes);
	assert_string_equal(m.split, "A");
	assert_true(m.data_checksum == ds.checksum);
	/* D calibrated on held-out flows (the default, train.h fdd_q):
	 * recorded as beta = D / a, and the integer threshold is
	 * t = 1 - D^2 / 2 in the q scale (fastq.h)
	 */
	assert_true(m.D > 0 && m.D < 1.41421356);
	assert_float_equal(m.beta * m.a, m.D, 1e-5);
	{
		double t = 1.0 - (double)m.D * m.D / 2;
		double want = t * t * 127.0 * 127.0 *
			      (double)(1ull << ROBOT_FASTQ_TSHIFT);

		assert_true(fabs((double)q->thresh - want) <= 1.0 + 1e-6 * want);
	}
	snprintf(path, sizeof(path), "%s/%s", outdir, ROBOT_ROBUST_MODEL_FILE);
	assert_int_equal(robot_robust_load(path, &rob), 0);
	assert_int_equal(rob.n_cent, 3 * ds.n_classes);
	robot_robust_free(&rob);
	free(q);
}

static __u8 *slurp(const char *p, long *n)
{
	FILE *f = fopen(p, "rb");
	__u8 *b;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*n = ftell(f);
	rewind(f);
	b = malloc(*n);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

/* Same seed, byte-identical model files (Fast model only, for time). */
static void test_deterministic(void **state)
{
	char path[PATH_MAX];
	struct train_result r;
	struct train_run_opts o;
	__u8 *a, *b;
	long na, nb;

	small_opts(&o);
	o.skip_robust = 1;
	o.fast.epochs = SMALL ? 5 : 20;
	o.calib_max = 100;
	snprintf(path, sizeof(path), "%s/%s", outdir, ROBOT_FAST_MODEL_FILE);
	assert_int_equal(train_run(&o, &ds, NULL, &r), 0);
	a = slurp(path, &na);
	assert_int_equal(train_run(&o, &ds, NULL, &r), 0);
	b = slurp(path, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(b);
	o.fast.seed = 2;
	assert_int_equal(train_run(&o, &ds, NULL, &r), 0);
	b = slurp(path, &nb);
	assert_true(na != nb || memcmp(a, b, na));
	free(a);
	free(b);
}

static int setup(void **state)
{
	const char *data = getenv("ROBOT_DATA");
	struct robot_dsb_opts o = { 0 };
	struct robot_dsb_stats st;
	char labels[PATH_MAX], pcaps[PATH_MAX];

	if (!data || access(data, R_OK)) {
		printf("skip: $ROBOT_DATA not set or not readable\n");
		exit(ROBOT_EXIT_SKIP);
	}
	snprintf(labels, sizeof(labels), "%s/labels_flows.csv", data);
	snprintf(pcaps, sizeof(pcaps), "%s/pcap", data);
	if (access(labels, R_OK) || access(pcaps, R_OK)) {
		printf("skip: no labels_flows.csv or pcap/ in %s\n", data);
		exit(ROBOT_EXIT_SKIP);
	}
	o.labels = labels;
	o.pcap_dir = pcaps;
	memset(&st, 0, sizeof(st));
	robot_log_level = -1;
	if (robot_dsb_build(&o, &ds, &st, NULL) || ds.n_flows < 500) {
		printf("dataset build from %s failed\n", data);
		return -1;
	}
	robot_dsb_stats_free(&st);
	if (!mkdtemp(outdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", outdir, ROBOT_FAST_MODEL_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", outdir, ROBOT_ROBUST_MODEL_FILE);
	unlink(path);
	rmdir(outdir);
	robot_ds_free(&ds);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_train_small),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
