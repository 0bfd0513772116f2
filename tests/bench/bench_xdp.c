// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_xdp - datapath benchmarks (root), written to build/bench/xdp.json:
 *
 *   xdp_pass_ns      bare XDP_PASS (bpf/bench_pass.bpf.c)
 *   lookup_only_ns   minimal 5-tuple parse + LRU lookup (bench_lookup)
 *   parse_ns         robot_feat.h parse + features only (bench_parse)
 *   known_flow_ns    robot_xdp on a packet of a classified flow
 *   new_flow_ns      robot_xdp on the first payload packet of a new flow
 *                    (flow insert + int8 CNN + decision), mean
 *   veth_pps_pass    packets/s through native XDP on a veth pair, bare pass
 *   veth_pps_robot   the same with robot_xdp (64 flows, model loaded)
 *
 * ns figures: BPF_PROG_TEST_RUN's in-kernel duration, the best of 12
 * interleaved rounds of 500k runs (new flows: repeat 1 per distinct
 * packet, 4000 packets). veth: an AF_PACKET
 * flood (sendmmsg, qdisc bypass) from a second network namespace, frames
 * addressed to another MAC so the stack drops them right after XDP; the
 * receiver's rx_packets (counted by veth's XDP NAPI loop) over 5 s.
 *
 * Usage: bench_xdp [--no-veth] [--seconds N]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include "../bpf/xdp_common.h"
#include "bench_pass.skel.h"
#include "bench_lookup.skel.h"
#include "json.h"

#define REPEAT 2000000
#define NEW_FLOWS 4000
#define NS_RX "robot_bench_rx"
#define NS_TX "robot_bench_tx"
#define IF_RX "rbench0"
#define IF_TX "rbench1"

static int verbose_cmds;

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ns per run of each program, the best of ROUNDS rounds that take the
 * programs in turn: interference from other work on this shared 2-core
 * machine only ever adds time, and interleaving exposes all programs to
 * the same load.
 */
#define ROUNDS 12
static int run_ns(const int *fds, double *best, int n, const void *pkt,
		  __u32 len)
{
	int r, i;

	for (i = 0; i < n; i++)
		best[i] = 1e18;
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < n; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
				    .data_size_in = len,
				    .repeat = REPEAT / ROUNDS * 3);

			if (bpf_prog_test_run_opts(fds[i], &o) ||
			    o.retval != XDP_PASS)
				return -1;
			if (o.duration < best[i])
				best[i] = o.duration;
		}
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Mean and median ns of robot_xdp on NEW_FLOWS distinct new flows. */
static int new_flows_ns(struct xt *t, __u64 seed, double *mean, double *p50)
{
	static __u32 d[NEW_FLOWS];
	__u8 pkt[PKT_MAX];
	double sum = 0;
	__u32 i, len;

	rng_seed(seed);
	for (i = 0; i < NEW_FLOWS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .repeat = 1);

		len = pkt_random(pkt, (__u32)(seed << 16) | i);
		o.data_size_in = len;
		if (bpf_prog_test_run_opts(t->xdp, &o))
			return -errno;
		d[i] = o.duration;
		sum += o.duration;
	}
	qsort(d, NEW_FLOWS, sizeof(d[0]), cmp_u32);
	*mean = sum / NEW_FLOWS;
	*p50 = d[NEW_FLOWS / 2];
	return 0;
}

struct figures {
	double pass, lookup, parse, known, new_mean, new_p50, new_nomodel;
	double veth_pass, veth_robot;
	__u32 insns_xdp, insns_tc;
};

static __u32 prog_insns(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.xlated_prog_len / 8;
}

