// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lab.c - `robot lab`: the traffic lab (real applications in network
 * namespaces, tools/lab/lab.sh) and the ground truth of its captures.
 *
 * `robot lab capture` runs lab.sh capture (namespaces up, tcpdump on the
 * gateway, the apps' clients for N seconds, everything down), then labels
 * the capture by address (lab.h) and appends the rows to
 * OUT/labels_flows.csv in the format of the nDPI labels, so that
 * `robot dataset --pcap-dir OUT/pcap --labels OUT/labels_flows.csv` reads
 * it unchanged. docs/lab.md has the topology and the app list.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "flowtab.h"
#include "json.h"
#include "lab.h"
#include "log.h"
#include "pcapread.h"

#define LAB_SECONDS_MAX (24 * 3600)
#define LAB_IDLE_DEFAULT 120 /* s, as robot dataset */

/* As shared/data/ndpi/labels_flows.csv: CRLF line ends (RFC 4180). */
const char robot_lab_csv_header[] =
	"file,source,app,category,encrypted,l4,src,sport,dst,dport,pkts,"
	"bytes,first_ts,ndpi_label,ndpi_cat,sni,splitA,splitB\r\n";

/* ------------------------------------------------------------ app table */

static int name_ok(const char *s)
{
	if (!*s || strlen(s) >= ROBOT_LAB_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("._-", *s))
			return 0;
	return 1;
}

static int parse_plain(char *s, struct robot_lab_app *a)
{
	char *save = NULL, *tok, *end;
	unsigned long v;

	a->n_plain = 0;
	if (!strcmp(s, "-"))
		return 0;
	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		v = strtoul(tok, &end, 10);
		if (errno || *end || !*tok || v == 0 || v > 65535 ||
		    a->n_plain >= ROBOT_LAB_PLAIN_MAX)
			return -EINVAL;
		a->plain[a->n_plain++] = v;
	}
	return 0;
}

/* One table line: app category enc server_ip plain client_ip. */
static int parse_app(char *line, struct robot_lab_app *a, const char **why)
{
	char *f[6], *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == 6) {
			n++;
			break;
		}
		f[n++] = tok;
	}
	if (n != 6) {
		*why = "expected 6 fields: app category encrypted server_ip "
		       "plain_ports client_ip";
		return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	if (!name_ok(f[0]) || !name_ok(f[1])) {
		*why = "bad app or category name ([A-Za-z0-9._-], < 48 chars)";
		return -EINVAL;
	}
	strcpy(a->name, f[0]);
	strcpy(a->category, f[1]);
	if (strcmp(f[2], "yes") && strcmp(f[2], "no")) {
		*why = "encrypted must be yes or no";
		return -EINVAL;
	}
	a->encrypted = !strcmp(f[2], "yes");
	if (inet_pton(AF_INET, f[3], a->server_ip) != 1 ||
	    inet_pton(AF_INET, f[5], a->client_ip) != 1) {
		*why = "bad IPv4 address";
		return -EINVAL;
	}
	if (parse_plain(f[4], a)) {
		*why = "bad plain port list (comma list of 1..65535, or -)";
		return -EINVAL;
	}
	return 0;
}

int robot_lab_table_parse(const char *path, const char *text,
			  struct robot_lab_table *t)
{
	char line[512], *hash;
	const char *p = text, *nl, *why = NULL;
	size_t len;
	__u32 lineno = 0, i;
	int err, dup;

	t->n = 0;
	while (*p) {
		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			pr_warn("%s:%u: line too long\n", path, lineno);
			return -EINVAL;
		}
		memcpy(line, p, len);
		line[len] = 0;
		p += len + (nl ? 1 : 0);
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		if (!line[strspn(line, " \t\r")])
			continue;
		line[strcspn(line, "\r")] = 0;
		if (t->n >= ROBOT_LAB_APPS_MAX) {
			pr_warn("%s:%u: more than %d apps\n", path, lineno,
				ROBOT_LAB_APPS_MAX);
			return -E2BIG;
		}
		err = parse_app(line, &t->apps[t->n], &why);
		if (err) {
			pr_warn("%s:%u: %s\n", path, lineno, why);
			return err;
		}
		dup = robot_lab_app_of(t, t->apps[t->n].server_ip) >= 0 ||
		      robot_lab_app_of(t, t->apps[t->n].client_ip) >= 0 ||
		      !memcmp(t->apps[t->n].server_ip,
			      t->apps[t->n].client_ip, 4);
		for (i = 0; i < t->n; i++)
			dup |= !strcmp(t->apps[i].name, t->apps[t->n].name);
		if (dup) {
			pr_warn("%s:%u: app or address used twice\n", path,
				lineno);
			return -EINVAL;
		}
		t->n++;
	}
	if (!t->n) {
		pr_warn("%s: no apps\n", path);
		return -EINVAL;
	}
	return 0;
}

