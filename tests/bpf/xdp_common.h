/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdp_common.h - shared by the datapath tests and benchmarks: loading the
 * skeleton without pins, crafting packets, random Fast models, running
 * BPF_PROG_TEST_RUN. Header-only (static functions) so that each test
 * binary stays one source file.
 */
#ifndef ROBOT_XDP_COMMON_H
#define ROBOT_XDP_COMMON_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "robot_abi.h"
#include "robot_feat.h"
#include "fastq.h"
#include "bpfmodel.h"
#include "robot.skel.h"

/* ------------------------------------------------------------ loading */

struct xt {
	struct robot_bpf *skel;
	int flows, stats, events, model, active, marks, config;
	int xdp, tc;
};

/* Open and load the datapath with no pinning (tests run side by side
 * with a live Robot), flows/ringbuf sized as given. classify_any: the
 * rodata tunable.
 */
static __attribute__((unused)) int xt_open(struct xt *t, __u32 flows, __u32 events, int classify_any)
{
	struct bpf_map *m;
	int err;

	memset(t, 0, sizeof(*t));
	t->skel = robot_bpf__open();
	if (!t->skel)
		return -errno;
	bpf_object__for_each_map(m, t->skel->obj)
		bpf_map__set_pin_path(m, NULL);
	bpf_map__set_max_entries(t->skel->maps.robot_flows_v1, flows);
	bpf_map__set_max_entries(t->skel->maps.robot_events_v1, events);
	t->skel->rodata->robot_classify_any = classify_any;
	err = robot_bpf__load(t->skel);
	if (err) {
		robot_bpf__destroy(t->skel);
		t->skel = NULL;
		return err;
	}
	t->flows = bpf_map__fd(t->skel->maps.robot_flows_v1);
	t->stats = bpf_map__fd(t->skel->maps.robot_stats_v1);
	t->events = bpf_map__fd(t->skel->maps.robot_events_v1);
	t->model = bpf_map__fd(t->skel->maps.robot_model_v1);
	t->active = bpf_map__fd(t->skel->maps.robot_active_v1);
	t->marks = bpf_map__fd(t->skel->maps.robot_marks_v1);
	t->config = bpf_map__fd(t->skel->maps.robot_config_v1);
	t->xdp = bpf_program__fd(t->skel->progs.robot_xdp);
	t->tc = bpf_program__fd(t->skel->progs.robot_tc);
	return 0;
}

static __attribute__((unused)) void xt_close(struct xt *t)
{
	if (t->skel)
		robot_bpf__destroy(t->skel);
	t->skel = NULL;
}

