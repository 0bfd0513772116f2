// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stats.c - `robot status` and `robot stats`: read the pinned maps (and
 * the attach state) while a daemon runs.
 *
 * Datapath counters: the per-CPU robot_stats_v1 map, summed over
 * libbpf_num_possible_cpus(). Daemon counters: the robot_daemon_v1 ARRAY
 * map the daemon writes every second (struct robot_dstats, pins.h).
 * With --interval, each period prints the totals and the rates over the
 * measured period, and checks that the map ids did not change (a
 * restarted daemon has new maps).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "commands.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "tcnl.h"

/* Names of enum robot_stat, for output (snake case, Prometheus-ready). */
static const char *const stat_names[ROBOT_STAT_MAX] = {
	[ROBOT_STAT_PACKETS] = "packets",
	[ROBOT_STAT_BYTES] = "bytes",
	[ROBOT_STAT_PARSED] = "parsed",
	[ROBOT_STAT_SKIP_NOT_IP] = "skip_not_ip",
	[ROBOT_STAT_SKIP_TRUNCATED] = "skip_truncated",
	[ROBOT_STAT_SKIP_PROTO] = "skip_proto",
	[ROBOT_STAT_SKIP_FRAGMENT] = "skip_fragment",
	[ROBOT_STAT_SKIP_BAD_HDR] = "skip_bad_hdr",
	[ROBOT_STAT_NEW_FLOWS] = "new_flows",
	[ROBOT_STAT_FLOW_INSERT_FAIL] = "flow_insert_fail",
	[ROBOT_STAT_KNOWN_FLOW] = "known_flow",
	[ROBOT_STAT_CNN_RUNS] = "cnn_runs",
	[ROBOT_STAT_NO_MODEL] = "no_model",
	[ROBOT_STAT_BUDGET_EXHAUSTED] = "budget_exhausted",
	[ROBOT_STAT_FDD_FLOWS] = "fdd_flows",
	[ROBOT_STAT_RB_RECORDS] = "rb_records",
	[ROBOT_STAT_RB_DROPS] = "rb_drops",
	[ROBOT_STAT_ROBUST_VERDICTS] = "robust_verdicts",
	[ROBOT_STAT_TC_MARKED] = "tc_marked",
	[ROBOT_STAT_TC_EGRESS_RECORDS] = "tc_egress_records",
	[ROBOT_STAT_TC_FORWARDED] = "tc_forwarded",
};

int robot_stats_read(int stats_fd, __u64 out[ROBOT_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v;
	__u32 k;
	int i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < ROBOT_STAT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(stats_fd, &k, v)) {
			int err = -errno;

			free(v);
			return err;
		}
		for (i = 0; i < ncpu; i++)
			out[k] += v[i];
	}
	free(v);
	return 0;
}

static __u32 fd_map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* Id of the map pinned under that name now, 0 if none. */
static __u32 pinned_id(const char *name)
{
	int fd = robot_pin_open(ROBOT_PIN_DIR, name);
	__u32 id;

	if (fd < 0)
		return 0;
	id = fd_map_id(fd);
	close(fd);
	return id;
}

static int dstats_read(int fd, struct robot_dstats *ds)
{
	__u32 zero = 0;

	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, ds)) {
		memset(ds, 0, sizeof(*ds));
		return -ENOENT;
	}
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ stats */

struct stats_snap {
	__u64 c[ROBOT_STAT_MAX];
	struct robot_dstats ds;
	int have_ds;
	double t;
};

static void stat_name(int k, char *buf, size_t sz)
{
	if (k >= ROBOT_STAT_FAST_CLASS0 && k <= ROBOT_STAT_FAST_CLASS_LAST)
		snprintf(buf, sz, "fast_class_%s",
			 robot_class_names[k - ROBOT_STAT_FAST_CLASS0]);
	else
		snprintf(buf, sz, "%s", stat_names[k] ? stat_names[k] : "?");
}

/* Daemon counters as (name, value) pairs. */
struct dpair {
	const char *name;
	__u64 v;
};