int robot_lab_table_load(const char *path, struct robot_lab_table *t)
{
	char buf[ROBOT_LAB_APPS_MAX * 160];
	size_t n;
	FILE *f;
	int err;

	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(errno));
		return err;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	err = ferror(f) ? -EIO : (!feof(f) ? -E2BIG : 0);
	fclose(f);
	if (err) {
		pr_warn("%s: %s\n", path,
			err == -EIO ? "read error" : "file too large");
		return err;
	}
	buf[n] = 0;
	if (strlen(buf) != n) {
		pr_warn("%s: NUL byte in text\n", path);
		return -EINVAL;
	}
	return robot_lab_table_parse(path, buf, t);
}

int robot_lab_app_of(const struct robot_lab_table *t, const __u8 *ip)
{
	__u32 i;

	for (i = 0; i < t->n; i++)
		if (!memcmp(t->apps[i].server_ip, ip, 4) ||
		    !memcmp(t->apps[i].client_ip, ip, 4))
			return i;
	return -1;
}

/* --------------------------------------------------------------- labels */

/* The app of a flow: -1 none, -2 two different apps. */
static int flow_app(const struct robot_lab_table *t,
		    const struct robot_flow_key *k)
{
	int a, b;

	if (k->family != 4)
		return -1;
	a = robot_lab_app_of(t, k->addr_a);
	b = robot_lab_app_of(t, k->addr_b);
	if (a >= 0 && b >= 0 && a != b)
		return -2;
	return a >= 0 ? a : b;
}

/* 0 when the flow's server-side port is one of the app's plain ports. */
static int flow_encrypted(const struct robot_lab_app *a,
			  const struct robot_flow_key *k)
{
	__u16 port;
	int i;

	if (!a->encrypted)
		return 0;
	if (!memcmp(k->addr_a, a->server_ip, 4))
		port = ntohs(k->port_a);
	else if (!memcmp(k->addr_b, a->server_ip, 4))
		port = ntohs(k->port_b);
	else
		return 1;
	for (i = 0; i < a->n_plain; i++)
		if (a->plain[i] == port)
			return 0;
	return 1;
}

static int write_row(FILE *out, const char *file, const struct ft_flow *f,
		     __u64 wire_bytes, const struct robot_lab_app *a)
{
	const struct robot_flow_key *k = &f->key;
	const __u8 *src = f->a_is_init ? k->addr_a : k->addr_b;
	const __u8 *dst = f->a_is_init ? k->addr_b : k->addr_a;
	__u16 sport = ntohs(f->a_is_init ? k->port_a : k->port_b);
	__u16 dport = ntohs(f->a_is_init ? k->port_b : k->port_a);
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], ts[32];
	__u64 frac = f->first_ns % 1000000000ull;

	inet_ntop(AF_INET, src, s, sizeof(s));
	inet_ntop(AF_INET, dst, d, sizeof(d));
	/* microseconds, as the nDPI rows, unless the capture has ns */
	if (frac % 1000)
		snprintf(ts, sizeof(ts), "%llu.%09llu",
			 (unsigned long long)(f->first_ns / 1000000000ull),
			 (unsigned long long)frac);
	else
		snprintf(ts, sizeof(ts), "%llu.%06llu",
			 (unsigned long long)(f->first_ns / 1000000000ull),
			 (unsigned long long)(frac / 1000));
	return fprintf(out,
		       "%s,robot-lab,%s,%s,%s,%s,%s,%u,%s,%u,%u,%llu,%s,"
		       "LAB.%s,%s,,known,known\r\n",
		       file, a->name, a->category,
		       flow_encrypted(a, k) ? "yes" : "no",
		       k->proto == ROBOT_IPPROTO_TCP ? "TCP" : "UDP", s, sport,
		       d, dport, f->total_pkts,
		       (unsigned long long)wire_bytes, ts, a->name,
		       a->category) < 0 ? -EIO : 0;
}

