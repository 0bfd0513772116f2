// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Evaluation output: JSON, text, markdown tables, gnuplot data (eval.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "json.h"
#include "metrics.h"

#define M(k, d) { .key = k, .desc = d }
#define MB(k, d) { .key = k, .desc = d, .baseline = 1 }
#define MR(k, d) { .key = k, .desc = d, .robust = 1 }
#define MMS(k, d, b) { .key = k, .desc = d, .baseline = b, .ms = 1 }

const struct eval_metric_info eval_metrics[EM_COUNT] = {
	[EM_FAST_SEEN_ACC] = M("fast.seen_acc",
		"int8 Fast model accuracy, seen-test flows"),
	[EM_FAST_SEEN_ACC_FLOAT] = M("fast.seen_acc_float",
		"float Fast model accuracy, seen-test flows"),
	[EM_FAST_SEEN_F1] = M("fast.seen_f1",
		"int8 Fast model macro-F1, seen-test flows"),
	[EM_FAST_INT8_AGREE] = M("fast.int8_agreement",
		"test flows where int8 and float agree on class and FDD"),
	[EM_FAST_PKT_SEEN_ACC] = M("fast.pkt_seen_acc",
		"int8 accuracy, every payload packet of seen-test flows"),
	[EM_FAST_FDD_SEEN] = M("fast.fdd_rate_seen",
		"share of seen-test flows called FDD (false alarms)"),
	[EM_FAST_FDD_UNSEEN] = M("fast.fdd_rate_unseen",
		"share of unseen-app flows called FDD (detections)"),
	[EM_FDD_ACC] = M("fdd.acc_1to1",
		"FDD detection accuracy, 1:1 seen:unseen flows (int8)"),
	[EM_FDD_F1] = M("fdd.f1_1to1",
		"FDD detection F1 (positive = unseen app), 1:1 (int8)"),
	[EM_FDD_PREC] = M("fdd.precision_1to1", "FDD precision, 1:1 (int8)"),
	[EM_FDD_REC] = M("fdd.recall_1to1", "FDD recall, 1:1 (int8)"),
	[EM_FDD_ACC_FLOAT] = M("fdd.acc_1to1_float",
		"FDD detection accuracy, 1:1 (float model)"),
	[EM_FDD_AUC] = M("fdd.auc",
		"ROC AUC of the int8 distance score, unseen vs seen-test"),
	[EM_FDD_PKT_FDD_SEEN] = M("fdd.pkt_rate_seen",
		"share of seen-test payload packets called FDD"),
	[EM_FDD_PKT_FDD_UNSEEN] = M("fdd.pkt_rate_unseen",
		"share of unseen-app payload packets called FDD"),
	[EM_FDD_PKT_BAL_ACC] = M("fdd.pkt_acc_balanced",
		"packet-level FDD accuracy, classes weighted 1:1"),
	[EM_ROBUST_FDD_ACC] = MR("robust.fdd_flow_acc",
		"Robust accuracy on test flows the int8 model calls FDD"),
	[EM_ROBUST_FDD_ACC_UNSEEN] = MR("robust.fdd_flow_acc_unseen",
		"Robust accuracy on unseen-app flows called FDD"),
	[EM_ROBUST_UNSEEN_ACC] = MR("robust.unseen_acc",
		"Robust accuracy on every unseen-app flow"),
	[EM_ROBOT_MIXED_ACC] = M("robot.mixed_acc",
		"Robot final verdict accuracy, 2:1 seen:unseen flows"),
	[EM_ROBOT_MIXED_F1] = M("robot.mixed_f1",
		"Robot final verdict macro-F1, 2:1"),
	[EM_ROBOT_SEEN_ACC] = M("robot.seen_acc",
		"Robot final verdict accuracy, seen-test flows"),
	[EM_ROBOT_UNSEEN_ACC] = M("robot.unseen_acc",
		"Robot final verdict accuracy, unseen-app flows"),
	[EM_ROBOT_LAT_P50] = MMS("robot.latency_p50_ms",
		"Robot latency median, 2:1 (ms)", 0),
	[EM_ROBOT_LAT_P90] = MMS("robot.latency_p90_ms",
		"Robot latency 90th percentile, 2:1 (ms)", 0),
	[EM_DP_SEEN_ACC] = MB("baselines.deeppacket.seen_acc",
		"Deep Packet accuracy, seen-test flows"),
	[EM_DP_UNSEEN_ACC] = MB("baselines.deeppacket.unseen_acc",
		"Deep Packet accuracy, unseen-app flows (true category)"),
	[EM_DP_MIXED_ACC] = MB("baselines.deeppacket.mixed_acc",
		"Deep Packet accuracy, 2:1"),
	[EM_DP_MIXED_F1] = MB("baselines.deeppacket.mixed_f1",
		"Deep Packet macro-F1, 2:1"),
	[EM_DP_PKT_SEEN_ACC] = MB("baselines.deeppacket.pkt_seen_acc",
		"Deep Packet accuracy, every payload packet of seen-test"),
	[EM_DP_FDD_FLOW_ACC] = MB("baselines.deeppacket.fdd_flow_acc",
		"Deep Packet accuracy on Robot's FDD flows"),
	[EM_DP_LAT_P50] = MMS("baselines.deeppacket.latency_p50_ms",
		"Deep Packet latency median, 2:1 (ms)", 1),
	[EM_DP_LAT_P90] = MMS("baselines.deeppacket.latency_p90_ms",
		"Deep Packet latency 90th percentile, 2:1 (ms)", 1),
	[EM_DPS_FDD_ACC] = MB("baselines.deeppacket_star.fdd_acc_1to1",
		"Deep Packet* FDD detection accuracy, 1:1"),
	[EM_DPS_FDD_F1] = MB("baselines.deeppacket_star.fdd_f1_1to1",
		"Deep Packet* FDD detection F1, 1:1"),
	[EM_FS_SEEN_ACC] = MB("baselines.fsnet.seen_acc",
		"FS-Net accuracy, seen-test flows"),
	[EM_FS_UNSEEN_ACC] = MB("baselines.fsnet.unseen_acc",
		"FS-Net accuracy, unseen-app flows (true category)"),
	[EM_FS_MIXED_ACC] = MB("baselines.fsnet.mixed_acc",
		"FS-Net accuracy, 2:1"),
	[EM_FS_MIXED_F1] = MB("baselines.fsnet.mixed_f1",
		"FS-Net macro-F1, 2:1"),
	[EM_FS_FDD_FLOW_ACC] = MB("baselines.fsnet.fdd_flow_acc",
		"FS-Net accuracy on Robot's FDD flows"),
	[EM_FS_LAT_P50] = MMS("baselines.fsnet.latency_p50_ms",
		"FS-Net latency median, 2:1 (ms)", 1),
	[EM_FS_LAT_P90] = MMS("baselines.fsnet.latency_p90_ms",
		"FS-Net latency 90th percentile, 2:1 (ms)", 1),
	[EM_KM_SEEN_ACC] = MB("baselines.kmeans.seen_acc",
		"k-means++ (raw bytes) accuracy, seen-test flows"),
	[EM_KM_UNSEEN_ACC] = MB("baselines.kmeans.unseen_acc",
		"k-means++ accuracy, unseen-app flows (true category)"),
	[EM_KM_MIXED_ACC] = MB("baselines.kmeans.mixed_acc",
		"k-means++ accuracy, 2:1"),
	[EM_KM_PKT_SEEN_ACC] = MB("baselines.kmeans.pkt_seen_acc",
		"k-means++ accuracy, every payload packet of seen-test"),
	[EM_KM_FDD_ACC] = MB("baselines.kmeans.fdd_acc_1to1",
		"k-means++ FDD detection accuracy, 1:1"),
	[EM_KM_FDD_F1] = MB("baselines.kmeans.fdd_f1_1to1",
		"k-means++ FDD detection F1, 1:1"),
	[EM_KM_FDD_FLOW_ACC] = MB("baselines.kmeans.fdd_flow_acc",
		"k-means++ accuracy on Robot's FDD flows"),
};

