/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * replay_eval.h - `robot replay` against `robot eval` on the shared nDPI
 * captures, for tests/unit/test_replay_eval.c (emulated datapath) and
 * tests/bpf/test_replay_eval.c (BPF_PROG_TEST_RUN). Header-only (static
 * functions) so that each test binary stays one source file.
 *
 * Both sides get the same model directory and the same captures:
 *   eval:   the dataset flows robot_dsb_build() assembles from the
 *           captures and labels (as `robot dataset`), each decided by
 *           eval_robot_flow() on its first payload packet
 *           (eval_flow_packet(EVAL_PKT_FIRST_PAYLOAD)), Robust window =
 *           the stored packets from that one on, at most 20, both
 *           directions;
 *   replay: robot_replay_run() on the same captures, one callback per
 *           flow with its final flow-table entry.
 * A dataset flow is matched to the replay flow of the same capture and
 * canonical 5-tuple key, and must have the same Fast class, the same int8
 * dot and squared norm, the same FDD flag, the same final class, the same
 * Robust class and the right stage (fast / robust / wait).
 *
 * What the two definitions do not share, and how the comparison handles
 * it (each case counted and printed):
 *   - later incarnations: the dataset starts a new flow after 120 s idle
 *     (ROBOT_DSB_IDLE_DEFAULT_NS), the datapath's flow table keeps a key's
 *     first verdict (no idle reset; only LRU eviction ends a flow). Only
 *     the dataset flow whose first packet is the replay flow's first
 *     packet (same capture timestamp) is compared; later ones are skipped.
 *   - the dataset stores a flow's first 64 packets (ROBOT_DATASET_PKTS):
 *     a flow whose first payload packet lies beyond them has no eval
 *     decision; an FDD flow whose window runs past packet 64 gets a
 *     shorter window in eval than in replay. Both are skipped (none in
 *     the shared captures as of this test).
 *   - the collector's idle timeout (capture time in replay): a window
 *     whose next packet comes idle_timeout or more after the window's
 *     latest packet is closed there and classified on what arrived,
 *     while eval's window takes the stored packets whatever the gap.
 *     Eval's decision is then computed on the window cut at that packet
 *     (the dataset flow truncated there), the rest of the decision being
 *     the same function. With idle_timeout >= the dataset's 120 s no
 *     window is cut. (This test found replay closing idle windows after
 *     running each packet, so that a window's next packet after a long
 *     gap joined it when no other packet came in between: 1 FDD flow of
 *     791 differed at 120 s, 25 at 2 s. Replay now expires first, as the
 *     daemon's timer does.)
 * Flows without a payload packet among their (all stored) packets have
 * no eval decision; replay must leave them in stage wait, unclassified.
 */
#ifndef ROBOT_TEST_REPLAY_EVAL_H
#define ROBOT_TEST_REPLAY_EVAL_H

#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "daemon.h"
#include "dataset.h"
#include "dsbuild.h"
#include "eval.h"
#include "fastq.h"
#include "model.h"
#include "replay.h"
#include "robust.h"

/* The data and models; why not, when absent. */
struct re_paths {
	char pcap_dir[PATH_MAX];
	char labels[PATH_MAX];
	char models[PATH_MAX];
	char fast[PATH_MAX + 16];
	char robust[PATH_MAX + 16];
	char why[PATH_MAX + 64];
};

/* 0, or -ENOENT with p->why set. $ROBOT_DATA (tests/run.sh sets it) or
 * ../shared/data/ndpi; $ROBOT_MODELS or models/default (the repository
 * root is the working directory of tests/run.sh).
 */
static int re_find(struct re_paths *p)
{
	const char *d = getenv("ROBOT_DATA"), *m = getenv("ROBOT_MODELS");

	if (!d || !*d)
		d = "../shared/data/ndpi";
	if (!m || !*m)
		m = "models/default";
	snprintf(p->pcap_dir, sizeof(p->pcap_dir), "%s/pcap", d);
	snprintf(p->labels, sizeof(p->labels), "%s/labels_flows.csv", d);
	snprintf(p->models, sizeof(p->models), "%s", m);
	snprintf(p->fast, sizeof(p->fast), "%s/fast.model", m);
	snprintf(p->robust, sizeof(p->robust), "%s/robust.model", m);
	if (access(p->pcap_dir, R_OK) || access(p->labels, R_OK)) {
		snprintf(p->why, sizeof(p->why),
			 "no shared nDPI data (%s lacks pcap/ or "
			 "labels_flows.csv; set ROBOT_DATA)", d);
		return -ENOENT;
	}
	if (access(p->fast, R_OK) || access(p->robust, R_OK)) {
		snprintf(p->why, sizeof(p->why),
			 "no models (%s lacks fast.model or robust.model; set "
			 "ROBOT_MODELS)", m);
		return -ENOENT;
	}
	return 0;
}

/* One replay flow. */
struct re_rflow {
	__u32 file;              /* index into ds.files */
	struct robot_flow_key key;
	struct robot_flow flow;
	__u64 first_ts;          /* capture time of its first packet */
};

struct re_counts {
	__u32 ds_flows;        /* dataset flows */
	__u32 matched;         /* compared with a decision */
	__u32 fdd;             /* of which FDD (eval and replay) */
	__u32 robust_differs;  /* of which FDD with robust class != fast */
	__u32 no_payload;      /* compared: no payload packet, stage wait */
	__u32 later;           /* skipped: later incarnation of a key */
	__u32 beyond;          /* skipped: decision past the stored packets */
	__u32 cut;             /* FDD windows cut by the idle timeout */
	__u32 cut_changed;     /* of which the cut changed eval's verdict */
	__u32 mismatches;      /* any field differs */
	__u32 replay_flows;    /* flows replay reported */
};

struct re_run {
	struct re_paths p;
	struct robot_dataset ds;
	struct robot_fastq *q;
	struct robot_robust rob;
	char **files;            /* full paths, ds.files order */
	struct re_rflow *rf;
	__u32 n_rf, cap_rf;
	__u32 cur_file;          /* replay callback: index of rf->file */
};

static int re_collect(const struct robot_replay_flow *f, void *ctx)
{
	struct re_run *r = ctx;
	struct re_rflow *n;

	while (r->cur_file < r->ds.n_files &&
	       f->file != r->files[r->cur_file])
		r->cur_file++;
	if (r->cur_file >= r->ds.n_files)
		return -1; /* not one of ours: stop, the test fails */
	if (r->n_rf == r->cap_rf) {
		r->cap_rf = r->cap_rf ? 2 * r->cap_rf : 4096;
		n = realloc(r->rf, r->cap_rf * sizeof(*n));
		if (!n)
			return -1;
		r->rf = n;
	}
	n = &r->rf[r->n_rf++];
	n->file = r->cur_file;
	n->key = f->key;
	n->flow = f->flow;
	n->first_ts = f->first_ts_ns;
	return 0;
}

static int re_cmp_rflow(const void *a, const void *b)
{
	const struct re_rflow *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static double re_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Load the models, build the dataset from every capture of the data
 * directory (all 7 classes: every labeled non-DNS flow). 0 or -errno.
 */
static int re_setup(struct re_run *r)
{
	static const char *const classes[] = {
		"VoIP", "Chat", "Streaming", "FileTransfer", "Email", "P2P",
		"Browsing",
	};
	struct robot_dsb_opts o = {};
	struct robot_dsb_stats st;
	__u32 i;
	int err;

	r->q = calloc(1, sizeof(*r->q));
	if (!r->q)
		return -ENOMEM;
	err = robot_fastq_load(r->p.fast, r->q, NULL, NULL);
	if (err)
		return err;
	err = robot_robust_load(r->p.robust, &r->rob);
	if (err)
		return err;
	o.pcap_dir = r->p.pcap_dir;
	o.labels = r->p.labels;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		o.classes[i] = classes[i];
	o.n_classes = i;
	err = robot_dsb_build(&o, &r->ds, &st, NULL);
	robot_dsb_stats_free(&st);
	if (err < 0)
		return err;
	if (err)
		return -EIO; /* a capture or a row skipped for an error */
	r->files = calloc(r->ds.n_files + 1, sizeof(*r->files));
	if (!r->files)
		return -ENOMEM;
	for (i = 0; i < r->ds.n_files; i++)
		if (asprintf(&r->files[i], "%s/%s", r->p.pcap_dir,
			     r->ds.files[i]) < 0)
			return -ENOMEM;
	return 0;
}

static void re_free(struct re_run *r)
{
	__u32 i;

	for (i = 0; r->files && i < r->ds.n_files; i++)
		free(r->files[i]);
	free(r->files);
	robot_ds_free(&r->ds);
	robot_robust_free(&r->rob);
	free(r->q);
	free(r->rf);
	memset(r, 0, sizeof(*r));
}

/* Packets of the window starting at pkt (at most ROBOT_WINDOW stored
 * ones) that the collector receives before its idle timeout closes it:
 * it closes at the first packet that comes idle_ns or more after the
 * latest packet so far (robot_coll_expire() runs before each packet).
 */
static int re_window_len(const struct robot_ds_flow *f, int pkt,
			 __u64 idle_ns)
{
	int n = f->n_pkts - pkt, i;
	__u64 last;

	if (n > ROBOT_WINDOW)
		n = ROBOT_WINDOW;
	last = f->pkts[pkt].ts_ns;
	for (i = 1; i < n; i++) {
		if (f->pkts[pkt + i].ts_ns >= last + idle_ns)
			return i;
		if (f->pkts[pkt + i].ts_ns > last)
			last = f->pkts[pkt + i].ts_ns;
	}
	return n;
}

static const char *re_cls(__u8 c)
{
	return robot_class_name(c);
}

/* Compare one dataset flow with its replay flow; 0 when equal. */
static int re_compare(struct re_run *r, __u32 fi, const struct re_rflow *rf,
		      __u64 idle_ns, struct re_counts *c, int verbose)
{
	static struct robot_ds_flow cut;
	const struct robot_ds_flow *f = &r->ds.flows[fi];
	const struct robot_flow *x = &rf->flow;
	struct eval_decision d, full;
	int pkt, wn, bad = 0, err;

	pkt = eval_flow_packet(f, EVAL_PKT_FIRST_PAYLOAD);
	if (pkt < 0) {
		if (f->total_pkts > f->n_pkts) {
			c->beyond++; /* a payload packet past the 64 stored */
			return 0;
		}
		c->no_payload++;
		bad = x->stage != ROBOT_STAGE_WAIT ||
		      x->fast_class != ROBOT_CLASS_NONE ||
		      x->class != ROBOT_CLASS_NONE || x->fdd;
		if (bad && verbose)
			printf("  %s flow %u (line %u): no payload packet in "
			       "the dataset, replay stage %s fast %s\n",
			       r->ds.files[rf->file], fi, f->label_row,
			       robot_stage_name(x->stage),
			       re_cls(x->fast_class));
		c->mismatches += bad;
		return bad;
	}
	err = eval_robot_flow(r->q, &r->rob, f, pkt, &full);
	if (err)
		return err;
	d = full;
	if (full.fdd) {
		if (pkt + ROBOT_WINDOW > f->n_pkts &&
		    f->total_pkts > f->n_pkts) {
			c->beyond++; /* eval's window cut by the 64 stored */
			return 0;
		}
		wn = re_window_len(f, pkt, idle_ns);
		if (wn < full.window) {
			memcpy(&cut, f, sizeof(cut));
			cut.n_pkts = pkt + wn;
			err = eval_robot_flow(r->q, &r->rob, &cut, pkt, &d);
			if (err)
				return err;
			c->cut++;
			c->cut_changed += d.final_class != full.final_class;
		}
	}
	c->matched++;
	c->fdd += d.fdd && x->fdd;
	c->robust_differs += d.fdd && d.robust_class != d.fast_class;
	bad = x->fast_class != d.fast_class || x->fast_dot != d.dot ||
	      x->fast_nrm2 != d.nrm2 || x->fdd != d.fdd ||
	      x->class != d.final_class ||
	      x->robust_class != d.robust_class ||
	      x->stage != (d.fdd ? ROBOT_STAGE_ROBUST : ROBOT_STAGE_FAST);
	if (bad && verbose)
		printf("  %s flow %u (line %u): eval pkt %d fast %s dot %d "
		       "nrm2 %u fdd %u robust %s class %s window %d | replay "
		       "fast %s dot %d nrm2 %u fdd %u robust %s class %s "
		       "stage %s packets %llu\n",
		       r->ds.files[rf->file], fi, f->label_row, pkt,
		       re_cls(d.fast_class), d.dot, d.nrm2, d.fdd,
		       re_cls(d.robust_class), re_cls(d.final_class), d.window,
		       re_cls(x->fast_class), x->fast_dot, x->fast_nrm2,
		       x->fdd, re_cls(x->robust_class), re_cls(x->class),
		       robot_stage_name(x->stage),
		       (unsigned long long)x->packets);
	c->mismatches += bad;
	return bad;
}

/* Replay every capture with idle_ns, then compare every dataset flow.
 * *mode: 1 when replay ran in BPF. 0 or -errno.
 */
static int re_check(struct re_run *r, int emulate, __u64 idle_ns,
		    struct re_counts *c, int *mode)
{
	struct robot_replay_opts o = {
		.models_dir = r->p.models,
		.emulate = emulate,
		.flows = 4096, /* per capture; the largest has 750 flows */
		.idle_timeout_ns = idle_ns,
	};
	struct robot_replay_summary sum;
	struct re_rflow k, *rf;
	double t0 = re_now(), t1;
	__u32 i;
	int err, printed = 0;

	memset(c, 0, sizeof(*c));
	r->n_rf = 0;
	r->cur_file = 0;
	err = robot_replay_run(&o, r->files, r->ds.n_files, re_collect, r,
			       &sum);
	if (err)
		return err;
	if (sum.file_errors || sum.files != r->ds.n_files)
		return -EIO;
	*mode = sum.bpf;
	c->replay_flows = r->n_rf;
	t1 = re_now();
	qsort(r->rf, r->n_rf, sizeof(*r->rf), re_cmp_rflow);
	c->ds_flows = r->ds.n_flows;
	for (i = 0; i < r->ds.n_flows; i++) {
		const struct robot_ds_flow *f = &r->ds.flows[i];

		memset(&k, 0, sizeof(k));
		k.file = f->file_idx;
		k.key = f->key;
		rf = bsearch(&k, r->rf, r->n_rf, sizeof(*r->rf),
			     re_cmp_rflow);
		if (!rf) {
			/* both parse the same packets: never */
			printf("  %s flow %u (line %u): not in replay\n",
			       r->ds.files[f->file_idx], i, f->label_row);
			c->mismatches++;
			continue;
		}
		if (rf->first_ts != f->pkts[0].ts_ns) {
			c->later++;
			continue;
		}
		err = re_compare(r, i, rf, idle_ns, c, printed < 20);
		if (err < 0)
			return err;
		printed += err;
	}
	printf("%s, idle timeout %.3f s: %u captures, %u replay flows, %u "
	       "dataset flows: %u compared (%u FDD, %u of them robust != "
	       "fast; %u no payload), %u mismatches; skipped: %u later "
	       "incarnations, %u past the stored packets; FDD windows cut by "
	       "the idle timeout: %u (%u verdicts changed by the cut); "
	       "replay %.2f s, eval %.2f s\n",
	       *mode ? "BPF_PROG_TEST_RUN" : "emulated", idle_ns / 1e9,
	       r->ds.n_files, c->replay_flows, c->ds_flows, c->matched,
	       c->fdd, c->robust_differs, c->no_payload, c->mismatches,
	       c->later, c->beyond, c->cut, c->cut_changed, t1 - t0,
	       re_now() - t1);
	return 0;
}

#endif
