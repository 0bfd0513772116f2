/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * train.h - training of the Fast and Robust models from a flow dataset
 * (tools/train_data.c, train_fast.c, train_robust.c); `robot train`
 * (user/cmd_train.c) drives them.
 */
#ifndef ROBOT_TRAIN_H
#define ROBOT_TRAIN_H

#include <stdio.h>
#include "dataset.h"
#include "model.h"
#include "robust.h"
#include "quant.h"

/* ------------------------------------------------------ data selection */

enum train_role {
	TRAIN_ROLE_TRAIN = 0,   /* enters training */
	TRAIN_ROLE_TEST = 1,    /* held-out flow of a seen app */
	TRAIN_ROLE_UNSEEN = 2,  /* flow of an app marked unseen by the split */
	TRAIN_ROLE_SKIP = 3,    /* class not modeled, or no payload packet */
};

struct train_sel_opts {
	int split;          /* -1 none, 0 column splitA, 1 column splitB */
	double holdout;     /* fraction of each class's known flows held out
			     * for testing (0..0.9), stratified by class */
	__u64 seed;         /* for the holdout draw */
	const char *classes; /* comma list of class names; NULL: all of the
			      * dataset's classes */
};

struct train_sel {
	const struct robot_dataset *ds;
	int n_classes;                 /* modeled classes */
	int ds_class[ROBOT_CLASS_MAX]; /* model class -> dataset class_idx */
	int *label;    /* [ds->n_flows] model class, -1 not modeled */
	__u8 *role;    /* [ds->n_flows] enum train_role */
	int *first;    /* [ds->n_flows] first payload packet index or -1 */
	int count[4];  /* flows per role */
};

int train_select(const struct robot_dataset *ds,
		 const struct train_sel_opts *o, struct train_sel *s);
void train_sel_free(struct train_sel *s);
/* Fill meta's class list from the selection. */
void train_sel_meta(const struct train_sel *s, struct robot_model_meta *m);

/* Fast-model samples of the flows with role `role`: the first payload
 * packet of each flow; with extra_pkts > 0 (training), also every other
 * payload packet among the flow's first extra_pkts packets.
 * hdr/label/flow are malloc'ed ([n]); returns n or -errno.
 */
int train_fast_samples(const struct train_sel *s, int role, int extra_pkts,
		       __u8 (**hdr)[ROBOT_HDR_LEN], int **label, int **flow);

/* Robust-model windows ([n][ROBOT_ROBUST_IN]) of the flows with `role`. */
int train_robust_samples(const struct train_sel *s, int role, float **x,
			 int **label, int **flow);

/* -------------------------------------------------------------- common */

struct train_progress {
	FILE *out;     /* NULL: quiet */
	int tty;       /* redraw one line instead of a line per epoch */
};

void train_progress_epoch(const struct train_progress *p, const char *what,
			  int epoch, int epochs, double loss, double d_same,
			  double d_diff, double secs);

/* -------------------------------------------------------------- fast */

struct fast_train_opts {
	struct robot_fastq_arch arch;
	int epochs;
	int per_class;    /* samples per class in a batch */
	float lr, wd;
	float a, m, beta; /* margins; FDD distance D = beta * a */
	int clusters;     /* k-means clusters in total (>= n_classes, <= 32) */
	float norm_reg;   /* weight of Var(log ||e||) before normalization */
	__u64 seed;
	/* Centroids when clusters == 0: k-means++ within each class, one
	 * centroid per class to start; a class gets one more (largest
	 * inertia first) while the cent_q quantile of its samples' distance
	 * to their centroid exceeds cent_radius, up to cent_max in total.
	 * cent_per_class > 0: exactly that many per class instead.
	 */
	int cent_max;         /* total cap (<= ROBOT_FASTQ_CENT_MAX) */
	int cent_per_class;   /* 0: automatic */
	float cent_radius;    /* target radius (default 0.2) */
	float cent_q;         /* quantile for the radius (default 0.9) */
	/* fdd_q > 0: D is calibrated (beta = D / a is recorded): the fdd_q
	 * quantile of the nearest-centroid distance of calib_frac of the
	 * training flows, held out of a first fit; the final model is then
	 * fit on every training flow. 0: D = beta * a (the paper's rule).
	 */
	float fdd_q;
	float calib_frac;
};