/* Sum of a per-CPU counter. */
static __attribute__((unused)) __u64 xt_stat(struct xt *t, __u32 idx)
{
	int n = libbpf_num_possible_cpus();
	__u64 v[n], sum = 0;
	int i;

	if (n <= 0 || bpf_map_lookup_elem(t->stats, &idx, v))
		return ~0ULL;
	for (i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

static __attribute__((unused)) void xt_stats(struct xt *t, __u64 *out)
{
	__u32 i;

	for (i = 0; i < ROBOT_STAT_MAX; i++)
		out[i] = xt_stat(t, i);
}

/* Run XDP once; returns the XDP verdict or -errno. */
static __attribute__((unused)) int xt_run_xdp(struct xt *t, const void *pkt, __u32 len, void *out,
		      __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = out_len ? *out_len : 0,
		    .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(t->xdp, &o);
	if (err)
		return -errno;
	if (out_len)
		*out_len = o.data_size_out;
	return o.retval;
}

/* Run tc once with ctx (mark/priority/ingress_ifindex in, out). */
static __attribute__((unused)) int xt_run_tc(struct xt *t, const void *pkt, __u32 len,
		     struct __sk_buff *ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .ctx_in = ctx, .ctx_size_in = sizeof(*ctx), .ctx_out = ctx,
		    .ctx_size_out = sizeof(*ctx), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(t->tc, &o);
	if (err)
		return -errno;
	return o.retval;
}

/* --------------------------------------------------------------- rng */

static __u64 rng_state = 88172645463325252ULL;

static void rng_seed(__u64 s)
{
	rng_state = s * 0x9E3779B97F4A7C15ULL + 1;
}

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* uniform in [lo, hi] */
static __s64 rng_range(__s64 lo, __s64 hi)
{
	return lo + (__s64)(rng() % (__u64)(hi - lo + 1));
}

/* ----------------------------------------------------------- packets */

#define PKT_MAX 1600

/* IPv6 extension header types the builder can chain. */
struct pkt_spec {
	int vlans;          /* VLAN tags (0..3) */
	__u16 ethertype;    /* 0: from ipv */
	int ipv;            /* 4 or 6 */
	__u8 proto;         /* L4: 6, 17, or anything (IPv4 ICMP...) */
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;
	__u8 tos, ttl;
	__u16 ip_id;
	__u16 frag;         /* IPv4 flags+offset field, host order */
	__u8 ihl;           /* IPv4 header words (5..15), 0: 5 */
	__u8 version;       /* 0: ipv */
	__u8 ext[8];        /* IPv6 extension header types, in order */
	int n_ext;
	__u16 ext_frag;     /* IPv6 fragment header offset field */
	__u8 doff;          /* TCP header words (5..15), 0: 5 */
	__u8 tcp_flags;
	__u16 win;
	__u32 payload;      /* L4 payload bytes */
	__u8 fill;          /* option / payload byte seed */
};

static void spec_default(struct pkt_spec *s, int ipv, __u8 proto)
{
	memset(s, 0, sizeof(*s));
	s->ipv = ipv;
	s->proto = proto;
	if (ipv == 4) {
		s->saddr[0] = 10, s->saddr[3] = 1;
		s->daddr[0] = 10, s->daddr[3] = 2;
	} else {
		s->saddr[0] = 0xfd, s->saddr[15] = 1;
		s->daddr[0] = 0xfd, s->daddr[15] = 2;
	}
	s->sport = 40000;
	s->dport = 443;
	s->ttl = 64;
	s->tcp_flags = 0x18;
	s->win = 512;
	s->payload = 32;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Build the frame; returns its length. */
static __u32 pkt_build(const struct pkt_spec *s, __u8 *b)
{
	__u32 off = 12, l4len, iphl, i, ext_len = 8 * s->n_ext;
	__u16 type = s->ethertype ? s->ethertype :
		     (s->ipv == 4 ? ETH_P_IP : ETH_P_IPV6);
	__u8 *ip, *l4;
	int v;

	memset(b, 0, PKT_MAX);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	for (v = 0; v < s->vlans; v++) {
		put16(b + off, v == 0 && s->vlans > 1 ? ETH_P_8021AD :
							 ETH_P_8021Q);
		put16(b + off + 2, 100 + v);
		off += 4;
	}
	put16(b + off, type);
	off += 2;
	if (type != ETH_P_IP && type != ETH_P_IPV6)
		return off + 46; /* ARP-sized junk */
	ip = b + off;
	if (s->proto == 6)
		l4len = (s->doff ? s->doff : 5) * 4;
	else if (s->proto == 17)
		l4len = 8;
	else
		l4len = 8; /* ICMP-ish */
	l4len += s->payload;
	if (s->ipv == 4) {
		iphl = (s->ihl ? s->ihl : 5) * 4;
		ip[0] = ((s->version ? s->version : 4) << 4) | (iphl / 4);
		ip[1] = s->tos;
		put16(ip + 2, iphl + l4len);
		put16(ip + 4, s->ip_id);
		put16(ip + 6, s->frag);
		ip[8] = s->ttl;
		ip[9] = s->proto;
		memcpy(ip + 12, s->saddr, 4);
		memcpy(ip + 16, s->daddr, 4);
		for (i = 20; i < iphl; i++)
			ip[i] = s->fill + i;
		l4 = ip + iphl;
	} else {
		__u8 *e = ip + 40, nh = s->n_ext ? s->ext[0] : s->proto;

		ip[0] = (s->version ? s->version : 6) << 4 | (s->tos >> 4);
		ip[1] = s->tos << 4;
		put16(ip + 2, s->ip_id);
		put16(ip + 4, ext_len + l4len);
		ip[6] = nh;
		ip[7] = s->ttl;
		memcpy(ip + 8, s->saddr, 16);
		memcpy(ip + 24, s->daddr, 16);
		for (v = 0; v < s->n_ext; v++, e += 8) {
			e[0] = v + 1 < s->n_ext ? s->ext[v + 1] : s->proto;
			e[1] = 0; /* 8 bytes (AH: (0 + 2) * 4 = 8 too) */
			if (s->ext[v] == 44)
				put16(e + 2, s->ext_frag);
		}
		l4 = e;
	}
	put16(l4, s->sport);
	put16(l4 + 2, s->dport);
	if (s->proto == 6) {
		__u32 hl = (s->doff ? s->doff : 5) * 4;

		put16(l4 + 4, 0x1234);
		put16(l4 + 8, 0x5678);
		l4[12] = (hl / 4) << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, s->win);
		put16(l4 + 16, 0xbeef);
		for (i = 20; i < hl; i++)
			l4[i] = s->fill * 3 + i;
		for (i = 0; i < s->payload; i++)
			l4[hl + i] = s->fill + 7 * i;
	} else if (s->proto == 17) {
		put16(l4 + 4, 8 + s->payload);
		put16(l4 + 6, 0xbeef);
		for (i = 0; i < s->payload; i++)
			l4[8 + i] = s->fill + 7 * i;
	}
	return (l4 - b) + l4len;
}

/* Random well-formed TCP/UDP packet with payload (a new flow). */
static __u32 pkt_random(__u8 *b, __u32 flow_no)
{
	struct pkt_spec s;
	int ipv = rng() & 1 ? 4 : 6, i;

	spec_default(&s, ipv, rng() & 1 ? 6 : 17);
	for (i = 0; i < 16; i++) {
		s.saddr[i] = rng();
		s.daddr[i] = rng();
	}
	s.saddr[0] = 10;
	memcpy(s.saddr + 4, &flow_no, 4); /* distinct flows (v6) */
	memcpy(s.daddr, &flow_no, 4);     /* distinct flows (v4) */
	s.sport = rng();
	s.dport = rng() % 4 ? (__u16)rng_range(1, 1024) : (__u16)rng();
	s.tos = rng();
	s.ttl = rng();
	s.ip_id = rng();
	s.frag = rng() & 1 ? 0x4000 : 0;
	if (ipv == 4 && rng() % 3 == 0)
		s.ihl = rng_range(6, 15);
	if (s.proto == 6 && rng() % 2)
		s.doff = rng_range(6, 15);
	s.tcp_flags = rng();
	s.win = rng();
	s.payload = rng_range(1, 200);
	s.fill = rng();
	if (ipv == 6 && rng() % 4 == 0) {
		static const __u8 types[] = { 0, 43, 60, 51 };

		s.n_ext = rng_range(1, 3);
		for (i = 0; i < s.n_ext; i++)
			s.ext[i] = types[rng() % 4];
		s.ext[0] = rng() & 1 ? 0 : s.ext[0];
	}
	return pkt_build(&s, b);
}

/* Parse in userspace, as the program does. */
static __attribute__((unused)) int pkt_parse(const __u8 *b, __u32 len, struct robot_parsed *p)
{
	robot_feat_zero(p);
	return robot_parse_frame(b, b + len, p);
}

/* -------------------------------------------------------- Fast models */

enum model_kind {
	MODEL_NORMAL,  /* activations mostly inside the clamps */
	MODEL_EXTREME, /* half the channels with saturating weights,
			* multipliers, shifts and biases at the limits */
};

/* mult/shift that scale an accumulator of magnitude ~2^in_bits to ~2^7 */
static void rand_rq(__s32 *b, __s32 *m, __u8 *sh, int in_bits,
		    enum model_kind kind)
{
	int e;

	if (kind == MODEL_EXTREME && rng() % 2) { /* half the channels */
		switch (rng() % 4) {
		case 0:
			*m = 0x7fffffff;
			*sh = rng_range(1, 8);
			break;
		case 1:
			*m = rng_range(0, 3);
			*sh = 62;
			break;
		default:
			*m = rng_range(0, 0x7fffffff);
			*sh = rng_range(1, 62);
		}
		*b = rng() % 3 ? rng_range(-ROBOT_BPF_BIAS_MAX,
					   ROBOT_BPF_BIAS_MAX) :
				 (rng() & 1 ? ROBOT_BPF_BIAS_MAX :
					      -ROBOT_BPF_BIAS_MAX);
		return;
	}
	e = rng_range(8, 30);
	*m = rng_range(1LL << e, (1LL << (e + 1)) - 1);
	*sh = e + in_bits - 7 + rng_range(-1, 1);
	if (*sh < 1)
		*sh = 1;
	if (*sh > 62)
		*sh = 62;
	*b = rng_range(-(1 << (in_bits - 1)), 1 << (in_bits - 1));
}

static __s8 rand_w(enum model_kind kind)
{
	if (kind == MODEL_EXTREME && rng() % 2)
		return rng() & 1 ? 127 : -128;
	return rng_range(-128, 127);
}

static __u32 pkt_random(__u8 *b, __u32 flow_no);

/* Make a random model informative on random packets: cancel the mean of
 * each embedding output (ReLU activations are all positive, so random
 * weights give every packet nearly the same embedding), then put the
 * centroids on embeddings of random packets, so that the nearest centroid,
 * the class and the FDD decision vary from packet to packet.
 */
static void model_calibrate(struct robot_fastq *q)
{
	struct robot_fastq_out out;
	struct robot_parsed p;
	__u8 pkt[PKT_MAX];
	double mean[ROBOT_FASTQ_EMB_MAX];
	__u32 i, o, it, n = 256;

	for (it = 0; it < 3; it++) {
		memset(mean, 0, sizeof(mean));
		for (i = 0; i < n; i++) {
			robot_feat_zero(&p);
			robot_parse_frame(pkt, pkt + pkt_random(pkt, i), &p);
			robot_fastq_infer(q, p.feat.hdr, &out);
			for (o = 0; o < q->arch.emb; o++)
				mean[o] += out.emb[o] / (double)n;
		}
		for (o = 0; o < q->arch.emb; o++) {
			double db = -mean[o] * (double)(1ULL << q->sh3[o]) /
				    (q->m3[o] ? q->m3[o] : 1);
			double b = q->b3[o] + db;

			if (b > ROBOT_BPF_BIAS_MAX)
				b = ROBOT_BPF_BIAS_MAX;
			if (b < -ROBOT_BPF_BIAS_MAX)
				b = -ROBOT_BPF_BIAS_MAX;
			q->b3[o] = (__s32)b;
		}
	}
	for (i = 0; i < q->n_cent; i++) {
		double nrm = 0;

		robot_feat_zero(&p);
		robot_parse_frame(pkt, pkt + pkt_random(pkt, 1000 + i), &p);
		robot_fastq_infer(q, p.feat.hdr, &out);
		for (o = 0; o < q->arch.emb; o++)
			nrm += (double)out.emb[o] * out.emb[o];
		nrm = nrm > 0 ? sqrt(nrm) : 1;
		for (o = 0; o < q->arch.emb; o++)
			q->cent[i][o] = (__s8)lround(127.0 * out.emb[o] / nrm);
	}
}

static void model_random(struct robot_fastq *q, __u64 seed,
			 enum model_kind kind, __u32 version)
{
	__u32 o, c, k, j;
	double t;

	rng_seed(seed);
	memset(q, 0, sizeof(*q));
	q->arch = (struct robot_fastq_arch){
		.c1 = ROBOT_FASTQ_DEF_C1, .k1 = ROBOT_FASTQ_DEF_K1,
		.s1 = ROBOT_FASTQ_DEF_S1, .p1 = ROBOT_FASTQ_DEF_P1,
		.c2 = ROBOT_FASTQ_DEF_C2, .k2 = ROBOT_FASTQ_DEF_K2,
		.s2 = ROBOT_FASTQ_DEF_S2, .p2 = ROBOT_FASTQ_DEF_P2,
		.emb = ROBOT_FASTQ_DEF_EMB,
	};
	robot_fastq_arch_check(&q->arch);
	for (o = 0; o < q->arch.c1; o++) {
		for (k = 0; k < q->arch.k1; k++)
			q->w1[o][k] = rand_w(kind);
		rand_rq(&q->b1[o], &q->m1[o], &q->sh1[o], 16, kind);
	}
	for (o = 0; o < q->arch.c2; o++) {
		for (c = 0; c < q->arch.c1; c++)
			for (k = 0; k < q->arch.k2; k++)
				q->w2[o][c][k] = rand_w(kind);
		rand_rq(&q->b2[o], &q->m2[o], &q->sh2[o], 19, kind);
	}
	for (o = 0; o < q->arch.emb; o++) {
		for (j = 0; j < q->arch.c2 * q->arch.l2; j++)
			q->w3[o][j] = rand_w(kind);
		rand_rq(&q->b3[o], &q->m3[o], &q->sh3[o], 19, kind);
	}
	q->n_cent = rng_range(1, ROBOT_BPF_CENT);
	for (j = 0; j < q->n_cent; j++) {
		for (o = 0; o < q->arch.emb; o++)
			q->cent[j][o] = rand_w(kind) / (kind ? 1 : 4);
		q->cent_class[j] = rng() % ROBOT_CLASS_MAX;
	}
	model_calibrate(q);
	t = 0.5 + 0.49 * (rng() % 1000) / 1000.0;
	q->thresh = (__u64)(t * t * 127 * 127 * 65536.0 + 0.5);
	q->version = version;
}

#endif
