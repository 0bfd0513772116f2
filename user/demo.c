// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * demo.c - `robot demo`: Robot classifying the traffic lab's applications
 * live at the lab's gateway, with the ground truth next to each verdict.
 *
 * tools/demo.sh does the plumbing (lab up, HTB, `robot attach veth1
 * veth2` in the gateway namespace, apps for N seconds, teardown on every
 * path) and drops snapshots into a run directory every second; this file
 * starts it, renders the flow table from the snapshots (in place on a
 * terminal, one line per verdict otherwise) and prints the summary:
 * accuracy against the lab's address table, FDD flows and the Robust
 * model on them, packets/s from the daemon's counters, HTB class
 * counters per mark. docs/demo.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "daemon.h"
#include "json.h"
#include "lab.h"
#include "log.h"
#include "mjson.h"

#define DEMO_SECONDS_DEFAULT 120
#define DEMO_SECONDS_MAX 600
#define DEMO_FILE_MAX (64 << 20)
#define DEMO_TOKS 64
#define DEMO_HTB_MAX 32
#define DEMO_HTB_NOMARK 0x99 /* class 1:99 (tc minors are hex) */

struct demo_opts {
	long seconds;
	long interval_ms;
	const char *models;
	const char *apps;
	const char *out;
	const char *demo_sh;
	int json;
	int plain;
};

struct dflow {
	char src[INET6_ADDRSTRLEN];
	char dst[INET6_ADDRSTRLEN];
	unsigned int sport, dport, proto;
	char stage[16];
	char cls[16];
	char fast[16];
	char robust[16];
	int fdd;
	__u64 packets;
	__u64 bytes;
	int app; /* index in the lab table, -1: not an app's flow */
};

struct dflows {
	struct dflow *f;
	int n, cap;
};

struct dstats {
	int ok;
	double t;
	__u64 packets, cnn_runs, fdd_flows, tc_marked, new_flows;
	__u64 robust_verdicts, records, rb_drops;
};

struct htb_row {
	char dev[16];
	unsigned int minor;
	__u64 bytes, pkts;
};

struct htb {
	struct htb_row r[DEMO_HTB_MAX];
	int n;
};

/* Tallies of one flow set against the ground truth. */
struct tally {
	int flows, lab_flows, verdicts, correct;
	int fast, fast_ok;             /* final fast verdicts */
	int fdd, robust, robust_ok;    /* FDD flows, robust verdicts on them */
	int fdd_fast_ok;               /* ... whose fast class was right */
	int pending;                   /* FDD, window not classified yet */
	int cat_n[ROBOT_CLASS_MAX], cat_ok[ROBOT_CLASS_MAX];
};

static volatile sig_atomic_t demo_signal;
static volatile pid_t demo_child;

/* Ctrl-C on the terminal reaches demo.sh as well (same process group),
 * and it tears down; a signal sent to robot alone is passed on.
 */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	demo_signal = sig;
	if (demo_child > 0 && si->si_code != SI_KERNEL)
		kill(demo_child, sig);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: robot demo [--seconds N] [--models DIR] [options]\n"
"\n"
"Live demo (root, the lab's packages: make deps): the traffic lab comes\n"
"up (tools/lab/lab.sh, namespaces robotdemo-cli|gw|srv), Robot attaches\n"
"natively at the gateway's two interfaces (robot attach veth1 veth2), HTB\n"
"on the gateway's egress interfaces gets one class per mark, the lab's\n"
"applications run N seconds, and a table shows each flow with its true\n"
"application (the lab's address table), Robot's class, the stage (fast,\n"
"or FDD -> robust) and the mark; refreshed in place on a terminal, one\n"
"line per verdict otherwise. Then a summary: accuracy against the ground\n"
"truth, FDD flows and the Robust model on them, packets/s, and the HTB\n"
"class counters per mark. Everything is torn down on every path, Ctrl-C\n"
"included.\n"
"\n"
"  --seconds N        how long the applications run (default %d, 5..%d)\n"
"  --models DIR       fast.model and robust.model (default models/default\n"
"                     of the robot binary's tree)\n"
"  --apps LIST        lab apps or categories (default all: robot lab apps)\n"
"  --out DIR          keep the run's files (snapshots, daemon log) in DIR\n"
"                     (created; default a temporary directory, removed)\n"
"  --interval MS      table refresh (default 1000)\n"
"  --plain            plain lines even on a terminal\n"
"  --json             the summary as one JSON object on stdout (no table)\n"
"  --demo-sh PATH     the plumbing script (default: ROBOT_DEMO_SH, else\n"
"                     tools/demo.sh of the robot binary's tree)\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 ok, 1 failure, 2 wrong arguments, 77 cannot run here (not\n"
"root, lab programs missing), 130 interrupted.\n",
		DEMO_SECONDS_DEFAULT, DEMO_SECONDS_MAX);
}

