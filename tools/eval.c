// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Evaluation of Robot and the baselines (eval.h): per seed, split, train
 * everything on the same flows, decide every test flow, then metrics.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "eval.h"
#include "eval_int.h"
#include "log.h"
#include "metrics.h"

double eval_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void eval_defaults(struct eval_opts *o)
{
	static const float as[] = { 0.1f, 0.2f, 0.4f, 0.6f, 0.8f };
	static const float bs[] = { 0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 1.5f };
	unsigned i;

	memset(o, 0, sizeof(*o));
	o->split = 0;
	o->seeds = 5;
	o->seed = 1;
	o->pkt_mode = EVAL_PKT_FIRST_PAYLOAD;
	o->test_frac = 0.2;
	o->fast_pkts = 0;
	fast_train_defaults(&o->fast);
	robust_train_defaults(&o->robust);
	o->baselines = 1;
	dp_defaults(&o->dp);
	fsnet_defaults(&o->fs);
	o->km_k = 24;
	o->km_q = 0.95;
	o->sweep = 0;
	o->n_a = sizeof(as) / sizeof(as[0]);
	o->n_beta = sizeof(bs) / sizeof(bs[0]);
	for (i = 0; i < sizeof(as) / sizeof(as[0]); i++)
		o->sweep_a[i] = as[i];
	for (i = 0; i < sizeof(bs) / sizeof(bs[0]); i++)
		o->sweep_beta[i] = bs[i];
}

/* ------------------------------------------------------ the decision */

int eval_flow_packet(const struct robot_ds_flow *f, int mode)
{
	if (mode == EVAL_PKT_FIRST_PAYLOAD)
		return robot_ds_first_payload(f, 0);
	if (mode == EVAL_PKT_FIRST)
		return f->n_pkts ? 0 : -1;
	return mode >= 0 && mode < f->n_pkts ? mode : -1;
}

int eval_robot_flow(const struct robot_fastq *q, struct robot_robust *r,
		    const struct robot_ds_flow *f, int pkt,
		    struct eval_decision *d)
{
	float x[ROBOT_ROBUST_IN];
	struct robot_fastq_out qo;
	__u8 cls;
	int err;

	memset(d, 0, sizeof(*d));
	d->robust_class = ROBOT_CLASS_NONE;
	if (pkt < 0 || pkt >= f->n_pkts || pkt >= ROBOT_DATASET_PKTS)
		return -EINVAL;
	d->pkt = pkt;
	robot_fastq_infer(q, f->pkts[pkt].hdr, &qo);
	d->fast_class = qo.class;
	d->fdd = qo.fdd;
	d->dot = qo.dot;
	d->nrm2 = qo.nrm2;
	d->final_class = qo.class;
	if (!qo.fdd || !r)
		return 0;
	d->window = robot_robust_featurize(f->pkts + pkt, f->n_pkts - pkt, x);
	err = robot_robust_infer(r, x, 1, NULL, &cls, NULL);
	if (err)
		return err;
	d->robust_class = cls;
	if (cls != ROBOT_CLASS_NONE)
		d->final_class = cls;
	return 0;
}

/* ---------------------------------------------------------- one seed */

void eval_seed_free(struct eval_seed *s)
{
	int m;

	free(s->pkt);
	free(s->role);
	free(s->tr);
	free(s->te);
	free(s->un);
	free(s->m11);
	free(s->m21);
	free(s->score);
	for (m = 0; m < PM_COUNT; m++) {
		free(s->pred[m]);
		free(s->fdd[m]);
		free(s->lat[m]);
	}
	memset(s, 0, sizeof(*s));
}

/* Wait, in ms of capture time, from the flow's first packet to packet i
 * (the last stored one when the flow is shorter).
 */
double eval_wait_ms(const struct robot_ds_flow *f, int i)
{
	if (i >= f->n_pkts)
		i = f->n_pkts - 1;
	if (i <= 0 || f->pkts[i].ts_ns < f->pkts[0].ts_ns)
		return 0;
	return (f->pkts[i].ts_ns - f->pkts[0].ts_ns) / 1e6;
}

