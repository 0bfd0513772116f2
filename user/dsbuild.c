// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* dsbuild.c - captures + labels -> dataset, see dsbuild.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dsbuild.h"
#include "flowtab.h"
#include "labels.h"
#include "pcapread.h"
#include "log.h"

const char *const robot_parse_res_names[ROBOT_PARSE_MAX] = {
	"ok", "not_ip", "truncated", "proto", "fragment", "bad_hdr",
};

const char *const robot_dsb_miss_names[ROBOT_DSB_MISS_MAX] = {
	"capture_missing", "capture_unreadable", "no_flow", "flow_taken",
};

static const char *const class_names[ROBOT_CLASS_MAX] = ROBOT_CLASS_NAMES;

static const char *const default_classes[] = {
	"VoIP", "Chat", "Streaming", "FileTransfer", "P2P", "Browsing",
};

int robot_class_id(const char *name)
{
	int i;

	for (i = 0; i < ROBOT_CLASS_MAX; i++)
		if (!strcasecmp(name, class_names[i]))
			return i;
	return -1;
}

/* State of one build. */
struct dsb {
	const struct robot_dsb_opts *o;
	struct robot_dataset *ds;
	struct robot_dsb_stats *st;
	struct robot_labels *lab;
	__u32 *order;      /* label rows sorted by file name */
	__u8 *matched;     /* [lab->n] 1: row joined (or not considered) */
	__u8 *file_state;  /* [lab->n] enum robot_dsb_miss of a missed row */
	__u32 cap_flows;   /* allocated ds->flows */
	__u32 cap_apps;
	__u32 cap_files;
	struct flowtab ft;
};

static const struct robot_labels *sort_labels;