/* Read the capture into ft; wire bytes per flow into *wire. */
static int read_flows(const char *pcap, struct flowtab *ft, __u64 **wire,
		      __u32 *cap, struct robot_lab_stats *st)
{
	struct robot_pcap pc;
	struct robot_parsed p;
	const __u8 *data;
	__u32 caplen, len;
	__u64 ts, *w;
	int ret, idx;

	ret = robot_pcap_open(&pc, pcap);
	if (ret)
		return ret;
	while ((ret = robot_pcap_next(&pc, &ts, &data, &caplen, &len)) > 0) {
		st->packets++;
		robot_feat_zero(&p);
		if (robot_parse_link(pc.dlt, data, data + caplen, &p)) {
			st->not_parsed++;
			continue;
		}
		idx = flowtab_add(ft, &p, ts);
		if (idx < 0) {
			ret = idx;
			break;
		}
		if ((__u32)idx >= *cap) {
			__u32 n = *cap ? *cap * 2 : 1024;

			while (n <= (__u32)idx)
				n *= 2;
			w = realloc(*wire, n * sizeof(*w));
			if (!w) {
				ret = -ENOMEM;
				break;
			}
			memset(w + *cap, 0, (n - *cap) * sizeof(*w));
			*wire = w;
			*cap = n;
		}
		(*wire)[idx] += len;
	}
	robot_pcap_close(&pc);
	return ret < 0 ? ret : 0;
}

int robot_lab_label(const char *pcap, struct robot_lab_table *t,
		    __u32 min_pkts, __u64 idle_ns, FILE *out,
		    struct robot_lab_stats *st)
{
	char *copy = strdup(pcap);
	const char *file = copy ? basename(copy) : NULL;
	struct flowtab ft;
	__u64 *wire = NULL;
	__u32 cap = 0, i;
	int ret, a;

	memset(st, 0, sizeof(*st));
	if (!copy)
		return -ENOMEM;
	ret = flowtab_init(&ft, idle_ns, 1);
	if (ret)
		goto out_free;
	ret = read_flows(pcap, &ft, &wire, &cap, st);
	if (ret) {
		if (ret == -ENOMEM)
			pr_warn("%s: out of memory\n", pcap);
		goto out_ft;
	}
	st->flows = ft.n_flows;
	for (i = 0; i < ft.n_flows; i++) {
		const struct ft_flow *f = &ft.flows[i];

		a = flow_app(t, &f->key);
		if (a == -1) {
			st->unlabeled++;
			continue;
		}
		if (a == -2) {
			st->ambiguous++;
			continue;
		}
		if (f->total_pkts < min_pkts) {
			st->short_flows++;
			continue;
		}
		ret = write_row(out, file, f, wire[i], &t->apps[a]);
		if (ret) {
			pr_warn("%s: cannot write labels\n", pcap);
			goto out_ft;
		}
		st->labeled++;
		t->apps[a].flows++;
		t->apps[a].pkts += f->total_pkts;
		t->apps[a].bytes += wire[i];
	}
out_ft:
	flowtab_free(&ft);
	free(wire);
out_free:
	free(copy);
	return ret;
}

/* ------------------------------------------------------------ commands */

struct lab_opts {
	const char *out;
	const char *apps;
	const char *lab_sh;
	const char *pcap;
	const char *table;
	long seconds;
	long min_pkts;
	long idle;
	int json;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: robot lab capture --out DIR --seconds N [--apps LIST] [options]\n"
"       robot lab label --pcap FILE --apps-file FILE --out DIR [options]\n"
"       robot lab up [--apps LIST] | run-apps --seconds N [--apps LIST]\n"
"       robot lab down | status | apps [--apps LIST]\n"
"\n"
"The traffic lab: real applications (Debian packages) in three network\n"
"namespaces, client <-> gateway <-> server, each app on its own addresses\n"
"so that its flows are labeled by construction (docs/lab.md).\n"
"\n"
"  capture    bring the lab up, capture on the gateway's client-side link\n"
"             into DIR/pcap/lab-<time>.pcap while the apps run N seconds,\n"
"             tear everything down (also on Ctrl-C), then append one row\n"
"             per labeled flow to DIR/labels_flows.csv (the nDPI labels'\n"
"             format; source robot-lab, ndpi_label LAB.<app>), so that\n"
"             robot dataset --pcap-dir DIR/pcap --labels\n"
"             DIR/labels_flows.csv reads it\n"
"  label      label an existing capture of the lab (table: lab.sh apps)\n"
"  up, run-apps, down, status, apps   the steps of capture (lab.sh)\n"
"\n"
"  --out DIR          output directory (created)\n"
"  --seconds N        how long the apps run (1..%d)\n"
"  --apps LIST        comma list of apps or categories (default all;\n"
"                     `robot lab apps` lists them)\n"
"  --min-pkts N       flows with fewer packets get no row (default 3)\n"
"  --idle-timeout SEC flow idle timeout, as robot dataset (default %d)\n"
"  --lab-sh PATH      lab script (default: ROBOT_LAB_SH, else\n"
"                     tools/lab/lab.sh next to the robot binary's tree)\n"
"  --json             print the summary as one JSON object\n"
"  -h, --help         this text\n"
"\n"
"Needs root and the lab packages (make deps). Exit status: 0 ok, 1\n"
"failure (the lab failed, nothing labeled), 2 wrong arguments, 77 the lab\n"
"cannot run here (not root, programs missing), 130 interrupted.\n",
		LAB_SECONDS_MAX, LAB_IDLE_DEFAULT);
}

