// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Robust model: featurization, inference, file I/O (robust.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "robust.h"

#define ROBUST_FORMAT "robot-robust"

int robot_robust_featurize(const struct robot_pkt_feat *pkts, int n,
			   float *out)
{
	static const double iat_norm = 16.118095750958314; /* log1p(1e7) */
	const struct robot_pkt_feat *p;
	double us, v;
	float *row;
	int i, j;

	if (n < 0)
		return -EINVAL;
	if (n > ROBOT_WINDOW)
		n = ROBOT_WINDOW;
	memset(out, 0, ROBOT_ROBUST_IN * sizeof(float));
	for (i = 0; i < n; i++) {
		p = &pkts[i];
		row = out + i * ROBOT_ROBUST_FEAT;
		for (j = 0; j < ROBOT_HDR_LEN; j++)
			row[j] = p->hdr[j] / 255.0f;
		v = p->ip_len / 1500.0;
		row[ROBOT_HDR_LEN] = (float)(v < 1.0 ? v : 1.0);
		us = 0;
		if (i && p->ts_ns > pkts[i - 1].ts_ns)
			us = (p->ts_ns - pkts[i - 1].ts_ns) / 1000.0;
		v = log1p(us) / iat_norm;
		row[ROBOT_HDR_LEN + 1] = (float)(v < 1.0 ? v : 1.0);
		row[ROBOT_HDR_LEN + 2] = p->dir ? 1.0f : 0.0f;
		row[ROBOT_HDR_LEN + 3] = 1.0f;
	}
	return n;
}

static int arch_ok(const struct robot_robust_arch *a)
{
	return a->c1 >= 1 && a->c1 <= 256 && a->c2 >= 1 && a->c2 <= 256 &&
	       a->hidden >= 1 && a->hidden <= 4096 && a->emb >= 2 &&
	       a->emb <= 256;
}

int robot_robust_init(struct robot_robust *r,
		      const struct robot_robust_arch *arch, int max_batch,
		      int train)
{
	struct nn_net *n = &r->net;
	int err;

	memset(r, 0, sizeof(*r));
	if (!arch_ok(arch))
		return -EINVAL;
	r->arch = *arch;
	nn_init(n, 1, ROBOT_WINDOW, ROBOT_ROBUST_FEAT);
	err = nn_add_conv(n, arch->c1, 3, 4, 1, 2, 1, 1);
	err = err ?: nn_add_relu(n);
	err = err ?: nn_add_conv(n, arch->c2, 3, 3, 2, 2, 1, 1);
	err = err ?: nn_add_relu(n);
	err = err ?: nn_add_dense(n, arch->hidden);
	err = err ?: nn_add_relu(n);
	err = err ?: nn_add_dense(n, arch->emb);
	err = err ?: nn_add_l2norm(n);
	err = err ?: nn_alloc(n, max_batch, train);
	if (err)
		nn_free(n);
	return err;
}

void robot_robust_free(struct robot_robust *r)
{
	nn_free(&r->net);
	free(r->cent);
	free(r->cent_class);
	memset(r, 0, sizeof(*r));
}

int robot_robust_nearest(const struct robot_robust *r, const float *emb,
			 float *dist)
{
	double best = -1e30, dot, d2;
	__u32 j, i;
	int bi = 0;

	for (j = 0; j < r->n_cent; j++) {
		dot = 0;
		for (i = 0; i < r->arch.emb; i++)
			dot += (double)emb[i] * r->cent[j * r->arch.emb + i];
		if (dot > best) {
			best = dot;
			bi = j;
		}
	}
	if (dist) {
		d2 = 2.0 - 2.0 * best;
		*dist = r->n_cent ? (d2 > 0 ? (float)sqrt(d2) : 0.0f) :
				    sqrtf(2.0f);
	}
	return bi;
}

int robot_robust_infer(struct robot_robust *r, const float *x, int n,
		       float *emb, __u8 *class, float *dist)
{
	int e = r->arch.emb, s, c, i, best;
	const float *y;

	if (n < 0 || !r->net.max_batch)
		return -EINVAL;
	for (s = 0; s < n; s += c) {
		c = n - s < r->net.max_batch ? n - s : r->net.max_batch;
		y = nn_forward(&r->net, x + (size_t)s * ROBOT_ROBUST_IN, c);
		if (emb)
			memcpy(emb + (size_t)s * e, y,
			       (size_t)c * e * sizeof(float));
		for (i = 0; i < c; i++) {
			best = robot_robust_nearest(r, y + (size_t)i * e,
						    dist ? &dist[s + i] : NULL);
			if (class)
				class[s + i] = r->n_cent ? r->cent_class[best] :
							   ROBOT_CLASS_NONE;
		}
	}
	return 0;
}

int robot_robust_classify(struct robot_robust *r,
			  const struct robot_pkt_feat *pkts,
			  const __u8 *n_pkts, int n, __u8 *class)
{
	float *x;
	int i, err;

	if (n <= 0)
		return n ? -EINVAL : 0;
	x = malloc((size_t)n * ROBOT_ROBUST_IN * sizeof(float));
	if (!x)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		robot_robust_featurize(pkts + (size_t)i * ROBOT_WINDOW,
				       n_pkts[i], x + (size_t)i * ROBOT_ROBUST_IN);
	err = robot_robust_infer(r, x, n, NULL, class, NULL);
	free(x);
	return err;
}

