// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Training data: which flows train/test, and their samples (train.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "train.h"

void train_sel_free(struct train_sel *s)
{
	free(s->label);
	free(s->role);
	free(s->first);
	memset(s, 0, sizeof(*s));
}

static int parse_classes(const struct robot_dataset *ds, const char *list,
			 struct train_sel *s)
{
	char buf[ROBOT_DS_NAME_MAX];
	const char *p = list;
	size_t l;
	int c, j;

	while (*p) {
		l = strcspn(p, ",");
		if (!l || l >= sizeof(buf)) {
			pr_warn("train: bad class list '%s'\n", list);
			return -EINVAL;
		}
		memcpy(buf, p, l);
		buf[l] = 0;
		c = robot_ds_class_idx(ds, buf);
		if (c < 0) {
			pr_warn("train: class '%s' not in the dataset\n", buf);
			return -EINVAL;
		}
		for (j = 0; j < s->n_classes; j++)
			if (s->ds_class[j] == c) {
				pr_warn("train: class '%s' twice\n", buf);
				return -EINVAL;
			}
		if (s->n_classes >= ROBOT_CLASS_MAX)
			return -EINVAL;
		s->ds_class[s->n_classes++] = c;
		p += l;
		if (*p)
			p++;
	}
	return 0;
}

int train_select(const struct robot_dataset *ds,
		 const struct train_sel_opts *o, struct train_sel *s)
{
	int i, c, j, n, *idx = NULL, err = -ENOMEM, known;
	const struct robot_ds_flow *f;
	struct nn_rng rng;

	memset(s, 0, sizeof(*s));
	s->ds = ds;
	if (o->holdout < 0 || o->holdout > 0.9 || o->split < -1 ||
	    o->split > 1)
		return -EINVAL;
	if (o->classes && *o->classes) {
		err = parse_classes(ds, o->classes, s);
		if (err)
			return err;
	} else {
		for (c = 0; c < (int)ds->n_classes && c < ROBOT_CLASS_MAX; c++)
			s->ds_class[s->n_classes++] = c;
	}
	if (s->n_classes < 2) {
		pr_warn("train: need at least 2 classes\n");
		return -EINVAL;
	}
	s->label = malloc((ds->n_flows + 1) * sizeof(int));
	s->role = malloc(ds->n_flows + 1);
	s->first = malloc((ds->n_flows + 1) * sizeof(int));
	idx = malloc((ds->n_flows + 1) * sizeof(int));
	if (!s->label || !s->role || !s->first || !idx)
		goto out;
	for (i = 0; i < (int)ds->n_flows; i++) {
		f = &ds->flows[i];
		s->label[i] = -1;
		for (c = 0; c < s->n_classes; c++)
			if (s->ds_class[c] == f->class_idx)
				s->label[i] = c;
		s->first[i] = robot_ds_first_payload(f, 0);
		known = o->split < 0 ||
			(o->split == 0 ? f->split_a : f->split_b) ==
				ROBOT_DS_KNOWN;
		if (s->label[i] < 0 || s->first[i] < 0)
			s->role[i] = TRAIN_ROLE_SKIP;
		else
			s->role[i] = known ? TRAIN_ROLE_TRAIN :
					     TRAIN_ROLE_UNSEEN;
	}
	/* stratified holdout of known flows, per class */
	nn_rng_seed(&rng, o->seed ^ 0x686f6c646f7574ULL);
	for (c = 0; c < s->n_classes; c++) {
		n = 0;
		for (i = 0; i < (int)ds->n_flows; i++)
			if (s->label[i] == c && s->role[i] == TRAIN_ROLE_TRAIN)
				idx[n++] = i;
		nn_rng_shuffle(&rng, idx, n);
		for (j = 0; j < (int)lround(o->holdout * n); j++)
			s->role[idx[j]] = TRAIN_ROLE_TEST;
	}
	for (i = 0; i < (int)ds->n_flows; i++)
		s->count[s->role[i]]++;
	err = 0;
out:
	free(idx);
	if (err)
		train_sel_free(s);
	return err;
}