static int micro(struct figures *f)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct bench_lookup_bpf *lk = NULL;
	struct bench_pass_bpf *ps = NULL;
	struct pkt_spec s;
	__u8 pkt[PKT_MAX];
	struct xt t = { 0 };
	double p50_nomodel, best[4];
	int fds[4];
	__u32 len;
	int err = -ENOMEM;

	if (!q)
		return err;
	pin_cpu(0);
	spec_default(&s, 4, 6);
	s.payload = 10; /* 64-byte frame */
	len = pkt_build(&s, pkt);

	ps = bench_pass_bpf__open_and_load();
	lk = bench_lookup_bpf__open_and_load();
	if (!ps || !lk) {
		err = -errno;
		fprintf(stderr, "loading the bench programs: %s\n",
			strerror(-err));
		goto out;
	}
	err = xt_open(&t, 65536, 1 << 20, 0);
	if (err) {
		fprintf(stderr, "loading build/robot.bpf.o: %s\n",
			strerror(-err));
		goto out;
	}
	f->insns_xdp = prog_insns(t.xdp);
	f->insns_tc = prog_insns(t.tc);
	model_random(q, 1, MODEL_NORMAL, 1);
	q->thresh = 0; /* no FDD: measure classification, not the ringbuf */
	err = robot_bpfmodel_load(t.model, t.active, q);
	if (err)
		goto out;
	/* the flow of pkt: classified by the first run, known after; the
	 * only flow in the table, as in bench_lookup's
	 */
	fds[0] = bpf_program__fd(ps->progs.bench_pass);
	fds[1] = bpf_program__fd(lk->progs.bench_lookup);
	fds[2] = bpf_program__fd(lk->progs.bench_parse);
	fds[3] = t.xdp;
	if (run_ns(fds, best, 4, pkt, len)) {
		err = -EIO;
		goto out;
	}
	f->pass = best[0];
	f->lookup = best[1];
	f->parse = best[2];
	f->known = best[3];
	err = new_flows_ns(&t, 2, &f->new_mean, &f->new_p50);
	if (err)
		goto out;
	/* no model: the new-flow path without the CNN */
	err = robot_bpfmodel_load(t.model, t.active, NULL);
	if (!err)
		err = new_flows_ns(&t, 3, &f->new_nomodel, &p50_nomodel);
out:
	xt_close(&t);
	bench_pass_bpf__destroy(ps);
	bench_lookup_bpf__destroy(lk);
	free(q);
	return err;
}

/* ------------------------------------------------------------ veth */

static int sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (verbose_cmds)
		fprintf(stderr, "+ %s\n", cmd);
	return system(cmd);
}

static void veth_down(void)
{
	sh("ip netns del " NS_RX " 2>/dev/null; ip netns del " NS_TX
	   " 2>/dev/null");
}

static int enter_ns(const char *name)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

/* rx_packets of a device of the current network namespace. */
static __u64 rx_packets(const char *dev)
{
	char line[512], name[64];
	unsigned long long rx_b, rx_p;
	__u64 v = 0;
	FILE *f = fopen("/proc/self/net/dev", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!c)
			continue;
		*c = ' ';
		if (sscanf(line, "%63s %llu %llu", name, &rx_b, &rx_p) == 3 &&
		    !strcmp(name, dev))
			v = rx_p;
	}
	fclose(f);
	return v;
}

