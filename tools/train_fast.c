// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Training the Fast model: DML, then k-means++ centroids (train.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmeans.h"
#include "log.h"
#include "train.h"
#include "train_fit.h"

void fast_train_defaults(struct fast_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->arch = (struct robot_fastq_arch){
		.c1 = ROBOT_FASTQ_DEF_C1, .k1 = ROBOT_FASTQ_DEF_K1,
		.s1 = ROBOT_FASTQ_DEF_S1, .p1 = ROBOT_FASTQ_DEF_P1,
		.c2 = ROBOT_FASTQ_DEF_C2, .k2 = ROBOT_FASTQ_DEF_K2,
		.s2 = ROBOT_FASTQ_DEF_S2, .p2 = ROBOT_FASTQ_DEF_P2,
		.emb = ROBOT_FASTQ_DEF_EMB,
	};
	o->epochs = 200;
	o->per_class = 16;
	o->lr = 3e-3f;
	o->wd = 1e-4f;
	o->a = 0.4f;
	o->m = 1.0f;
	o->beta = 0.5f;
	o->clusters = 0; /* one per class */
	o->norm_reg = 1.0f;
	o->seed = 1;
	o->cent_max = ROBOT_FASTQ_CENT_MAX;
	o->cent_per_class = 0;
	o->cent_radius = 0.2f;
	o->cent_q = 0.9f;
	o->fdd_q = 0.5f;
	o->calib_frac = 0.2f;
}

static int parse_pos_float(const char *s, float *v)
{
	char *end;

	errno = 0;
	*v = strtof(s, &end);
	return !*s || *end || errno || !(*v > 0) ? -EINVAL : 0;
}

int fast_opts_beta(struct fast_train_opts *o, const char *arg)
{
	if (!strcmp(arg, "auto")) {
		if (!(o->fdd_q > 0))
			o->fdd_q = 0.5f;
		return 0;
	}
	o->fdd_q = 0; /* the paper's rule D = beta * a */
	return parse_pos_float(arg, &o->beta);
}

int fast_opts_fdd_quantile(struct fast_train_opts *o, const char *arg)
{
	float q;

	if (parse_pos_float(arg, &q) || !(q < 1))
		return -EINVAL;
	o->fdd_q = q;
	return 0;
}

/* Label each cluster with its majority class; a cluster without members
 * takes the class of its nearest training sample.
 */