static const char *const lat_names[EL_COUNT] = { "robot", "deeppacket",
						 "fsnet" };

static int shown(const struct eval_result *r, int m)
{
	return (!eval_metrics[m].baseline || r->baselines) &&
	       (!eval_metrics[m].robust || !r->fast_only);
}

static void pkt_mode_str(int mode, char *buf, size_t len)
{
	if (mode == EVAL_PKT_FIRST_PAYLOAD)
		snprintf(buf, len, "first-payload");
	else if (mode == EVAL_PKT_FIRST)
		snprintf(buf, len, "first");
	else
		snprintf(buf, len, "%d", mode);
}

/* Open/close nested objects so that the writer sits at key's parent. */
static const char *json_path(struct json_w *w, const char *key, char *cur,
			     int *depth)
{
	char parts[8][48], now[8][48];
	int n = 0, c = 0, i, common;
	const char *p, *leaf;

	for (p = key; (leaf = strchr(p, '.')); p = leaf + 1)
		snprintf(parts[n++], sizeof(parts[0]), "%.*s",
			 (int)(leaf - p), p);
	for (p = cur; *p && c < *depth; p += strlen(p) + 1)
		snprintf(now[c++], sizeof(now[0]), "%.47s", p);
	for (common = 0; common < n && common < c &&
			 !strcmp(parts[common], now[common]);
	     common++)
		;
	for (i = c; i > common; i--)
		json_obj_close(w);
	for (i = common; i < n; i++)
		json_obj_open(w, parts[i]);
	/* store the path as NUL-separated components */
	{
		char *q = cur;

		for (i = 0; i < n; i++) {
			strcpy(q, parts[i]);
			q += strlen(parts[i]) + 1;
		}
	}
	*depth = n;
	return strrchr(key, '.') ? strrchr(key, '.') + 1 : key;
}

