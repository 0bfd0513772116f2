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

int fast_train(const struct fast_train_opts *o,
	       const __u8 (*hdr)[ROBOT_HDR_LEN], const int *label, int n,
	       int n_classes, const __u8 *class_ids,
	       const struct train_progress *p, struct robot_fast *f)
{
	int e = o->arch.emb, k = o->clusters ? o->clusters : n_classes;
	int *asg = NULL, cl[ROBOT_FASTQ_CENT_MAX], i, j, err, seen;
	float *x = NULL, *emb = NULL, *cent = NULL;
	struct fit_opts fo = {
		.what = "fast", .epochs = o->epochs, .per_class = o->per_class,
		.lr = o->lr, .wd = o->wd, .a = o->a, .m = o->m,
		.norm_reg = o->norm_reg,
		.seed = o->seed ^ 0x66617374ULL,
	};
	struct nn_rng rng;

	if (k < n_classes || k > ROBOT_FASTQ_CENT_MAX || n < k ||
	    !(o->a > 0) || !(o->m > o->a) || !(o->beta > 0) ||
	    !(o->beta * o->a < sqrtf(2.0f)))
		return -EINVAL;
	err = robot_fast_init(f, &o->arch, 64, 1);
	if (err)
		return err;
	nn_rng_seed(&rng, o->seed);
	nn_init_params(&f->net, &rng);
	err = -ENOMEM;
	x = malloc((size_t)n * ROBOT_HDR_LEN * sizeof(float));
	emb = malloc((size_t)n * e * sizeof(float));
	cent = malloc((size_t)k * e * sizeof(float));
	asg = malloc((size_t)n * sizeof(int));
	if (!x || !emb || !cent || !asg)
		goto out;
	for (i = 0; i < n; i++)
		robot_fast_input(hdr[i], x + (size_t)i * ROBOT_HDR_LEN);
	err = dml_fit(&f->net, x, label, NULL, n, n_classes, &fo, p);
	if (err)
		goto out;
	nn_infer(&f->net, x, n, emb);
	err = kmeans_pp(emb, n, e, k, 100, 5, &rng, cent, asg, NULL);
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
	f->meta.a = o->a;
	f->meta.m = o->m;
	f->meta.beta = o->beta;
	f->meta.D = o->beta * o->a;
	f->meta.seed = o->seed;
out:
	free(x);
	free(emb);
	free(cent);
	free(asg);
	if (err)
		robot_fast_free(f);
	return err;
}