static int parse_long(const char *opt, const char *s, long lo, long hi,
		      long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || *end || end == s || *v < lo || *v > hi) {
		pr_warn("lab: %s: expected an integer in %ld..%ld, got '%s'\n",
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

static const char *find_lab_sh(const char *opt, char *buf, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len;

	if (opt)
		return opt;
	if (getenv("ROBOT_LAB_SH"))
		return getenv("ROBOT_LAB_SH");
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = 0;
		snprintf(buf, n, "%s/../tools/lab/lab.sh", dirname(exe));
		if (!access(buf, R_OK))
			return buf;
	}
	return "tools/lab/lab.sh";
}

static volatile sig_atomic_t lab_signal;
static volatile pid_t lab_child;

/* The terminal's Ctrl-C reaches lab.sh too (same process group), which
 * tears the lab down; a signal sent to robot alone is passed on.
 */
static void on_signal(int sig)
{
	lab_signal = sig;
	if (lab_child > 0)
		kill(lab_child, sig);
}

/* Run bash lab.sh ARGS...; returns its exit status (128+n if killed). */
static int run_lab_sh(const char *sh, char *const args[], const char *pcap)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	char *argv[8];
	int i, status;
	pid_t pid;

	argv[0] = "bash";
	argv[1] = (char *)sh;
	for (i = 0; args[i] && i < 5; i++)
		argv[i + 2] = args[i];
	argv[i + 2] = NULL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pid = fork();
	if (pid < 0) {
		pr_warn("lab: fork: %s\n", strerror(errno));
		status = -1;
		goto out;
	}
	if (!pid) {
		/* Default dispositions, not the inherited ones: a shell
		 * cannot trap a signal ignored at its start (robot run as a
		 * background job of a script ignores SIGINT).
		 */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (pcap)
			setenv("LAB_PCAP_NAME", pcap, 1);
		execvp("bash", argv);
		fprintf(stderr, "lab: bash: %s\n", strerror(errno));
		_exit(127);
	}
	lab_child = pid;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			goto out;
		}
	}
	lab_child = 0;
	status = WIFEXITED(status) ? WEXITSTATUS(status) :
				     128 + WTERMSIG(status);
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return status;
}

static int lab_status_exit(int status)
{
	if (status == 0)
		return ROBOT_EXIT_OK;
	if (status == ROBOT_EXIT_SKIP || status == 130)
		return status;
	return status == 2 ? ROBOT_EXIT_USAGE : ROBOT_EXIT_FAIL;
}

static void print_summary(const struct lab_opts *o, const char *pcap,
			  const struct robot_lab_table *t,
			  const struct robot_lab_stats *st, const char *csv)
{
	struct json_w w;
	__u32 i;

	if (!o->json) {
		printf("capture %s: %llu packets, %u flows, %u labeled rows "
		       "-> %s\n", pcap, (unsigned long long)st->packets,
		       st->flows, st->labeled, csv);
		printf("  not labeled: %u below %ld packets, %u without a lab "
		       "address, %u ambiguous; %llu packets not TCP/UDP\n",
		       st->short_flows, o->min_pkts, st->unlabeled,
		       st->ambiguous, (unsigned long long)st->not_parsed);
		printf("  %-16s %-13s %6s %9s %12s\n", "app", "category",
		       "flows", "packets", "bytes");
		for (i = 0; i < t->n; i++)
			if (t->apps[i].flows)
				printf("  %-16s %-13s %6u %9llu %12llu\n",
				       t->apps[i].name, t->apps[i].category,
				       t->apps[i].flows,
				       (unsigned long long)t->apps[i].pkts,
				       (unsigned long long)t->apps[i].bytes);
		return;
	}
	json_init(&w, stdout);
	json_obj_open(&w, NULL);
	json_str(&w, "pcap", pcap);
	json_str(&w, "labels", csv);
	json_u64(&w, "packets", st->packets);
	json_u64(&w, "not_tcp_udp", st->not_parsed);
	json_u64(&w, "flows", st->flows);
	json_u64(&w, "labeled", st->labeled);
	json_u64(&w, "short", st->short_flows);
	json_u64(&w, "unlabeled", st->unlabeled);
	json_u64(&w, "ambiguous", st->ambiguous);
	json_arr_open(&w, "apps");
	for (i = 0; i < t->n; i++) {
		json_obj_open(&w, NULL);
		json_str(&w, "app", t->apps[i].name);
		json_str(&w, "category", t->apps[i].category);
		json_u64(&w, "flows", t->apps[i].flows);
		json_u64(&w, "packets", t->apps[i].pkts);
		json_u64(&w, "bytes", t->apps[i].bytes);
		json_obj_close(&w);
	}
	json_arr_close(&w);
	json_obj_close(&w);
	json_end(&w);
}