static int split_roles(struct eval_seed *s, __u64 seed)
{
	const struct robot_dataset *ds = s->ds;
	int nf = ds->n_flows, i, *strata, err, *tmp_a, *tmp_b, na, nb;
	const struct robot_ds_flow *f;
	struct nn_rng rng;
	__u8 *test;

	strata = malloc((nf + 1) * sizeof(int));
	test = malloc(nf + 1);
	if (!strata || !test) {
		free(strata);
		free(test);
		return -ENOMEM;
	}
	for (i = 0; i < nf; i++) {
		f = &ds->flows[i];
		s->pkt[i] = eval_flow_packet(f, s->o->pkt_mode);
		strata[i] = -1;
		if (s->pkt[i] < 0 || f->class_idx >= s->nc)
			s->role[i] = ER_SKIP;
		else if ((s->o->split ? f->split_b : f->split_a) ==
			 ROBOT_DS_UNSEEN || f->app_idx == s->unseen_app)
			s->role[i] = ER_UNSEEN;
		else {
			s->role[i] = ER_TRAIN;
			strata[i] = f->app_idx;
		}
		if (s->unseen_app >= 0 && s->role[i] == ER_UNSEEN &&
		    f->app_idx != s->unseen_app) {
			/* LOAO: the split columns do not apply */
			s->role[i] = ER_TRAIN;
			strata[i] = f->app_idx;
		}
	}
	nn_rng_seed(&rng, seed ^ 0x73706c6974ULL);
	err = metrics_strat_split(strata, nf, s->o->test_frac, &rng, test);
	if (err < 0)
		goto out;
	s->ntr = s->nte = s->nun = 0;
	for (i = 0; i < nf; i++) {
		if (s->role[i] == ER_TRAIN && test[i] == 1)
			s->role[i] = ER_TEST;
		if (s->role[i] == ER_TRAIN)
			s->tr[s->ntr++] = i;
		else if (s->role[i] == ER_TEST)
			s->te[s->nte++] = i;
		else if (s->role[i] == ER_UNSEEN)
			s->un[s->nun++] = i;
	}
	/* mixed sets: indices into te / un, then flow indices */
	tmp_a = malloc((s->nte + 1) * sizeof(int));
	tmp_b = malloc((s->nun + 1) * sizeof(int));
	err = -ENOMEM;
	if (!tmp_a || !tmp_b)
		goto out_tmp;
	err = metrics_mix(s->nte, s->nun, 1, 1, &rng, tmp_a, &na, tmp_b, &nb);
	if (err)
		goto out_tmp;
	s->n11 = 0;
	for (i = 0; i < na; i++)
		s->m11[s->n11++] = s->te[tmp_a[i]];
	for (i = 0; i < nb; i++)
		s->m11[s->n11++] = s->un[tmp_b[i]];
	err = metrics_mix(s->nte, s->nun, 2, 1, &rng, tmp_a, &na, tmp_b, &nb);
	if (err)
		goto out_tmp;
	s->n21 = 0;
	for (i = 0; i < na; i++)
		s->m21[s->n21++] = s->te[tmp_a[i]];
	for (i = 0; i < nb; i++)
		s->m21[s->n21++] = s->un[tmp_b[i]];
	err = 0;
out_tmp:
	free(tmp_a);
	free(tmp_b);
out:
	free(strata);
	free(test);
	return err;
}

int eval_seed_init(struct eval_seed *s, const struct robot_dataset *ds,
		   const struct eval_opts *o, __u64 seed, int unseen_app)
{
	int nf = ds->n_flows, m, i;

	memset(s, 0, sizeof(*s));
	s->ds = ds;
	s->o = o;
	s->seed = seed;
	s->unseen_app = unseen_app;
	s->nc = ds->n_classes < ROBOT_CLASS_MAX ? ds->n_classes :
						  ROBOT_CLASS_MAX;
	for (i = 0; i < 256; i++)
		s->cls_of[i] = -1;
	for (i = 0; i < s->nc; i++)
		s->cls_of[ds->class_ids[i]] = i;
	s->pkt = malloc((nf + 1) * sizeof(int));
	s->role = malloc(nf + 1);
	s->tr = malloc((nf + 1) * sizeof(int));
	s->te = malloc((nf + 1) * sizeof(int));
	s->un = malloc((nf + 1) * sizeof(int));
	s->m11 = malloc((nf + 1) * sizeof(int));
	s->m21 = malloc((nf + 1) * sizeof(int));
	s->score = malloc((nf + 1) * sizeof(double));
	if (!s->score || !s->pkt || !s->role || !s->tr || !s->te || !s->un || !s->m11 ||
	    !s->m21)
		goto nomem;
	for (m = 0; m < PM_COUNT; m++) {
		s->pred[m] = malloc((nf + 1) * sizeof(int));
		s->fdd[m] = malloc(nf + 1);
		s->lat[m] = malloc((nf + 1) * sizeof(double));
		if (!s->pred[m] || !s->fdd[m] || !s->lat[m])
			goto nomem;
		for (i = 0; i < nf; i++) {
			s->pred[m][i] = -1;
			s->fdd[m][i] = 0;
			s->lat[m][i] = NAN;
		}
	}
	return split_roles(s, seed);
nomem:
	eval_seed_free(s);
	return -ENOMEM;
}