/* ------------------------------------------------------------ files */

/* The whole file, NUL-terminated; NULL if absent or unreadable. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[PATH_MAX + 32];
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return NULL;
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &sb) || sb.st_size > DEMO_FILE_MAX)
		goto out;
	buf = malloc(sb.st_size + 1);
	if (!buf)
		goto out;
	n = fread(buf, 1, sb.st_size, f);
	buf[n] = 0;
out:
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static void tok_str(const char *s, const struct mjson_tok *t, int obj,
		    const char *key, char *buf, size_t n)
{
	int i = mjson_get(s, t, obj, key);

	if (i < 0 || mjson_str(s, t, i, buf, n))
		snprintf(buf, n, "-");
}

static __u64 tok_u64(const char *s, const struct mjson_tok *t, int obj,
		     const char *key)
{
	int i = mjson_get(s, t, obj, key);
	__u64 v = 0;

	if (i < 0 || mjson_u64(s, t, i, &v))
		return 0;
	return v;
}

static int flows_push(struct dflows *fs, const struct dflow *f)
{
	struct dflow *n;

	if (fs->n == fs->cap) {
		n = realloc(fs->f, (fs->cap ? fs->cap * 2 : 256) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		fs->f = n;
		fs->cap = fs->cap ? fs->cap * 2 : 256;
	}
	fs->f[fs->n++] = *f;
	return 0;
}

static int app_of(const struct robot_lab_table *t, const char *ip)
{
	__u8 a[4];

	if (inet_pton(AF_INET, ip, a) != 1)
		return -1;
	return robot_lab_app_of(t, a);
}

/* Parse `robot flows --json` (one object a line) into fs. */
static int flows_load(const char *dir, const char *name,
		      const struct robot_lab_table *t, struct dflows *fs)
{
	struct mjson_tok tok[DEMO_TOKS];
	char *buf, *line, *nl;
	struct dflow f;
	int n, i, err = 0;

	fs->n = 0;
	buf = slurp(dir, name, NULL);
	if (!buf)
		return -ENOENT;
	for (line = buf; *line && !err; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (!*line)
			continue;
		n = mjson_parse(line, strlen(line), tok, DEMO_TOKS);
		if (n <= 0 || tok[0].type != MJSON_OBJ)
			continue;
		memset(&f, 0, sizeof(f));
		tok_str(line, tok, 0, "src", f.src, sizeof(f.src));
		tok_str(line, tok, 0, "dst", f.dst, sizeof(f.dst));
		f.sport = tok_u64(line, tok, 0, "sport");
		f.dport = tok_u64(line, tok, 0, "dport");
		f.proto = tok_u64(line, tok, 0, "proto");
		tok_str(line, tok, 0, "stage", f.stage, sizeof(f.stage));
		tok_str(line, tok, 0, "class", f.cls, sizeof(f.cls));
		tok_str(line, tok, 0, "fast_class", f.fast, sizeof(f.fast));
		tok_str(line, tok, 0, "robust_class", f.robust,
			sizeof(f.robust));
		i = mjson_get(line, tok, 0, "fdd");
		f.fdd = i >= 0 && tok[i].type == MJSON_BOOL &&
			line[tok[i].start] == 't';
		f.packets = tok_u64(line, tok, 0, "packets");
		f.bytes = tok_u64(line, tok, 0, "bytes");
		f.app = app_of(t, f.src);
		if (f.app < 0)
			f.app = app_of(t, f.dst);
		err = flows_push(fs, &f);
	}
	free(buf);
	return err;
}

