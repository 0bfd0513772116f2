// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Evaluation metrics and data splits (metrics.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

double metrics_accuracy(const int *truth, const int *pred, int n)
{
	int i, ok = 0;

	if (n <= 0)
		return NAN;
	for (i = 0; i < n; i++)
		ok += truth[i] == pred[i];
	return (double)ok / n;
}

double metrics_macro_f1(const int *truth, const int *pred, int n,
			int n_classes)
{
	long tp[METRICS_CLASS_MAX] = { 0 }, np[METRICS_CLASS_MAX] = { 0 };
	long nt[METRICS_CLASS_MAX] = { 0 };
	double sum = 0, p, r;
	int i, c, k = 0;

	if (n <= 0 || n_classes < 1 || n_classes > METRICS_CLASS_MAX)
		return NAN;
	for (i = 0; i < n; i++) {
		if (truth[i] >= 0 && truth[i] < n_classes)
			nt[truth[i]]++;
		if (pred[i] >= 0 && pred[i] < n_classes) {
			np[pred[i]]++;
			tp[pred[i]] += pred[i] == truth[i];
		}
	}
	for (c = 0; c < n_classes; c++) {
		if (!nt[c] && !np[c])
			continue;
		k++;
		if (!tp[c])
			continue;
		p = (double)tp[c] / np[c];
		r = (double)tp[c] / nt[c];
		sum += 2 * p * r / (p + r);
	}
	return k ? sum / k : NAN;
}

void metrics_binary(const __u8 *truth, const __u8 *pred, int n,
		    struct metrics_bin *b)
{
	int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < n; i++) {
		if (truth[i])
			pred[i] ? b->tp++ : b->fn++;
		else
			pred[i] ? b->fp++ : b->tn++;
	}
	b->acc = n > 0 ? (double)(b->tp + b->tn) / n : NAN;
	b->prec = b->tp + b->fp ? (double)b->tp / (b->tp + b->fp) : 0;
	b->rec = b->tp + b->fn ? (double)b->tp / (b->tp + b->fn) : 0;
	b->f1 = b->prec + b->rec > 0 ?
			2 * b->prec * b->rec / (b->prec + b->rec) : 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* k of n indices drawn without replacement, sorted (partial shuffle). */
static int draw(int n, int k, struct nn_rng *rng, int *out)
{
	int *all = malloc((n + 1) * sizeof(int)), i, j, t;

	if (!all)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		all[i] = i;
	for (i = 0; i < k; i++) {
		j = i + (int)nn_rng_below(rng, n - i);
		t = all[i];
		all[i] = all[j];
		all[j] = t;
	}
	memcpy(out, all, k * sizeof(int));
	qsort(out, k, sizeof(int), cmp_int);
	free(all);
	return 0;
}

int metrics_mix(int n_a, int n_b, int ra, int rb, struct nn_rng *rng,
		int *ia, int *na, int *ib, int *nb)
{
	int k, err;

	*na = *nb = 0;
	if (ra < 1 || rb < 1 || n_a < 0 || n_b < 0)
		return -EINVAL;
	k = n_a / ra < n_b / rb ? n_a / ra : n_b / rb;
	err = draw(n_a, k * ra, rng, ia);
	err = err ?: draw(n_b, k * rb, rng, ib);
	if (err)
		return err;
	*na = k * ra;
	*nb = k * rb;
	return 0;
}

int metrics_strat_split(const int *strata, int n, double frac,
			struct nn_rng *rng, __u8 *is_test)
{
	int i, s, m, j, k, max = -1, total = 0, *idx;

	if (!(frac >= 0 && frac <= 1) || n < 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (strata[i] > max)
			max = strata[i];
	idx = malloc((n + 1) * sizeof(int));
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		is_test[i] = strata[i] < 0 ? 0xff : 0;
	for (s = 0; s <= max; s++) {
		m = 0;
		for (i = 0; i < n; i++)
			if (strata[i] == s)
				idx[m++] = i;
		if (!m)
			continue;
		nn_rng_shuffle(rng, idx, m);
		k = (int)lround(frac * m);
		for (j = 0; j < k; j++)
			is_test[idx[j]] = 1;
		total += k;
	}
	free(idx);
	return total;
}

double metrics_auc(const double *score, const __u8 *truth, int n)
{
	double wins = 0;
	long np = 0, nn = 0;
	int i, j;

	for (i = 0; i < n; i++) {
		if (!truth[i])
			continue;
		np++;
		for (j = 0; j < n; j++) {
			if (truth[j])
				continue;
			if (score[i] > score[j])
				wins += 1;
			else if (score[i] == score[j])
				wins += 0.5;
		}
	}
	for (i = 0; i < n; i++)
		nn += !truth[i];
	return np && nn ? wins / ((double)np * nn) : NAN;
}

void metrics_mean_sd(const double *v, int n, double *mean, double *sd)
{
	double s = 0, q = 0;
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (!isnan(v[i])) {
			s += v[i];
			k++;
		}
	if (!k) {
		*mean = *sd = NAN;
		return;
	}
	*mean = s / k;
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			q += (v[i] - *mean) * (v[i] - *mean);
	*sd = k > 1 ? sqrt(q / (k - 1)) : 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double metrics_quantile(double *v, int n, double q)
{
	double pos;
	int i;

	if (n <= 0)
		return NAN;
	qsort(v, n, sizeof(double), cmp_dbl);
	if (q <= 0)
		return v[0];
	if (q >= 1)
		return v[n - 1];
	pos = q * (n - 1);
	i = (int)pos;
	if (i >= n - 1)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}