static int dstats_pairs(const struct robot_dstats *ds, struct dpair *p)
{
	int n = 0;

	p[n++] = (struct dpair){ "records", ds->records };
	p[n++] = (struct dpair){ "dup_records", ds->dups };
	p[n++] = (struct dpair){ "late_records", ds->late };
	p[n++] = (struct dpair){ "invalid_records", ds->invalid };
	p[n++] = (struct dpair){ "windows_complete", ds->windows[0] };
	p[n++] = (struct dpair){ "windows_idle", ds->windows[1] };
	p[n++] = (struct dpair){ "windows_evicted", ds->windows[2] };
	p[n++] = (struct dpair){ "windows_flushed", ds->windows[3] };
	p[n++] = (struct dpair){ "pending_flows", ds->pending };
	p[n++] = (struct dpair){ "batches", ds->batches };
	p[n++] = (struct dpair){ "batch_items", ds->batch_items };
	p[n++] = (struct dpair){ "robust_verdicts", ds->verdicts };
	p[n++] = (struct dpair){ "stale_verdicts", ds->stale };
	p[n++] = (struct dpair){ "write_errors", ds->write_errors };
	p[n++] = (struct dpair){ "infer_errors", ds->infer_errors };
	p[n++] = (struct dpair){ "reloads", ds->reloads };
	p[n++] = (struct dpair){ "reload_errors", ds->reload_errors };
	return n;
}

static void print_text(const struct stats_snap *s, const struct stats_snap *p)
{
	double dt = p ? s->t - p->t : 0;
	struct dpair dp[32], pp[32];
	char name[64];
	int k, n;

	printf("datapath%s\n", p ? "                         total        per second" : "");
	for (k = 0; k < ROBOT_STAT_MAX; k++) {
		stat_name(k, name, sizeof(name));
		printf("  %-24s %14llu", name, (unsigned long long)s->c[k]);
		if (p && dt > 0)
			printf(" %14.1f", (s->c[k] - p->c[k]) / dt);
		printf("\n");
	}
	if (!s->have_ds) {
		printf("daemon: no stats map (daemon not running?)\n");
		return;
	}
	printf("daemon (pid %u)\n", s->ds.pid);
	n = dstats_pairs(&s->ds, dp);
	if (p)
		dstats_pairs(&p->ds, pp);
	for (k = 0; k < n; k++) {
		printf("  %-24s %14llu", dp[k].name, (unsigned long long)dp[k].v);
		if (p && dt > 0 && p->have_ds)
			printf(" %14.1f", (dp[k].v - pp[k].v) / dt);
		printf("\n");
	}
	printf("  verdict latency us       p50 %.0f  p90 %.0f  p99 %.0f\n",
	       robot_lat_pct(s->ds.lat, 50), robot_lat_pct(s->ds.lat, 90),
	       robot_lat_pct(s->ds.lat, 99));
	if (s->ds.batches)
		printf("  inference us per batch   %.1f (%.2f windows/batch)\n",
		       s->ds.infer_ns / 1e3 / s->ds.batches,
		       (double)s->ds.batch_items / s->ds.batches);
}

static void print_json(const struct stats_snap *s, const struct stats_snap *p)
{
	double dt = p ? s->t - p->t : 0;
	struct dpair dp[32], pp[32];
	struct json_w j;
	char name[64];
	int k, n;

	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	if (p)
		json_dbl(&j, "interval_s", dt);
	json_obj_open(&j, "datapath");
	for (k = 0; k < ROBOT_STAT_MAX; k++) {
		stat_name(k, name, sizeof(name));
		json_u64(&j, name, s->c[k]);
	}
	json_obj_close(&j);
	if (p && dt > 0) {
		json_obj_open(&j, "datapath_rate");
		for (k = 0; k < ROBOT_STAT_MAX; k++) {
			stat_name(k, name, sizeof(name));
			json_dbl(&j, name, (s->c[k] - p->c[k]) / dt);
		}
		json_obj_close(&j);
	}
	if (s->have_ds) {
		json_obj_open(&j, "daemon");
		json_u64(&j, "pid", s->ds.pid);
		n = dstats_pairs(&s->ds, dp);
		for (k = 0; k < n; k++)
			json_u64(&j, dp[k].name, dp[k].v);
		json_dbl(&j, "latency_p50_us", robot_lat_pct(s->ds.lat, 50));
		json_dbl(&j, "latency_p90_us", robot_lat_pct(s->ds.lat, 90));
		json_dbl(&j, "latency_p99_us", robot_lat_pct(s->ds.lat, 99));
		json_dbl(&j, "infer_us_per_batch",
			 s->ds.batches ? s->ds.infer_ns / 1e3 / s->ds.batches :
					 0);
		json_obj_close(&j);
		if (p && dt > 0 && p->have_ds) {
			dstats_pairs(&p->ds, pp);
			json_obj_open(&j, "daemon_rate");
			for (k = 0; k < n; k++)
				json_dbl(&j, dp[k].name,
					 (dp[k].v - pp[k].v) / dt);
			json_obj_close(&j);
		}
	}
	json_obj_close(&j);
	json_end(&j);
}

