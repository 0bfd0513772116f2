// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One training run: select, train both models, quantize, evaluate, save. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "json.h"
#include "log.h"
#include "train.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void train_run_defaults(struct train_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sel.split = -1;
	o->sel.holdout = 0.2;
	o->sel.seed = 1;
	fast_train_defaults(&o->fast);
	robust_train_defaults(&o->robust);
	o->fast_pkts = 0;
}

/* Fast-model evaluation of one role (first payload packet per flow). */
static int eval_fast(const struct train_sel *s, int role, struct robot_fast *f,
		     const struct robot_fastq *q, const __u8 *class_ids,
		     struct train_eval *ev, __u8 *qclass, __u8 *qfdd)
{
	__u8(*hdr)[ROBOT_HDR_LEN] = NULL;
	int *label = NULL, *flow = NULL, n, i, e = f->arch.emb;
	int ok = 0, okq = 0, fdd = 0;
	struct robot_fastq_out qo;
	struct robot_fast_out fo;
	double dist = 0;
	float *emb;

	n = train_fast_samples(s, role, 0, &hdr, &label, &flow);
	if (n < 0)
		return n;
	ev->n = n;
	emb = malloc((size_t)n * e * sizeof(float) + 1);
	if (!emb) {
		n = -ENOMEM;
		goto out;
	}
	robot_fast_embed(f, (const __u8(*)[ROBOT_HDR_LEN])hdr, n, emb);
	for (i = 0; i < n; i++) {
		robot_fast_decide(f, emb + (size_t)i * e, &fo);
		robot_fastq_infer(q, hdr[i], &qo);
		ok += fo.class == class_ids[label[i]];
		okq += qo.class == class_ids[label[i]];
		fdd += qo.fdd;
		dist += fo.dist;
		qclass[i] = qo.class;
		qfdd[i] = qo.fdd;
	}
	if (n) {
		ev->fast_acc = (double)ok / n;
		ev->fastq_acc = (double)okq / n;
		ev->fdd = (double)fdd / n;
		ev->fast_dist = dist / n;
		quant_agreement(f, q, (const __u8(*)[ROBOT_HDR_LEN])hdr, n,
				&ev->q);
	}
	free(emb);
out:
	free(hdr);
	free(label);
	free(flow);
	return n;
}

static int eval_robust(const struct train_sel *s, int role,
		       struct robot_robust *r, const __u8 *class_ids,
		       struct train_eval *ev, const __u8 *qclass,
		       const __u8 *qfdd)
{
	int *label = NULL, *flow = NULL, n, i, ok = 0, sys = 0;
	float *x = NULL, *dist = NULL;
	__u8 *cls = NULL;
	double d = 0;

	n = train_robust_samples(s, role, &x, &label, &flow);
	if (n < 0)
		return n;
	cls = malloc(n + 1);
	dist = malloc((n + 1) * sizeof(float));
	if (!cls || !dist) {
		n = -ENOMEM;
		goto out;
	}
	robot_robust_infer(r, x, n, NULL, cls, dist);
	for (i = 0; i < n; i++) {
		ok += cls[i] == class_ids[label[i]];
		d += dist[i];
		/* same flows, same order as eval_fast */
		sys += (qfdd[i] ? cls[i] : qclass[i]) == class_ids[label[i]];
	}
	if (n) {
		ev->robust_acc = (double)ok / n;
		ev->robust_dist = d / n;
		ev->system_acc = (double)sys / n;
	}
out:
	free(x);
	free(label);
	free(flow);
	free(cls);
	free(dist);
	return n;
}

static int save_models(const struct train_run_opts *o, struct robot_fast *f,
		       const struct robot_fastq *q, struct robot_robust *r)
{
	char path[4096];
	int err;

	if (!o->out_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", o->out_dir,
		 ROBOT_FAST_MODEL_FILE);
	err = robot_fast_save(path, f, q);
	if (err) {
		pr_warn("train: cannot write %s: %s\n", path, strerror(-err));
		return err;
	}
	if (o->skip_robust)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", o->out_dir,
		 ROBOT_ROBUST_MODEL_FILE);
	err = robot_robust_save(path, r);
	if (err)
		pr_warn("train: cannot write %s: %s\n", path, strerror(-err));
	return err;
}