void fast_train_defaults(struct fast_train_opts *o);
/* The --beta X|auto and --fdd-quantile Q options of robot train and robot
 * eval: "auto" calibrates D (fdd_q, default 0.5), a number applies the
 * paper's D = beta * a (fdd_q = 0). 0, or -EINVAL on a bad value.
 */
int fast_opts_beta(struct fast_train_opts *o, const char *arg);
int fast_opts_fdd_quantile(struct fast_train_opts *o, const char *arg);

/* Train on n samples (hdr, label in 0..n_classes-1), cluster the
 * embeddings, label the centroids (class_ids maps label -> robot_class).
 * f is initialized here; meta.a/m/beta/D/seed are set, the rest is the
 * caller's. Returns 0 or -errno.
 */
int fast_train(const struct fast_train_opts *o,
	       const __u8 (*hdr)[ROBOT_HDR_LEN], const int *label, int n,
	       int n_classes, const __u8 *class_ids,
	       const struct train_progress *p, struct robot_fast *f);
/* The same with flow[i] the flow of sample i (NULL: one flow per sample):
 * the D calibration holds out whole flows and measures each held-out
 * flow on its first sample (its first payload packet).
 */
int fast_train_flows(const struct fast_train_opts *o,
		     const __u8 (*hdr)[ROBOT_HDR_LEN], const int *label,
		     const int *flow, int n, int n_classes,
		     const __u8 *class_ids, const struct train_progress *p,
		     struct robot_fast *f);

/* -------------------------------------------------------------- robust */

struct robust_train_opts {
	struct robot_robust_arch arch;
	int epochs;
	int per_class;
	float lr, wd;
	float a, b, m;   /* a < b < m */
	int k;           /* pre-clusters per class (raw windows) */
	int centers;     /* embedding centers per class */
	__u64 seed;
};

void robust_train_defaults(struct robust_train_opts *o);

int robust_train(const struct robust_train_opts *o, const float *x,
		 const int *label, int n, int n_classes, const __u8 *class_ids,
		 const struct train_progress *p, struct robot_robust *r);



/* ------------------------------------------------------------ the run */

struct train_run_opts {
	struct train_sel_opts sel;
	struct fast_train_opts fast;
	struct robust_train_opts robust;
	int fast_pkts;      /* extra Fast samples from the first N packets */
	int calib_pkts;     /* int8 calibration samples: every payload packet
			     * among the first N of each training flow */
	int calib_max;      /* > 0: at most this many calibration samples */
	const char *out_dir; /* NULL: do not write files */
	int skip_robust;    /* fast model only */
};

struct train_eval {
	int n;              /* flows */
	double fast_acc;    /* float Fast model, first payload packet */
	double fastq_acc;   /* int8 Fast model */
	double fdd;         /* share of flows the int8 model calls FDD */
	double fast_dist;   /* mean distance to the nearest centroid (float) */
	double robust_acc;  /* Robust model on the flow's window */
	double robust_dist; /* mean distance to the nearest center */
	double system_acc;  /* int8 fast verdict, robust where FDD */
	struct quant_report q; /* float/int8 agreement */
};

struct train_result {
	int n_classes;
	int fast_samples, robust_samples, calib_samples;
	double fast_secs, quant_secs, robust_secs;
	struct quant_report q_calib;
	struct train_eval ev[3]; /* by enum train_role: train, test, unseen */
};

void train_run_defaults(struct train_run_opts *o);
/* Train both models on ds, evaluate, write out_dir/fast.model and
 * out_dir/robust.model. 0 or -errno.
 */
int train_run(const struct train_run_opts *o, const struct robot_dataset *ds,
	      const struct train_progress *p, struct train_result *res);
void train_result_json(const struct train_result *r, FILE *f);
void train_result_print(const struct train_result *r, FILE *f);

#define ROBOT_FAST_MODEL_FILE "fast.model"
#define ROBOT_ROBUST_MODEL_FILE "robust.model"

#endif