static int cmp_label_file(const void *a, const void *b)
{
	const struct robot_label *x = &sort_labels->rows[*(const __u32 *)a];
	const struct robot_label *y = &sort_labels->rows[*(const __u32 *)b];
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Rows of capture `name`: [*lo, *hi) in b->order. */
static void label_range(const struct dsb *b, const char *name, __u32 *lo,
			__u32 *hi)
{
	__u32 l = 0, h = b->lab->n, m;

	while (l < h) {
		m = l + (h - l) / 2;
		if (strcmp(b->lab->rows[b->order[m]].file, name) < 0)
			l = m + 1;
		else
			h = m;
	}
	*lo = l;
	while (l < b->lab->n && !strcmp(b->lab->rows[b->order[l]].file, name))
		l++;
	*hi = l;
}

static int setup_classes(const struct robot_dsb_opts *o,
			 struct robot_dataset *ds)
{
	int n = o->n_classes ? o->n_classes : 6, i, j, id;
	const char *name;

	ds->classes = calloc(n, sizeof(*ds->classes));
	ds->class_ids = calloc(n, sizeof(*ds->class_ids));
	if (!ds->classes || !ds->class_ids)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		name = o->n_classes ? o->classes[i] : default_classes[i];
		id = robot_class_id(name);
		if (id < 0) {
			pr_warn("unknown class '%s' (known: VoIP, Chat, "
				"Streaming, FileTransfer, Email, P2P, "
				"Browsing)\n", name);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (ds->class_ids[j] == id) {
				pr_warn("class '%s' listed twice\n", name);
				return -EINVAL;
			}
		strcpy(ds->classes[i], class_names[id]);
		ds->class_ids[i] = id;
	}
	ds->n_classes = n;
	return 0;
}

static int ds_class_of(const struct robot_dataset *ds, const char *category)
{
	int id = robot_class_id(category);
	__u32 i;

	for (i = 0; id >= 0 && i < ds->n_classes; i++)
		if (ds->class_ids[i] == id)
			return i;
	return -1;
}

static void *grow(void *p, __u32 *cap, __u32 need, size_t elem)
{
	__u32 n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = realloc(p, (size_t)n * elem);
	if (q)
		*cap = n;
	return q;
}

static int app_idx(struct dsb *b, const char *app, __u16 class_idx)
{
	struct robot_dataset *ds = b->ds;
	__u32 i;
	void *p;

	for (i = 0; i < ds->n_apps; i++) {
		if (strcmp(ds->apps[i], app))
			continue;
		if (ds->app_class[i] != class_idx)
			pr_warn("app '%s' appears in classes '%s' and '%s'; "
				"its app entry keeps the first\n", app,
				ds->classes[ds->app_class[i]],
				ds->classes[class_idx]);
		return i;
	}
	if (ds->n_apps >= 65535)
		return -E2BIG;
	i = b->cap_apps;
	p = grow(ds->apps, &i, ds->n_apps + 1, sizeof(*ds->apps));
	if (!p)
		return -ENOMEM;
	ds->apps = p;
	p = grow(ds->app_class, &b->cap_apps, ds->n_apps + 1,
		 sizeof(*ds->app_class));
	if (!p)
		return -ENOMEM;
	ds->app_class = p;
	memset(ds->apps[ds->n_apps], 0, sizeof(ds->apps[0]));
	strcpy(ds->apps[ds->n_apps], app);
	ds->app_class[ds->n_apps] = class_idx;
	return ds->n_apps++;
}

static int add_file(struct dsb *b, const char *name)
{
	struct robot_dataset *ds = b->ds;
	void *p;

	if (ds->n_files >= 65535 || strlen(name) >= sizeof(ds->files[0]))
		return -E2BIG;
	p = grow(ds->files, &b->cap_files, ds->n_files + 1,
		 sizeof(*ds->files));
	if (!p)
		return -ENOMEM;
	ds->files = p;
	memset(ds->files[ds->n_files], 0, sizeof(ds->files[0]));
	strcpy(ds->files[ds->n_files], name);
	return ds->n_files++;
}

/* Append the dataset flow of label row r and capture flow f. */
static int add_flow(struct dsb *b, const struct robot_label *r,
		    const struct ft_flow *f, int class_idx, int file_idx)
{
	struct robot_dataset *ds = b->ds;
	struct robot_ds_flow *d;
	int app;
	void *p;

	app = app_idx(b, r->app, class_idx);
	if (app < 0)
		return app;
	p = grow(ds->flows, &b->cap_flows, ds->n_flows + 1, sizeof(*d));
	if (!p)
		return -ENOMEM;
	ds->flows = p;
	d = &ds->flows[ds->n_flows++];
	memset(d, 0, sizeof(*d));
	d->key = f->key;
	d->class_idx = class_idx;
	d->app_idx = app;
	d->split_a = r->split_a;
	d->split_b = r->split_b;
	d->a_is_init = f->a_is_init;
	d->n_pkts = f->n_pkts;
	d->file_idx = file_idx;
	d->total_pkts = f->total_pkts;
	d->label_row = r->line;
	memcpy(d->pkts, f->pkts, f->n_pkts * sizeof(d->pkts[0]));
	b->st->ds_packets += f->total_pkts;
	b->st->ds_stored += f->n_pkts;
	return 0;
}

/* A candidate (row, flow) pair and its start-time distance. */
struct cand {
	__u64 dt;
	__u32 row;  /* index into lab->rows */
	__u32 flow; /* index into ft.flows */
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->dt != y->dt)
		return x->dt < y->dt ? -1 : 1;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

static int cmp_cand_row(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->row < y->row ? -1 : x->row > y->row;
}

/* Join the rows [lo, hi) of b->order to the flows of the capture just
 * read; file_idx is its index in ds->files.
 */
static int match_file(struct dsb *b, __u32 lo, __u32 hi, int file_idx)
{
	struct robot_labels *lab = b->lab;
	struct cand *c = NULL;
	__u32 n = 0, nm = 0, cap = 0, i, fl;
	const struct robot_label *r;
	struct ft_flow *f;
	int ret = 0, ci;
	void *p;

	for (i = lo; i < hi; i++) {
		r = &lab->rows[b->order[i]];
		if (b->matched[b->order[i]])
			continue;
		for (fl = flowtab_lookup(&b->ft, &r->key); fl != FT_NONE;
		     fl = b->ft.flows[fl].prev) {
			p = grow(c, &cap, n + 1, sizeof(*c));
			if (!p) {
				ret = -ENOMEM;
				goto out;
			}
			c = p;
			f = &b->ft.flows[fl];
			c[n].dt = f->first_ns > r->first_ns ?
					  f->first_ns - r->first_ns :
					  r->first_ns - f->first_ns;
			c[n].row = b->order[i];
			c[n].flow = fl;
			n++;
		}
		b->file_state[b->order[i]] = ROBOT_DSB_MISS_NO_FLOW;
	}
	if (n)
		qsort(c, n, sizeof(*c), cmp_cand);
	/* Nearest first: each row and each flow is used once. */
	for (i = 0; i < n; i++) {
		f = &b->ft.flows[c[i].flow];
		b->file_state[c[i].row] = ROBOT_DSB_MISS_TAKEN;
		if (b->matched[c[i].row] || f->taken)
			continue;
		b->matched[c[i].row] = 1;
		f->taken = 1;
		c[nm++] = c[i]; /* nm <= i: compacts in place */
		if (c[i].dt > b->st->max_dt_ns)
			b->st->max_dt_ns = c[i].dt;
	}
	/* Dataset order: by label line within a capture. */
	if (nm)
		qsort(c, nm, sizeof(*c), cmp_cand_row);
	for (i = 0; i < nm; i++) {
		r = &lab->rows[c[i].row];
		f = &b->ft.flows[c[i].flow];
		b->st->labels_matched++;
		if (f->a_is_init != r->src_is_a)
			b->st->init_differs++;
		if (r->pkts == f->total_pkts)
			b->st->pkts_equal++;
		else
			pr_debug("%s:%u: %s: %u packets in the row, %u in the "
				 "flow\n", b->o->labels, r->line, r->file,
				 r->pkts, f->total_pkts);
		ci = ds_class_of(b->ds, r->category);
		if (ci < 0) {
			b->st->labels_other_class++;
			continue;
		}
		ret = add_flow(b, r, f, ci, file_idx);
		if (ret)
			goto out;
	}
out:
	free(c);
	return ret;
}

/* Parse every packet of an open capture into b->ft. Returns 0, or -EIO
 * when the file is damaged part way (the packets before count).
 */
static int read_capture(struct dsb *b, struct robot_pcap *pc)
{
	struct robot_dsb_stats *st = b->st;
	struct robot_parsed p;
	const __u8 *data;
	__u32 caplen, len;
	__u64 ts;
	int ret, res;

	for (;;) {
		ret = robot_pcap_next(pc, &ts, &data, &caplen, &len);
		if (ret <= 0)
			return ret;
		st->packets++;
		robot_feat_zero(&p);
		res = robot_parse_link(pc->dlt, data, data + caplen, &p);
		if (res) {
			st->skipped[res < ROBOT_PARSE_MAX ? res : 0]++;
			if (res == ROBOT_PARSE_TRUNCATED ||
			    res == ROBOT_PARSE_BAD_HDR)
				pr_debug("%s: packet %llu: %s (%u of %u bytes "
					 "captured), skipped\n", pc->path,
					 (unsigned long long)pc->pkt_no,
					 robot_parse_res_names[res], caplen,
					 len);
			continue;
		}
		ret = flowtab_add(&b->ft, &p, ts);
		if (ret < 0)
			return ret;
		st->parsed++;
	}
}

static void miss_rows(struct dsb *b, __u32 lo, __u32 hi, int reason)
{
	__u32 i;

	for (i = lo; i < hi; i++)
		b->file_state[b->order[i]] = reason;
}

/* Read one capture and join its label rows. Returns 0, 1 (the file was
 * skipped or cut short for an error) or -ENOMEM.
 */
static int do_capture(struct dsb *b, const char *dir, const char *name)
{
	struct robot_dsb_stats *st = b->st;
	struct robot_pcap pc;
	__u32 lo, hi;
	char *path;
	int ret, fidx, bad = 0;

	label_range(b, name, &lo, &hi);
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	st->files++;
	fidx = add_file(b, name);
	if (fidx < 0) {
		pr_warn("%s: file name too long, skipped\n", path);
		ret = fidx == -ENOMEM ? fidx : 1;
		goto out_miss;
	}
	ret = robot_pcap_open(&pc, path);
	if (ret) {
		ret = 1;
		goto out_miss;
	}
	flowtab_reset(&b->ft);
	ret = read_capture(b, &pc);
	robot_pcap_close(&pc);
	if (ret == -ENOMEM)
		goto out;
	if (ret) {
		pr_warn("%s: keeping the %llu packets read before the error\n",
			path, (unsigned long long)pc.pkt_no);
		bad = 1;
	}
	st->flows_assembled += b->ft.n_flows;
	pr_debug("%s: %llu packets, %u flows, %u label rows\n", path,
		 (unsigned long long)pc.pkt_no, b->ft.n_flows, hi - lo);
	ret = match_file(b, lo, hi, fidx);
	if (ret)
		goto out;
	if (bad) {
		st->files_failed++;
		st->errors++;
	}
	free(path);
	return bad;
out_miss:
	miss_rows(b, lo, hi, ROBOT_DSB_MISS_BAD_FILE);
	st->files_failed++;
	st->errors++;
out:
	free(path);
	return ret;
}

static int is_capture_name(const char *n)
{
	const char *e = strrchr(n, '.');

	return n[0] != '.' && e &&
	       (!strcmp(e, ".pcap") || !strcmp(e, ".pcapng") ||
		!strcmp(e, ".cap"));
}

static int capture_filter(const struct dirent *d)
{
	return is_capture_name(d->d_name);
}

/* Rows naming captures that are not in the directory. */
static void missing_files(struct dsb *b, struct dirent **ents, int n)
{
	const char *last = NULL, *f;
	__u32 i;
	int j, found;

	for (i = 0; i < b->lab->n; i++) {
		f = b->lab->rows[b->order[i]].file;
		if (last && !strcmp(last, f))
			goto mark;
		last = f;
		found = 0;
		for (j = 0; j < n && !found; j++)
			found = !strcmp(ents[j]->d_name, f);
		if (found)
			continue;
		pr_warn("%s: %s: capture named by line %u (and any later "
			"rows) is missing\n", b->o->pcap_dir, f,
			b->lab->rows[b->order[i]].line);
		b->st->errors++;
mark:
		if (!b->matched[b->order[i]] &&
		    b->file_state[b->order[i]] == ROBOT_DSB_MISS_MAX)
			b->file_state[b->order[i]] = ROBOT_DSB_MISS_NO_FILE;
	}
}

/* Count the rows and list the ones that did not match. */
static int tally_labels(struct dsb *b)
{
	struct robot_dsb_stats *st = b->st;
	__u32 i, n = st->labels_considered - st->labels_matched;

	st->missed = calloc(n ? n : 1, sizeof(*st->missed));
	if (!st->missed)
		return -ENOMEM;
	for (i = 0; i < b->lab->n; i++) {
		const struct robot_label *r = &b->lab->rows[i];
		int why = b->file_state[i];

		if (b->matched[i] || robot_label_is_dns(r))
			continue;
		if (why >= ROBOT_DSB_MISS_MAX) /* capture never seen */
			why = ROBOT_DSB_MISS_NO_FILE;
		st->miss[why]++;
		if (st->n_missed < n) {
			st->missed[st->n_missed].line = r->line;
			st->missed[st->n_missed].label = i;
			st->missed[st->n_missed].reason = why;
			st->n_missed++;
		}
	}
	return 0;
}

static int dsb_init(struct dsb *b, const struct robot_dsb_opts *o)
{
	struct robot_labels *lab = b->lab;
	__u32 i;
	int ret;

	ret = setup_classes(o, b->ds);
	if (ret)
		return ret;
	ret = robot_labels_load(o->labels, lab);
	if (ret)
		return ret;
	b->st->labels_rows = lab->n;
	b->st->labels_bad = lab->n_bad;
	if (lab->n_bad)
		b->st->errors++;
	b->order = calloc(lab->n + 1, sizeof(*b->order));
	b->matched = calloc(lab->n + 1, 1);
	b->file_state = calloc(lab->n + 1, 1);
	if (!b->order || !b->matched || !b->file_state)
		return -ENOMEM;
	for (i = 0; i < lab->n; i++) {
		b->order[i] = i;
		b->file_state[i] = ROBOT_DSB_MISS_MAX;
		if (robot_label_is_dns(&lab->rows[i])) {
			b->st->labels_dns++;
			b->matched[i] = 1; /* not to be joined */
		}
	}
	b->st->labels_considered = lab->n - b->st->labels_dns;
	sort_labels = lab;
	qsort(b->order, lab->n, sizeof(*b->order), cmp_label_file);
	sort_labels = NULL;
	return flowtab_init(&b->ft, o->idle_ns ? o->idle_ns :
				    ROBOT_DSB_IDLE_DEFAULT_NS,
			    ROBOT_DATASET_PKTS);
}

int robot_dsb_build(const struct robot_dsb_opts *o, struct robot_dataset *ds,
		    struct robot_dsb_stats *st, struct robot_labels *labels)
{
	struct robot_labels own;
	struct dirent **ents = NULL;
	struct dsb b;
	int n = 0, i, ret;

	memset(ds, 0, sizeof(*ds));
	memset(st, 0, sizeof(*st));
	memset(&b, 0, sizeof(b));
	b.o = o;
	b.ds = ds;
	b.st = st;
	b.lab = labels ? labels : &own;
	memset(b.lab, 0, sizeof(*b.lab));
	ret = dsb_init(&b, o);
	if (ret)
		goto out;
	n = scandir(o->pcap_dir, &ents, capture_filter, alphasort);
	if (n < 0) {
		ret = -errno;
		pr_warn("%s: cannot list captures: %s\n", o->pcap_dir,
			strerror(errno));
		n = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = do_capture(&b, o->pcap_dir, ents[i]->d_name);
		if (ret < 0)
			goto out;
	}
	missing_files(&b, ents, n);
	ret = tally_labels(&b);
	if (!ret)
		ret = st->errors ? 1 : 0;
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	flowtab_free(&b.ft);
	free(b.order);
	free(b.matched);
	free(b.file_state);
	if (!labels || ret < 0)
		robot_labels_free(b.lab);
	if (ret < 0) {
		robot_ds_free(ds);
		robot_dsb_stats_free(st);
	}
	return ret;
}

void robot_dsb_stats_free(struct robot_dsb_stats *st)
{
	free(st->missed);
	st->missed = NULL;
	st->n_missed = 0;
}