void eval_print_json(const struct eval_result *r, FILE *f)
{
	char cur[512] = { 0 }, k2[64], mode[16];
	int m, depth = 0, i, a, b;
	struct json_w w;
	const char *leaf;
	double mn, sd, tmp[EVAL_SEEDS_MAX];

	json_init(&w, f);
	json_obj_open(&w, NULL);
	json_str(&w, "split", r->split ? "B" : "A");
	json_u64(&w, "seeds", r->seeds);
	pkt_mode_str(r->pkt_mode, mode, sizeof(mode));
	json_str(&w, "packet", mode);
	for (m = 0; m < EM_COUNT; m++) {
		if (!shown(r, m))
			continue;
		leaf = json_path(&w, eval_metrics[m].key, cur, &depth);
		json_dbl(&w, leaf, r->mean[m]);
		snprintf(k2, sizeof(k2), "%s_sd", leaf);
		json_dbl(&w, k2, r->sd[m]);
	}
	while (depth-- > 0)
		json_obj_close(&w);
	json_obj_open(&w, "counts");
#define CNT(field)                                                         \
	do {                                                               \
		for (i = 0; i < r->seeds; i++)                             \
			tmp[i] = r->cnt[i].field;                          \
		metrics_mean_sd(tmp, r->seeds, &mn, &sd);                  \
		json_dbl(&w, #field, mn);                                  \
	} while (0)
	CNT(train);
	CNT(seen_test);
	CNT(unseen);
	CNT(skipped);
	CNT(mix11);
	CNT(mix21);
	CNT(fdd_flows);
	CNT(fast_samples);
#undef CNT
	json_obj_close(&w);
	if (r->n_a) {
		json_obj_open(&w, "sweep");
		json_u64(&w, "seeds", r->sweep_seeds);
		json_u64(&w, "fast_epochs", r->sweep_epochs);
		json_arr_open(&w, "a");
		for (a = 0; a < r->n_a; a++)
			json_dbl(&w, NULL, r->sweep_a[a]);
		json_arr_close(&w);
		json_arr_open(&w, "beta");
		for (b = 0; b < r->n_beta; b++)
			json_dbl(&w, NULL, r->sweep_beta[b]);
		json_arr_close(&w);
		json_arr_open(&w, "fdd_acc_1to1");
		for (a = 0; a < r->n_a; a++) {
			json_arr_open(&w, NULL);
			for (b = 0; b < r->n_beta; b++) {
				metrics_mean_sd(r->sw_acc[a][b], r->seeds, &mn,
						&sd);
				json_dbl(&w, NULL, mn);
			}
			json_arr_close(&w);
		}
		json_arr_close(&w);
		json_arr_open(&w, "fdd_f1_1to1");
		for (a = 0; a < r->n_a; a++) {
			json_arr_open(&w, NULL);
			for (b = 0; b < r->n_beta; b++) {
				metrics_mean_sd(r->sw_f1[a][b], r->seeds, &mn,
						&sd);
				json_dbl(&w, NULL, mn);
			}
			json_arr_close(&w);
		}
		json_arr_close(&w);
		json_obj_close(&w);
	}
	json_obj_open(&w, "secs");
	json_dbl(&w, "total", r->secs);
	json_dbl(&w, "robot", r->train_secs[0]);
	json_dbl(&w, "deeppacket", r->train_secs[1]);
	json_dbl(&w, "fsnet", r->train_secs[2]);
	json_dbl(&w, "kmeans", r->train_secs[3]);
	json_obj_close(&w);
	json_obj_close(&w);
	json_end(&w);
}

static void pct(FILE *f, const struct eval_result *r, int m)
{
	if (isnan(r->mean[m]))
		fprintf(f, "     n/a      ");
	else if (eval_metrics[m].ms)
		fprintf(f, "%8.2f ± %-6.2f", r->mean[m], r->sd[m]);
	else
		fprintf(f, "%6.1f%% ± %-5.1f", 100 * r->mean[m],
			100 * r->sd[m]);
}

void eval_print_text(const struct eval_result *r, FILE *f)
{
	char mode[16];
	int m;

	pkt_mode_str(r->pkt_mode, mode, sizeof(mode));
	fprintf(f, "split %c, %d seeds, packet %s, %.0f s\n",
		r->split ? 'B' : 'A', r->seeds, mode, r->secs);
	for (m = 0; m < EM_COUNT; m++) {
		if (!shown(r, m))
			continue;
		fprintf(f, "%-40s ", eval_metrics[m].key);
		pct(f, r, m);
		fprintf(f, "  %s\n", eval_metrics[m].desc);
	}
}

/* ------------------------------------------------------------ files */

static FILE *open_in(const char *dir, const char *fmt, const char *tag)
{
	char name[128], path[4096];

	snprintf(name, sizeof(name), fmt, tag);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "w");
}