/* The flood: 64 UDP flows, 64-byte frames to a foreign MAC. */
static void flood(int seconds)
{
	enum { BATCH = 64, FLOWS = 64 };
	static __u8 frames[FLOWS][128];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct pkt_spec s;
	struct timespec t0, t1;
	__u32 len = 0, i;
	int fd, one = 1;

	if (enter_ns(NS_TX))
		_exit(2);
	pin_cpu(1);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		_exit(3);
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_ifindex = if_nametoindex(IF_TX);
	sll.sll_halen = 6;
	for (i = 0; i < FLOWS; i++) {
		spec_default(&s, 4, 17);
		s.sport = 20000 + i;
		s.payload = 22;
		len = pkt_build(&s, frames[i]);
		memcpy(frames[i], "\x02\x00\x00\x00\x00\x99", 6);
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = frames[i % FLOWS];
		iov[i].iov_len = len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sendmmsg(fd, msgs, BATCH, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec < seconds);
	_exit(0);
}

/* packets/s that reached XDP on IF_RX while the flood ran. */
static double veth_measure(int seconds)
{
	struct timespec t0, t1;
	__u64 p0, p1;
	pid_t pid;
	double dt;
	int st;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		flood(seconds + 1);
	usleep(500 * 1000); /* warm up */
	p0 = rx_packets(IF_RX);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sleep(seconds);
	p1 = rx_packets(IF_RX);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return (p1 - p0) / dt;
}

static int veth(struct figures *f, int seconds)
{
	struct bench_pass_bpf *ps = NULL;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct xt t = { 0 };
	int ifindex, err, self;

	f->veth_pass = f->veth_robot = -1;
	self = open("/proc/self/ns/net", O_RDONLY);
	veth_down();
	if (!q || self < 0 ||
	    sh("ip netns add " NS_RX " && ip netns add " NS_TX) ||
	    sh("ip -n " NS_RX " link add " IF_RX " type veth peer name " IF_TX
	       " netns " NS_TX) ||
	    sh("ip -n " NS_RX " link set " IF_RX " up && ip -n " NS_TX
	       " link set " IF_TX " up")) {
		fprintf(stderr, "skip veth: couldn't create the namespaces\n");
		err = -ENOTSUP;
		goto out;
	}
	ps = bench_pass_bpf__open_and_load();
	err = xt_open(&t, 65536, 1 << 20, 0);
	if (!ps || err)
		goto out;
	model_random(q, 1, MODEL_NORMAL, 1);
	q->thresh = 0;
	err = robot_bpfmodel_load(t.model, t.active, q);
	if (err)
		goto out;
	err = enter_ns(NS_RX);
	if (err)
		goto out;
	ifindex = if_nametoindex(IF_RX);
	err = bpf_xdp_attach(ifindex, bpf_program__fd(ps->progs.bench_pass),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		goto out_ns;
	pin_cpu(0);
	f->veth_pass = veth_measure(seconds);
	err = bpf_xdp_attach(ifindex, t.xdp, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		goto out_ns;
	f->veth_robot = veth_measure(seconds);
	fprintf(stderr, "robot_xdp saw %llu packets, %llu known-flow, %llu new flows\n",
		(unsigned long long)xt_stat(&t, ROBOT_STAT_PACKETS),
		(unsigned long long)xt_stat(&t, ROBOT_STAT_KNOWN_FLOW),
		(unsigned long long)xt_stat(&t, ROBOT_STAT_NEW_FLOWS));
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
out_ns:
	setns(self, CLONE_NEWNET);
out:
	if (self >= 0)
		close(self);
	veth_down();
	xt_close(&t);
	bench_pass_bpf__destroy(ps);
	free(q);
	return err;
}

static void on_signal(int sig)
{
	veth_down();
	_exit(1);
}

static int write_json(const struct figures *f)
{
	struct json_w w;
	FILE *out;

	out = fopen("build/bench/xdp.json", "w");
	if (!out) {
		fprintf(stderr, "build/bench/xdp.json: %s\n", strerror(errno));
		return -errno;
	}
	json_init(&w, out);
	json_obj_open(&w, NULL);
	json_dbl(&w, "xdp_pass_ns", f->pass);
	json_dbl(&w, "lookup_only_ns", f->lookup);
	json_dbl(&w, "known_flow_ns", f->known);
	json_dbl(&w, "new_flow_ns", f->new_mean);
	json_dbl(&w, "new_flow_p50_ns", f->new_p50);
	json_dbl(&w, "new_flow_nomodel_ns", f->new_nomodel);
	json_dbl(&w, "parse_ns", f->parse);
	json_dbl(&w, "known_over_lookup", f->known / f->lookup);
	json_u64(&w, "xdp_insns", f->insns_xdp);
	json_u64(&w, "tc_insns", f->insns_tc);
	if (f->veth_pass >= 0)
		json_dbl(&w, "veth_pps_pass", f->veth_pass);
	else
		json_null(&w, "veth_pps_pass");
	if (f->veth_robot >= 0)
		json_dbl(&w, "veth_pps_robot", f->veth_robot);
	else
		json_null(&w, "veth_pps_robot");
	json_obj_close(&w);
	json_end(&w);
	fclose(out);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-veth", no_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct figures f = { 0 };
	int c, no_veth = 0, seconds = 5;

	while ((c = getopt_long(argc, argv, "ns:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			no_veth = 1;
			break;
		case 's':
			seconds = atoi(optarg);
			if (seconds < 1 || seconds > 60) {
				fprintf(stderr, "--seconds: 1..60\n");
				return 2;
			}
			break;
		case 'v':
			verbose_cmds = 1;
			break;
		case 'h':
			printf("Usage: %s [--no-veth] [--seconds N] [--verbose]\n"
			       "Datapath benchmarks (root); writes build/bench/xdp.json.\n",
			       argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	if (geteuid() != 0) {
		printf("skip: bench_xdp needs root (BPF_PROG_TEST_RUN, veth)\n");
		return 0;
	}
	libbpf_set_print(NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (micro(&f)) {
		fprintf(stderr, "bench_xdp: micro-benchmarks failed\n");
		return 1;
	}
	f.veth_pass = f.veth_robot = -1;
	if (!no_veth && veth(&f, seconds))
		fprintf(stderr, "bench_xdp: veth benchmark failed or skipped\n");
	printf("xdp_pass      %8.1f ns\n", f.pass);
	printf("lookup_only   %8.1f ns\n", f.lookup);
	printf("parse         %8.1f ns\n", f.parse);
	printf("known_flow    %8.1f ns  (%.2f x lookup_only)\n", f.known,
	       f.known / f.lookup);
	printf("new_flow      %8.1f ns mean, %.1f median (no model: %.1f)\n",
	       f.new_mean, f.new_p50, f.new_nomodel);
	printf("veth pass     %10.0f pps\nveth robot    %10.0f pps\n",
	       f.veth_pass, f.veth_robot);
	printf("insns: xdp %u tc %u\n", f.insns_xdp, f.insns_tc);
	return write_json(&f) ? 1 : 0;
}
