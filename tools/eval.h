/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * eval.h - evaluation of Robot and of the paper's baselines on a flow
 * dataset (`robot eval`, docs/eval.md).
 *
 * Protocol, per seed: the flows of seen apps (split column "known") are
 * split 80/20 by flow, stratified by app; the flows of unseen apps are
 * test only. Every method trains on the same training flows and is
 * evaluated on the same test flows and the same mixed sets (1:1 and 2:1
 * seen-test:unseen flows, drawn per seed). A flow takes part when it has
 * the packet the Fast model classifies (--packet).
 */
#ifndef ROBOT_EVAL_H
#define ROBOT_EVAL_H

#include <stdio.h>
#include "base_deeppacket.h"
#include "base_fsnet.h"
#include "dataset.h"
#include "fastq.h"
#include "robust.h"
#include "train.h"

/* ------------------------------------------- Robot's per-flow decision */

/* Which packet of a flow the Fast model classifies. */
#define EVAL_PKT_FIRST_PAYLOAD (-1) /* first packet with L4 payload */
#define EVAL_PKT_FIRST (-2)         /* the flow's first packet */
/* >= 0: that packet index */

/* Index of the packet mode selects in f, or -1 if the flow has none. */
int eval_flow_packet(const struct robot_ds_flow *f, int mode);

/* What Robot's pipeline decides for one flow. */
struct eval_decision {
	int pkt;            /* packet index the Fast model classified */
	__u8 fast_class;    /* int8 Fast model verdict (enum robot_class) */
	__u8 fdd;           /* 1: the int8 model found the packet FDD */
	__u8 robust_class;  /* Robust verdict on the window starting at pkt
			     * (FDD flows only; ROBOT_CLASS_NONE otherwise,
			     * and when there is no Robust model) */
	__u8 final_class;   /* robust_class if given, else fast_class */
	__s32 dot;          /* int8 dot with the nearest centroid */
	__u32 nrm2;         /* int8 squared embedding norm */
	int window;         /* packets in the Robust window (FDD flows) */
};

/* Robot's decision for flow f, classifying packet pkt (eval_flow_packet)
 * with the int8 model q exactly as the XDP program does
 * (robot_fastq_infer), and for FDD flows the window of the packets pkt,
 * pkt+1, ... (at most ROBOT_WINDOW, fewer for short flows) with the
 * Robust model r (may be NULL). Returns 0 or -EINVAL (pkt out of range).
 */
int eval_robot_flow(const struct robot_fastq *q, struct robot_robust *r,
		    const struct robot_ds_flow *f, int pkt,
		    struct eval_decision *d);

/* ------------------------------------------------------------ options */

#define EVAL_SEEDS_MAX 32
#define EVAL_SWEEP_MAX 8

struct eval_opts {
	int split;          /* 0: column splitA, 1: splitB */
	int seeds;          /* 1..EVAL_SEEDS_MAX */
	__u64 seed;         /* first seed; seed i uses seed + i */
	int pkt_mode;       /* EVAL_PKT_* or a packet index */
	double test_frac;   /* seen apps' flows held out per seed (0.2) */
	int fast_pkts;      /* extra Fast/Deep Packet/k-means training
			     * samples: payload packets among the first N */
	struct fast_train_opts fast;
	struct robust_train_opts robust;
	int fast_only;      /* no Robust model (FDD flows keep fast) */
	int baselines;      /* train and evaluate the baselines */
	struct dp_opts dp;
	struct fsnet_opts fs;
	int km_k;           /* k-means++ clusters (raw bytes, Deep Packet*) */
	double km_q;        /* threshold quantile of training distances */
	/* Fig. 4 sweep (int8 FDD detection on the 1:1 set) */
	int sweep;
	int n_a, n_beta;
	float sweep_a[EVAL_SWEEP_MAX], sweep_beta[EVAL_SWEEP_MAX];
	int sweep_epochs;   /* Fast epochs per a (0: as --fast-epochs) */
	int sweep_seeds;    /* sweep on the first N seeds only (0: all) */
	FILE *prog;         /* progress lines (NULL: quiet) */
	int tty;
};

void eval_defaults(struct eval_opts *o);

/* ------------------------------------------------------------ metrics */