/* {"t": epoch, "stats": robot stats --json} */
static void stats_load(const char *dir, const char *name, struct dstats *st)
{
	struct mjson_tok *tok;
	int n, i, dp, dm;
	char *buf;
	size_t len;

	memset(st, 0, sizeof(*st));
	buf = slurp(dir, name, &len);
	tok = calloc(512, sizeof(*tok));
	if (!buf || !tok)
		goto out;
	n = mjson_parse(buf, len, tok, 512);
	if (n <= 0 || tok[0].type != MJSON_OBJ)
		goto out;
	i = mjson_get(buf, tok, 0, "t");
	if (i < 0 || tok[i].type != MJSON_NUM)
		goto out;
	st->t = strtod(buf + tok[i].start, NULL);
	i = mjson_get(buf, tok, 0, "stats");
	if (i < 0 || tok[i].type != MJSON_OBJ)
		goto out;
	dp = mjson_get(buf, tok, i, "datapath");
	dm = mjson_get(buf, tok, i, "daemon");
	if (dp < 0)
		goto out;
	st->packets = tok_u64(buf, tok, dp, "packets");
	st->cnn_runs = tok_u64(buf, tok, dp, "cnn_runs");
	st->fdd_flows = tok_u64(buf, tok, dp, "fdd_flows");
	st->tc_marked = tok_u64(buf, tok, dp, "tc_marked");
	st->new_flows = tok_u64(buf, tok, dp, "new_flows");
	st->rb_drops = tok_u64(buf, tok, dp, "rb_drops");
	if (dm >= 0) {
		st->robust_verdicts = tok_u64(buf, tok, dm, "robust_verdicts");
		st->records = tok_u64(buf, tok, dm, "records");
	}
	st->ok = 1;
out:
	free(tok);
	free(buf);
}

/* "DEV 1:MINOR BYTES PKTS" lines (demo.sh's digest of tc -s class). */
static void htb_load(const char *dir, const char *name, struct htb *h)
{
	char *buf, *line, *save = NULL, dev[16];
	unsigned long long b, p;
	unsigned int minor;

	memset(h, 0, sizeof(*h));
	buf = slurp(dir, name, NULL);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line && h->n < DEMO_HTB_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%15s 1:%x %llu %llu", dev, &minor, &b, &p) != 4)
			continue;
		snprintf(h->r[h->n].dev, sizeof(h->r[h->n].dev), "%s", dev);
		h->r[h->n].minor = minor;
		h->r[h->n].bytes = b;
		h->r[h->n].pkts = p;
		h->n++;
	}
	free(buf);
}

/* ----------------------------------------------------------- tallies */

static int class_idx(const char *name)
{
	int c;

	for (c = 0; c < ROBOT_CLASS_MAX; c++)
		if (!strcmp(name, robot_class_names[c]))
			return c;
	return -1;
}

/* A final verdict: fast (not FDD), robust, fallback (fast kept), or
 * collected with a Fast-only model directory.
 */
static int has_verdict(const struct dflow *f)
{
	return class_idx(f->cls) >= 0 &&
	       (!strcmp(f->stage, "fast") || !strcmp(f->stage, "robust") ||
		!strcmp(f->stage, "fallback") ||
		!strcmp(f->stage, "collected"));
}

static const char *truth(const struct robot_lab_table *t,
			 const struct dflow *f)
{
	return f->app >= 0 ? t->apps[f->app].category : "-";
}

static void tally(const struct robot_lab_table *t, const struct dflows *fs,
		  struct tally *y)
{
	const struct dflow *f;
	int i, ok, c;

	memset(y, 0, sizeof(*y));
	for (i = 0; i < fs->n; i++) {
		f = &fs->f[i];
		y->flows++;
		if (f->app < 0)
			continue;
		y->lab_flows++;
		if (f->fdd) {
			y->fdd++;
			y->fdd_fast_ok += !strcmp(f->fast, truth(t, f));
			if (!strcmp(f->stage, "collecting") ||
			    !strcmp(f->stage, "collected"))
				y->pending++;
		}
		if (!has_verdict(f))
			continue;
		ok = !strcmp(f->cls, truth(t, f));
		y->verdicts++;
		y->correct += ok;
		if (!strcmp(f->stage, "fast")) {
			y->fast++;
			y->fast_ok += ok;
		}
		if (f->fdd && !strcmp(f->stage, "robust")) {
			y->robust++;
			y->robust_ok += ok;
		}
		c = class_idx(truth(t, f));
		if (c >= 0) {
			y->cat_n[c]++;
			y->cat_ok[c] += ok;
		}
	}
}

static double pct(int a, int b)
{
	return b ? 100.0 * a / b : 0;
}

/* ------------------------------------------------------------ render */

static const char *stage_label(const struct dflow *f)
{
	if (!strcmp(f->stage, "robust"))
		return "FDD>robust";
	if (!strcmp(f->stage, "collecting"))
		return "FDD collect";
	if (!strcmp(f->stage, "collected"))
		return "FDD collectd";
	if (!strcmp(f->stage, "fallback"))
		return "FDD fallback";
	return f->stage;
}

