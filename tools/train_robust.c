// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Training the Robust model: raw pre-clusters, 3-tier DML, per-class
 * embedding centers (train.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmeans.h"
#include "log.h"
#include "train.h"
#include "train_fit.h"

void robust_train_defaults(struct robust_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->arch = (struct robot_robust_arch){
		.c1 = ROBOT_ROBUST_DEF_C1, .c2 = ROBOT_ROBUST_DEF_C2,
		.hidden = ROBOT_ROBUST_DEF_HIDDEN, .emb = ROBOT_ROBUST_DEF_EMB,
	};
	o->epochs = 30;
	o->per_class = 12;
	o->lr = 1e-3f;
	o->wd = 1e-4f;
	o->a = 0.4f;
	o->b = 0.8f;
	o->m = 1.2f;
	o->k = 2;
	o->centers = 3;
	o->seed = 1;
}

/* k-means++ per class of rows x [n][d]: id[i] = first id of its class +
 * its cluster; centers (unit rows) appended to cent/ccls when not NULL.
 * Returns the number of clusters made, or -errno.
 */
static int per_class_kmeans(const float *x, int n, int d, const int *label,
			    int n_classes, int k, struct nn_rng *rng, int *id,
			    float *cent, int *ccls)
{
	int c, i, m, kc, total = 0, err, *idx = NULL, *asg = NULL;
	float *sub = NULL, *cc = NULL;

	idx = malloc(n * sizeof(int));
	asg = malloc(n * sizeof(int));
	sub = malloc((size_t)n * d * sizeof(float));
	cc = malloc((size_t)k * d * sizeof(float));
	err = -ENOMEM;
	if (!idx || !asg || !sub || !cc)
		goto out;
	for (c = 0; c < n_classes; c++) {
		m = 0;
		for (i = 0; i < n; i++)
			if (label[i] == c) {
				idx[m] = i;
				memcpy(sub + (size_t)m * d, x + (size_t)i * d,
				       d * sizeof(float));
				m++;
			}
		if (!m)
			continue;
		kc = k < m ? k : m;
		err = kmeans_pp(sub, m, d, kc, 50, 3, rng, cc, asg, NULL);
		if (err)
			goto out;
		for (i = 0; id && i < m; i++)
			id[idx[i]] = total + asg[i];
		if (cent) {
			kmeans_normalize(cc, kc, d);
			memcpy(cent + (size_t)total * d, cc,
			       (size_t)kc * d * sizeof(float));
			for (i = 0; i < kc; i++)
				ccls[total + i] = c;
		}
		total += kc;
	}
	err = total;
out:
	free(idx);
	free(asg);
	free(sub);
	free(cc);
	return err;
}

int robust_train(const struct robust_train_opts *o, const float *x,
		 const int *label, int n, int n_classes, const __u8 *class_ids,
		 const struct train_progress *p, struct robot_robust *r)
{
	struct fit_opts fo = {
		.what = "robust", .epochs = o->epochs,
		.per_class = o->per_class, .lr = o->lr, .wd = o->wd,
		.a = o->a, .b = o->b, .m = o->m,
		.seed = o->seed ^ 0x726f62ULL,
	};
	int e = o->arch.emb, *clu = NULL, *ccls = NULL, nc, i, err;
	float *emb = NULL, *cent = NULL;
	struct nn_rng rng;

	if (o->k < 1 || o->centers < 1 ||
	    n_classes * o->centers > ROBOT_ROBUST_CENT_MAX ||
	    !(o->a > 0 && o->a < o->b && o->b < o->m))
		return -EINVAL;
	err = robot_robust_init(r, &o->arch, 64, 1);
	if (err)
		return err;
	nn_rng_seed(&rng, o->seed);
	nn_init_params(&r->net, &rng);
	err = -ENOMEM;
	clu = malloc(n * sizeof(int));
	emb = malloc((size_t)n * e * sizeof(float));
	cent = malloc((size_t)n_classes * o->centers * e * sizeof(float));
	ccls = malloc(n_classes * o->centers * sizeof(int));
	if (!clu || !emb || !cent || !ccls)
		goto out;
	/* (1) pre-clusters of each class on the raw windows */
	err = per_class_kmeans(x, n, ROBOT_ROBUST_IN, label, n_classes, o->k,
			       &rng, clu, NULL, NULL);
	if (err < 0)
		goto out;
	/* (2) metric learning */
	err = dml_fit(&r->net, x, label, clu, n, n_classes, &fo, p);
	if (err)
		goto out;
	/* (3) centers per class on the embeddings */
	nn_infer(&r->net, x, n, emb);
	nc = per_class_kmeans(emb, n, e, label, n_classes, o->centers, &rng,
			      NULL, cent, ccls);
	if (nc < 0) {
		err = nc;
		goto out;
	}
	err = -ENOMEM;
	r->cent = malloc((size_t)nc * e * sizeof(float));
	r->cent_class = malloc(nc);
	if (!r->cent || !r->cent_class)
		goto out;
	memcpy(r->cent, cent, (size_t)nc * e * sizeof(float));
	for (i = 0; i < nc; i++)
		r->cent_class[i] = class_ids[ccls[i]];
	r->n_cent = nc;
	r->meta.a = o->a;
	r->meta.b = o->b;
	r->meta.m = o->m;
	r->meta.seed = o->seed;
	err = 0;
out:
	free(clu);
	free(emb);
	free(cent);
	free(ccls);
	if (err)
		robot_robust_free(r);
	return err;
}
