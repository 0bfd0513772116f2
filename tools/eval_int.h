/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Internals shared by eval.c, eval_base.c, eval_loao.c. */
#ifndef ROBOT_EVAL_INT_H
#define ROBOT_EVAL_INT_H

#include "eval.h"

enum eval_role {
	ER_SKIP = 0,   /* no classified packet, or class not modeled */
	ER_TRAIN = 1,
	ER_TEST = 2,   /* held-out flow of a seen app */
	ER_UNSEEN = 3, /* flow of an unseen app */
};

/* Per-flow outputs of each method. */
enum eval_method {
	PM_FAST,   /* int8 Fast model */
	PM_FASTF,  /* float Fast model */
	PM_ROBUST, /* Robust verdict (FDD flows) */
	PM_ROBOT,  /* final verdict */
	PM_DP,     /* Deep Packet */
	PM_DPS,    /* Deep Packet* (FDD only) */
	PM_KM,     /* k-means++ on raw bytes */
	PM_FS,     /* FS-Net */
	PM_COUNT,
};

struct eval_seed {
	const struct robot_dataset *ds;
	const struct eval_opts *o;
	__u64 seed;
	int unseen_app;     /* LOAO: the app made unseen, else -1 */
	int nc;             /* classes (dataset class indices 0..nc-1) */
	int cls_of[256];    /* enum robot_class -> class index, -1 */
	int *pkt;           /* [flows] classified packet, -1 */
	__u8 *role;         /* [flows] enum eval_role */
	int *tr, ntr, *te, nte, *un, nun; /* flow indices per role */
	int *m11, n11;      /* mixed 1:1 set (seen test first) */
	int *m21, n21;      /* mixed 2:1 set */
	int fast_samples;
	int *pred[PM_COUNT];   /* [flows] class index, -1: none */
	__u8 *fdd[PM_COUNT];   /* [flows] FDD flag */
	double *lat[PM_COUNT]; /* [flows] latency, ms (NaN: none) */
	double *score;         /* [flows] int8 cosine distance to the
				* nearest centroid (FDD score) */
};

double eval_now(void);
double eval_wait_ms(const struct robot_ds_flow *f, int i);
int eval_seed_init(struct eval_seed *s, const struct robot_dataset *ds,
		   const struct eval_opts *o, __u64 seed, int unseen_app);
void eval_seed_free(struct eval_seed *s);
int eval_train_samples(const struct eval_seed *s, int fast_pkts,
		       __u8 (**hdr)[ROBOT_HDR_LEN], int **label);
int eval_train_robot(struct eval_seed *s, const struct fast_train_opts *fo,
		     int with_robust, struct robot_fast *f,
		     struct robot_fastq *q, struct robot_robust *r);
/* Train and run every baseline on the seed's flows (eval_base.c). */
int eval_baselines(struct eval_seed *s, struct eval_result *res, int si);

#endif