static void label_clusters(const float *emb, const int *label, const int *asg,
			   int n, int e, int k, int n_classes,
			   const float *cent, int *cl)
{
	int *votes = calloc((size_t)k * n_classes, sizeof(int)), j, c, i, bi;
	double best, d, t;

	for (i = 0; votes && i < n; i++)
		votes[asg[i] * n_classes + label[i]]++;
	for (j = 0; j < k; j++) {
		bi = -1;
		for (c = 0; votes && c < n_classes; c++)
			if (votes[j * n_classes + c] &&
			    (bi < 0 || votes[j * n_classes + c] >
					       votes[j * n_classes + bi]))
				bi = c;
		if (bi < 0) {
			best = 1e30;
			for (i = 0; i < n; i++) {
				d = 0;
				for (c = 0; c < e; c++) {
					t = emb[i * e + c] - cent[j * e + c];
					d += t * t;
				}
				if (d < best) {
					best = d;
					bi = label[i];
				}
			}
		}
		cl[j] = bi;
	}
	free(votes);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* q quantile of v[0..n-1] (sorted in place), linear interpolation. */
static double quantile(double *v, int n, double q)
{
	double r;
	int i;

	if (n < 1)
		return 0;
	qsort(v, n, sizeof(*v), cmp_dbl);
	r = q * (n - 1);
	i = (int)r;
	if (i >= n - 1)
		return v[n - 1];
	return v[i] + (r - i) * (v[i + 1] - v[i]);
}

/* k-means++ on the m embeddings of one class (rows idx[]), k unit-length
 * centroids into cent; *spread = the q quantile of the members' distance
 * to their centroid, *inertia their sum of squared distances.
 */
static int class_kmeans(const float *emb, const int *idx, int m, int e,
			int k, double q, struct nn_rng *rng, float *cent,
			double *spread, double *inertia)
{
	float *xs = malloc((size_t)m * e * sizeof(float) + 1);
	double *d = malloc((size_t)m * sizeof(double) + 1), d2, in = 0;
	int i, err = -ENOMEM;

	if (!xs || !d || m < 1)
		goto out;
	for (i = 0; i < m; i++)
		memcpy(xs + (size_t)i * e, emb + (size_t)idx[i] * e,
		       e * sizeof(float));
	err = kmeans_pp(xs, m, e, k, 100, 5, rng, cent, NULL, NULL);
	if (err)
		goto out;
	kmeans_normalize(cent, k, e);
	for (i = 0; i < m; i++) {
		kmeans_nearest(cent, k, e, xs + (size_t)i * e, &d2);
		d[i] = sqrt(d2);
		in += d2;
	}
	*inertia = in;
	*spread = quantile(d, m, q);
out:
	free(xs);
	free(d);
	return err;
}

/* Per-class centroids (see struct fast_train_opts). */
static int class_centroids(const struct fast_train_opts *o, const float *emb,
			   const int *label, int n, int n_classes,
			   const __u8 *class_ids, struct nn_rng *rng,
			   struct robot_fast *f)
{
	int e = o->arch.emb, cap = o->cent_max, tot = 0, c, i, j, m, err = 0;
	int *idx = malloc((size_t)n * sizeof(int) + 1), *start = NULL;
	int k[ROBOT_CLASS_MAX] = { 0 }, cnt[ROBOT_CLASS_MAX] = { 0 };
	double spread[ROBOT_CLASS_MAX], inert[ROBOT_CLASS_MAX], best;
	float *cent[ROBOT_CLASS_MAX] = { NULL };

	if (cap < 1 || cap > ROBOT_FASTQ_CENT_MAX)
		cap = ROBOT_FASTQ_CENT_MAX;
	start = calloc(n_classes + 1, sizeof(int));
	if (!idx || !start || n_classes > ROBOT_CLASS_MAX) {
		err = idx && start ? -EINVAL : -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		cnt[label[i]]++;
	for (c = 0; c < n_classes; c++)
		start[c + 1] = start[c] + cnt[c];
	for (c = 0; c < n_classes; c++)
		cnt[c] = 0;
	for (i = 0; i < n; i++)
		idx[start[label[i]] + cnt[label[i]]++] = i;
	for (c = 0; c < n_classes; c++) {
		cent[c] = calloc((size_t)ROBOT_FASTQ_CENT_MAX * e,
				 sizeof(float));
		if (!cent[c]) {
			err = -ENOMEM;
			goto out;
		}
		if (!cnt[c])
			continue;
		k[c] = o->cent_per_class > 0 ? o->cent_per_class : 1;
		if (k[c] > cnt[c])
			k[c] = cnt[c];
		tot += k[c];
	}
	if (tot > cap) {
		pr_warn("fast: %d centroids exceed the cap %d\n", tot, cap);
		err = -EINVAL;
		goto out;
	}
	for (c = 0; c < n_classes; c++) {
		if (!k[c])
			continue;
		err = class_kmeans(emb, idx + start[c], cnt[c], e, k[c],
				   o->cent_q, rng, cent[c], &spread[c],
				   &inert[c]);
		if (err)
			goto out;
	}
	/* automatic: split the widest class (largest inertia) first */
	while (o->cent_per_class <= 0 && tot < cap) {
		best = -1;
		m = -1;
		for (c = 0; c < n_classes; c++)
			if (k[c] && k[c] < cnt[c] &&
			    spread[c] > o->cent_radius && inert[c] > best) {
				best = inert[c];
				m = c;
			}
		if (m < 0)
			break;
		k[m]++;
		tot++;
		err = class_kmeans(emb, idx + start[m], cnt[m], e, k[m],
				   o->cent_q, rng, cent[m], &spread[m],
				   &inert[m]);
		if (err)
			goto out;
	}
	f->n_cent = 0;
	for (c = 0; c < n_classes; c++) {
		if (!k[c])
			pr_warn("fast: no training sample, so no centroid, for "
				"class %d (robot_class %u)\n", c, class_ids[c]);
		for (j = 0; j < k[c]; j++) {
			memcpy(f->cent[f->n_cent], cent[c] + (size_t)j * e,
			       e * sizeof(float));
			f->cent_class[f->n_cent++] = class_ids[c];
		}
	}
	pr_debug("fast: %u centroids\n", f->n_cent);
out:
	for (c = 0; c < n_classes && c < ROBOT_CLASS_MAX; c++)
		free(cent[c]);
	free(idx);
	free(start);
	return err;
}

/* Global k-means with k clusters labeled by majority (--fast-clusters). */
static int global_centroids(const struct fast_train_opts *o, const float *emb,
			    const int *label, int n, int n_classes,
			    const __u8 *class_ids, struct nn_rng *rng,
			    struct robot_fast *f)
{
	int e = o->arch.emb, k = o->clusters, cl[ROBOT_FASTQ_CENT_MAX];
	float *cent = malloc((size_t)k * e * sizeof(float));
	int *asg = malloc((size_t)n * sizeof(int)), i, j, seen, err = -ENOMEM;

	if (!cent || !asg)
		goto out;
	err = kmeans_pp(emb, n, e, k, 100, 5, rng, cent, asg, NULL);
	if (err)
		goto out;
	kmeans_normalize(cent, k, e);
	label_clusters(emb, label, asg, n, e, k, n_classes, cent, cl);
	f->n_cent = k;
	for (j = 0; j < k; j++) {
		memcpy(f->cent[j], cent + (size_t)j * e, e * sizeof(float));
		f->cent_class[j] = class_ids[cl[j]];
	}
	for (i = 0; i < n_classes; i++) {
		seen = 0;
		for (j = 0; j < k; j++)
			seen |= cl[j] == i;
		if (!seen)
			pr_warn("fast: no centroid for class %d (robot_class "
				"%u); raise --fast-clusters\n", i,
				class_ids[i]);
	}
out:
	free(cent);
	free(asg);
	return err;
}

/* DML on the samples with use[i] (NULL: all), then centroids. */
static int fit_model(const struct fast_train_opts *o, const float *x,
		     const int *label, const __u8 *use, int n, int n_classes,
		     const __u8 *class_ids, const struct train_progress *p,
		     struct robot_fast *f)
{
	int e = o->arch.emb, in = ROBOT_HDR_LEN, m = 0, i, err;
	float *xs = NULL, *emb = NULL;
	int *ls = NULL;
	struct fit_opts fo = {
		.what = "fast", .epochs = o->epochs, .per_class = o->per_class,
		.lr = o->lr, .wd = o->wd, .a = o->a, .m = o->m,
		.norm_reg = o->norm_reg,
		.seed = o->seed ^ 0x66617374ULL,
	};
	struct nn_rng rng;

	err = robot_fast_init(f, &o->arch, 64, 1);
	if (err)
		return err;
	nn_rng_seed(&rng, o->seed);
	nn_init_params(&f->net, &rng);
	err = -ENOMEM;
	xs = malloc((size_t)n * in * sizeof(float) + 1);
	ls = malloc((size_t)n * sizeof(int) + 1);
	emb = malloc((size_t)n * e * sizeof(float) + 1);
	if (!xs || !ls || !emb)
		goto out;
	for (i = 0; i < n; i++) {
		if (use && !use[i])
			continue;
		memcpy(xs + (size_t)m * in, x + (size_t)i * in,
		       in * sizeof(float));
		ls[m++] = label[i];
	}
	err = -EINVAL;
	if (m < n_classes || (o->clusters && m < o->clusters))
		goto out;
	err = dml_fit(&f->net, xs, ls, NULL, m, n_classes, &fo, p);
	if (err)
		goto out;
	nn_infer(&f->net, xs, m, emb);
	if (o->clusters)
		err = global_centroids(o, emb, ls, m, n_classes, class_ids,
				       &rng, f);
	else
		err = class_centroids(o, emb, ls, m, n_classes, class_ids,
				      &rng, f);
out:
	free(xs);
	free(ls);
	free(emb);
	if (err)
		robot_fast_free(f);
	return err;
}

/* D from a first fit without calib_frac of the flows (drawn per class). */
static int calibrate_d(const struct fast_train_opts *o, const float *x,
		       const int *label, const int *flow, int n,
		       int n_classes, const __u8 *class_ids,
		       const struct train_progress *p, float *D)
{
	__u8 *use = malloc(n + 1), *first = malloc(n + 1);
	double *d = malloc((size_t)n * sizeof(double) + 1);
	int i, nc = 0, err = -ENOMEM;
	struct robot_fast_out out;
	struct robot_fast g = { 0 };
	float *emb = NULL;
	struct nn_rng rng;
	__u64 h;

	if (!use || !first || !d)
		goto out;
	nn_rng_seed(&rng, o->seed ^ 0x63616c6962ULL);
	h = nn_rng_next(&rng);
	/* held-out flows: a hash of (flow id, seed) below calib_frac; the
	 * first sample of a flow is its first payload packet
	 */
	for (i = 0; i < n; i++) {
		__u64 z = nn_mix64(h ^ ((__u64)(flow ? flow[i] : i) *
					0x9e3779b97f4a7c15ULL));

		use[i] = (double)(z >> 11) / (double)(1ULL << 53) >=
			 o->calib_frac;
		first[i] = !i || !flow || flow[i] != flow[i - 1];
	}
	err = fit_model(o, x, label, use, n, n_classes, class_ids, p, &g);
	if (err)
		goto out;
	err = -ENOMEM;
	emb = malloc((size_t)o->arch.emb * sizeof(float));
	if (!emb)
		goto out_g;
	for (i = 0; i < n; i++) {
		if (use[i] || !first[i])
			continue;
		nn_infer(&g.net, x + (size_t)i * ROBOT_HDR_LEN, 1, emb);
		robot_fast_decide(&g, emb, &out);
		d[nc++] = out.dist;
	}
	err = -EINVAL;
	if (nc < 10) {
		pr_warn("fast: %d held-out flows, too few to calibrate D\n",
			nc);
		goto out_g;
	}
	*D = (float)quantile(d, nc, o->fdd_q);
	pr_info("fast: D = %.4f, the %.2f quantile of %d held-out training "
		"flows' distances\n", *D, o->fdd_q, nc);
	err = 0;
out_g:
	robot_fast_free(&g);
out:
	free(emb);
	free(use);
	free(first);
	free(d);
	return err;
}

int fast_train_flows(const struct fast_train_opts *o,
		     const __u8 (*hdr)[ROBOT_HDR_LEN], const int *label,
		     const int *flow, int n, int n_classes,
		     const __u8 *class_ids, const struct train_progress *p,
		     struct robot_fast *f)
{
	float *x = NULL, D = o->beta * o->a;
	int i, err;

	if (o->clusters && (o->clusters < n_classes ||
			    o->clusters > ROBOT_FASTQ_CENT_MAX || n < o->clusters))
		return -EINVAL;
	if (n < 2 || !(o->a > 0) || !(o->m > o->a) || !(o->beta > 0) ||
	    !(o->beta * o->a < sqrtf(2.0f)) || !(o->fdd_q >= 0) ||
	    !(o->fdd_q < 1) || (o->fdd_q > 0 && !(o->calib_frac > 0 &&
						  o->calib_frac < 1)) ||
	    n_classes > ROBOT_CLASS_MAX)
		return -EINVAL;
	x = malloc((size_t)n * ROBOT_HDR_LEN * sizeof(float));
	if (!x)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		robot_fast_input(hdr[i], x + (size_t)i * ROBOT_HDR_LEN);
	if (o->fdd_q > 0) {
		err = calibrate_d(o, x, label, flow, n, n_classes, class_ids,
				  p, &D);
		if (err)
			goto out;
		/* the loader's bounds: 0 < D < sqrt 2 */
		if (D < 0.01f)
			D = 0.01f;
		if (D > 1.4f)
			D = 1.4f;
	}
	err = fit_model(o, x, label, NULL, n, n_classes, class_ids, p, f);
	if (err)
		goto out;
	f->meta.a = o->a;
	f->meta.m = o->m;
	f->meta.D = D;
	f->meta.beta = D / o->a;
	f->meta.seed = o->seed;
	f->fdd_q = o->fdd_q;
out:
	free(x);
	return err;
}

int fast_train(const struct fast_train_opts *o,
	       const __u8 (*hdr)[ROBOT_HDR_LEN], const int *label, int n,
	       int n_classes, const __u8 *class_ids,
	       const struct train_progress *p, struct robot_fast *f)
{
	return fast_train_flows(o, hdr, label, NULL, n, n_classes, class_ids,
				p, f);
}
