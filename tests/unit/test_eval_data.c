// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Evaluation: packet selection and Robot's per-flow decision on hand-made
 * models; then a short evaluation on the shared nDPI data (one seed, few
 * epochs): every JSON key of the contract is there with a value in
 * [0, 1] and its _sd sibling, the counts add up, and Robot's FDD score
 * separates unseen-app flows from seen ones better than chance.
 * Exits 77 (skip) when $ROBOT_DATA is absent.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <cblas.h>
#include "dsbuild.h"
#include "eval.h"
#include "mjson.h"

static struct robot_ds_flow *make_flow(void)
{
	struct robot_ds_flow *f = calloc(1, sizeof(*f));
	int i;

	f->n_pkts = 30;
	for (i = 0; i < 30; i++) {
		f->pkts[i].ts_ns = 1000000000ull + i * 1000000ull;
		f->pkts[i].ip_len = 60 + i;
		f->pkts[i].hdr[0] = 0x45;
		f->pkts[i].hdr[9] = 6;
		f->pkts[i].hdr[30] = (__u8)(17 * i);
	}
	f->pkts[3].payload_len = 100; /* first payload packet: 3 */
	f->pkts[7].payload_len = 10;
	return f;
}

static void test_packet_modes(void **s)
{
	struct robot_ds_flow *f = make_flow();

	assert_int_equal(eval_flow_packet(f, EVAL_PKT_FIRST_PAYLOAD), 3);
	assert_int_equal(eval_flow_packet(f, EVAL_PKT_FIRST), 0);
	assert_int_equal(eval_flow_packet(f, 29), 29);
	assert_int_equal(eval_flow_packet(f, 30), -1);
	f->pkts[3].payload_len = f->pkts[7].payload_len = 0;
	assert_int_equal(eval_flow_packet(f, EVAL_PKT_FIRST_PAYLOAD), -1);
	f->n_pkts = 0;
	assert_int_equal(eval_flow_packet(f, EVAL_PKT_FIRST), -1);
	free(f);
}

/* A Fast model whose embedding is 0 (all weights 0): nrm2 0 -> FDD. With
 * one centroid and a bias on the embedding it is never FDD.
 */
static void test_decision(void **s)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct robot_ds_flow *f = make_flow();
	struct robot_fastq_out qo;
	struct eval_decision d;
	int o;

	q->arch = (struct robot_fastq_arch){ .c1 = 2, .k1 = 4, .s1 = 2,
		.p1 = 1, .c2 = 2, .k2 = 3, .s2 = 2, .p2 = 1, .emb = 4 };
	assert_int_equal(robot_fastq_arch_check(&q->arch), 0);
	q->n_cent = 1;
	q->cent[0][0] = 127;
	q->cent_class[0] = ROBOT_CLASS_CHAT;
	q->thresh = 1;
	/* conv layers: mult 0, shift 1 (shift must be 1..62): all zero */
	for (o = 0; o < 2; o++)
		q->sh1[o] = q->sh2[o] = 1;
	for (o = 0; o < 4; o++) {
		q->m3[o] = 1 << 30;
		q->sh3[o] = 30;
	}
	assert_int_equal(eval_robot_flow(q, NULL, f, 3, &d), 0);
	assert_int_equal(d.pkt, 3);
	assert_int_equal(d.fdd, 1); /* zero embedding */
	assert_int_equal(d.fast_class, ROBOT_CLASS_CHAT);
	assert_int_equal(d.robust_class, ROBOT_CLASS_NONE);
	assert_int_equal(d.final_class, ROBOT_CLASS_CHAT);
	/* the same as the reference inference */
	robot_fastq_infer(q, f->pkts[3].hdr, &qo);
	assert_int_equal(qo.fdd, d.fdd);
	assert_int_equal(qo.nrm2, d.nrm2);
	/* bias on dim 0 along the centroid: dot > 0, not FDD */
	q->b3[0] = 100;
	assert_int_equal(eval_robot_flow(q, NULL, f, 5, &d), 0);
	assert_int_equal(d.fdd, 0);
	assert_true(d.dot > 0);
	assert_int_equal(d.final_class, ROBOT_CLASS_CHAT);
	/* bad packet index */
	assert_int_equal(eval_robot_flow(q, NULL, f, 30, &d), -EINVAL);
	assert_int_equal(eval_robot_flow(q, NULL, f, -1, &d), -EINVAL);
	free(q);
	free(f);
}

/* -------------------------------------------------------- real data */

static struct robot_dataset ds;

static const char *const keys[] = {
	"fast.seen_acc", "fast.int8_agreement", "fdd.acc_1to1", "fdd.f1_1to1",
	"robust.fdd_flow_acc", "robot.mixed_acc", "robot.mixed_f1",
	"baselines.deeppacket.seen_acc", "baselines.deeppacket.unseen_acc",
	"baselines.deeppacket.mixed_acc", "baselines.fsnet.seen_acc",
	"baselines.fsnet.unseen_acc", "baselines.fsnet.mixed_acc",
	"baselines.kmeans.seen_acc", "baselines.kmeans.fdd_acc_1to1",
	"baselines.deeppacket_star.fdd_acc_1to1", "fdd.auc",
};