/* Prometheus text exposition format. */
static void print_prom(const struct stats_snap *s)
{
	struct dpair dp[32];
	char name[64];
	int k, n;

	printf("# HELP robot_datapath_total Datapath counters (enum robot_stat), summed over CPUs.\n"
	       "# TYPE robot_datapath_total counter\n");
	for (k = 0; k < ROBOT_STAT_MAX; k++) {
		if (k >= ROBOT_STAT_FAST_CLASS0 &&
		    k <= ROBOT_STAT_FAST_CLASS_LAST)
			continue;
		stat_name(k, name, sizeof(name));
		printf("robot_datapath_total{counter=\"%s\"} %llu\n", name,
		       (unsigned long long)s->c[k]);
	}
	printf("# HELP robot_fast_verdicts_total Fast model verdicts by class.\n"
	       "# TYPE robot_fast_verdicts_total counter\n");
	for (k = 0; k < ROBOT_CLASS_MAX; k++)
		printf("robot_fast_verdicts_total{class=\"%s\"} %llu\n",
		       robot_class_names[k],
		       (unsigned long long)s->c[ROBOT_STAT_FAST_CLASS0 + k]);
	if (!s->have_ds)
		return;
	printf("# HELP robot_daemon_total Companion daemon counters.\n"
	       "# TYPE robot_daemon_total counter\n");
	n = dstats_pairs(&s->ds, dp);
	for (k = 0; k < n; k++)
		printf("robot_daemon_total{counter=\"%s\"} %llu\n", dp[k].name,
		       (unsigned long long)dp[k].v);
	printf("# HELP robot_verdict_latency_us Robust verdict latency percentiles, microseconds.\n"
	       "# TYPE robot_verdict_latency_us gauge\n");
	printf("robot_verdict_latency_us{quantile=\"0.5\"} %.0f\n",
	       robot_lat_pct(s->ds.lat, 50));
	printf("robot_verdict_latency_us{quantile=\"0.9\"} %.0f\n",
	       robot_lat_pct(s->ds.lat, 90));
	printf("robot_verdict_latency_us{quantile=\"0.99\"} %.0f\n",
	       robot_lat_pct(s->ds.lat, 99));
}

static volatile sig_atomic_t stats_stop;

static void stats_sig(int sig)
{
	stats_stop = 1;
}

static void stats_usage(FILE *f)
{
	fprintf(f,
		"usage: robot stats [--interval MS] [--count N] [--json|--prometheus]\n"
		"Counters of the running datapath (summed over CPUs) and of the\n"
		"daemon. Once by default; with --interval, every MS milliseconds\n"
		"with rates per second over the period, until SIGINT or N times.\n");
}

static int snap(int sfd, int dfd, struct stats_snap *s)
{
	int err = robot_stats_read(sfd, s->c);

	if (err)
		return err;
	s->have_ds = !dstats_read(dfd, &s->ds);
	/* Only BPF writes the per-CPU map: the daemon counts its verdicts
	 * in its own map.
	 */
	if (s->have_ds)
		s->c[ROBOT_STAT_ROBUST_VERDICTS] = s->ds.verdicts;
	s->t = mono_s();
	return 0;
}

int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct stats_snap cur, prev;
	long interval = 0, count = 0, i;
	int c, sfd, dfd, fmt = 0, rc = ROBOT_EXIT_OK;
	__u32 sid, did;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'c':
			errno = 0;
			i = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || i < 1 ||
			    i > 86400000) {
				fprintf(stderr, "robot stats: bad value '%s'\n",
					optarg);
				return ROBOT_EXIT_USAGE;
			}
			if (c == 'i')
				interval = i;
			else
				count = i;
			break;
		case 'j':
			fmt = 1;
			break;
		case 'p':
			fmt = 2;
			break;
		case 'h':
			stats_usage(stdout);
			return ROBOT_EXIT_OK;
		default:
			stats_usage(stderr);
			return ROBOT_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		stats_usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	sfd = robot_pin_open(ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_STATS));
	if (sfd < 0) {
		pr_warn("Couldn't open %s/%s: %s (is `robot attach` running?)\n",
			ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_STATS),
			strerror(-sfd));
		return ROBOT_EXIT_FAIL;
	}
	dfd = robot_pin_open(ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_DAEMON));
	sid = fd_map_id(sfd);
	did = dfd >= 0 ? fd_map_id(dfd) : 0;
	if (snap(sfd, dfd, &cur)) {
		pr_warn("Couldn't read the counters\n");
		return ROBOT_EXIT_FAIL;
	}
	if (!interval) {
		if (fmt == 2)
			print_prom(&cur);
		else if (fmt == 1)
			print_json(&cur, NULL);
		else
			print_text(&cur, NULL);
		return ROBOT_EXIT_OK;
	}
	signal(SIGINT, stats_sig);
	signal(SIGTERM, stats_sig);
	for (i = 0; !stats_stop && (!count || i < count); i++) {
		prev = cur;
		usleep(interval * 1000);
		if (stats_stop)
			break;
		if (snap(sfd, dfd, &cur))
			break;
		/* A restarted daemon has new maps: these are stale. */
		if (pinned_id(ROBOT_STR(ROBOT_MAP_STATS)) != sid ||
		    (dfd >= 0 &&
		     pinned_id(ROBOT_STR(ROBOT_MAP_DAEMON)) != did)) {
			pr_warn("Stats map changed or gone while polling\n");
			rc = ROBOT_EXIT_FAIL;
			break;
		}
		if (fmt == 2)
			print_prom(&cur);
		else if (fmt == 1)
			print_json(&cur, &prev);
		else
			print_text(&cur, &prev);
		fflush(stdout);
	}
	return rc;
}