/* Samples of the training flows: the classified packet, plus every other
 * payload packet among the first fast_pkts. hdr/label malloc'ed.
 */
int eval_train_samples(const struct eval_seed *s, int fast_pkts,
		       __u8 (**hdr)[ROBOT_HDR_LEN], int **label)
{
	const struct robot_ds_flow *f;
	int pass, k, i, p, n = 0;

	*hdr = NULL;
	*label = NULL;
	for (pass = 0; pass < 2; pass++) {
		if (pass) {
			*hdr = malloc((size_t)(n + 1) * ROBOT_HDR_LEN);
			*label = malloc((n + 1) * sizeof(int));
			if (!*hdr || !*label) {
				free(*hdr);
				free(*label);
				*hdr = NULL;
				*label = NULL;
				return -ENOMEM;
			}
			n = 0;
		}
		for (k = 0; k < s->ntr; k++) {
			i = s->tr[k];
			f = &s->ds->flows[i];
			for (p = 0; p < f->n_pkts; p++) {
				if (p != s->pkt[i] &&
				    (p >= fast_pkts || !f->pkts[p].payload_len))
					continue;
				if (pass) {
					memcpy((*hdr)[n], f->pkts[p].hdr,
					       ROBOT_HDR_LEN);
					(*label)[n] = f->class_idx;
				}
				n++;
			}
		}
	}
	return n;
}

static struct train_progress progress(const struct eval_opts *o)
{
	struct train_progress p = { .out = o->prog, .tty = o->tty };

	return p;
}

/* Train Fast (+ quantize) and Robust on the seed's training flows. */
int eval_train_robot(struct eval_seed *s, const struct fast_train_opts *fo,
		     int with_robust, struct robot_fast *f,
		     struct robot_fastq *q, struct robot_robust *r)
{
	const struct robot_dataset *ds = s->ds;
	struct train_progress p = progress(s->o);
	struct fast_train_opts fopt = *fo;
	struct robust_train_opts ropt = s->o->robust;
	__u8 (*hdr)[ROBOT_HDR_LEN] = NULL;
	struct quant_report rep;
	int *label = NULL, n, i, k, err;
	const struct robot_ds_flow *fl;
	float *x = NULL;

	n = eval_train_samples(s, s->o->fast_pkts, &hdr, &label);
	if (n < 0)
		return n;
	s->fast_samples = n;
	fopt.seed = s->seed;
	err = fast_train(&fopt, (const __u8(*)[ROBOT_HDR_LEN])hdr, label, n,
			 s->nc, ds->class_ids, &p, f);
	if (err) {
		pr_warn("eval: fast model: %s\n", strerror(-err));
		goto out;
	}
	err = quant_fast(f, (const __u8(*)[ROBOT_HDR_LEN])hdr, n, q, &rep);
	if (err) {
		pr_warn("eval: quantization: %s\n", strerror(-err));
		goto out_f;
	}
	if (!with_robust)
		goto out;
	err = -ENOMEM;
	x = malloc((size_t)(s->ntr + 1) * ROBOT_ROBUST_IN * sizeof(float));
	if (!x)
		goto out_f;
	for (k = 0; k < s->ntr; k++) {
		i = s->tr[k];
		fl = &ds->flows[i];
		robot_robust_featurize(fl->pkts + s->pkt[i],
				       fl->n_pkts - s->pkt[i],
				       x + (size_t)k * ROBOT_ROBUST_IN);
		label[k] = fl->class_idx;
	}
	ropt.seed = s->seed;
	err = robust_train(&ropt, x, label, s->ntr, s->nc, ds->class_ids, &p,
			   r);
	if (err) {
		pr_warn("eval: robust model: %s\n", strerror(-err));
		goto out_f;
	}
	goto out;
out_f:
	robot_fast_free(f);
out:
	free(hdr);
	free(label);
	free(x);
	return err;
}

static int cls_idx(const struct eval_seed *s, __u8 robot_class)
{
	return s->cls_of[robot_class];
}

/* Robot's decisions on every test flow (seen test and unseen), the float
 * model beside it, latencies.
 */