/* 1 when the file's first line is robot_lab_csv_header. */
static int header_matches(const char *csv)
{
	char line[sizeof(robot_lab_csv_header) + 1];
	FILE *f = fopen(csv, "r");
	int ok;

	if (!f)
		return 0;
	ok = fgets(line, sizeof(line), f) &&
	     !strcmp(line, robot_lab_csv_header);
	fclose(f);
	return ok;
}

/* 1 when a row of csv names the capture (its base name) in `file`. */
static int file_has_rows(const char *csv, const char *pcap)
{
	const char *base = strrchr(pcap, '/') ? strrchr(pcap, '/') + 1 : pcap;
	size_t n = strlen(base);
	char line[1024];
	FILE *f = fopen(csv, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, base, n) && line[n] == ',';
	fclose(f);
	return found;
}

/* Label pcap with the table file into DIR/labels_flows.csv (appended). */
static int label_into(const struct lab_opts *o, const char *pcap,
		      const char *table)
{
	struct robot_lab_table *t;
	struct robot_lab_stats st;
	char csv[PATH_MAX];
	struct stat sb;
	int ret, fresh;
	FILE *f;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ROBOT_EXIT_FAIL;
	ret = robot_lab_table_load(table, t);
	if (ret)
		goto out_free;
	snprintf(csv, sizeof(csv), "%s/labels_flows.csv", o->out);
	fresh = stat(csv, &sb) || !sb.st_size;
	if (!fresh && !header_matches(csv)) {
		pr_warn("lab: %s exists and does not start with the labels "
			"header; not appending to it\n", csv);
		ret = -EINVAL;
		goto out_free;
	}
	if (!fresh && file_has_rows(csv, pcap)) {
		pr_warn("lab: %s already has rows of %s; not adding them "
			"twice\n", csv, pcap);
		ret = -EEXIST;
		goto out_free;
	}
	f = fopen(csv, "a");
	if (!f) {
		pr_warn("lab: %s: %s\n", csv, strerror(errno));
		ret = -errno;
		goto out_free;
	}
	if (fresh && fputs(robot_lab_csv_header, f) < 0)
		ret = -EIO;
	if (!ret)
		ret = robot_lab_label(pcap, t, o->min_pkts,
				      (__u64)o->idle * 1000000000ull, f, &st);
	if (fclose(f) && !ret) {
		pr_warn("lab: %s: %s\n", csv, strerror(errno));
		ret = -EIO;
	}
	if (!ret)
		print_summary(o, pcap, t, &st, csv);
out_free:
	free(t);
	return ret ? ROBOT_EXIT_FAIL : ROBOT_EXIT_OK;
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int cmd_capture(struct lab_opts *o, const char *sh)
{
	char secs[24], name[64], pcap[PATH_MAX], table[PATH_MAX];
	char *args[6];
	struct tm tm;
	time_t now;
	int st, err;

	err = mkdir_p(o->out);
	if (!err) {
		snprintf(pcap, sizeof(pcap), "%s/pcap", o->out);
		err = mkdir_p(pcap);
	}
	if (err) {
		pr_warn("lab: cannot create %s/pcap: %s\n", o->out,
			strerror(-err));
		return ROBOT_EXIT_FAIL;
	}
	args[0] = "check";
	args[1] = (char *)o->apps;
	args[2] = NULL;
	st = run_lab_sh(sh, args, NULL);
	if (st)
		return lab_status_exit(st);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(name, sizeof(name), "lab-%Y%m%dT%H%M%SZ.pcap", &tm);
	snprintf(pcap, sizeof(pcap), "%s/pcap/%s", o->out, name);
	snprintf(table, sizeof(table), "%s/lab-apps.txt", o->out);
	snprintf(secs, sizeof(secs), "%ld", o->seconds);
	args[0] = "capture";
	args[1] = (char *)o->out;
	args[2] = secs;
	args[3] = (char *)o->apps;
	args[4] = NULL;
	st = run_lab_sh(sh, args, name);
	if (st || lab_signal) {
		pr_warn("lab: capture %s (lab.sh exit %d); nothing labeled\n",
			lab_signal ? "interrupted" : "failed", st);
		unlink(pcap); /* partial: no labels would describe it */
		return lab_signal ? 130 : lab_status_exit(st);
	}
	return label_into(o, pcap, table);
}

int do_lab(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 's' },
		{ "apps", required_argument, NULL, 'a' },
		{ "min-pkts", required_argument, NULL, 'm' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "lab-sh", required_argument, NULL, 'L' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "apps-file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_opts o = { .apps = "all", .min_pkts = 3,
			      .idle = LAB_IDLE_DEFAULT, .seconds = -1 };
	char shbuf[PATH_MAX], secs[24];
	const char *sub, *sh;
	char *args[6];
	int c;

	if (argc >= 2 && (!strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return ROBOT_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-') {
		usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'a': o.apps = optarg; break;
		case 'L': o.lab_sh = optarg; break;
		case 'p': o.pcap = optarg; break;
		case 'f': o.table = optarg; break;
		case 'j': o.json = 1; break;
		case 's':
			if (parse_long("--seconds", optarg, 1, LAB_SECONDS_MAX,
				       &o.seconds))
				return ROBOT_EXIT_USAGE;
			break;
		case 'm':
			if (parse_long("--min-pkts", optarg, 1, 1000000,
				       &o.min_pkts))
				return ROBOT_EXIT_USAGE;
			break;
		case 't':
			if (parse_long("--idle-timeout", optarg, 1, 86400,
				       &o.idle))
				return ROBOT_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return ROBOT_EXIT_OK;
		default:
			usage(stderr);
			return ROBOT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_warn("lab: unexpected argument '%s'\n", argv[optind]);
		return ROBOT_EXIT_USAGE;
	}
	if (!*o.apps || !apps_ok(o.apps)) {
		pr_warn("lab: --apps: comma list of app or category names\n");
		return ROBOT_EXIT_USAGE;
	}
	sh = find_lab_sh(o.lab_sh, shbuf, sizeof(shbuf));
	if (!strcmp(sub, "label")) {
		if (!o.pcap || !o.table || !o.out) {
			pr_warn("lab label: --pcap, --apps-file and --out are "
				"required\n");
			return ROBOT_EXIT_USAGE;
		}
		if (mkdir_p(o.out)) {
			pr_warn("lab: cannot create %s\n", o.out);
			return ROBOT_EXIT_FAIL;
		}
		return label_into(&o, o.pcap, o.table);
	}
	if (access(sh, R_OK)) {
		pr_warn("lab: %s: %s (use --lab-sh or ROBOT_LAB_SH)\n", sh,
			strerror(errno));
		return ROBOT_EXIT_FAIL;
	}
	if (!strcmp(sub, "capture")) {
		if (!o.out || o.seconds < 0) {
			pr_warn("lab capture: --out and --seconds are "
				"required\n");
			return ROBOT_EXIT_USAGE;
		}
		return cmd_capture(&o, sh);
	}
	args[0] = (char *)sub;
	args[1] = NULL;
	if (!strcmp(sub, "up") || !strcmp(sub, "apps")) {
		args[1] = (char *)o.apps;
		args[2] = NULL;
	} else if (!strcmp(sub, "run-apps")) {
		if (o.seconds < 0) {
			pr_warn("lab run-apps: --seconds is required\n");
			return ROBOT_EXIT_USAGE;
		}
		snprintf(secs, sizeof(secs), "%ld", o.seconds);
		args[1] = secs;
		args[2] = (char *)o.apps;
		args[3] = NULL;
	} else if (strcmp(sub, "down") && strcmp(sub, "status")) {
		pr_warn("lab: unknown subcommand '%s'\n", sub);
		usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	return lab_status_exit(run_lab_sh(sh, args, NULL));
}