static const char *proto_name(unsigned int p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : "ip";
}

static int cmp_packets(const void *a, const void *b)
{
	const struct dflow *x = a, *y = b;

	return x->packets < y->packets ? 1 : x->packets > y->packets ? -1 : 0;
}

static void flow_line(FILE *o, const struct robot_lab_table *t,
		      const struct dflow *f, int color)
{
	char ep[128], mark[8] = "-";
	int c = class_idx(f->cls), v = has_verdict(f) && f->app >= 0;
	int ok = v && !strcmp(f->cls, truth(t, f));

	snprintf(ep, sizeof(ep), "%s:%u > %s:%u %s", f->src, f->sport, f->dst,
		 f->dport, proto_name(f->proto));
	if (c >= 0)
		snprintf(mark, sizeof(mark), "%d", c + 1);
	fprintf(o, "%-44s %-15s %-12s %-12s %-12s %4s %8llu %s%s%s", ep,
		f->app >= 0 ? t->apps[f->app].name : "?", truth(t, f), f->cls,
		stage_label(f), mark, (unsigned long long)f->packets,
		color && v ? (ok ? "\033[32m" : "\033[31m") : "",
		!v ? "" : ok ? "ok" : "WRONG", color && v ? "\033[0m" : "");
}

static void table_header(FILE *o)
{
	fprintf(o, "%-44s %-15s %-12s %-12s %-12s %4s %8s\n",
		"FLOW (initiator > responder)", "APP", "TRUE", "ROBOT",
		"STAGE", "MARK", "PKTS");
}

static int term_rows(void)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 10)
		return ws.ws_row;
	return 40;
}

/* "run START SECS" while the apps run, else the step's name. */
static void phase_read(const char *dir, char *buf, size_t n, long *left)
{
	char *p = slurp(dir, "phase", NULL), *nl;
	long start, secs;

	*left = -1;
	snprintf(buf, n, "%s", p ? p : "starting");
	free(p);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	if (sscanf(buf, "run %ld %ld", &start, &secs) == 2) {
		*left = start + secs - time(NULL);
		if (*left < 0)
			*left = 0;
		snprintf(buf, n, "apps running");
	}
}

static void render_tty(const char *dir, const struct demo_opts *o,
		       const struct robot_lab_table *t, struct dflows *fs)
{
	char phase[64];
	struct tally y;
	int rows, i;
	long left;

	phase_read(dir, phase, sizeof(phase), &left);
	tally(t, fs, &y);
	qsort(fs->f, fs->n, sizeof(*fs->f), cmp_packets);
	rows = term_rows() - 6;
	printf("\033[H\033[2J");
	printf("Robot demo: lab apps through the gateway, robot attach veth1 "
	       "veth2 --models %s\n", o->models);
	if (left >= 0)
		printf("%s, %lds left", phase, left);
	else
		printf("%s", phase);
	printf("  | flows %d, verdicts %d, correct %d (%.1f%%), FDD %d "
	       "(robust %d, pending %d)\n\n", y.lab_flows, y.verdicts,
	       y.correct, pct(y.correct, y.verdicts), y.fdd, y.robust,
	       y.pending);
	table_header(stdout);
	for (i = 0; i < fs->n && i < rows; i++) {
		flow_line(stdout, t, &fs->f[i], 1);
		fputc('\n', stdout);
	}
	if (fs->n > rows)
		printf("... %d more flows\n", fs->n - rows);
	fflush(stdout);
}

/* Plain mode: one line per flow when its verdict or stage changes. */
static void render_plain(const struct robot_lab_table *t, struct dflows *fs,
			 struct dflows *seen, time_t t0)
{
	struct dflow *f, *p;
	int i, j;

	for (i = 0; i < fs->n; i++) {
		f = &fs->f[i];
		if (!has_verdict(f) && strcmp(f->stage, "collecting"))
			continue;
		p = NULL;
		for (j = 0; j < seen->n; j++)
			if (seen->f[j].sport == f->sport &&
			    seen->f[j].dport == f->dport &&
			    seen->f[j].proto == f->proto &&
			    !strcmp(seen->f[j].src, f->src) &&
			    !strcmp(seen->f[j].dst, f->dst)) {
				p = &seen->f[j];
				break;
			}
		if (p && !strcmp(p->stage, f->stage) && !strcmp(p->cls, f->cls))
			continue;
		if (p)
			*p = *f;
		else if (flows_push(seen, f))
			return;
		printf("[%4lds] ", (long)(time(NULL) - t0));
		flow_line(stdout, t, f, 0);
		fputc('\n', stdout);
	}
	fflush(stdout);
}