void train_sel_meta(const struct train_sel *s, struct robot_model_meta *m)
{
	int c;

	m->n_classes = s->n_classes;
	for (c = 0; c < s->n_classes; c++) {
		snprintf(m->class_names[c], sizeof(m->class_names[c]), "%s",
			 s->ds->classes[s->ds_class[c]]);
		m->class_ids[c] = s->ds->class_ids[s->ds_class[c]];
	}
	m->data_checksum = s->ds->checksum;
}

int train_fast_samples(const struct train_sel *s, int role, int extra_pkts,
		       __u8 (**hdr)[ROBOT_HDR_LEN], int **label, int **flow)
{
	const struct robot_dataset *ds = s->ds;
	const struct robot_ds_flow *f;
	int pass, i, p, n = 0, lim;

	*hdr = NULL;
	*label = *flow = NULL;
	for (pass = 0; pass < 2; pass++) {
		if (pass) {
			*hdr = malloc((size_t)n * ROBOT_HDR_LEN + 1);
			*label = malloc((size_t)n * sizeof(int) + 1);
			*flow = malloc((size_t)n * sizeof(int) + 1);
			if (!*hdr || !*label || !*flow) {
				free(*hdr);
				free(*label);
				free(*flow);
				return -ENOMEM;
			}
			n = 0;
		}
		for (i = 0; i < (int)ds->n_flows; i++) {
			if (s->role[i] != role)
				continue;
			f = &ds->flows[i];
			lim = f->n_pkts < extra_pkts ? f->n_pkts : extra_pkts;
			for (p = 0; p < f->n_pkts; p++) {
				if (p != s->first[i] &&
				    (p >= lim || !f->pkts[p].payload_len))
					continue;
				if (pass) {
					memcpy((*hdr)[n], f->pkts[p].hdr,
					       ROBOT_HDR_LEN);
					(*label)[n] = s->label[i];
					(*flow)[n] = i;
				}
				n++;
			}
		}
	}
	return n;
}

int train_robust_samples(const struct train_sel *s, int role, float **x,
			 int **label, int **flow)
{
	const struct robot_dataset *ds = s->ds;
	const struct robot_ds_flow *f;
	int i, n = 0;

	for (i = 0; i < (int)ds->n_flows; i++)
		n += s->role[i] == role;
	*x = malloc((size_t)n * ROBOT_ROBUST_IN * sizeof(float) + 1);
	*label = malloc((size_t)n * sizeof(int) + 1);
	*flow = malloc((size_t)n * sizeof(int) + 1);
	if (!*x || !*label || !*flow) {
		free(*x);
		free(*label);
		free(*flow);
		*x = NULL;
		*label = *flow = NULL;
		return -ENOMEM;
	}
	n = 0;
	for (i = 0; i < (int)ds->n_flows; i++) {
		if (s->role[i] != role)
			continue;
		f = &ds->flows[i];
		robot_robust_featurize(f->pkts + s->first[i],
				       f->n_pkts - s->first[i],
				       *x + (size_t)n * ROBOT_ROBUST_IN);
		(*label)[n] = s->label[i];
		(*flow)[n] = i;
		n++;
	}
	return n;
}

void train_progress_epoch(const struct train_progress *p, const char *what,
			  int epoch, int epochs, double loss, double d_same,
			  double d_diff, double secs)
{
	int w = 20, k;

	if (!p || !p->out)
		return;
	if (p->tty) {
		k = epochs ? w * epoch / epochs : w;
		fprintf(p->out, "\r%-6s [", what);
		for (int i = 0; i < w; i++)
			fputc(i < k ? '#' : ' ', p->out);
		fprintf(p->out, "] %d/%d loss %.4f same %.3f diff %.3f %.1fs ",
			epoch, epochs, loss, d_same, d_diff, secs);
		if (epoch == epochs)
			fputc('\n', p->out);
	} else {
		fprintf(p->out,
			"%s epoch %d/%d loss %.4f d_same %.3f d_diff %.3f (%.1f s)\n",
			what, epoch, epochs, loss, d_same, d_diff, secs);
	}
	fflush(p->out);
}