/* ------------------------------------------------------------ status */

struct pin_info {
	char name[64];
	__u32 type, key_size, value_size, max_entries, id;
};

static int pins_list(struct pin_info *out, int max)
{
	static const char *const names[] = {
		ROBOT_STR(ROBOT_MAP_FLOWS), ROBOT_STR(ROBOT_MAP_STATS),
		ROBOT_STR(ROBOT_MAP_EVENTS), ROBOT_STR(ROBOT_MAP_MODEL),
		ROBOT_STR(ROBOT_MAP_ACTIVE), ROBOT_STR(ROBOT_MAP_MARKS),
		ROBOT_STR(ROBOT_MAP_CONFIG), ROBOT_STR(ROBOT_MAP_DAEMON),
	};
	struct bpf_map_info info;
	__u32 len;
	int i, fd, n = 0;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])) && n < max;
	     i++) {
		fd = robot_pin_open(ROBOT_PIN_DIR, names[i]);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			snprintf(out[n].name, sizeof(out[n].name), "%s",
				 names[i]);
			out[n].type = info.type;
			out[n].key_size = info.key_size;
			out[n].value_size = info.value_size;
			out[n].max_entries = info.max_entries;
			out[n].id = info.id;
			n++;
		}
		close(fd);
	}
	return n;
}

/* Active Fast model version: robot_bpf_model.version (offset 0) of the
 * active slot.
 */
static __u32 fast_version(void)
{
	int afd, mfd, vsz;
	__u32 zero = 0, slot = 0, ver = 0;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	void *val;

	afd = robot_pin_open(ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_ACTIVE));
	mfd = robot_pin_open(ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_MODEL));
	if (afd < 0 || mfd < 0 || bpf_map_lookup_elem(afd, &zero, &slot) ||
	    bpf_obj_get_info_by_fd(mfd, &info, &len))
		goto out;
	vsz = info.value_size;
	val = calloc(1, vsz);
	if (val && !bpf_map_lookup_elem(mfd, &slot, val))
		memcpy(&ver, val, sizeof(ver));
	free(val);
out:
	if (afd >= 0)
		close(afd);
	if (mfd >= 0)
		close(mfd);
	return ver;
}

/* What is really on an interface now. */
struct iface_live {
	__u32 xdp_id;   /* program id attached (any mode), 0 none */
	int xdp_mode;   /* XDP_ATTACHED_* */
	int tc_in, tc_eg; /* our filter present */
};

static void iface_probe(struct nl_sock *nl, const struct robot_iface_state *s,
			struct iface_live *l)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct robot_tc_filter f[8];
	int n, i;

	memset(l, 0, sizeof(*l));
	if (!bpf_xdp_query(s->ifindex, 0, &q)) {
		l->xdp_id = q.prog_id;
		l->xdp_mode = q.attach_mode;
	}
	if (!nl)
		return;
	n = robot_tcnl_filter_list(nl, s->ifindex, ROBOT_TC_INGRESS, f, 8);
	for (i = 0; i < n && i < 8; i++)
		l->tc_in |= !strcmp(f[i].name, ROBOT_TC_NAME);
	n = robot_tcnl_filter_list(nl, s->ifindex, ROBOT_TC_EGRESS, f, 8);
	for (i = 0; i < n && i < 8; i++)
		l->tc_eg |= !strcmp(f[i].name, ROBOT_TC_NAME);
}