static int robot_decide(struct eval_seed *s, struct robot_fast *f,
			const struct robot_fastq *q, struct robot_robust *r)
{
	const struct robot_dataset *ds = s->ds;
	int lists, k, i, n, e = f->arch.emb, err;
	const struct robot_ds_flow *fl;
	struct robot_fast_out fo;
	struct eval_decision d;
	float emb[ROBOT_FASTQ_EMB_MAX];
	double t0, t1, t2;
	const int *idx;

	for (lists = 0; lists < 2; lists++) {
		idx = lists ? s->un : s->te;
		n = lists ? s->nun : s->nte;
		for (k = 0; k < n; k++) {
			i = idx[k];
			fl = &ds->flows[i];
			t0 = eval_now();
			err = eval_robot_flow(q, NULL, fl, s->pkt[i], &d);
			t1 = eval_now();
			if (err)
				return err;
			s->pred[PM_FAST][i] = cls_idx(s, d.fast_class);
			s->fdd[PM_FAST][i] = d.fdd;
			s->score[i] = d.nrm2 && d.dot > 0 ?
				1 - d.dot / (127.0 * sqrt((double)d.nrm2)) : 2;
			s->lat[PM_FAST][i] = eval_wait_ms(fl, s->pkt[i]) +
					     (t1 - t0) * 1e3;
			if (r && d.fdd) {
				err = eval_robot_flow(q, r, fl, s->pkt[i], &d);
				t2 = eval_now();
				if (err)
					return err;
				s->pred[PM_ROBUST][i] =
					cls_idx(s, d.robust_class);
				s->lat[PM_ROBOT][i] =
					eval_wait_ms(fl, s->pkt[i] +
							     ROBOT_WINDOW - 1) +
					(t2 - t1) * 1e3;
			} else {
				s->lat[PM_ROBOT][i] = s->lat[PM_FAST][i];
			}
			s->pred[PM_ROBOT][i] = cls_idx(s, d.final_class);
			s->fdd[PM_ROBOT][i] = d.fdd;
			/* the float twin */
			err = robot_fast_embed(f, (const __u8(*)[ROBOT_HDR_LEN])
					       fl->pkts[s->pkt[i]].hdr, 1, emb);
			if (err)
				return err;
			robot_fast_decide(f, emb, &fo);
			s->pred[PM_FASTF][i] = cls_idx(s, fo.class);
			s->fdd[PM_FASTF][i] = fo.fdd;
		}
	}
	(void)e;
	return 0;
}

/* Robust verdicts of every unseen flow (not only the FDD ones). */
static double robust_unseen_acc(struct eval_seed *s, struct robot_robust *r)
{
	const struct robot_ds_flow *fl;
	float x[ROBOT_ROBUST_IN];
	int k, i, ok = 0;
	__u8 c;

	if (!s->nun)
		return NAN;
	for (k = 0; k < s->nun; k++) {
		i = s->un[k];
		fl = &s->ds->flows[i];
		robot_robust_featurize(fl->pkts + s->pkt[i],
				       fl->n_pkts - s->pkt[i], x);
		if (robot_robust_infer(r, x, 1, NULL, &c, NULL))
			return NAN;
		ok += cls_idx(s, c) == fl->class_idx;
	}
	return (double)ok / s->nun;
}

/* Packet level: every payload packet of the seen-test / unseen flows. */
static void robot_packets(struct eval_seed *s, const struct robot_fastq *q,
			  double *v)
{
	long n[2] = { 0 }, ok = 0, fdd[2] = { 0 };
	const struct robot_ds_flow *fl;
	struct robot_fastq_out qo;
	int lists, k, p;

	for (lists = 0; lists < 2; lists++) {
		const int *idx = lists ? s->un : s->te;

		for (k = 0; k < (lists ? s->nun : s->nte); k++) {
			fl = &s->ds->flows[idx[k]];
			for (p = 0; p < fl->n_pkts; p++) {
				if (!fl->pkts[p].payload_len)
					continue;
				robot_fastq_infer(q, fl->pkts[p].hdr, &qo);
				n[lists]++;
				fdd[lists] += qo.fdd;
				if (!lists)
					ok += cls_idx(s, qo.class) ==
					      fl->class_idx;
			}
		}
	}
	v[EM_FAST_PKT_SEEN_ACC] = n[0] ? (double)ok / n[0] : NAN;
	v[EM_FDD_PKT_FDD_SEEN] = n[0] ? (double)fdd[0] / n[0] : NAN;
	v[EM_FDD_PKT_FDD_UNSEEN] = n[1] ? (double)fdd[1] / n[1] : NAN;
	v[EM_FDD_PKT_BAL_ACC] = (1 - v[EM_FDD_PKT_FDD_SEEN] +
				 v[EM_FDD_PKT_FDD_UNSEEN]) / 2;
}

