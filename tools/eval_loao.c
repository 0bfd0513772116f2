// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Leave one application out: each app with enough flows becomes the only
 * unseen app in turn (eval.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "eval_int.h"
#include "json.h"
#include "log.h"

static int loao_one(const struct robot_dataset *ds, const struct eval_opts *o,
		    int app, struct eval_loao_app *out)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct robot_robust r = { 0 };
	struct robot_fast f = { 0 };
	struct eval_decision d;
	struct eval_seed s;
	int k, i, ok, okf, fdd, err, lists, n;
	const int *idx;

	if (!q)
		return -ENOMEM;
	err = eval_seed_init(&s, ds, o, o->seed, app);
	if (err)
		goto out_q;
	out->app = app;
	out->flows = s.nun;
	err = eval_train_robot(&s, &o->fast, !o->fast_only, &f, q, &r);
	if (err)
		goto out;
	for (lists = 0; lists < 2; lists++) {
		idx = lists ? s.un : s.te;
		n = lists ? s.nun : s.nte;
		ok = okf = fdd = 0;
		for (k = 0; k < n; k++) {
			i = idx[k];
			err = eval_robot_flow(q, o->fast_only ? NULL : &r,
					      &ds->flows[i], s.pkt[i], &d);
			if (err)
				goto out_m;
			fdd += d.fdd;
			ok += s.cls_of[d.final_class] == ds->flows[i].class_idx;
			okf += s.cls_of[d.fast_class] == ds->flows[i].class_idx;
		}
		if (lists) {
			out->fdd_rate = n ? (double)fdd / n : NAN;
			out->final_acc = n ? (double)ok / n : NAN;
			out->fast_acc = n ? (double)okf / n : NAN;
		} else {
			out->seen_acc = n ? (double)ok / n : NAN;
		}
	}
out_m:
	robot_fast_free(&f);
	robot_robust_free(&r);
out:
	eval_seed_free(&s);
out_q:
	free(q);
	return err;
}

int eval_loao(const struct robot_dataset *ds, const struct eval_opts *o,
	      int min_flows, struct eval_loao_app **apps, int *n)
{
	return eval_loao_shard(ds, o, min_flows, 0, 1, apps, n);
}

int eval_loao_shard(const struct robot_dataset *ds, const struct eval_opts *o,
		    int min_flows, int shard, int n_shards,
		    struct eval_loao_app **apps, int *n)
{
	struct eval_opts qo = *o;
	int *cnt, a, i, err = 0, k = 0;
	double t0;

	*apps = NULL;
	*n = 0;
	if (n_shards < 1 || shard < 0 || shard >= n_shards)
		return -EINVAL;
	cnt = calloc(ds->n_apps + 1, sizeof(int));
	*apps = calloc(ds->n_apps + 1, sizeof(**apps));
	if (!cnt || !*apps) {
		free(cnt);
		free(*apps);
		*apps = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < (int)ds->n_flows; i++)
		if (ds->flows[i].class_idx < ds->n_classes &&
		    eval_flow_packet(&ds->flows[i], o->pkt_mode) >= 0)
			cnt[ds->flows[i].app_idx]++;
	qo.prog = NULL; /* one line per app instead of every epoch */
	for (a = 0; a < (int)ds->n_apps; a++) {
		if (cnt[a] < min_flows || k++ % n_shards != shard)
			continue;
		t0 = eval_now();
		err = loao_one(ds, &qo, a, &(*apps)[*n]);
		if (err)
			break;
		if (o->prog)
			fprintf(o->prog, "loao %-20s %3d flows: FDD %.3f, final "
				"%.3f, fast %.3f, seen-test %.3f (%.1f s)\n",
				ds->apps[a], (*apps)[*n].flows,
				(*apps)[*n].fdd_rate, (*apps)[*n].final_acc,
				(*apps)[*n].fast_acc, (*apps)[*n].seen_acc,
				eval_now() - t0);
		(*n)++;
	}
	free(cnt);
	if (err) {
		free(*apps);
		*apps = NULL;
		*n = 0;
	}
	return err;
}

void eval_loao_print(const struct robot_dataset *ds,
		     const struct eval_loao_app *a, int n, FILE *f, int json)
{
	struct json_w w;
	int i;

	if (!json) {
		fprintf(f, "%-20s %6s %8s %8s %8s %8s\n", "unseen app", "flows",
			"FDD", "final", "fast", "seen");
		for (i = 0; i < n; i++)
			fprintf(f, "%-20s %6d %8.3f %8.3f %8.3f %8.3f\n",
				ds->apps[a[i].app], a[i].flows, a[i].fdd_rate,
				a[i].final_acc, a[i].fast_acc, a[i].seen_acc);
		return;
	}
	json_init(&w, f);
	json_obj_open(&w, NULL);
	json_arr_open(&w, "loao");
	for (i = 0; i < n; i++) {
		json_obj_open(&w, NULL);
		json_str(&w, "app", ds->apps[a[i].app]);
		json_str(&w, "class",
			 ds->classes[ds->app_class[a[i].app]]);
		json_u64(&w, "flows", a[i].flows);
		json_dbl(&w, "fdd_rate", a[i].fdd_rate);
		json_dbl(&w, "final_acc", a[i].final_acc);
		json_dbl(&w, "fast_acc", a[i].fast_acc);
		json_dbl(&w, "seen_acc", a[i].seen_acc);
		json_obj_close(&w);
	}
	json_arr_close(&w);
	json_obj_close(&w);
	json_end(&w);
}

int eval_loao_write(const struct robot_dataset *ds,
		    const struct eval_loao_app *a, int n, const char *dir,
		    const char *tag)
{
	char path[4096];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/loao_%s.md", dir, tag);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	for (i = 0; i < n; i++) {
		fprintf(f, "| %s | %s | %d | %.1f%% | %.1f%% | %.1f%% | "
			"%.1f%% |\n", ds->apps[a[i].app],
			ds->classes[ds->app_class[a[i].app]], a[i].flows,
			100 * a[i].fdd_rate, 100 * a[i].final_acc,
			100 * a[i].fast_acc, 100 * a[i].seen_acc);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/loao_%s.dat", dir, tag);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "\"%s\" %.3f %.3f %.3f\n", ds->apps[a[i].app],
			100 * a[i].fdd_rate, 100 * a[i].final_acc,
			100 * a[i].fast_acc);
	fclose(f);
	return 0;
}