static const char *xdp_attached_name(int m)
{
	switch (m) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "skb";
	case XDP_ATTACHED_HW:
		return "hw";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

static void status_usage(FILE *f)
{
	fprintf(f,
		"usage: robot status [--json]\n"
		"The running daemon: pid, interfaces (XDP mode and program, tc\n"
		"filters, as found on the interface now), model versions and the\n"
		"pinned maps with their sizes.\n");
}

int do_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct pin_info pins[16];
	struct robot_state st;
	struct robot_dstats ds;
	struct iface_live live;
	struct nl_sock *nl;
	struct json_w j;
	int c, i, n, json = 0, have_st, have_ds, lock, running, dfd;
	__u32 fast_ver;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
			continue;
		}
		if (c == 'h') {
			status_usage(stdout);
			return ROBOT_EXIT_OK;
		}
		status_usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	have_st = !robot_state_read(robot_state_path(), &st);
	lock = robot_pins_lock(ROBOT_PIN_DIR);
	running = lock == -EBUSY;
	robot_pins_unlock(lock);
	dfd = robot_pin_open(ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_DAEMON));
	have_ds = !dstats_read(dfd, &ds);
	if (dfd >= 0)
		close(dfd);
	fast_ver = fast_version();
	n = pins_list(pins, 16);
	nl = robot_tcnl_open();
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_bool(&j, "running", running);
		json_u64(&j, "pid", have_st ? st.pid : 0);
		json_str(&j, "models", have_st ? st.models : "");
		json_u64(&j, "fast_version", fast_ver);
		json_u64(&j, "robust_version", have_ds ? ds.robust_ver : 0);
		json_str(&j, "device", !have_ds ? "" :
				       ds.device == ROBOT_DEV_GPU ? "gpu" :
				       ds.device == ROBOT_DEV_CPU ? "cpu" : "none");
		json_arr_open(&j, "interfaces");
		for (i = 0; have_st && i < st.n_ifaces; i++) {
			iface_probe(nl, &st.ifaces[i], &live);
			json_obj_open(&j, NULL);
			json_str(&j, "name", st.ifaces[i].name);
			json_u64(&j, "ifindex", st.ifaces[i].ifindex);
			json_str(&j, "mode", st.ifaces[i].mode == XDP_MODE_SKB ?
						     "skb" : "native");
			json_str(&j, "xdp_attached",
				 xdp_attached_name(live.xdp_mode));
			json_u64(&j, "xdp_prog_id", live.xdp_id);
			json_bool(&j, "tc_ingress", live.tc_in);
			json_bool(&j, "tc_egress", live.tc_eg);
			json_bool(&j, "clsact_created",
				  st.ifaces[i].clsact_created);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_arr_open(&j, "maps");
		for (i = 0; i < n; i++) {
			json_obj_open(&j, NULL);
			json_str(&j, "name", pins[i].name);
			json_u64(&j, "id", pins[i].id);
			json_u64(&j, "max_entries", pins[i].max_entries);
			json_u64(&j, "key_size", pins[i].key_size);
			json_u64(&j, "value_size", pins[i].value_size);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
		robot_tcnl_close(nl);
		return ROBOT_EXIT_OK;
	}
	printf("daemon: %s", running ? "running" : "not running");
	if (have_st)
		printf(" (pid %d), models %s", st.pid,
		       st.models[0] ? st.models : "none (count-only)");
	printf("\nfast model version %u, robust model version %u on %s\n",
	       fast_ver, have_ds ? ds.robust_ver : 0,
	       !have_ds ? "-" : ds.device == ROBOT_DEV_GPU ? "GPU" :
	       ds.device == ROBOT_DEV_CPU ? "CPU" : "nothing");
	for (i = 0; have_st && i < st.n_ifaces; i++) {
		iface_probe(nl, &st.ifaces[i], &live);
		printf("interface %-12s ifindex %-4d mode %-6s xdp %s id %u, "
		       "tc ingress %s egress %s%s\n", st.ifaces[i].name,
		       st.ifaces[i].ifindex,
		       st.ifaces[i].mode == XDP_MODE_SKB ? "skb" : "native",
		       xdp_attached_name(live.xdp_mode), live.xdp_id,
		       live.tc_in ? "yes" : "no", live.tc_eg ? "yes" : "no",
		       st.ifaces[i].clsact_created ? " (clsact ours)" : "");
	}
	for (i = 0; i < n; i++)
		printf("map %-18s id %-6u max_entries %-9u key %u value %u\n",
		       pins[i].name, pins[i].id, pins[i].max_entries,
		       pins[i].key_size, pins[i].value_size);
	if (!n)
		printf("no pinned maps under %s\n", ROBOT_PIN_DIR);
	robot_tcnl_close(nl);
	return ROBOT_EXIT_OK;
}