/* Fig. 4: retrain the Fast model per a; FDD on the 1:1 set per beta. */
static int robot_sweep(struct eval_seed *s, struct eval_result *res, int si)
{
	const struct eval_opts *o = s->o;
	struct fast_train_opts fo = o->fast;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct robot_fastq_out qo;
	struct robot_fast f;
	struct metrics_bin b;
	__u8 *truth, *pred;
	int ia, ib, k, err = 0;
	double t0;

	truth = malloc(s->n11 + 1);
	pred = malloc(s->n11 + 1);
	if (!q || !truth || !pred) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < s->n11; k++)
		truth[k] = s->role[s->m11[k]] == ER_UNSEEN;
	if (o->sweep_epochs > 0)
		fo.epochs = o->sweep_epochs;
	fo.fdd_q = 0; /* D is swept below: no held-out calibration fit */
	for (ia = 0; ia < o->n_a; ia++) {
		t0 = eval_now();
		fo.a = o->sweep_a[ia];
		if (!(fo.m > fo.a))
			fo.m = fo.a + 0.2f;
		memset(&f, 0, sizeof(f));
		{
			struct eval_opts quiet = *o;
			const struct eval_opts *saved = s->o;

			quiet.prog = NULL;
			s->o = &quiet;
			err = eval_train_robot(s, &fo, 0, &f, q, NULL);
			s->o = saved;
		}
		if (err)
			goto out;
		for (ib = 0; ib < o->n_beta; ib++) {
			double D = (double)o->sweep_beta[ib] * fo.a;

			q->thresh = quant_thresh(D);
			for (k = 0; k < s->n11; k++) {
				const struct robot_ds_flow *fl =
					&s->ds->flows[s->m11[k]];

				robot_fastq_infer(q, fl->pkts[s->pkt[s->m11[k]]]
							     .hdr, &qo);
				pred[k] = qo.fdd;
			}
			metrics_binary(truth, pred, s->n11, &b);
			res->sw_acc[ia][ib][si] = q->thresh ? b.acc : NAN;
			res->sw_f1[ia][ib][si] = q->thresh ? b.f1 : NAN;
		}
		robot_fast_free(&f);
		if (o->prog)
			fprintf(o->prog, "sweep seed %d a %.2f: FDD acc at "
				"beta %.2f..%.2f: %.3f..%.3f (%.1f s)\n", si + 1,
				fo.a, o->sweep_beta[0],
				o->sweep_beta[o->n_beta - 1],
				res->sw_acc[ia][0][si],
				res->sw_acc[ia][o->n_beta - 1][si],
				eval_now() - t0);
	}
out:
	free(q);
	free(truth);
	free(pred);
	return err;
}

/* --------------------------------------------------- metric helpers */

static double acc_on(const struct eval_seed *s, int m, const int *idx, int n)
{
	int k, ok = 0;

	if (n <= 0)
		return NAN;
	for (k = 0; k < n; k++)
		ok += s->pred[m][idx[k]] == s->ds->flows[idx[k]].class_idx;
	return (double)ok / n;
}

static double f1_on(const struct eval_seed *s, int m, const int *idx, int n)
{
	int *t = malloc((n + 1) * sizeof(int)), *p = malloc((n + 1) * 4), k;
	double v;

	if (!t || !p || n <= 0) {
		free(t);
		free(p);
		return NAN;
	}
	for (k = 0; k < n; k++) {
		t[k] = s->ds->flows[idx[k]].class_idx;
		p[k] = s->pred[m][idx[k]];
	}
	v = metrics_macro_f1(t, p, n, s->nc);
	free(t);
	free(p);
	return v;
}

static void fdd_on(const struct eval_seed *s, int m, const int *idx, int n,
		   struct metrics_bin *b)
{
	__u8 *t = malloc(n + 1), *p = malloc(n + 1);
	int k;

	memset(b, 0, sizeof(*b));
	b->acc = b->f1 = NAN;
	if (!t || !p || n <= 0)
		goto out;
	for (k = 0; k < n; k++) {
		t[k] = s->role[idx[k]] == ER_UNSEEN;
		p[k] = s->fdd[m][idx[k]];
	}
	metrics_binary(t, p, n, b);
out:
	free(t);
	free(p);
}

/* Rate of FDD flags over a list. */
static double rate_on(const struct eval_seed *s, int m, const int *idx, int n)
{
	int k, c = 0;

	if (n <= 0)
		return NAN;
	for (k = 0; k < n; k++)
		c += s->fdd[m][idx[k]] != 0;
	return (double)c / n;
}