/* Every reported figure; keys are dotted JSON paths (see eval_out.c). */
enum eval_metric {
	EM_FAST_SEEN_ACC,
	EM_FAST_SEEN_ACC_FLOAT,
	EM_FAST_SEEN_F1,
	EM_FAST_INT8_AGREE,
	EM_FAST_PKT_SEEN_ACC,
	EM_FAST_FDD_SEEN,
	EM_FAST_FDD_UNSEEN,
	EM_FDD_ACC,
	EM_FDD_F1,
	EM_FDD_PREC,
	EM_FDD_REC,
	EM_FDD_ACC_FLOAT,
	EM_FDD_AUC,
	EM_FDD_PKT_FDD_SEEN,
	EM_FDD_PKT_FDD_UNSEEN,
	EM_FDD_PKT_BAL_ACC,
	EM_ROBUST_FDD_ACC,
	EM_ROBUST_FDD_ACC_UNSEEN,
	EM_ROBUST_UNSEEN_ACC,
	EM_ROBOT_MIXED_ACC,
	EM_ROBOT_MIXED_F1,
	EM_ROBOT_SEEN_ACC,
	EM_ROBOT_UNSEEN_ACC,
	EM_ROBOT_LAT_P50,
	EM_ROBOT_LAT_P90,
	EM_DP_SEEN_ACC,
	EM_DP_UNSEEN_ACC,
	EM_DP_MIXED_ACC,
	EM_DP_MIXED_F1,
	EM_DP_PKT_SEEN_ACC,
	EM_DP_FDD_FLOW_ACC,
	EM_DP_LAT_P50,
	EM_DP_LAT_P90,
	EM_DPS_FDD_ACC,
	EM_DPS_FDD_F1,
	EM_FS_SEEN_ACC,
	EM_FS_UNSEEN_ACC,
	EM_FS_MIXED_ACC,
	EM_FS_MIXED_F1,
	EM_FS_FDD_FLOW_ACC,
	EM_FS_LAT_P50,
	EM_FS_LAT_P90,
	EM_KM_SEEN_ACC,
	EM_KM_UNSEEN_ACC,
	EM_KM_MIXED_ACC,
	EM_KM_PKT_SEEN_ACC,
	EM_KM_FDD_ACC,
	EM_KM_FDD_F1,
	EM_KM_FDD_FLOW_ACC,
	EM_COUNT,
};

struct eval_metric_info {
	const char *key;   /* dotted path, e.g. "fast.seen_acc" */
	const char *desc;  /* one line for docs and tables */
	int baseline;      /* only with baselines */
	int robust;        /* only with the Robust model */
	int ms;            /* milliseconds, not a fraction */
};

extern const struct eval_metric_info eval_metrics[EM_COUNT];

/* Latency samples of one method on the 2:1 mixed sets, all seeds. */
enum eval_lat {
	EL_ROBOT,
	EL_DP,
	EL_FS,
	EL_COUNT,
};

struct eval_counts {
	int train, seen_test, unseen, skipped, mix11, mix21, fdd_flows;
	int fast_samples;
};

struct eval_result {
	int split, seeds, pkt_mode, baselines, fast_only;
	double v[EM_COUNT][EVAL_SEEDS_MAX]; /* NaN: not measured */
	double mean[EM_COUNT], sd[EM_COUNT];
	struct eval_counts cnt[EVAL_SEEDS_MAX];
	/* Fig. 4: [a][beta][seed] FDD accuracy / F1 on the 1:1 set */
	int n_a, n_beta, sweep_seeds, sweep_epochs;
	float sweep_a[EVAL_SWEEP_MAX], sweep_beta[EVAL_SWEEP_MAX];
	double sw_acc[EVAL_SWEEP_MAX][EVAL_SWEEP_MAX][EVAL_SEEDS_MAX];
	double sw_f1[EVAL_SWEEP_MAX][EVAL_SWEEP_MAX][EVAL_SEEDS_MAX];
	double *lat[EL_COUNT]; /* ms, malloc'ed */
	int n_lat[EL_COUNT];
	double secs;           /* wall time of the whole evaluation */
	double train_secs[4];  /* robot, deep packet, fs-net, k-means */
};

/* Run the whole evaluation. 0 or -errno. */
int eval_run(const struct robot_dataset *ds, const struct eval_opts *o,
	     struct eval_result *res);
void eval_result_free(struct eval_result *res);

/* Output (eval_out.c). */
void eval_print_json(const struct eval_result *r, FILE *f);
void eval_print_text(const struct eval_result *r, FILE *f);
/* Markdown tables and gnuplot data files into dir; tag names the files
 * (e.g. "A"). 0 or -errno.
 */
int eval_write_data(const struct eval_result *r, const char *dir,
		    const char *tag);

/* ------------------------------------------ leave one application out */

struct eval_loao_app {
	int app;          /* dataset app index */
	int flows;        /* its flows that take part */
	double fdd_rate;  /* share of its flows the int8 model calls FDD */
	double final_acc; /* Robot's final verdict accuracy on its flows */
	double fast_acc;  /* int8 fast verdict accuracy on its flows */
	double seen_acc;  /* Robot's final accuracy on the seen test flows */
};

/* Every app with >= min_flows flows is made unseen in turn (all other
 * apps known, one 80/20 split with o->seed). apps: malloc'ed [*n].
 */
int eval_loao(const struct robot_dataset *ds, const struct eval_opts *o,
	      int min_flows, struct eval_loao_app **apps, int *n);
/* The same over the shard-th of n_shards interleaved parts of the apps
 * (for parallel runs; 0/1 is all of them).
 */
int eval_loao_shard(const struct robot_dataset *ds, const struct eval_opts *o,
		    int min_flows, int shard, int n_shards,
		    struct eval_loao_app **apps, int *n);
void eval_loao_print(const struct robot_dataset *ds,
		     const struct eval_loao_app *a, int n, FILE *f, int json);
/* DIR/loao_TAG.md (table rows only, no header) and DIR/loao_TAG.dat
 * (app fdd final fast, %), for reproduce.sh to join.
 */
int eval_loao_write(const struct robot_dataset *ds,
		    const struct eval_loao_app *a, int n, const char *dir,
		    const char *tag);

#endif