/* ----------------------------------------------------------- summary */

static __u64 htb_pkts(const struct htb *h, unsigned int minor,
		      const char *dev)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < h->n; i++)
		if (h->r[i].minor == minor &&
		    (!dev || !strcmp(h->r[i].dev, dev)))
			n += h->r[i].pkts;
	return n;
}

static __u64 marked_pkts(const struct htb *h)
{
	__u64 n = 0;
	int m;

	for (m = 1; m <= ROBOT_CLASS_MAX; m++)
		n += htb_pkts(h, m, NULL);
	return n;
}

struct summary {
	struct tally y;
	struct dstats s0, s1;
	struct htb h;
	double pps;
	__u64 class_pkts[ROBOT_CLASS_MAX]; /* flow packets by final class */
	char teardown[256];
	int status;
};

static void summary_text(const struct robot_lab_table *t,
			 const struct summary *s)
{
	const struct tally *y = &s->y;
	int c, m;

	printf("\n== Summary ==\n");
	printf("flows of lab apps seen at the gateway: %d (all flows %d)\n",
	       y->lab_flows, y->flows);
	printf("accuracy (flows with a verdict): %d/%d = %.1f%%\n",
	       y->correct, y->verdicts, pct(y->correct, y->verdicts));
	printf("  fast verdicts:   %d/%d = %.1f%%\n", y->fast_ok, y->fast,
	       pct(y->fast_ok, y->fast));
	printf("  FDD flows: %d; robust verdicts %d, correct %d (%.1f%%); "
	       "their fast class was right for %d; still collecting %d\n",
	       y->fdd, y->robust, y->robust_ok, pct(y->robust_ok, y->robust),
	       y->fdd_fast_ok, y->pending);
	printf("  per true category (correct/verdicts):");
	for (c = 0; c < ROBOT_CLASS_MAX; c++)
		if (y->cat_n[c])
			printf(" %s %d/%d", robot_class_names[c], y->cat_ok[c],
			       y->cat_n[c]);
	printf("\n");
	if (s->s0.ok && s->s1.ok)
		printf("datapath: %llu packets in %.1f s = %.0f packets/s "
		       "(XDP, both interfaces); new flows %llu, CNN runs %llu, "
		       "FDD %llu, tc marked %llu, ringbuf records %llu "
		       "(drops %llu), robust verdicts %llu\n",
		       (unsigned long long)(s->s1.packets - s->s0.packets),
		       s->s1.t - s->s0.t, s->pps,
		       (unsigned long long)s->s1.new_flows,
		       (unsigned long long)s->s1.cnn_runs,
		       (unsigned long long)s->s1.fdd_flows,
		       (unsigned long long)s->s1.tc_marked,
		       (unsigned long long)s->s1.records,
		       (unsigned long long)s->s1.rb_drops,
		       (unsigned long long)s->s1.robust_verdicts);
	/* veth1's egress carries the server->client direction, veth2's
	 * the client->server one: a class's forwarded packets are the sum,
	 * next to the packets (both directions) of the flows whose final
	 * class it is.
	 */
	printf("HTB classes on the gateway's egress (packets; class 1:M = "
	       "mark M = Robot class M-1; veth1 -> client, veth2 -> "
	       "server):\n");
	printf("  %-16s %12s %12s %12s %14s\n", "class", "veth1", "veth2",
	       "both", "flows' pkts");
	for (m = 1; m <= ROBOT_CLASS_MAX; m++)
		printf("  1:%-2d %-11s %12llu %12llu %12llu %14llu\n", m,
		       robot_class_names[m - 1],
		       (unsigned long long)htb_pkts(&s->h, m, "veth1"),
		       (unsigned long long)htb_pkts(&s->h, m, "veth2"),
		       (unsigned long long)htb_pkts(&s->h, m, NULL),
		       (unsigned long long)s->class_pkts[m - 1]);
	printf("  1:99 %-11s %12llu %12llu %12llu\n", "(no mark)",
	       (unsigned long long)htb_pkts(&s->h, DEMO_HTB_NOMARK, "veth1"),
	       (unsigned long long)htb_pkts(&s->h, DEMO_HTB_NOMARK, "veth2"),
	       (unsigned long long)htb_pkts(&s->h, DEMO_HTB_NOMARK, NULL));
	printf("  (flows' pkts: both directions of the flows whose final class "
	       "is M; a flow marked\n   by its fast class until its robust "
	       "verdict moves packets between classes)\n");
	printf("  marked packets steered into classes 1:1..1:%d: %llu\n",
	       ROBOT_CLASS_MAX, (unsigned long long)marked_pkts(&s->h));
	printf("teardown: %s\n", s->teardown[0] ? s->teardown : "unknown");
	(void)t;
}