/* Layer index -> tensor name prefix (layers with parameters only). */
static const char *const robust_names[] = {
	[0] = "conv1", [2] = "conv2", [4] = "fc1", [6] = "fc2",
};

static void layer_shape(const struct nn_layer *l, __u64 *sh, int *ndim)
{
	if (l->kind == NN_CONV) {
		sh[0] = l->cout, sh[1] = l->cin, sh[2] = l->kh, sh[3] = l->kw;
		*ndim = 4;
	} else {
		sh[0] = l->cout, sh[1] = l->cin * l->hin * l->win;
		*ndim = 2;
	}
}

int robot_robust_save(const char *path, const struct robot_robust *r)
{
	const struct robot_robust_arch *a = &r->arch;
	char name[ST_NAME_MAX];
	struct st_file s;
	__u64 sh[4];
	int i, nd, err = 0;

	if (!r->n_cent || r->n_cent > ROBOT_ROBUST_CENT_MAX)
		return -EINVAL;
	st_init(&s);
	for (i = 0; i < r->net.n_layers; i++) {
		const struct nn_layer *l = &r->net.l[i];

		if (l->kind != NN_CONV && l->kind != NN_DENSE)
			continue;
		layer_shape(l, sh, &nd);
		snprintf(name, sizeof(name), "%s.weight", robust_names[i]);
		err |= st_add(&s, name, ST_F32, nd, sh, l->w);
		snprintf(name, sizeof(name), "%s.bias", robust_names[i]);
		err |= st_add(&s, name, ST_F32, 1, sh, l->b);
	}
	sh[0] = r->n_cent, sh[1] = a->emb;
	err |= st_add(&s, "centers", ST_F32, 2, sh, r->cent);
	err |= st_add(&s, "center_class", ST_U8, 1, sh, r->cent_class);
	if (err) {
		err = -EINVAL;
		goto out;
	}
	err = robot_meta_put(&s, &r->meta, ROBUST_FORMAT);
	err = err ?: st_meta_set(&s, "arch", "%u,%u,%u,%u", a->c1, a->c2,
				 a->hidden, a->emb);
	err = err ?: st_meta_set(&s, "window", "%d", ROBOT_WINDOW);
	err = err ?: st_meta_set(&s, "features", "%d", ROBOT_ROBUST_FEAT);
	err = err ?: st_meta_set(&s, "macs", "%ld", nn_macs(&r->net));
	err = err ?: st_write(&s, path);
out:
	st_free(&s);
	return err;
}

static int robust_get(const struct st_file *s, struct robot_robust *r)
{
	const char *v = st_meta(s, "arch"), *w = st_meta(s, "window"),
		   *fe = st_meta(s, "features");
	struct robot_robust_arch a;
	char name[ST_NAME_MAX], end;
	__u64 sh[4], nc = 0;
	int i, nd, err;

	if (!v || sscanf(v, "%u,%u,%u,%u%c", &a.c1, &a.c2, &a.hidden, &a.emb,
			 &end) != 4 || !arch_ok(&a)) {
		pr_warn("%s: bad model file: bad arch\n", s->path);
		return -EINVAL;
	}
	if (!w || !fe || atoi(w) != ROBOT_WINDOW ||
	    atoi(fe) != ROBOT_ROBUST_FEAT) {
		pr_warn("%s: bad model file: window/features do not match\n",
			s->path);
		return -EINVAL;
	}
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->t[i].name, "centers") && s->t[i].ndim == 2)
			nc = s->t[i].shape[0];
	if (nc < 1 || nc > ROBOT_ROBUST_CENT_MAX) {
		pr_warn("%s: bad model file: bad center count\n", s->path);
		return -EINVAL;
	}
	err = robot_robust_init(r, &a, ROBOT_ROBUST_BATCH, 0);
	if (err)
		return err;
	r->n_cent = nc;
	r->cent = malloc(nc * a.emb * sizeof(float));
	r->cent_class = malloc(nc);
	if (!r->cent || !r->cent_class)
		return -ENOMEM;
	for (i = 0; i < r->net.n_layers && !err; i++) {
		struct nn_layer *l = &r->net.l[i];

		if (l->kind != NN_CONV && l->kind != NN_DENSE)
			continue;
		layer_shape(l, sh, &nd);
		snprintf(name, sizeof(name), "%s.weight", robust_names[i]);
		err = st_get(s, name, ST_F32, nd, sh, l->w);
		snprintf(name, sizeof(name), "%s.bias", robust_names[i]);
		err = err ?: st_get(s, name, ST_F32, 1, sh, l->b);
	}
	sh[0] = nc, sh[1] = a.emb;
	err = err ?: st_get(s, "centers", ST_F32, 2, sh, r->cent);
	err = err ?: st_get(s, "center_class", ST_U8, 1, sh, r->cent_class);
	for (i = 0; !err && i < (int)nc; i++)
		if (r->cent_class[i] >= ROBOT_CLASS_MAX) {
			pr_warn("%s: bad model file: bad center class\n",
				s->path);
			err = -EINVAL;
		}
	return err;
}

int robot_robust_load(const char *path, struct robot_robust *r)
{
	struct robot_model_meta m;
	struct st_file s;
	int err;

	memset(r, 0, sizeof(*r));
	err = st_read(path, &s);
	if (err)
		return err;
	err = robot_meta_get(&s, &m, ROBUST_FORMAT);
	err = err ?: robust_get(&s, r);
	if (err)
		robot_robust_free(r);
	else
		r->meta = m;
	st_free(&s);
	return err;
}