static void md_cell(FILE *f, const struct eval_result *r, int m)
{
	if (m < 0 || isnan(r->mean[m]))
		fprintf(f, " – |");
	else if (eval_metrics[m].ms)
		fprintf(f, " %.1f ± %.1f |", r->mean[m], r->sd[m]);
	else
		fprintf(f, " %.1f ± %.1f |", 100 * r->mean[m],
			100 * r->sd[m]);
}

/* "x ± y%" for running text. */
static void md_inline(FILE *f, const struct eval_result *r, int m)
{
	if (isnan(r->mean[m]))
		fprintf(f, "–");
	else
		fprintf(f, "%.1f ± %.1f%%", 100 * r->mean[m], 100 * r->sd[m]);
}

/* Bar data: name, mean and sd in percent. */
static void dat_bar(FILE *f, const char *name, const struct eval_result *r,
		    int m)
{
	fprintf(f, "\"%s\" %.4f %.4f\n", name, 100 * r->mean[m],
		100 * r->sd[m]);
}

static int write_md(const struct eval_result *r, const char *dir,
		    const char *tag)
{
	FILE *f = open_in(dir, "tables_%s.md", tag);
	char mode[16];
	int m, a, b;
	double mn, sd;

	if (!f)
		return -errno;
	pkt_mode_str(r->pkt_mode, mode, sizeof(mode));
	fprintf(f, "Split %s: %d seeds, Fast-model packet %s; per seed "
		"%.0f training, %.0f seen-test, %.0f unseen-app flows "
		"(means); 1:1 set %d flows, 2:1 set %d flows (seed 1). "
		"Values: mean ± sd over seeds, %%.\n\n", tag, r->seeds, mode,
		(double)r->cnt[0].train, (double)r->cnt[0].seen_test,
		(double)r->cnt[0].unseen, r->cnt[0].mix11, r->cnt[0].mix21);
	fprintf(f, "**Fig. 5 — mixed 2:1 seen:unseen flows**\n\n");
	fprintf(f, "| method | accuracy | macro-F1 | seen-test acc | "
		"unseen-app acc | latency p50 (ms) | latency p90 (ms) |\n");
	fprintf(f, "|---|---|---|---|---|---|---|\n|Robot|");
	md_cell(f, r, EM_ROBOT_MIXED_ACC);
	md_cell(f, r, EM_ROBOT_MIXED_F1);
	md_cell(f, r, EM_ROBOT_SEEN_ACC);
	md_cell(f, r, EM_ROBOT_UNSEEN_ACC);
	md_cell(f, r, EM_ROBOT_LAT_P50);
	md_cell(f, r, EM_ROBOT_LAT_P90);
	if (r->baselines) {
		fprintf(f, "\n|Deep Packet|");
		md_cell(f, r, EM_DP_MIXED_ACC);
		md_cell(f, r, EM_DP_MIXED_F1);
		md_cell(f, r, EM_DP_SEEN_ACC);
		md_cell(f, r, EM_DP_UNSEEN_ACC);
		md_cell(f, r, EM_DP_LAT_P50);
		md_cell(f, r, EM_DP_LAT_P90);
		fprintf(f, "\n|FS-Net|");
		md_cell(f, r, EM_FS_MIXED_ACC);
		md_cell(f, r, EM_FS_MIXED_F1);
		md_cell(f, r, EM_FS_SEEN_ACC);
		md_cell(f, r, EM_FS_UNSEEN_ACC);
		md_cell(f, r, EM_FS_LAT_P50);
		md_cell(f, r, EM_FS_LAT_P90);
		fprintf(f, "\n|k-means++|");
		md_cell(f, r, EM_KM_MIXED_ACC);
		md_cell(f, r, -1);
		md_cell(f, r, EM_KM_SEEN_ACC);
		md_cell(f, r, EM_KM_UNSEEN_ACC);
		md_cell(f, r, -1);
		md_cell(f, r, -1);
	}
	fprintf(f, "\n\n**Fig. 6 — Fast model on seen-test flows, and FDD "
		"detection on 1:1 seen:unseen flows**\n\n");
	fprintf(f, "| method | seen acc (flow) | seen acc (every payload "
		"packet) | FDD acc 1:1 | FDD F1 1:1 |\n|---|---|---|---|---|\n");
	fprintf(f, "|Robot Fast (int8, as the kernel runs it)|");
	md_cell(f, r, EM_FAST_SEEN_ACC);
	md_cell(f, r, EM_FAST_PKT_SEEN_ACC);
	md_cell(f, r, EM_FDD_ACC);
	md_cell(f, r, EM_FDD_F1);
	fprintf(f, "\n|Robot Fast (float)|");
	md_cell(f, r, EM_FAST_SEEN_ACC_FLOAT);
	md_cell(f, r, -1);
	md_cell(f, r, EM_FDD_ACC_FLOAT);
	md_cell(f, r, -1);
	if (r->baselines) {
		fprintf(f, "\n|Deep Packet / Deep Packet* (FDD)|");
		md_cell(f, r, EM_DP_SEEN_ACC);
		md_cell(f, r, EM_DP_PKT_SEEN_ACC);
		md_cell(f, r, EM_DPS_FDD_ACC);
		md_cell(f, r, EM_DPS_FDD_F1);
		fprintf(f, "\n|k-means++ (raw bytes)|");
		md_cell(f, r, EM_KM_SEEN_ACC);
		md_cell(f, r, EM_KM_PKT_SEEN_ACC);
		md_cell(f, r, EM_KM_FDD_ACC);
		md_cell(f, r, EM_KM_FDD_F1);
	}
	fprintf(f, "\n\nint8/float agreement (class and FDD, test flows) ");
	md_inline(f, r, EM_FAST_INT8_AGREE);
	fprintf(f, "; FDD rate: seen-test flows ");
	md_inline(f, r, EM_FAST_FDD_SEEN);
	fprintf(f, ", unseen-app flows ");
	md_inline(f, r, EM_FAST_FDD_UNSEEN);
	fprintf(f, "; ROC AUC of the FDD score ");
	md_inline(f, r, EM_FDD_AUC);
	fprintf(f, "; packet level FDD rate: seen ");
	md_inline(f, r, EM_FDD_PKT_FDD_SEEN);
	fprintf(f, ", unseen ");
	md_inline(f, r, EM_FDD_PKT_FDD_UNSEEN);
	fprintf(f, "\n\n");
	if (!r->fast_only) {
		fprintf(f, "**Fig. 7 — accuracy on the flows Robot's Fast "
			"model calls FDD (%.0f flows, seed 1)**\n\n",
			(double)r->cnt[0].fdd_flows);
		fprintf(f, "| method | all FDD flows | unseen-app FDD flows "
			"| every unseen-app flow |\n|---|---|---|---|\n");
		fprintf(f, "|Robot Robust|");
		md_cell(f, r, EM_ROBUST_FDD_ACC);
		md_cell(f, r, EM_ROBUST_FDD_ACC_UNSEEN);
		md_cell(f, r, EM_ROBUST_UNSEEN_ACC);
		if (r->baselines) {
			fprintf(f, "\n|FS-Net|");
			md_cell(f, r, EM_FS_FDD_FLOW_ACC);
			md_cell(f, r, -1);
			md_cell(f, r, EM_FS_UNSEEN_ACC);
			fprintf(f, "\n|k-means++|");
			md_cell(f, r, EM_KM_FDD_FLOW_ACC);
			md_cell(f, r, -1);
			md_cell(f, r, EM_KM_UNSEEN_ACC);
			fprintf(f, "\n|Deep Packet|");
			md_cell(f, r, EM_DP_FDD_FLOW_ACC);
			md_cell(f, r, -1);
			md_cell(f, r, EM_DP_UNSEEN_ACC);
		}
		fprintf(f, "\n\n");
	}
	if (r->n_a) {
		fprintf(f, "**Fig. 4 — int8 FDD detection accuracy / F1 on "
			"1:1 (%%), rows a, columns beta** (Fast model "
			"retrained per a with %d epochs, %d seeds; mean over "
			"seeds)\n\n| a \\ beta |", r->sweep_epochs,
			r->sweep_seeds);
		for (b = 0; b < r->n_beta; b++)
			fprintf(f, " %.2f |", r->sweep_beta[b]);
		fprintf(f, "\n|---|");
		for (b = 0; b < r->n_beta; b++)
			fprintf(f, "---|");
		for (a = 0; a < r->n_a; a++) {
			fprintf(f, "\n| %.2f |", r->sweep_a[a]);
			for (b = 0; b < r->n_beta; b++) {
				metrics_mean_sd(r->sw_acc[a][b], r->seeds, &mn,
						&sd);
				fprintf(f, " %.1f", 100 * mn);
				metrics_mean_sd(r->sw_f1[a][b], r->seeds, &mn,
						&sd);
				fprintf(f, " / %.1f |", 100 * mn);
			}
		}
		fprintf(f, "\n\n");
	}
	fprintf(f, "<details><summary>every figure of split %s</summary>\n\n"
		"| key | mean | sd | meaning |\n|---|---|---|---|\n", tag);
	for (m = 0; m < EM_COUNT; m++) {
		if (!shown(r, m))
			continue;
		if (eval_metrics[m].ms)
			fprintf(f, "| %s | %.2f ms | %.2f | %s |\n",
				eval_metrics[m].key, r->mean[m], r->sd[m],
				eval_metrics[m].desc);
		else
			fprintf(f, "| %s | %.1f%% | %.1f | %s |\n",
				eval_metrics[m].key, 100 * r->mean[m],
				100 * r->sd[m], eval_metrics[m].desc);
	}
	fprintf(f, "\n</details>\n\n");
	fclose(f);
	return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "x ± y" in percent, or "–". */
static const char *pm(const struct eval_result *r, int m, char *buf,
		      size_t len)
{
	if (isnan(r->mean[m]))
		snprintf(buf, len, "–");
	else
		snprintf(buf, len, "%.1f ± %.1f", 100 * r->mean[m],
			 100 * r->sd[m]);
	return buf;
}

/* Shell assignments of the headline figures (reproduce.sh sources it),
 * and one markdown row for the packet-mode comparison.
 */
static int write_headline(const struct eval_result *r, const char *dir,
			  const char *tag)
{
	static const struct { const char *var; int m; } h[] = {
		{ "H_MIXED", EM_ROBOT_MIXED_ACC },
		{ "H_MIXED_F1", EM_ROBOT_MIXED_F1 },
		{ "H_FDD", EM_FDD_ACC },
		{ "H_FDD_F1", EM_FDD_F1 },
		{ "H_FDD_AUC", EM_FDD_AUC },
		{ "H_ROBUST", EM_ROBUST_FDD_ACC },
		{ "H_SEEN", EM_FAST_SEEN_ACC },
		{ "H_SEEN_FLOAT", EM_FAST_SEEN_ACC_FLOAT },
		{ "H_AGREE", EM_FAST_INT8_AGREE },
		{ "H_DP_MIXED", EM_DP_MIXED_ACC },
		{ "H_FS_MIXED", EM_FS_MIXED_ACC },
	};
	char buf[64], mode[16];
	unsigned i;
	FILE *f;

	f = open_in(dir, "headline_%s.sh", tag);
	if (!f)
		return -errno;
	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		fprintf(f, "%s='%s'\n", h[i].var, pm(r, h[i].m, buf,
						     sizeof(buf)));
	fprintf(f, "H_SECS='%.0f'\n", r->secs);
	fclose(f);
	f = open_in(dir, "row_%s.md", tag);
	if (!f)
		return -errno;
	pkt_mode_str(r->pkt_mode, mode, sizeof(mode));
	fprintf(f, "| %s | %s |", tag, mode);
	md_cell(f, r, EM_FAST_SEEN_ACC);
	md_cell(f, r, EM_FAST_SEEN_ACC_FLOAT);
	md_cell(f, r, EM_FDD_ACC);
	md_cell(f, r, EM_FDD_AUC);
	md_cell(f, r, EM_FAST_FDD_SEEN);
	md_cell(f, r, EM_FAST_FDD_UNSEEN);
	md_cell(f, r, EM_ROBOT_MIXED_ACC);
	fprintf(f, " %.0f |\n", (double)r->cnt[0].skipped);
	fclose(f);
	return 0;
}

int eval_write_data(const struct eval_result *r, const char *dir,
		    const char *tag)
{
	FILE *f;
	int i, a, b, err;
	double mn, sd, mn2, sd2;

	err = write_md(r, dir, tag);
	err = err ?: write_headline(r, dir, tag);
	if (err)
		return err;
	f = open_in(dir, "fig5_%s.dat", tag);
	if (!f)
		return -errno;
	fprintf(f, "# method acc acc_sd f1 f1_sd (%%), 2:1 mixed\n");
	fprintf(f, "Robot %.4f %.4f %.4f %.4f\n",
		100 * r->mean[EM_ROBOT_MIXED_ACC],
		100 * r->sd[EM_ROBOT_MIXED_ACC],
		100 * r->mean[EM_ROBOT_MIXED_F1],
		100 * r->sd[EM_ROBOT_MIXED_F1]);
	if (r->baselines) {
		fprintf(f, "\"Deep Packet\" %.4f %.4f %.4f %.4f\n",
			100 * r->mean[EM_DP_MIXED_ACC],
			100 * r->sd[EM_DP_MIXED_ACC],
			100 * r->mean[EM_DP_MIXED_F1],
			100 * r->sd[EM_DP_MIXED_F1]);
		fprintf(f, "FS-Net %.4f %.4f %.4f %.4f\n",
			100 * r->mean[EM_FS_MIXED_ACC],
			100 * r->sd[EM_FS_MIXED_ACC],
			100 * r->mean[EM_FS_MIXED_F1],
			100 * r->sd[EM_FS_MIXED_F1]);
	}
	fclose(f);
	f = open_in(dir, "fig6_%s.dat", tag);
	if (!f)
		return -errno;
	fprintf(f, "# panel method value sd (%%)\n");
	dat_bar(f, "Robot Fast", r, EM_FAST_SEEN_ACC);
	if (r->baselines) {
		dat_bar(f, "Deep Packet", r, EM_DP_SEEN_ACC);
		dat_bar(f, "k-means++", r, EM_KM_SEEN_ACC);
	}
	fprintf(f, "\n\n");
	dat_bar(f, "Robot Fast", r, EM_FDD_ACC);
	if (r->baselines) {
		dat_bar(f, "k-means++", r, EM_KM_FDD_ACC);
		dat_bar(f, "Deep Packet*", r, EM_DPS_FDD_ACC);
	}
	fclose(f);
	f = open_in(dir, "fig7_%s.dat", tag);
	if (!f)
		return -errno;
	dat_bar(f, "Robot Robust", r, EM_ROBUST_FDD_ACC);
	if (r->baselines) {
		dat_bar(f, "FS-Net", r, EM_FS_FDD_FLOW_ACC);
		dat_bar(f, "k-means++", r, EM_KM_FDD_FLOW_ACC);
	}
	fclose(f);
	for (i = 0; i < EL_COUNT; i++) {
		char name[64];

		if (!r->n_lat[i])
			continue;
		snprintf(name, sizeof(name), "lat_%%s_%s.dat", lat_names[i]);
		f = open_in(dir, name, tag);
		if (!f)
			return -errno;
		qsort(r->lat[i], r->n_lat[i], sizeof(double), cmp_dbl);
		fprintf(f, "# latency_ms cdf (%s, 2:1 mixed, all seeds)\n",
			lat_names[i]);
		for (a = 0; a < r->n_lat[i]; a++)
			fprintf(f, "%.6f %.5f\n", r->lat[i][a],
				(a + 1.0) / r->n_lat[i]);
		fclose(f);
	}
	if (r->n_a) {
		f = open_in(dir, "fig4_%s.dat", tag);
		if (!f)
			return -errno;
		fprintf(f, "# blocks per a: beta acc acc_sd f1 f1_sd (%%)\n");
		for (a = 0; a < r->n_a; a++) {
			fprintf(f, "# a = %.2f\n", r->sweep_a[a]);
			for (b = 0; b < r->n_beta; b++) {
				metrics_mean_sd(r->sw_acc[a][b], r->seeds, &mn,
						&sd);
				metrics_mean_sd(r->sw_f1[a][b], r->seeds, &mn2,
						&sd2);
				fprintf(f, "%.3f %.4f %.4f %.4f %.4f\n",
					r->sweep_beta[b], 100 * mn, 100 * sd,
					100 * mn2, 100 * sd2);
			}
			fprintf(f, "\n\n");
		}
		fclose(f);
	}
	return 0;
}