static void summary_json(const struct summary *s)
{
	const struct tally *y = &s->y;
	struct json_w j;
	char key[32];
	int c, m;

	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_u64(&j, "status", s->status);
	json_u64(&j, "flows", y->flows);
	json_u64(&j, "lab_flows", y->lab_flows);
	json_u64(&j, "verdicts", y->verdicts);
	json_u64(&j, "correct", y->correct);
	json_dbl(&j, "accuracy", y->verdicts ? (double)y->correct /
		 y->verdicts : 0);
	json_u64(&j, "fast_verdicts", y->fast);
	json_u64(&j, "fast_correct", y->fast_ok);
	json_u64(&j, "fdd_flows", y->fdd);
	json_u64(&j, "fdd_robust", y->robust);
	json_u64(&j, "fdd_robust_correct", y->robust_ok);
	json_u64(&j, "fdd_fast_correct", y->fdd_fast_ok);
	json_u64(&j, "fdd_pending", y->pending);
	json_obj_open(&j, "per_category");
	for (c = 0; c < ROBOT_CLASS_MAX; c++) {
		if (!y->cat_n[c])
			continue;
		json_obj_open(&j, robot_class_names[c]);
		json_u64(&j, "verdicts", y->cat_n[c]);
		json_u64(&j, "correct", y->cat_ok[c]);
		json_obj_close(&j);
	}
	json_obj_close(&j);
	json_dbl(&j, "packets_per_s", s->pps);
	json_u64(&j, "packets", s->s1.packets - s->s0.packets);
	json_dbl(&j, "seconds", s->s1.t - s->s0.t);
	json_u64(&j, "tc_marked", s->s1.tc_marked);
	json_u64(&j, "robust_verdicts", s->s1.robust_verdicts);
	json_obj_open(&j, "htb");
	for (m = 1; m <= ROBOT_CLASS_MAX; m++) {
		snprintf(key, sizeof(key), "1:%d", m);
		json_obj_open(&j, key);
		json_str(&j, "class", robot_class_names[m - 1]);
		json_u64(&j, "veth1", htb_pkts(&s->h, m, "veth1"));
		json_u64(&j, "veth2", htb_pkts(&s->h, m, "veth2"));
		json_u64(&j, "total", htb_pkts(&s->h, m, NULL));
		json_u64(&j, "flow_packets", s->class_pkts[m - 1]);
		json_obj_close(&j);
	}
	json_obj_open(&j, "1:99");
	json_u64(&j, "veth1", htb_pkts(&s->h, DEMO_HTB_NOMARK, "veth1"));
	json_u64(&j, "veth2", htb_pkts(&s->h, DEMO_HTB_NOMARK, "veth2"));
	json_obj_close(&j);
	json_obj_close(&j);
	json_u64(&j, "htb_marked_packets", marked_pkts(&s->h));
	json_str(&j, "teardown", s->teardown);
	json_obj_close(&j);
	json_end(&j);
}

static void summary_build(const char *dir, const struct robot_lab_table *t,
			  struct dflows *fs, struct summary *s)
{
	char *td, *nl;
	int i, c;

	if (flows_load(dir, "flows-final.json", t, fs))
		flows_load(dir, "flows.json", t, fs);
	tally(t, fs, &s->y);
	for (i = 0; i < fs->n; i++) {
		c = class_idx(fs->f[i].cls);
		if (c >= 0)
			s->class_pkts[c] += fs->f[i].packets;
	}
	stats_load(dir, "stats-first.json", &s->s0);
	stats_load(dir, "stats-final.json", &s->s1);
	if (!s->s1.ok)
		stats_load(dir, "stats.json", &s->s1);
	if (s->s0.ok && s->s1.ok && s->s1.t > s->s0.t)
		s->pps = (s->s1.packets - s->s0.packets) / (s->s1.t - s->s0.t);
	htb_load(dir, "htb-final.txt", &s->h);
	if (!s->h.n)
		htb_load(dir, "htb.txt", &s->h);
	td = slurp(dir, "teardown.txt", NULL);
	if (td) {
		nl = strchr(td, '\n');
		if (nl)
			*nl = 0;
		snprintf(s->teardown, sizeof(s->teardown), "%s", td);
		free(td);
	}
}

