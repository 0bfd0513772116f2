/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics.h - evaluation metrics and data splits (robot eval, docs/eval.md).
 *
 * Labels are class indices 0..n_classes-1; a prediction < 0 counts as
 * wrong for every class (it is a false negative of its true class only).
 * Macro-F1 averages the per-class F1 over the classes present in the
 * truth or in the predictions (sklearn's default label set); a class with
 * no true positive has F1 0.
 * FDD detection is a binary problem: positive = the flow belongs to an
 * unseen application; predicted positive = the model called it FDD.
 */
#ifndef ROBOT_METRICS_H
#define ROBOT_METRICS_H

#include <linux/types.h>
#include "nn.h"

#define METRICS_CLASS_MAX 64

double metrics_accuracy(const int *truth, const int *pred, int n);
double metrics_macro_f1(const int *truth, const int *pred, int n,
			int n_classes);

struct metrics_bin {
	long tp, fp, tn, fn;
	double acc;  /* (tp + tn) / n */
	double prec; /* tp / (tp + fp), 0 when nothing is predicted positive */
	double rec;  /* tp / (tp + fn), 0 when nothing is positive */
	double f1;   /* 2 prec rec / (prec + rec), 0 when both are 0 */
};

/* truth[i], pred[i]: 0 or non-zero. */
void metrics_binary(const __u8 *truth, const __u8 *pred, int n,
		    struct metrics_bin *b);

/* A mixed test set with ratio ra:rb of items from set A (n_a of them) and
 * set B (n_b): k = min(n_a / ra, n_b / rb) and k * ra items of A and k * rb
 * of B are drawn without replacement (uniformly, rng). ia/ib receive the
 * chosen indices (sorted ascending; room for n_a / n_b), *na / *nb their
 * counts. Returns 0, -EINVAL (ra or rb < 1, n < 0).
 */
int metrics_mix(int n_a, int n_b, int ra, int rb, struct nn_rng *rng,
		int *ia, int *na, int *ib, int *nb);

/* Stratified split: for each stratum s (strata[i] >= 0; < 0: item left
 * out, is_test = 0xff), shuffle its items and put round(frac * n_s) of them
 * in the test part (is_test[i] = 1), the rest in training (0).
 * Returns the number of test items, or -EINVAL (frac outside 0..1).
 */
int metrics_strat_split(const int *strata, int n, double frac,
			struct nn_rng *rng, __u8 *is_test);

/* Area under the ROC curve of score for truth (non-zero = positive):
 * the probability that a random positive scores above a random negative,
 * ties counting one half (Mann-Whitney). NaN without both kinds.
 */
double metrics_auc(const double *score, const __u8 *truth, int n);

/* Mean and sample standard deviation (n - 1; 0 when n < 2). NaN values
 * are skipped; both NaN when nothing is left.
 */
void metrics_mean_sd(const double *v, int n, double *mean, double *sd);

/* Value at quantile q (0..1) of v (sorted in place), linear interpolation;
 * NaN when n == 0.
 */
double metrics_quantile(double *v, int n, double q);

#endif