/* Value token at dotted path key; -1 if absent. */
static int lookup(const char *js, const struct mjson_tok *t, const char *key)
{
	char part[64];
	const char *p = key, *dot;
	int cur = 0;

	while ((dot = strchr(p, '.'))) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - p), p);
		cur = mjson_get(js, t, cur, part);
		if (cur < 0)
			return -1;
		p = dot + 1;
	}
	return mjson_get(js, t, cur, p);
}

static double num(const char *js, const struct mjson_tok *t, int i)
{
	if (i < 0 || t[i].type != MJSON_NUM)
		return NAN;
	return strtod(js + t[i].start, NULL);
}

static void test_short_eval(void **s)
{
	struct mjson_tok *t = calloc(4096, sizeof(*t));
	struct eval_result res;
	struct eval_opts o;
	char *js = NULL, sd[96];
	size_t len = 0;
	unsigned k;
	double v, auc;
	FILE *f;
	int n;

	eval_defaults(&o);
	o.seeds = 1;
	o.split = 0;
	o.fast.epochs = 40;
	o.fast.clusters = 4 * ds.n_classes; /* tighter clusters, see eval.md */
	o.robust.epochs = 4;
	o.dp.epochs = 4;
	o.fs.epochs = 2;
	assert_int_equal(eval_run(&ds, &o, &res), 0);
	f = open_memstream(&js, &len);
	eval_print_json(&res, f);
	fclose(f);
	n = mjson_parse(js, len, t, 4096);
	assert_true(n > 0);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		v = num(js, t, lookup(js, t, keys[k]));
		snprintf(sd, sizeof(sd), "%s_sd", keys[k]);
		if (!(v >= 0 && v <= 1))
			print_message("key %s: %g\n", keys[k], v);
		assert_true(v >= 0 && v <= 1);
		/* one seed: sd 0 */
		assert_true(num(js, t, lookup(js, t, sd)) == 0);
	}
	/* counts: every flow of split A has a role */
	assert_int_equal(res.cnt[0].train + res.cnt[0].seen_test +
				 res.cnt[0].unseen + res.cnt[0].skipped,
			 (int)ds.n_flows);
	assert_true(res.cnt[0].unseen >= 30);
	assert_int_equal(res.cnt[0].mix11, 2 * res.cnt[0].unseen);
	assert_int_equal(res.cnt[0].mix21, 3 * res.cnt[0].unseen);
	/* Robot's FDD score beats chance: AUC over unseen vs seen-test flows
	 * (chance 0.5, sd about 0.05 at this size)
	 */
	auc = num(js, t, lookup(js, t, "fdd.auc"));
	print_message("fdd.auc %.3f, fdd.acc_1to1 %.3f, fast.seen_acc %.3f\n",
		      auc, res.mean[EM_FDD_ACC], res.mean[EM_FAST_SEEN_ACC]);
	assert_true(auc > 0.6);
	/* the Fast model learned something: well above 1/6 */
	assert_true(res.mean[EM_FAST_SEEN_ACC] > 0.5);
	eval_result_free(&res);
	free(js);
	free(t);
}

int main(void)
{
	const struct CMUnitTest base[] = {
		cmocka_unit_test(test_packet_modes),
		cmocka_unit_test(test_decision),
	};
	const struct CMUnitTest data[] = {
		cmocka_unit_test(test_short_eval),
	};
	struct robot_dsb_opts o = { 0 };
	struct robot_dsb_stats st;
	char labels[4096], pcaps[4096];
	const char *dir = getenv("ROBOT_DATA");
	struct stat sb;
	int err;

	err = cmocka_run_group_tests(base, NULL, NULL);
	if (err)
		return err;
	if (!dir || !*dir) {
		printf("skip: ROBOT_DATA is not set\n");
		return 77;
	}
	snprintf(labels, sizeof(labels), "%s/labels_flows.csv", dir);
	snprintf(pcaps, sizeof(pcaps), "%s/pcap", dir);
	if (stat(labels, &sb) || stat(pcaps, &sb)) {
		printf("skip: no labels_flows.csv and pcap/ under %s\n", dir);
		return 77;
	}
	o.labels = labels;
	o.pcap_dir = pcaps;
	memset(&st, 0, sizeof(st));
	err = robot_dsb_build(&o, &ds, &st, NULL);
	robot_dsb_stats_free(&st);
	if (err < 0) {
		printf("cannot build the dataset from %s: %d\n", dir, err);
		return 1;
	}
	if (!getenv("OPENBLAS_NUM_THREADS"))
		openblas_set_num_threads(1);
	err = cmocka_run_group_tests(data, NULL, NULL);
	robot_ds_free(&ds);
	return err;
}