int train_run(const struct train_run_opts *o, const struct robot_dataset *ds,
	      const struct train_progress *p, struct train_result *res)
{
	static const char *const split_names[] = { "A", "B" };
	struct robot_fastq *q = calloc(1, sizeof(*q));
	__u8 (*hdr)[ROBOT_HDR_LEN] = NULL, *qclass = NULL, *qfdd = NULL;
	struct robot_model_meta meta = { 0 };
	int *label = NULL, *flow = NULL, n, role, err;
	struct robot_robust r = { 0 };
	struct robot_fast f = { 0 };
	struct train_sel s;
	float *x = NULL;
	double t;

	memset(res, 0, sizeof(*res));
	if (!q)
		return -ENOMEM;
	err = train_select(ds, &o->sel, &s);
	if (err)
		goto out_q;
	train_sel_meta(&s, &meta);
	snprintf(meta.split, sizeof(meta.split), "%s",
		 o->sel.split < 0 ? "none" : split_names[o->sel.split]);
	res->n_classes = s.n_classes;
	if (p && p->out)
		fprintf(p->out, "train: %d classes, flows: %d train, %d "
			"seen-test, %d unseen, %d skipped\n", s.n_classes,
			s.count[TRAIN_ROLE_TRAIN], s.count[TRAIN_ROLE_TEST],
			s.count[TRAIN_ROLE_UNSEEN], s.count[TRAIN_ROLE_SKIP]);
	/* Fast model */
	n = train_fast_samples(&s, TRAIN_ROLE_TRAIN, o->fast_pkts, &hdr, &label,
			       &flow);
	if (n < 0) {
		err = n;
		goto out;
	}
	res->fast_samples = n;
	t = now_s();
	err = fast_train_flows(&o->fast, (const __u8(*)[ROBOT_HDR_LEN])hdr,
			       label, flow, n, s.n_classes, meta.class_ids, p,
			       &f);
	if (err) {
		pr_warn("train: fast model: %s\n", strerror(-err));
		goto out;
	}
	res->fast_secs = now_s() - t;
	meta.a = f.meta.a;
	meta.m = f.meta.m;
	meta.beta = f.meta.beta;
	meta.D = f.meta.D;
	meta.seed = o->fast.seed;
	f.meta = meta;
	t = now_s();
	if (o->calib_pkts > o->fast_pkts) {
		/* a larger calibration set: more packets of the same flows */
		free(hdr);
		free(label);
		free(flow);
		n = train_fast_samples(&s, TRAIN_ROLE_TRAIN, o->calib_pkts,
				       &hdr, &label, &flow);
		if (n < 0) {
			err = n;
			goto out;
		}
	}
	if (o->calib_max > 0 && n > o->calib_max) {
		/* an evenly spaced subset (deterministic) */
		int i, k = 0;

		for (i = 0; i < o->calib_max; i++, k++)
			memcpy(hdr[k], hdr[(long)i * n / o->calib_max],
			       ROBOT_HDR_LEN);
		n = o->calib_max;
	}
	res->calib_samples = n;
	err = quant_fast(&f, (const __u8(*)[ROBOT_HDR_LEN])hdr, n, q,
			 &res->q_calib);
	res->quant_secs = now_s() - t;
	if (err)
		goto out;
	/* Robust model */
	if (!o->skip_robust) {
		free(label);
		free(flow);
		n = train_robust_samples(&s, TRAIN_ROLE_TRAIN, &x, &label,
					 &flow);
		if (n < 0) {
			err = n;
			goto out;
		}
		res->robust_samples = n;
		t = now_s();
		err = robust_train(&o->robust, x, label, n, s.n_classes,
				   meta.class_ids, p, &r);
		if (err) {
			pr_warn("train: robust model: %s\n", strerror(-err));
			goto out;
		}
		res->robust_secs = now_s() - t;
		meta.b = r.meta.b;
		r.meta = meta;
		r.meta.a = o->robust.a;
		r.meta.m = o->robust.m;
		r.meta.beta = 0;
		r.meta.D = 0;
	}
	/* Evaluation */
	qclass = malloc(ds->n_flows + 1);
	qfdd = malloc(ds->n_flows + 1);
	if (!qclass || !qfdd) {
		err = -ENOMEM;
		goto out;
	}
	for (role = 0; role < 3; role++) {
		err = eval_fast(&s, role, &f, q, meta.class_ids, &res->ev[role],
				qclass, qfdd);
		if (err < 0)
			goto out;
		if (!o->skip_robust) {
			err = eval_robust(&s, role, &r, meta.class_ids,
					  &res->ev[role], qclass, qfdd);
			if (err < 0)
				goto out;
		}
	}
	err = save_models(o, &f, q, &r);
out:
	free(hdr);
	free(label);
	free(flow);
	free(x);
	free(qclass);
	free(qfdd);
	robot_fast_free(&f);
	robot_robust_free(&r);
	train_sel_free(&s);
out_q:
	free(q);
	return err;
}