/* Test flows (seen test and unseen) that Robot flags FDD. */
static int fdd_flows(const struct eval_seed *s, int *out, int only_unseen)
{
	int k, n = 0;

	for (k = 0; !only_unseen && k < s->nte; k++)
		if (s->fdd[PM_FAST][s->te[k]])
			out[n++] = s->te[k];
	for (k = 0; k < s->nun; k++)
		if (s->fdd[PM_FAST][s->un[k]])
			out[n++] = s->un[k];
	return n;
}

/* AUC of the FDD score over every test flow, unseen = positive. */
static double auc_on(const struct eval_seed *s)
{
	int n = s->nte + s->nun, k;
	double *sc = malloc((n + 1) * sizeof(double)), v;
	__u8 *t = malloc(n + 1);

	v = NAN;
	if (sc && t) {
		for (k = 0; k < s->nte; k++) {
			sc[k] = s->score[s->te[k]];
			t[k] = 0;
		}
		for (k = 0; k < s->nun; k++) {
			sc[s->nte + k] = s->score[s->un[k]];
			t[s->nte + k] = 1;
		}
		v = metrics_auc(sc, t, n);
	}
	free(sc);
	free(t);
	return v;
}

static double agree_on(const struct eval_seed *s, const int *idx, int n)
{
	int k, c = 0;

	if (n <= 0)
		return NAN;
	for (k = 0; k < n; k++)
		c += s->pred[PM_FAST][idx[k]] == s->pred[PM_FASTF][idx[k]] &&
		     s->fdd[PM_FAST][idx[k]] == s->fdd[PM_FASTF][idx[k]];
	return (double)c / n;
}

static int append_lat(struct eval_result *res, int which,
		      const struct eval_seed *s, int m)
{
	double *v;
	int k;

	v = realloc(res->lat[which],
		    (res->n_lat[which] + s->n21 + 1) * sizeof(double));
	if (!v)
		return -ENOMEM;
	res->lat[which] = v;
	for (k = 0; k < s->n21; k++)
		if (!isnan(s->lat[m][s->m21[k]]))
			v[res->n_lat[which]++] = s->lat[m][s->m21[k]];
	return 0;
}

static void lat_quant(const struct eval_seed *s, int m, double *p50,
		      double *p90)
{
	double *v = malloc((s->n21 + 1) * sizeof(double));
	int k, n = 0;

	*p50 = *p90 = NAN;
	if (!v)
		return;
	for (k = 0; k < s->n21; k++)
		if (!isnan(s->lat[m][s->m21[k]]))
			v[n++] = s->lat[m][s->m21[k]];
	*p50 = metrics_quantile(v, n, 0.5);
	*p90 = metrics_quantile(v, n, 0.9);
	free(v);
}