/* ------------------------------------------------------------- run */

static const char *tree_path(const char *env, const char *rel,
			     const char *fallback, char *buf, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len;

	if (env && getenv(env))
		return getenv(env);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = 0;
		if (snprintf(buf, n, "%s/../%s", dirname(exe), rel) < (int)n &&
		    !access(buf, R_OK))
			return buf;
	}
	return fallback;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static int tty_mode(const struct demo_opts *o)
{
	return !o->json && !o->plain && isatty(STDOUT_FILENO);
}

static pid_t start_sh(const char *sh, const char *dir,
		      const struct demo_opts *o, const char *models)
{
	char secs[24], exe[PATH_MAX], log[PATH_MAX + 32];
	ssize_t len;
	pid_t pid;
	int fd;

	snprintf(secs, sizeof(secs), "%ld", o->seconds);
	pid = fork();
	if (pid)
		return pid;
	/* Default dispositions: a shell cannot trap a signal ignored at
	 * its start (robot run as a background job ignores SIGINT).
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = 0;
		setenv("ROBOT", exe, 1);
	}
	/* On a terminal the table owns the screen: messages go to a log,
	 * shown if the run fails.
	 */
	snprintf(log, sizeof(log), "%s/demo.log", dir);
	fd = tty_mode(o) ? open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	execlp("bash", "bash", sh, "run", dir, secs, models,
	       o->apps ? o->apps : "all", (char *)NULL);
	fprintf(stderr, "demo: bash: %s\n", strerror(errno));
	_exit(127);
}

static int wait_child(pid_t pid, const char *dir, const struct demo_opts *o,
		      const struct robot_lab_table *t, struct dflows *fs)
{
	struct timespec ts = { o->interval_ms / 1000,
			       (o->interval_ms % 1000) * 1000000L };
	int tty = tty_mode(o);
	struct dflows seen = { 0 };
	time_t t0 = time(NULL);
	struct stat sb;
	time_t mtime = 0;
	char path[PATH_MAX + 32];
	int status, loaded;
	pid_t r;

	snprintf(path, sizeof(path), "%s/flows.json", dir);
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			status = -1;
			break;
		}
		nanosleep(&ts, NULL);
		if (o->json || stat(path, &sb) || sb.st_mtime < mtime)
			continue;
		mtime = sb.st_mtime;
		loaded = !flows_load(dir, "flows.json", t, fs);
		if (loaded && tty)
			render_tty(dir, o, t, fs);
		else if (loaded)
			render_plain(t, fs, &seen, t0);
	}
	free(seen.f);
	if (status < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

static int parse_long(const char *opt, const char *s, long lo, long hi,
		      long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || *end || end == s || *v < lo || *v > hi) {
		pr_warn("demo: %s: expected an integer in %ld..%ld, got '%s'\n",
			opt, lo, hi, s);
		return -EINVAL;
	}
	return 0;
}

static int apps_ok(const char *s)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr(",_.-", *s))
			return 0;
	return 1;
}

static int parse_opts(int argc, char **argv, struct demo_opts *o)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "models", required_argument, NULL, 'm' },
		{ "apps", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "demo-sh", required_argument, NULL, 'D' },
		{ "plain", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	o->seconds = DEMO_SECONDS_DEFAULT;
	o->interval_ms = 1000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_long("--seconds", optarg, 5,
				       DEMO_SECONDS_MAX, &o->seconds))
				return ROBOT_EXIT_USAGE;
			break;
		case 'i':
			if (parse_long("--interval", optarg, 100, 10000,
				       &o->interval_ms))
				return ROBOT_EXIT_USAGE;
			break;
		case 'm': o->models = optarg; break;
		case 'a': o->apps = optarg; break;
		case 'o': o->out = optarg; break;
		case 'D': o->demo_sh = optarg; break;
		case 'p': o->plain = 1; break;
		case 'j': o->json = 1; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return ROBOT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_warn("demo: unexpected argument '%s'\n", argv[optind]);
		return ROBOT_EXIT_USAGE;
	}
	if (o->apps && (!*o->apps || !apps_ok(o->apps))) {
		pr_warn("demo: --apps: comma list of app or category names\n");
		return ROBOT_EXIT_USAGE;
	}
	return 0;
}