static void json_eval(struct json_w *w, const char *key,
		      const struct train_eval *e)
{
	json_obj_open(w, key);
	json_u64(w, "flows", e->n);
	json_dbl(w, "fast_acc", e->fast_acc);
	json_dbl(w, "fastq_acc", e->fastq_acc);
	json_dbl(w, "fdd_rate", e->fdd);
	json_dbl(w, "fast_mean_dist", e->fast_dist);
	json_dbl(w, "robust_acc", e->robust_acc);
	json_dbl(w, "robust_mean_dist", e->robust_dist);
	json_dbl(w, "system_acc", e->system_acc);
	json_dbl(w, "int8_class_agree", e->q.class_agree);
	json_dbl(w, "int8_fdd_agree", e->q.fdd_agree);
	json_obj_close(w);
}

void train_result_json(const struct train_result *r, FILE *f)
{
	struct json_w w;

	json_init(&w, f);
	json_obj_open(&w, NULL);
	json_u64(&w, "classes", r->n_classes);
	json_u64(&w, "fast_samples", r->fast_samples);
	json_u64(&w, "robust_samples", r->robust_samples);
	json_u64(&w, "calib_samples", r->calib_samples);
	json_dbl(&w, "fast_secs", r->fast_secs);
	json_dbl(&w, "quant_secs", r->quant_secs);
	json_dbl(&w, "robust_secs", r->robust_secs);
	json_obj_open(&w, "calibration");
	json_dbl(&w, "p_act", r->q_calib.p_act);
	json_dbl(&w, "p_emb", r->q_calib.p_emb);
	json_dbl(&w, "class_agree", r->q_calib.class_agree);
	json_dbl(&w, "fdd_agree", r->q_calib.fdd_agree);
	json_dbl(&w, "emb_rel_err", r->q_calib.emb_err);
	json_obj_close(&w);
	json_eval(&w, "train", &r->ev[TRAIN_ROLE_TRAIN]);
	json_eval(&w, "seen_test", &r->ev[TRAIN_ROLE_TEST]);
	json_eval(&w, "unseen", &r->ev[TRAIN_ROLE_UNSEEN]);
	json_obj_close(&w);
	json_end(&w);
}

void train_result_print(const struct train_result *r, FILE *f)
{
	static const char *const names[] = { "train", "seen-test", "unseen" };
	int i;

	fprintf(f, "samples: fast %d, robust %d; time: fast %.1f s, quant "
		"%.1f s, robust %.1f s\n", r->fast_samples, r->robust_samples,
		r->fast_secs, r->quant_secs, r->robust_secs);
	fprintf(f, "int8 calibration (p %.2f/%.2f): class agreement %.4f, "
		"FDD agreement %.4f, embedding error %.4f\n", r->q_calib.p_act,
		r->q_calib.p_emb, r->q_calib.class_agree, r->q_calib.fdd_agree,
		r->q_calib.emb_err);
	fprintf(f, "%-10s %5s %8s %8s %6s %6s %8s %6s %8s %7s %7s\n", "flows",
		"n", "fast", "fast-i8", "FDD", "dist", "robust", "rdist",
		"system", "agr-cls", "agr-fdd");
	for (i = 0; i < 3; i++) {
		const struct train_eval *e = &r->ev[i];

		fprintf(f, "%-10s %5d %8.4f %8.4f %6.3f %6.3f %8.4f %6.3f "
			"%8.4f %7.4f %7.4f\n", names[i], e->n, e->fast_acc,
			e->fastq_acc, e->fdd, e->fast_dist, e->robust_acc,
			e->robust_dist, e->system_acc, e->q.class_agree,
			e->q.fdd_agree);
	}
}