static int seed_metrics(const struct eval_seed *s, struct eval_result *res,
			int si)
{
	double v[EM_COUNT];
	struct metrics_bin b;
	int *fl, nfl, m, err;

	for (m = 0; m < EM_COUNT; m++)
		v[m] = res->v[m][si];
	fl = malloc((s->nte + s->nun + 1) * sizeof(int));
	if (!fl)
		return -ENOMEM;
	v[EM_FAST_SEEN_ACC] = acc_on(s, PM_FAST, s->te, s->nte);
	v[EM_FAST_SEEN_ACC_FLOAT] = acc_on(s, PM_FASTF, s->te, s->nte);
	v[EM_FAST_SEEN_F1] = f1_on(s, PM_FAST, s->te, s->nte);
	{
		int *all = malloc((s->nte + s->nun + 1) * sizeof(int));

		if (all) {
			memcpy(all, s->te, s->nte * sizeof(int));
			memcpy(all + s->nte, s->un, s->nun * sizeof(int));
			v[EM_FAST_INT8_AGREE] =
				agree_on(s, all, s->nte + s->nun);
			free(all);
		}
	}
	v[EM_FAST_FDD_SEEN] = rate_on(s, PM_FAST, s->te, s->nte);
	v[EM_FAST_FDD_UNSEEN] = rate_on(s, PM_FAST, s->un, s->nun);
	fdd_on(s, PM_FAST, s->m11, s->n11, &b);
	v[EM_FDD_ACC] = b.acc;
	v[EM_FDD_F1] = b.f1;
	v[EM_FDD_PREC] = b.prec;
	v[EM_FDD_REC] = b.rec;
	fdd_on(s, PM_FASTF, s->m11, s->n11, &b);
	v[EM_FDD_ACC_FLOAT] = b.acc;
	v[EM_FDD_AUC] = auc_on(s);
	nfl = fdd_flows(s, fl, 0);
	res->cnt[si].fdd_flows = nfl;
	if (!s->o->fast_only) {
		v[EM_ROBUST_FDD_ACC] = acc_on(s, PM_ROBUST, fl, nfl);
		v[EM_ROBUST_FDD_ACC_UNSEEN] =
			acc_on(s, PM_ROBUST, fl, fdd_flows(s, fl, 1));
		nfl = fdd_flows(s, fl, 0);
	}
	v[EM_ROBOT_MIXED_ACC] = acc_on(s, PM_ROBOT, s->m21, s->n21);
	v[EM_ROBOT_MIXED_F1] = f1_on(s, PM_ROBOT, s->m21, s->n21);
	v[EM_ROBOT_SEEN_ACC] = acc_on(s, PM_ROBOT, s->te, s->nte);
	v[EM_ROBOT_UNSEEN_ACC] = acc_on(s, PM_ROBOT, s->un, s->nun);
	lat_quant(s, PM_ROBOT, &v[EM_ROBOT_LAT_P50], &v[EM_ROBOT_LAT_P90]);
	err = append_lat(res, EL_ROBOT, s, PM_ROBOT);
	if (s->o->baselines) {
		v[EM_DP_SEEN_ACC] = acc_on(s, PM_DP, s->te, s->nte);
		v[EM_DP_UNSEEN_ACC] = acc_on(s, PM_DP, s->un, s->nun);
		v[EM_DP_MIXED_ACC] = acc_on(s, PM_DP, s->m21, s->n21);
		v[EM_DP_MIXED_F1] = f1_on(s, PM_DP, s->m21, s->n21);
		v[EM_DP_FDD_FLOW_ACC] = acc_on(s, PM_DP, fl, nfl);
		lat_quant(s, PM_DP, &v[EM_DP_LAT_P50], &v[EM_DP_LAT_P90]);
		fdd_on(s, PM_DPS, s->m11, s->n11, &b);
		v[EM_DPS_FDD_ACC] = b.acc;
		v[EM_DPS_FDD_F1] = b.f1;
		v[EM_FS_SEEN_ACC] = acc_on(s, PM_FS, s->te, s->nte);
		v[EM_FS_UNSEEN_ACC] = acc_on(s, PM_FS, s->un, s->nun);
		v[EM_FS_MIXED_ACC] = acc_on(s, PM_FS, s->m21, s->n21);
		v[EM_FS_MIXED_F1] = f1_on(s, PM_FS, s->m21, s->n21);
		v[EM_FS_FDD_FLOW_ACC] = acc_on(s, PM_FS, fl, nfl);
		lat_quant(s, PM_FS, &v[EM_FS_LAT_P50], &v[EM_FS_LAT_P90]);
		v[EM_KM_SEEN_ACC] = acc_on(s, PM_KM, s->te, s->nte);
		v[EM_KM_UNSEEN_ACC] = acc_on(s, PM_KM, s->un, s->nun);
		v[EM_KM_MIXED_ACC] = acc_on(s, PM_KM, s->m21, s->n21);
		fdd_on(s, PM_KM, s->m11, s->n11, &b);
		v[EM_KM_FDD_ACC] = b.acc;
		v[EM_KM_FDD_F1] = b.f1;
		v[EM_KM_FDD_FLOW_ACC] = acc_on(s, PM_KM, fl, nfl);
		err = err ?: append_lat(res, EL_DP, s, PM_DP);
		err = err ?: append_lat(res, EL_FS, s, PM_FS);
	}
	for (m = 0; m < EM_COUNT; m++)
		res->v[m][si] = v[m];
	free(fl);
	return err;
}

/* ------------------------------------------------------------- a run */