/* The last lines of demo.sh's messages (terminal mode). */
static void show_log(const char *dir)
{
	char *buf = slurp(dir, "demo.log", NULL), *p;
	int lines = 0;

	if (!buf)
		return;
	for (p = buf + strlen(buf); p > buf; p--)
		if (p[-1] == '\n' && ++lines > 15)
			break;
	fputs(p, stderr);
	free(buf);
}

/* The run directory: --out (kept) or a temporary one (removed). */
static int run_dir(const struct demo_opts *o, char *dir, size_t n)
{
	if (o->out) {
		if (mkdir(o->out, 0755) && errno != EEXIST) {
			pr_warn("demo: %s: %s\n", o->out, strerror(errno));
			return -errno;
		}
		if (!realpath(o->out, dir)) {
			pr_warn("demo: %s: %s\n", o->out, strerror(errno));
			return -errno;
		}
		return 0;
	}
	snprintf(dir, n, "/tmp/robot-demo.XXXXXX");
	if (!mkdtemp(dir)) {
		pr_warn("demo: mkdtemp: %s\n", strerror(errno));
		return -errno;
	}
	chmod(dir, 0755);
	return 0;
}

int do_demo(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO };
	struct sigaction old_int, old_term;
	char shbuf[PATH_MAX], mbuf[PATH_MAX], models[PATH_MAX];
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct robot_lab_table *t = NULL;
	struct demo_opts o = { 0 };
	struct dflows fs = { 0 };
	struct summary *s = NULL;
	const char *sh;
	int st, ret;
	pid_t pid;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret < 0 ? ROBOT_EXIT_OK : ret;
	if (geteuid()) {
		printf("skip: robot demo needs root (namespaces, XDP)\n");
		return ROBOT_EXIT_SKIP;
	}
	sh = o.demo_sh ? o.demo_sh :
		tree_path("ROBOT_DEMO_SH", "tools/demo.sh", "tools/demo.sh",
			  shbuf, sizeof(shbuf));
	if (access(sh, R_OK)) {
		pr_warn("demo: %s: %s (use --demo-sh or ROBOT_DEMO_SH)\n", sh,
			strerror(errno));
		return ROBOT_EXIT_FAIL;
	}
	if (!o.models)
		o.models = tree_path(NULL, "models/default", "models/default",
				     mbuf, sizeof(mbuf));
	if (!realpath(o.models, models) ||
	    snprintf(path, sizeof(path), "%s/fast.model", models) >=
		    (int)sizeof(path) || access(path, R_OK)) {
		pr_warn("demo: no model in %s (make model, or --models DIR)\n",
			o.models);
		return ROBOT_EXIT_FAIL;
	}
	o.models = models;
	t = calloc(1, sizeof(*t));
	s = calloc(1, sizeof(*s));
	if (!t || !s) {
		ret = ROBOT_EXIT_FAIL;
		goto out_free;
	}
	if (run_dir(&o, dir, sizeof(dir))) {
		ret = ROBOT_EXIT_FAIL;
		goto out_free;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pid = start_sh(sh, dir, &o, models);
	if (pid < 0) {
		pr_warn("demo: fork: %s\n", strerror(errno));
		ret = ROBOT_EXIT_FAIL;
		goto out_sig;
	}
	demo_child = pid;
	/* The address table appears once the lab is up. */
	st = 0;
	while (!st) {
		snprintf(path, sizeof(path), "%s/apps.txt", dir);
		if (!access(path, R_OK) && !robot_lab_table_load(path, t))
			break;
		st = waitpid(pid, &ret, WNOHANG);
		if (!st)
			usleep(200000);
	}
	if (st == pid)
		ret = WIFEXITED(ret) ? WEXITSTATUS(ret) : 128 + WTERMSIG(ret);
	else
		ret = wait_child(pid, dir, &o, t, &fs);
	demo_child = 0;
	if (ret == ROBOT_EXIT_SKIP)
		goto out_dir;
	if (t->n) {
		s->status = ret;
		summary_build(dir, t, &fs, s);
		if (o.json)
			summary_json(s);
		else
			summary_text(t, s);
	}
	if (demo_signal || ret == 130) {
		pr_warn("demo: interrupted\n");
		ret = 130;
	} else if (ret) {
		if (tty_mode(&o))
			show_log(dir);
		pr_warn("demo: failed (demo.sh exit %d)%s%s\n", ret,
			o.out ? "; files in " : "", o.out ? dir : "");
		ret = ROBOT_EXIT_FAIL;
	}
out_dir:
	if (!o.out)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
out_sig:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out_free:
	free(fs.f);
	free(t);
	free(s);
	return ret;
}
