// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Hostile packets through the XDP program (BPF_PROG_TEST_RUN, root), with
 * a Fast model loaded: random bytes and mutations of well-formed and real
 * capture packets (bit flips, byte stores in the headers, truncations,
 * bogus IHL/total length/doff/UDP length/IPv6 payload length, VLAN stacks,
 * IPv6 extension header chains of any type and length, fragments, wrong
 * EtherType for the version, garbage tails). Every packet must pass
 * unmodified (XDP_PASS, same bytes out), every test run must succeed, and
 * the counters must add up exactly: packets = parsed + the five skip
 * counters, each equal to what the userspace parser (robot_feat.h) says
 * for the same bytes; bytes = the sum of the lengths; one CNN run per
 * flow at most, fast verdicts = CNN runs, ringbuf records + drops within
 * 20 per FDD flow, every record read back well-formed. 1 in 16 packets
 * also goes through the tc program (TC_ACT_OK).
 *
 * Count: ROBOT_HOSTILE_PKTS program runs (default 200000), as distinct
 * packets each run 1..32 times (the test run's repeat), so the same bytes
 * meet both a new and a known flow. The flow table (65536 entries) is
 * kept small so that LRU eviction happens. Real packets come from
 * $ROBOT_DATA/pcap when present. Timing is printed, never checked.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <setjmp.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>
#include <linux/pkt_cls.h>
#define bpf_insn pcap_bpf_insn
#include "pcapread.h"
#undef bpf_insn
#include "xdp_common.h"
#include "model.h"
#include "log.h"

#define FLOWS 65536
#define EVENTS (256u << 10)
#define BASE_MAX 20000
#define LEN_MAX 3400 /* under the test run's limit with 4K pages */

struct base {
	__u32 n;
	__u16 len[BASE_MAX];
	__u8 (*pkt)[LEN_MAX];
};

static struct base real;

/* ------------------------------------------------------- real packets */

/* A capture frame as Ethernet (zero MACs), as `robot replay` does. */
static __u32 to_eth(int dlt, const __u8 *d, __u32 n, __u8 *out)
{
	__u16 type;
	__u32 off;

	switch (dlt) {
	case DLT_EN10MB:
		off = 0, type = 0;
		break;
	case DLT_LINUX_SLL:
		if (n < 16)
			return 0;
		off = 16, type = robot_get16(d + 14);
		break;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return 0;
		off = 20, type = robot_get16(d);
		break;
	default: /* raw IP */
		if (n < 1)
			return 0;
		off = 0, type = (d[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
	}
	if (!type) {
		n = n < LEN_MAX ? n : LEN_MAX;
		memcpy(out, d, n);
		return n;
	}
	n -= off;
	if (n > LEN_MAX - 14)
		n = LEN_MAX - 14;
	memset(out, 0, 12);
	out[12] = type >> 8;
	out[13] = type;
	memcpy(out + 14, d + off, n);
	return n + 14;
}

static void load_real(void)
{
	const char *data = getenv("ROBOT_DATA");
	char dir[512], path[1024];
	struct robot_pcap r;
	struct dirent *de;
	const __u8 *d;
	__u32 caplen, len, n;
	__u64 ts;
	DIR *dd;

	real.pkt = calloc(BASE_MAX, LEN_MAX);
	if (!real.pkt || !data)
		return;
	snprintf(dir, sizeof(dir), "%s/pcap", data);
	dd = opendir(dir);
	if (!dd)
		return;
	robot_log_level = -1;
	while ((de = readdir(dd)) && real.n < BASE_MAX) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (robot_pcap_open(&r, path))
			continue;
		/* the first 300 packets of each capture */
		for (n = 0; n < 300 && real.n < BASE_MAX &&
			    robot_pcap_next(&r, &ts, &d, &caplen, &len) == 1;
		     n++) {
			__u32 l = to_eth(r.dlt, d, caplen, real.pkt[real.n]);

			if (l >= 14)
				real.len[real.n++] = l;
		}
		robot_pcap_close(&r);
	}
	robot_log_level = ROBOT_LOG_WARN;
	closedir(dd);
}

/* --------------------------------------------------------- mutations */

/* Offsets of the headers of an Ethernet frame (-1: absent). */
static void find_hdrs(const __u8 *b, __u32 len, int *l3, int *l4, int *v)
{
	__u16 type;
	int off = 12, i;

	*l3 = *l4 = -1;
	*v = 0;
	if (len < 14)
		return;
	type = robot_get16(b + 12);
	for (i = 0; i < 3 && (type == 0x8100 || type == 0x88a8); i++) {
		off += 4;
		if ((__u32)off + 2 > len)
			return;
		type = robot_get16(b + off);
	}
	off += 2;
	if (type == ETH_P_IP && (__u32)off + 20 <= len) {
		*v = 4;
		*l3 = off;
		*l4 = off + (b[off] & 15) * 4;
	} else if (type == ETH_P_IPV6 && (__u32)off + 40 <= len) {
		*v = 6;
		*l3 = off;
		*l4 = off + 40;
	}
	if (*l4 >= 0 && (__u32)*l4 >= len)
		*l4 = -1;
}

static const __u16 bogus16[] = { 0, 1, 7, 19, 20, 39, 40, 41, 0x7fff,
				 0xfff0, 0xffff };

static __u16 bogus(void)
{
	return rng() & 1 ? bogus16[rng() % 11] : (__u16)rng();
}

/* Insert n bytes at off (shifting the rest, the frame may grow). */
static __u32 insert(__u8 *b, __u32 len, __u32 off, const __u8 *x, __u32 n)
{
	if (off > len || len + n > LEN_MAX)
		return len;
	memmove(b + off + n, b + off, len - off);
	memcpy(b + off, x, n);
	return len + n;
}

static __u32 mutate_once(__u8 *b, __u32 len)
{
	int l3, l4, v, i, k;
	__u8 x[64];

	find_hdrs(b, len, &l3, &l4, &v);
	switch (rng() % 12) {
	case 0: /* bit flips anywhere */
		for (k = rng_range(1, 8); k; k--) {
			i = rng() % len;
			b[i] ^= 1 << (rng() % 8);
		}
		break;
	case 1: /* random bytes in the first 96 */
		for (k = rng_range(1, 6); k; k--)
			b[rng() % (len < 96 ? len : 96)] = rng();
		break;
	case 2: /* truncation */
		len = 14 + rng() % (len - 13);
		break;
	case 3: /* bogus IP lengths */
		if (v == 4) {
			if (rng() & 1)
				b[l3] = (b[l3] & 0xf0) | (rng() & 15);
			else
				put16(b + l3 + 2, bogus());
		} else if (v == 6) {
			put16(b + l3 + 4, bogus());
		}
		break;
	case 4: /* bogus L4 lengths: TCP doff, UDP length */
		if (l4 >= 0 && (__u32)l4 + 14 <= len) {
			b[l4 + 12] = (rng() & 15) << 4 | (b[l4 + 12] & 15);
			if ((__u32)l4 + 6 <= len)
				put16(b + l4 + 4, bogus());
		}
		break;
	case 5: /* VLAN stack, 1..4 tags */
		for (k = rng_range(1, 4); k; k--) {
			put16(x, rng() & 1 ? 0x8100 : 0x88a8);
			put16(x + 2, rng());
			len = insert(b, len, 12, x, 4);
		}
		break;
	case 6: /* IPv6 extension header chain of any types/lengths */
		if (v == 6) {
			static const __u8 types[] = { 0, 43, 44, 51, 60, 59, 135,
						      6, 17 };
			__u8 nh = b[l3 + 6];

			for (k = rng_range(1, 9); k; k--) {
				__u32 el = 8 * rng_range(1, 3);

				memset(x, 0, sizeof(x));
				for (i = 2; i < (int)el; i++)
					x[i] = rng() % 4 ? 0 : rng();
				x[0] = nh;
				x[1] = rng() % 4 ? el / 8 - 1 : rng();
				nh = rng() % 5 ? types[rng() % 9] : rng();
				if (nh == 44 && rng() & 1)
					put16(x + 2, rng() & 0xfff8);
				len = insert(b, len, l3 + 40, x, el);
				b[l3 + 6] = nh;
			}
			if (rng() & 1)
				put16(b + l3 + 4, len - l3 - 40);
		}
		break;
	case 7: /* fragments */
		if (v == 4)
			put16(b + l3 + 6, rng() & 1 ? rng() & 0x3fff : 0x2000);
		break;
	case 8: /* EtherType of the other IP version */
		if (v) {
			i = l3 - 2;
			put16(b + i, v == 4 ? ETH_P_IPV6 : ETH_P_IP);
		}
		break;
	case 9: /* garbage tail */
		for (k = rng_range(1, 200); k && len < LEN_MAX; k--)
			b[len++] = rng();
		break;
	case 10: /* IPv4 options / TCP options of random bytes */
		if (v == 4 && (__u32)l3 + 60 <= len) {
			b[l3] = 0x40 | rng_range(5, 15);
			for (i = 20; i < 60; i++)
				b[l3 + i] = rng();
		} else if (l4 >= 0 && (__u32)l4 + 60 <= len) {
			b[l4 + 12] = rng_range(5, 15) << 4;
			for (i = 20; i < 60; i++)
				b[l4 + i] = rng();
		}
		break;
	default: /* protocol byte */
		if (v == 4)
			b[l3 + 9] = rng() % 3 ? (rng() & 1 ? 6 : 17) : rng();
		else if (v == 6)
			b[l3 + 6] = rng() % 3 ? (rng() & 1 ? 6 : 17) : rng();
	}
	return len;
}

/* One hostile packet into b; returns its length (>= 14). */
static __u32 hostile(__u8 *b, __u32 i)
{
	__u32 len, k, r = rng() % 16;

	if (r == 0) { /* random bytes */
		len = rng_range(14, 1600);
		for (k = 0; k < len; k++)
			b[k] = rng();
		if (rng() & 1)
			put16(b + 12, rng() & 1 ? ETH_P_IP : ETH_P_IPV6);
		return len;
	}
	if (real.n && r < 10) {
		k = rng() % real.n;
		len = real.len[k];
		memcpy(b, real.pkt[k], len);
	} else {
		len = pkt_random(b, i);
	}
	for (k = rng() % 4; k; k--) /* 0: the base packet itself */
		len = mutate_once(b, len);
	return len < 14 ? 14 : len;
}

/* ----------------------------------------------------------- records */

struct rec_check {
	__u64 n, bad;
};

static int rec_cb(void *ctx, void *data, size_t len)
{
	struct rec_check *c = ctx;
	const struct robot_event *e = data;

	c->n++;
	if (len != sizeof(*e) || e->seq >= ROBOT_WINDOW ||
	    e->fast_class >= ROBOT_CLASS_MAX || e->source > 1 ||
	    (e->key.family != 4 && e->key.family != 6) || !e->model_ver)
		c->bad++;
	return 0;
}

/* ------------------------------------------------------------- run */

/* The skb test run refuses (-EINVAL) a frame whose EtherType says IPv4 or
 * IPv6 but that is shorter than the base IP header: the datapath never
 * sees those through it.
 */
static int tc_short(const __u8 *b, __u32 len)
{
	__u16 type = robot_get16(b + 12);

	return (type == ETH_P_IP && len < 14 + 20) ||
	       (type == ETH_P_IPV6 && len < 14 + 40);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* BPF_PROG_TEST_RUN of an XDP program adds it to the kernel's XDP
 * dispatcher and removes it again, each time, and each change waits for
 * an RCU grace period (milliseconds on a loaded machine). Attached
 * natively to a veth of a private network namespace, the program stays
 * in the dispatcher and test runs cost microseconds. Both ends stay
 * down: no real packet reaches it and the counters stay exact. Returns the ifindex
 * or 0 (then the runs are slow, still correct).
 */
static int pin_dispatcher(struct xt *t)
{
	static int ns_done;
	int ifindex;

	if (!ns_done) {
		ns_done = 1;
		if (unshare(CLONE_NEWNET) ||
		    system("ip link add veth0 type veth peer name veth1"))
			return 0;
	}
	ifindex = if_nametoindex("veth0");
	if (!ifindex || bpf_xdp_attach(ifindex, t->xdp, XDP_FLAGS_DRV_MODE,
				       NULL)) {
		printf("note: XDP not attached to a veth, test runs are slow\n");
		return 0;
	}
	return ifindex;
}

static void hostile_run(const struct robot_fastq *q, const char *what,
			__u64 n_runs)
{
	__u64 st[ROBOT_STAT_MAX], want[ROBOT_PARSE_MAX] = {}, bytes = 0;
	__u64 runs = 0, distinct = 0, tc_runs = 0, tc_refused = 0;
	__u64 classes = 0;
	struct rec_check rc = {};
	struct ring_buffer *rb;
	struct robot_parsed p;
	struct __sk_buff ctx;
	__u8 *pkt, *out;
	struct xt t;
	double t0, dt;
	int err, i, ifindex;

	pkt = malloc(LEN_MAX + 64);
	out = malloc(LEN_MAX + 64);
	assert_non_null(pkt);
	assert_non_null(out);
	err = xt_open(&t, FLOWS, EVENTS, 0);
	assert_int_equal(err, 0);
	assert_int_equal(robot_bpfmodel_load(t.model, t.active, q), 0);
	rb = ring_buffer__new(t.events, rec_cb, &rc, NULL);
	assert_non_null(rb);
	ifindex = pin_dispatcher(&t);
	rng_seed(0x5eed + n_runs);
	t0 = now_s();
	while (runs < n_runs) {
		__u32 len = hostile(pkt, distinct), rep, out_len;

		rep = rng() & 1 ? 1 : rng_range(2, 32);
		if (rep > n_runs - runs)
			rep = n_runs - runs;
		out_len = LEN_MAX + 64;
		{
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
				    .data_size_in = len, .data_out = out,
				    .data_size_out = out_len, .repeat = rep);

			err = bpf_prog_test_run_opts(t.xdp, &o);
			if (err || o.retval != XDP_PASS ||
			    o.data_size_out != len || memcmp(out, pkt, len)) {
				fprintf(stderr, "packet %llu (len %u): err %d "
					"retval %u out_len %u\n",
					(unsigned long long)distinct, len,
					err ? -errno : 0, o.retval,
					o.data_size_out);
				fail();
			}
		}
		i = pkt_parse(pkt, len, &p);
		want[i] += rep;
		bytes += (__u64)len * rep;
		runs += rep;
		distinct++;
		if (distinct % 16 == 0) {
			memset(&ctx, 0, sizeof(ctx));
			ctx.ifindex = 1; /* lo; ingress, or egress (0) */
			ctx.ingress_ifindex = distinct % 32 ? 1 : 0;
			err = xt_run_tc(&t, pkt, len, &ctx);
			if (err == -EINVAL && tc_short(pkt, len)) {
				tc_refused++;
			} else if (err != TC_ACT_OK) {
				fprintf(stderr, "tc, packet %llu (len %u): "
					"%d\n", (unsigned long long)distinct,
					len, err);
				fail();
			}
			tc_runs += err == TC_ACT_OK;
		}
		if (distinct % 4096 == 0)
			ring_buffer__consume(rb);
	}
	dt = now_s() - t0;
	ring_buffer__consume(rb);
	xt_stats(&t, st);
	for (i = 0; i < ROBOT_CLASS_MAX; i++)
		classes += st[ROBOT_STAT_FAST_CLASS0 + i];
	printf("%s: %llu runs of %llu distinct packets (+%llu tc) in %.2f s: "
	       "%.2f M runs/s, %.0f packets/s\n", what,
	       (unsigned long long)runs, (unsigned long long)distinct,
	       (unsigned long long)tc_runs, dt, runs / dt / 1e6,
	       distinct / dt);
	printf("  parsed %llu, not_ip %llu, truncated %llu, proto %llu, "
	       "fragment %llu, bad_hdr %llu; new flows %llu, known %llu, "
	       "insert fails %llu, cnn runs %llu, fdd flows %llu, records "
	       "%llu (read %llu), drops %llu\n",
	       (unsigned long long)st[ROBOT_STAT_PARSED],
	       (unsigned long long)st[ROBOT_STAT_SKIP_NOT_IP],
	       (unsigned long long)st[ROBOT_STAT_SKIP_TRUNCATED],
	       (unsigned long long)st[ROBOT_STAT_SKIP_PROTO],
	       (unsigned long long)st[ROBOT_STAT_SKIP_FRAGMENT],
	       (unsigned long long)st[ROBOT_STAT_SKIP_BAD_HDR],
	       (unsigned long long)st[ROBOT_STAT_NEW_FLOWS],
	       (unsigned long long)st[ROBOT_STAT_KNOWN_FLOW],
	       (unsigned long long)st[ROBOT_STAT_FLOW_INSERT_FAIL],
	       (unsigned long long)st[ROBOT_STAT_CNN_RUNS],
	       (unsigned long long)st[ROBOT_STAT_FDD_FLOWS],
	       (unsigned long long)st[ROBOT_STAT_RB_RECORDS],
	       (unsigned long long)rc.n,
	       (unsigned long long)st[ROBOT_STAT_RB_DROPS]);
	fflush(stdout);
	/* every run counted, classified as the userspace parser says */
	assert_int_equal(st[ROBOT_STAT_PACKETS], runs);
	assert_int_equal(st[ROBOT_STAT_BYTES], bytes);
	assert_int_equal(st[ROBOT_STAT_PARSED], want[ROBOT_PARSE_OK]);
	for (i = 1; i < ROBOT_PARSE_MAX; i++)
		assert_int_equal(st[ROBOT_STAT_SKIP_NOT_IP + i - 1], want[i]);
	assert_int_equal(st[ROBOT_STAT_PARSED] + st[ROBOT_STAT_SKIP_NOT_IP] +
				 st[ROBOT_STAT_SKIP_TRUNCATED] +
				 st[ROBOT_STAT_SKIP_PROTO] +
				 st[ROBOT_STAT_SKIP_FRAGMENT] +
				 st[ROBOT_STAT_SKIP_BAD_HDR],
			 st[ROBOT_STAT_PACKETS]);
	/* flows and the model */
	assert_true(st[ROBOT_STAT_NEW_FLOWS] > 0);
	assert_true(st[ROBOT_STAT_NEW_FLOWS] + st[ROBOT_STAT_FLOW_INSERT_FAIL]
		    <= st[ROBOT_STAT_PARSED] + tc_runs);
	assert_true(st[ROBOT_STAT_CNN_RUNS] <= st[ROBOT_STAT_NEW_FLOWS]);
	assert_true(st[ROBOT_STAT_CNN_RUNS] > 0);
	assert_int_equal(st[ROBOT_STAT_NO_MODEL], 0);
	assert_int_equal(classes, st[ROBOT_STAT_CNN_RUNS]);
	assert_true(st[ROBOT_STAT_FDD_FLOWS] <= st[ROBOT_STAT_CNN_RUNS]);
	assert_true(st[ROBOT_STAT_RB_RECORDS] + st[ROBOT_STAT_RB_DROPS] <=
		    ROBOT_WINDOW * st[ROBOT_STAT_FDD_FLOWS]);
	assert_int_equal(rc.n, st[ROBOT_STAT_RB_RECORDS]);
	assert_int_equal(rc.bad, 0);
	ring_buffer__free(rb);
	if (ifindex)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	xt_close(&t);
	free(pkt);
	free(out);
}

static __u64 n_runs(void)
{
	const char *s = getenv("ROBOT_HOSTILE_PKTS");

	return s ? strtoull(s, NULL, 0) : 200000;
}

static void test_hostile_random_model(void **state)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));

	assert_non_null(q);
	model_random(q, 777, MODEL_NORMAL, 777);
	hostile_run(q, "random model", n_runs());
	free(q);
}

static void test_hostile_trained_model(void **state)
{
	const char *mp = getenv("ROBOT_FAST_MODEL");
	struct robot_fastq *q = calloc(1, sizeof(*q));

	assert_non_null(q);
	if (!mp)
		mp = !access("models/default/fast.model", R_OK) ?
			     "models/default/fast.model" :
			     "build/e2e-model/fast.model";
	if (access(mp, R_OK) || robot_fastq_load(mp, q, NULL, NULL)) {
		printf("skip: no trained model (%s)\n", mp);
		free(q);
		skip();
	}
	hostile_run(q, mp, n_runs() / 4);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_random_model),
		cmocka_unit_test(test_hostile_trained_model),
	};

	if (geteuid() != 0) {
		printf("skip: needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	load_real();
	printf("%u real packets from %s\n", real.n,
	       getenv("ROBOT_DATA") ? getenv("ROBOT_DATA") : "(no ROBOT_DATA)");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