static int run_seed(const struct robot_dataset *ds, const struct eval_opts *o,
		    int si, struct eval_result *res)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct robot_robust r = { 0 };
	struct robot_fast f = { 0 };
	struct eval_seed s;
	double t0 = eval_now(), v[EM_COUNT];
	int err, m;

	if (!q)
		return -ENOMEM;
	err = eval_seed_init(&s, ds, o, o->seed + si, -1);
	if (err)
		goto out_q;
	res->cnt[si] = (struct eval_counts){
		.train = s.ntr, .seen_test = s.nte, .unseen = s.nun,
		.mix11 = s.n11, .mix21 = s.n21,
		.skipped = (int)ds->n_flows - s.ntr - s.nte - s.nun,
	};
	if (o->prog)
		fprintf(o->prog, "eval split %c seed %d/%d: %d train, %d "
			"seen-test, %d unseen flows (%d skipped); mixed 1:1 "
			"%d, 2:1 %d\n", o->split ? 'B' : 'A', si + 1, o->seeds,
			s.ntr, s.nte, s.nun, res->cnt[si].skipped, s.n11,
			s.n21);
	if (!s.ntr || !s.nte) {
		pr_warn("eval: no training or test flows\n");
		err = -EINVAL;
		goto out;
	}
	err = eval_train_robot(&s, &o->fast, !o->fast_only, &f, q, &r);
	if (err)
		goto out;
	res->cnt[si].fast_samples = s.fast_samples;
	err = robot_decide(&s, &f, q, o->fast_only ? NULL : &r);
	if (err)
		goto out_models;
	for (m = 0; m < EM_COUNT; m++)
		v[m] = NAN;
	robot_packets(&s, q, v);
	if (!o->fast_only)
		v[EM_ROBUST_UNSEEN_ACC] = robust_unseen_acc(&s, &r);
	for (m = 0; m < EM_COUNT; m++)
		res->v[m][si] = v[m];
	res->train_secs[0] += eval_now() - t0;
	if (o->sweep && (!o->sweep_seeds || si < o->sweep_seeds)) {
		err = robot_sweep(&s, res, si);
		if (err)
			goto out_models;
	}
	if (o->baselines) {
		err = eval_baselines(&s, res, si);
		if (err)
			goto out_models;
	}
	err = seed_metrics(&s, res, si);
	if (o->prog && !err)
		fprintf(o->prog, "eval split %c seed %d/%d: fast seen %.3f, FDD "
			"1:1 %.3f, robot 2:1 %.3f (%.1f s)\n",
			o->split ? 'B' : 'A', si + 1, o->seeds,
			res->v[EM_FAST_SEEN_ACC][si], res->v[EM_FDD_ACC][si],
			res->v[EM_ROBOT_MIXED_ACC][si], eval_now() - t0);
out_models:
	robot_fast_free(&f);
	robot_robust_free(&r);
out:
	eval_seed_free(&s);
out_q:
	free(q);
	return err;
}

void eval_result_free(struct eval_result *res)
{
	int i;

	for (i = 0; i < EL_COUNT; i++)
		free(res->lat[i]);
	memset(res, 0, sizeof(*res));
}

int eval_run(const struct robot_dataset *ds, const struct eval_opts *o,
	     struct eval_result *res)
{
	double t0 = eval_now();
	int si, m, err;

	memset(res, 0, sizeof(*res));
	if (o->seeds < 1 || o->seeds > EVAL_SEEDS_MAX || o->split < 0 ||
	    o->split > 1 || o->n_a > EVAL_SWEEP_MAX ||
	    o->n_beta > EVAL_SWEEP_MAX || ds->n_classes < 2)
		return -EINVAL;
	res->split = o->split;
	res->seeds = o->seeds;
	res->pkt_mode = o->pkt_mode;
	res->baselines = o->baselines;
	res->fast_only = o->fast_only;
	if (o->sweep) {
		res->n_a = o->n_a;
		res->n_beta = o->n_beta;
		res->sweep_seeds = o->sweep_seeds && o->sweep_seeds < o->seeds ?
					   o->sweep_seeds : o->seeds;
		res->sweep_epochs = o->sweep_epochs ? o->sweep_epochs :
						      o->fast.epochs;
		memcpy(res->sweep_a, o->sweep_a, sizeof(res->sweep_a));
		memcpy(res->sweep_beta, o->sweep_beta,
		       sizeof(res->sweep_beta));
	}
	for (m = 0; m < EM_COUNT; m++)
		for (si = 0; si < EVAL_SEEDS_MAX; si++)
			res->v[m][si] = NAN;
	for (m = 0; m < EVAL_SWEEP_MAX * EVAL_SWEEP_MAX * EVAL_SEEDS_MAX; m++) {
		(&res->sw_acc[0][0][0])[m] = NAN;
		(&res->sw_f1[0][0][0])[m] = NAN;
	}
	for (si = 0; si < o->seeds; si++) {
		err = run_seed(ds, o, si, res);
		if (err) {
			eval_result_free(res);
			return err;
		}
	}
	for (m = 0; m < EM_COUNT; m++)
		metrics_mean_sd(res->v[m], o->seeds, &res->mean[m],
				&res->sd[m]);
	res->secs = eval_now() - t0;
	return 0;
}
