// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Datapath tests through BPF_PROG_TEST_RUN (root): parsing and skip
 * counters on crafted packets (every protocol, VLAN, IPv6 extension
 * headers, fragments, truncation at every offset), bit-exact parity of the
 * in-kernel Fast model with robot_fastq_infer() (random and extreme
 * models, the shared captures), the ringbuf window of FDD flows, ringbuf
 * overflow, the classification budget, the classify-any tunable, tc marks
 * and egress records, and model swap under load.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>
#include <linux/pkt_cls.h>
/* libpcap's pcap/bpf.h and linux/bpf.h both define struct bpf_insn */
#define bpf_insn pcap_bpf_insn
#include "pcapread.h"
#undef bpf_insn
#include "xdp_common.h"
#if __has_include("model.h")
#include "model.h"
#define HAVE_MODEL_LOAD 1
#endif

#define FLOWS 262144
#define EVENTS (4u << 20)

/* --------------------------------------------------------- ringbuf */

struct rec_log {
	struct robot_event ev[4096];
	__u32 n;
};

static int rec_cb(void *ctx, void *data, size_t len)
{
	struct rec_log *r = ctx;

	if (len != sizeof(struct robot_event))
		return -EINVAL;
	if (r->n < 4096)
		memcpy(&r->ev[r->n], data, len);
	r->n++;
	return 0;
}

static __u32 drain(struct xt *t, struct rec_log *r)
{
	struct ring_buffer *rb;

	r->n = 0;
	rb = ring_buffer__new(t->events, rec_cb, r, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return r->n;
}

/* ------------------------------------------------------------ utils */

static cpu_set_t saved_cpus;

/* The token bucket is per CPU: keep the test on one. */
static void pin_cpu0(void)
{
	cpu_set_t set;

	sched_getaffinity(0, sizeof(saved_cpus), &saved_cpus);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void)
{
	sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);
}

static int flow_get(struct xt *t, const __u8 *pkt, __u32 len,
		    struct robot_flow *f)
{
	struct robot_parsed p;

	if (pkt_parse(pkt, len, &p))
		return -EINVAL;
	return bpf_map_lookup_elem(t->flows, &p.key, f) ? -errno : 0;
}

static void run_pass(struct xt *t, const __u8 *pkt, __u32 len)
{
	__u8 out[PKT_MAX + 64];
	__u32 out_len = sizeof(out);

	assert_int_equal(xt_run_xdp(t, pkt, len, out, &out_len), XDP_PASS);
	/* never modified */
	assert_int_equal(out_len, len);
	assert_memory_equal(out, pkt, len);
}

static int setup(void **state)
{
	struct xt *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -1;
	err = xt_open(t, FLOWS, EVENTS, 0);
	if (err) {
		fprintf(stderr, "loading build/robot.bpf.o: %s\n",
			strerror(-err));
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct xt *t = *state;

	xt_close(t);
	free(t);
	return 0;
}

static void load_model(struct xt *t, const struct robot_fastq *q)
{
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, q), 0);
}

/* ------------------------------------------------- no model, parsing */

static void test_no_model_passes(void **state)
{
	struct xt *t = *state;
	__u8 pkt[PKT_MAX];
	struct pkt_spec s;
	struct robot_flow f;
	__u32 len;
	__u64 st[ROBOT_STAT_MAX];

	spec_default(&s, 4, 6);
	s.payload = 0;
	s.tcp_flags = 0x02;
	len = pkt_build(&s, pkt);
	run_pass(t, pkt, len);
	s.payload = 100;
	s.tcp_flags = 0x18;
	len = pkt_build(&s, pkt);
	run_pass(t, pkt, len);
	xt_stats(t, st);
	assert_int_equal(st[ROBOT_STAT_PACKETS], 2);
	assert_int_equal(st[ROBOT_STAT_PARSED], 2);
	assert_int_equal(st[ROBOT_STAT_NEW_FLOWS], 1);
	assert_int_equal(st[ROBOT_STAT_NO_MODEL], 1);
	assert_int_equal(st[ROBOT_STAT_CNN_RUNS], 0);
	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	assert_int_equal(f.stage, ROBOT_STAGE_WAIT);
	assert_int_equal(f.packets, 2);
	assert_int_equal(f.fast_class, ROBOT_CLASS_NONE);
	assert_int_equal(f.class, ROBOT_CLASS_NONE);
	assert_int_equal(f.a_is_init, 1); /* 10.0.0.1 sorts first */
}

struct parse_case {
	const char *desc;
	void (*mod)(struct pkt_spec *s);
	int ipv;
	__u8 proto;
	int expect; /* enum robot_parse_res */
};

static void m_none(struct pkt_spec *s) { }
static void m_vlan(struct pkt_spec *s) { s->vlans = 1; }
static void m_qinq(struct pkt_spec *s) { s->vlans = 2; }
static void m_3vlan(struct pkt_spec *s) { s->vlans = 3; }
static void m_arp(struct pkt_spec *s) { s->ethertype = ETH_P_ARP; }
static void m_frag_first(struct pkt_spec *s) { s->frag = 0x2000; }
static void m_frag_later(struct pkt_spec *s) { s->frag = 0x2010; }
static void m_frag_last(struct pkt_spec *s) { s->frag = 0x0010; }
static void m_ihl4(struct pkt_spec *s) { s->ihl = 4; }
static void m_ihl15(struct pkt_spec *s) { s->ihl = 15; s->fill = 9; }
static void m_ver6in4(struct pkt_spec *s) { s->version = 6; }
static void m_ver4in6(struct pkt_spec *s) { s->version = 4; }
static void m_doff4(struct pkt_spec *s) { s->doff = 4; }
static void m_doff15(struct pkt_spec *s) { s->doff = 15; s->fill = 3; }
static void m_nopay(struct pkt_spec *s) { s->payload = 0; }
static void m_ext3(struct pkt_spec *s)
{
	s->n_ext = 3;
	s->ext[0] = 0, s->ext[1] = 43, s->ext[2] = 60;
}
static void m_ext_ah(struct pkt_spec *s)
{
	s->n_ext = 2;
	s->ext[0] = 0, s->ext[1] = 51;
}
static void m_ext_frag0(struct pkt_spec *s)
{
	s->n_ext = 1;
	s->ext[0] = 44, s->ext_frag = 0x0001; /* offset 0, M set */
}
static void m_ext_frag8(struct pkt_spec *s)
{
	s->n_ext = 1;
	s->ext[0] = 44, s->ext_frag = 0x0008;
}
static void m_ext6(struct pkt_spec *s)
{
	s->n_ext = 6;
	memset(s->ext, 60, 6);
}
static void m_ext7(struct pkt_spec *s)
{
	s->n_ext = 7;
	memset(s->ext, 60, 7);
}
static void m_ext_esp(struct pkt_spec *s)
{
	s->n_ext = 1;
	s->ext[0] = 50; /* ESP: not followed */
}
static void m_vlan_v6ext(struct pkt_spec *s)
{
	s->vlans = 2;
	m_ext3(s);
}

static const struct parse_case parse_cases[] = {
	{ "IPv4 TCP", m_none, 4, 6, ROBOT_PARSE_OK },
	{ "IPv4 UDP", m_none, 4, 17, ROBOT_PARSE_OK },
	{ "IPv6 TCP", m_none, 6, 6, ROBOT_PARSE_OK },
	{ "IPv6 UDP", m_none, 6, 17, ROBOT_PARSE_OK },
	{ "IPv4 TCP no payload", m_nopay, 4, 6, ROBOT_PARSE_OK },
	{ "802.1Q IPv4 TCP", m_vlan, 4, 6, ROBOT_PARSE_OK },
	{ "QinQ IPv6 UDP", m_qinq, 6, 17, ROBOT_PARSE_OK },
	{ "three VLAN tags", m_3vlan, 4, 6, ROBOT_PARSE_NOT_IP },
	{ "ARP", m_arp, 4, 6, ROBOT_PARSE_NOT_IP },
	{ "IPv4 ICMP", m_none, 4, 1, ROBOT_PARSE_PROTO },
	{ "IPv4 GRE", m_none, 4, 47, ROBOT_PARSE_PROTO },
	{ "IPv6 ICMPv6", m_none, 6, 58, ROBOT_PARSE_PROTO },
	{ "IPv4 first fragment", m_frag_first, 4, 17, ROBOT_PARSE_OK },
	{ "IPv4 middle fragment", m_frag_later, 4, 17, ROBOT_PARSE_FRAGMENT },
	{ "IPv4 last fragment", m_frag_last, 4, 6, ROBOT_PARSE_FRAGMENT },
	{ "IPv4 IHL 4", m_ihl4, 4, 6, ROBOT_PARSE_BAD_HDR },
	{ "IPv4 IHL 15 (options)", m_ihl15, 4, 6, ROBOT_PARSE_OK },
	{ "version 6 in IPv4 EtherType", m_ver6in4, 4, 6, ROBOT_PARSE_BAD_HDR },
	{ "version 4 in IPv6 EtherType", m_ver4in6, 6, 6, ROBOT_PARSE_BAD_HDR },
	{ "TCP doff 4", m_doff4, 4, 6, ROBOT_PARSE_BAD_HDR },
	{ "TCP doff 15 (options)", m_doff15, 6, 6, ROBOT_PARSE_OK },
	{ "IPv6 hop/routing/dst ext", m_ext3, 6, 6, ROBOT_PARSE_OK },
	{ "IPv6 hop + AH", m_ext_ah, 6, 17, ROBOT_PARSE_OK },
	{ "IPv6 first fragment", m_ext_frag0, 6, 17, ROBOT_PARSE_OK },
	{ "IPv6 later fragment", m_ext_frag8, 6, 17, ROBOT_PARSE_FRAGMENT },
	{ "IPv6 6 ext headers", m_ext6, 6, 6, ROBOT_PARSE_OK },
	{ "IPv6 7 ext headers", m_ext7, 6, 6, ROBOT_PARSE_PROTO },
	{ "IPv6 ESP", m_ext_esp, 6, 6, ROBOT_PARSE_PROTO },
	{ "QinQ IPv6 ext TCP", m_vlan_v6ext, 6, 6, ROBOT_PARSE_OK },
};

static __u32 stat_of(int res)
{
	return res == ROBOT_PARSE_OK ? ROBOT_STAT_PARSED :
				       ROBOT_STAT_SKIP_NOT_IP + res - 1;
}

/* The hot path's key-only parse agrees with the full one (result, key,
 * side, payload length), whatever the record held before.
 */
static void check_key_parse(const __u8 *pkt, __u32 len)
{
	struct robot_parsed a, b;
	int ea, eb;

	ea = pkt_parse(pkt, len, &a);
	memset(&b, 0xa5, sizeof(b));
	eb = robot_parse_frame_key(pkt, pkt + len, &b);
	assert_int_equal(ea, eb);
	if (ea)
		return;
	assert_memory_equal(&a.key, &b.key, sizeof(a.key));
	assert_int_equal(a.src_is_a, b.src_is_a);
	assert_int_equal(a.feat.payload_len, b.feat.payload_len);
}

/* One packet: XDP_PASS, unmodified, exactly one parse counter moved. */
static void check_parse(struct xt *t, const __u8 *pkt, __u32 len,
			int expect, const char *desc)
{
	__u64 a[ROBOT_STAT_MAX], b[ROBOT_STAT_MAX];
	__u32 i, want = stat_of(expect);

	check_key_parse(pkt, len);
	xt_stats(t, a);
	run_pass(t, pkt, len);
	xt_stats(t, b);
	for (i = ROBOT_STAT_PARSED; i <= ROBOT_STAT_SKIP_BAD_HDR; i++) {
		if (b[i] - a[i] != (i == want)) {
			fail_msg("%s (len %u): counter %u moved by %llu, expected parse result %d",
				 desc, len, i, (unsigned long long)(b[i] - a[i]),
				 expect);
		}
	}
	assert_int_equal(b[ROBOT_STAT_PACKETS] - a[ROBOT_STAT_PACKETS], 1);
	assert_int_equal(b[ROBOT_STAT_BYTES] - a[ROBOT_STAT_BYTES], len);
}

static void test_parse_table(void **state)
{
	struct xt *t = *state;
	__u8 pkt[PKT_MAX];
	struct robot_parsed p;
	struct pkt_spec s;
	__u32 i, len;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		spec_default(&s, c->ipv, c->proto);
		s.sport = 1000 + i; /* a new flow per row */
		c->mod(&s);
		len = pkt_build(&s, pkt);
		/* the table agrees with the shared parser... */
		assert_int_equal(pkt_parse(pkt, len, &p), c->expect);
		/* ...and the program with both */
		check_parse(t, pkt, len, c->expect, c->desc);
	}
}

/* Truncate well-formed packets at every length (>= 14, BPF_PROG_TEST_RUN
 * refuses shorter XDP frames); the program must agree with the userspace
 * parser on each.
 */
static void test_truncated_everywhere(void **state)
{
	static void (*const mods[])(struct pkt_spec *) = {
		m_doff15, m_ihl15, m_vlan_v6ext, m_ext_ah, m_qinq,
	};
	static const int ipv[] = { 4, 4, 6, 6, 6 };
	static const __u8 proto[] = { 6, 17, 6, 17, 6 };
	struct xt *t = *state;
	__u8 pkt[PKT_MAX];
	struct robot_parsed p;
	struct pkt_spec s;
	__u32 i, len, cut, n_trunc = 0;
	char desc[64];

	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		spec_default(&s, ipv[i], proto[i]);
		mods[i](&s);
		s.payload = 4;
		len = pkt_build(&s, pkt);
		for (cut = ETH_HLEN; cut <= len; cut++) {
			int want = pkt_parse(pkt, cut, &p);

			n_trunc += want == ROBOT_PARSE_TRUNCATED;
			snprintf(desc, sizeof(desc), "case %u cut at %u", i, cut);
			check_parse(t, pkt, cut, want, desc);
		}
	}
	assert_true(n_trunc > 100);
}

/* ---------------------------------------------------------- parity */

struct parity {
	__u32 flows, mismatches, fdd, classes[ROBOT_CLASS_MAX], dot_nonzero;
};

/* Compare the flow of pkt (classified on pkt) with the reference. */
static void parity_check(struct xt *t, const struct robot_fastq *q,
			 const __u8 *pkt, __u32 len, const __u8 *hdr,
			 struct parity *r)
{
	struct robot_fastq_out ref;
	struct robot_flow f;

	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	robot_fastq_infer(q, hdr, &ref);
	r->flows++;
	if (f.fast_class != ref.class || f.fast_dot != ref.dot ||
	    f.fast_nrm2 != ref.nrm2 || f.fdd != ref.fdd ||
	    f.model_ver != q->version || f.class != ref.class) {
		if (r->mismatches++ < 5)
			print_message("mismatch: kernel class %u dot %d nrm2 %u fdd %u ver %u; reference class %u dot %d nrm2 %u fdd %u ver %u\n",
				      f.fast_class, f.fast_dot, f.fast_nrm2,
				      f.fdd, f.model_ver, ref.class, ref.dot,
				      ref.nrm2, ref.fdd, q->version);
	}
	if (ref.fdd ? f.stage != ROBOT_STAGE_COLLECTING &&
			      f.stage != ROBOT_STAGE_COLLECTED &&
			      f.stage != ROBOT_STAGE_FALLBACK :
		      f.stage != ROBOT_STAGE_FAST)
		fail_msg("stage %u after classification (fdd %u)", f.stage,
			 ref.fdd);
	r->fdd += ref.fdd;
	r->dot_nonzero += ref.dot != 0;
	if (ref.class < ROBOT_CLASS_MAX)
		r->classes[ref.class]++;
}

static void parity_print(const char *what, const struct parity *r)
{
	print_message("%s: %u flows, %u mismatches, %u FDD, %u nonzero dot, classes %u %u %u %u %u %u %u\n",
		      what, r->flows, r->mismatches, r->fdd, r->dot_nonzero,
		      r->classes[0], r->classes[1], r->classes[2],
		      r->classes[3], r->classes[4], r->classes[5],
		      r->classes[6]);
}

static void parity_random(struct xt *t, __u64 seed, enum model_kind kind,
			  __u32 n)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct rec_log *log = calloc(1, sizeof(*log));
	struct parity r = { 0 };
	__u8 pkt[PKT_MAX];
	struct robot_parsed p;
	__u32 i, len;
	char what[64];

	assert_non_null(q);
	assert_non_null(log);
	model_random(q, seed, kind, 1000 + seed);
	load_model(t, q);
	rng_seed(seed * 7919 + 1);
	for (i = 0; i < n; i++) {
		len = pkt_random(pkt, seed << 20 | i);
		assert_int_equal(pkt_parse(pkt, len, &p), 0);
		assert_true(p.feat.payload_len > 0);
		run_pass(t, pkt, len);
		parity_check(t, q, pkt, len, p.feat.hdr, &r);
		if (i % 1024 == 1023)
			drain(t, log);
	}
	drain(t, log);
	snprintf(what, sizeof(what), "seed %llu %s",
		 (unsigned long long)seed, kind ? "extreme" : "normal");
	parity_print(what, &r);
	assert_int_equal(r.mismatches, 0);
	assert_int_equal(r.flows, n);
	free(log);
	free(q);
}

static void test_parity_random(void **state)
{
	struct xt *t = *state;
	__u64 cnn0 = xt_stat(t, ROBOT_STAT_CNN_RUNS);
	__u64 seed;

	for (seed = 1; seed <= 6; seed++)
		parity_random(t, seed, MODEL_NORMAL, 2000);
	for (seed = 101; seed <= 104; seed++)
		parity_random(t, seed, MODEL_EXTREME, 1000);
	assert_int_equal(xt_stat(t, ROBOT_STAT_CNN_RUNS) - cnn0, 16000);
}

/* Unit check of the pair-word trick's edges: all weights -128 / 127,
 * inputs 255, biases +-2^30, on every layer (saturation both ways).
 */
static void test_parity_corners(void **state)
{
	static const __s8 wv[] = { -128, 127, 0, 1, -1 };
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct parity r = { 0 };
	__u8 pkt[PKT_MAX];
	struct robot_parsed p;
	struct pkt_spec s;
	__u32 wi, b, len, n = 0;

	assert_non_null(q);
	for (wi = 0; wi < sizeof(wv); wi++) {
		for (b = 0; b < 3; b++) {
			model_random(q, 500 + wi * 3 + b, MODEL_NORMAL,
				     7 + n);
			memset(q->w1, wv[wi], sizeof(q->w1));
			memset(q->w2, wv[wi], sizeof(q->w2));
			memset(q->w3, wv[(wi + b) % sizeof(wv)],
			       sizeof(q->w3));
			q->b3[0] = b == 0 ? ROBOT_BPF_BIAS_MAX :
					    -ROBOT_BPF_BIAS_MAX;
			q->m3[0] = 0x7fffffff;
			q->sh3[0] = 1;
			load_model(t, q);
			spec_default(&s, 4, 6);
			s.sport = 5000 + n;
			s.doff = 15;
			s.ihl = 15;
			s.fill = 0xff;
			s.tos = 0xff;
			s.ttl = 0xff;
			s.win = 0xffff;
			len = pkt_build(&s, pkt);
			memset(pkt + 14 + 20, 0xff, 40);   /* IP options */
			memset(pkt + 14 + 60 + 20, 0xff, 40); /* TCP options */
			assert_int_equal(pkt_parse(pkt, len, &p), 0);
			run_pass(t, pkt, len);
			parity_check(t, q, pkt, len, p.feat.hdr, &r);
			n++;
		}
	}
	parity_print("corners", &r);
	assert_int_equal(r.mismatches, 0);
	free(q);
}

/* ----------------------------------------------------------- pcaps */

struct pflow {
	struct robot_flow_key key;
	__u8 hdr[ROBOT_HDR_LEN];
	__u8 frame[PKT_MAX]; /* the classified packet, as fed to XDP */
	__u32 len;
	int have;
};

static int pcap_parity_file(struct xt *t, const char *path,
			    const struct robot_fastq *q, struct parity *r,
			    struct rec_log *log)
{
	struct robot_pcap pc;
	struct pflow *fl;
	__u32 nfl = 0, i, j, caplen, wire, npkt = 0;
	const __u8 *data;
	__u64 ts;

	if (robot_pcap_open(&pc, path))
		return 0;
	if (pc.dlt != DLT_EN10MB) { /* XDP sees Ethernet only */
		robot_pcap_close(&pc);
		return 0;
	}
	fl = calloc(4096, sizeof(*fl));
	assert_non_null(fl);
	while (robot_pcap_next(&pc, &ts, &data, &caplen, &wire) == 1 &&
	       npkt < 20000) {
		struct robot_parsed p;

		if (caplen < ETH_HLEN || caplen > PKT_MAX)
			continue;
		npkt++;
		assert_int_equal(xt_run_xdp(t, data, caplen, NULL, NULL),
				 XDP_PASS);
		if (pkt_parse(data, caplen, &p) || !p.feat.payload_len)
			continue;
		for (j = 0; j < nfl; j++)
			if (!memcmp(&fl[j].key, &p.key, sizeof(p.key)))
				break;
		if (j < nfl || nfl == 4096)
			continue;
		fl[nfl].key = p.key;
		memcpy(fl[nfl].hdr, p.feat.hdr, ROBOT_HDR_LEN);
		memcpy(fl[nfl].frame, data, caplen);
		fl[nfl].len = caplen;
		nfl++;
		if (nfl % 512 == 0)
			drain(t, log);
	}
	robot_pcap_close(&pc);
	drain(t, log);
	for (i = 0; i < nfl; i++) {
		struct robot_flow f;

		/* a flow of an earlier file with the same key keeps its
		 * verdict; compare only flows this file classified
		 */
		if (bpf_map_lookup_elem(t->flows, &fl[i].key, &f) ||
		    f.model_ver != q->version)
			continue;
		parity_check(t, q, fl[i].frame, fl[i].len, fl[i].hdr, r);
		bpf_map_delete_elem(t->flows, &fl[i].key);
	}
	free(fl);
	return nfl;
}

static int pcap_parity(struct xt *t, const struct robot_fastq *q,
		       const char *what)
{
	const char *dir_env = getenv("ROBOT_DATA");
	struct rec_log *log = calloc(1, sizeof(*log));
	struct parity r = { 0 };
	char dir[4096], path[8192];
	struct dirent *de;
	DIR *d;

	assert_non_null(log);
	snprintf(dir, sizeof(dir), "%s/pcap", dir_env ? dir_env : "");
	d = dir_env ? opendir(dir) : NULL;
	if (!d) {
		free(log);
		return -ENOENT;
	}
	load_model(t, q);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		pcap_parity_file(t, path, q, &r, log);
	}
	closedir(d);
	parity_print(what, &r);
	assert_int_equal(r.mismatches, 0);
	assert_true(r.flows > 100);
	free(log);
	return 0;
}

static void test_parity_pcap(void **state)
{
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	const char *mp = getenv("ROBOT_FAST_MODEL");

	assert_non_null(q);
	model_random(q, 4242, MODEL_NORMAL, 4242);
	if (pcap_parity(t, q, "captures, random model") == -ENOENT) {
		free(q);
		skip();
	}
	model_random(q, 4243, MODEL_EXTREME, 4243);
	pcap_parity(t, q, "captures, extreme model");
#ifdef HAVE_MODEL_LOAD
	/* a trained model: $ROBOT_FAST_MODEL, else the first of these */
	if (!mp)
		mp = !access("models/default/fast.model", R_OK) ?
			     "models/default/fast.model" :
			     "build/e2e-model/fast.model";
	memset(q, 0, sizeof(*q));
	if (!access(mp, R_OK) && !robot_fastq_load(mp, q, NULL, NULL))
		pcap_parity(t, q, "captures, trained model");
	else
		print_message("no trained Fast model at %s: random models only\n",
			      mp);
#else
	(void)mp;
#endif
	free(q);
}

/* ---------------------------------------------------- FDD, ringbuf */

/* A model that finds every flow FDD: threshold at cosine 1. */
static void model_all_fdd(struct robot_fastq *q, __u32 ver)
{
	model_random(q, 77, MODEL_NORMAL, ver);
	q->thresh = 127ULL * 127 * 65536;
}

static void test_fdd_window(void **state)
{
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct rec_log *log = calloc(1, sizeof(*log));
	struct robot_parsed p0;
	struct robot_flow f;
	struct pkt_spec s;
	__u8 pkt[PKT_MAX], syn[PKT_MAX];
	__u32 i, len, slen;
	__u64 rec0;

	assert_non_null(q);
	assert_non_null(log);
	model_all_fdd(q, 31);
	load_model(t, q);
	drain(t, log);
	rec0 = xt_stat(t, ROBOT_STAT_RB_RECORDS);
	/* SYN from the "b" side first: it initiates */
	spec_default(&s, 6, 6);
	memcpy(s.saddr, "\xfd\xff", 2);
	s.payload = 0;
	s.tcp_flags = 0x02;
	slen = pkt_build(&s, syn);
	run_pass(t, syn, slen);
	assert_int_equal(flow_get(t, syn, slen, &f), 0);
	assert_int_equal(f.stage, ROBOT_STAGE_WAIT);
	assert_int_equal(f.a_is_init, 0);
	for (i = 0; i < 25; i++) {
		struct pkt_spec r = s;

		r.payload = 10 + i;
		r.tcp_flags = 0x18;
		r.fill = i;
		if (i % 3 == 2) { /* the answer direction */
			memcpy(r.saddr, s.daddr, 16);
			memcpy(r.daddr, s.saddr, 16);
			r.sport = s.dport;
			r.dport = s.sport;
		}
		len = pkt_build(&r, pkt);
		if (i == 0)
			assert_int_equal(pkt_parse(pkt, len, &p0), 0);
		run_pass(t, pkt, len);
		assert_int_equal(flow_get(t, pkt, len, &f), 0);
		assert_int_equal(f.fdd, 1);
		assert_int_equal(f.stage, i < ROBOT_WINDOW - 1 ?
						  ROBOT_STAGE_COLLECTING :
						  ROBOT_STAGE_COLLECTED);
	}
	assert_int_equal(f.collected, ROBOT_WINDOW);
	assert_int_equal(f.packets, 26);
	assert_int_equal(xt_stat(t, ROBOT_STAT_RB_RECORDS) - rec0,
			 ROBOT_WINDOW);
	assert_int_equal(drain(t, log), ROBOT_WINDOW);
	for (i = 0; i < ROBOT_WINDOW; i++) {
		const struct robot_event *e = &log->ev[i];

		assert_int_equal(e->seq, i);
		assert_int_equal(e->source, ROBOT_SRC_XDP);
		assert_int_equal(e->model_ver, 31);
		assert_int_equal(e->flow_first_ns, f.first_ns);
		assert_memory_equal(&e->key, &p0.key, sizeof(e->key));
		assert_int_equal(e->feat.payload_len, 10 + i);
		assert_int_equal(e->feat.dir, i % 3 == 2 ? ROBOT_DIR_REV :
							   ROBOT_DIR_FWD);
		assert_true(e->feat.ts_ns >= f.first_ns);
		if (i)
			assert_true(e->feat.ts_ns >= log->ev[i - 1].feat.ts_ns);
	}
	/* the first record is the classified packet itself */
	assert_memory_equal(log->ev[0].feat.hdr, p0.feat.hdr, ROBOT_HDR_LEN);
	free(log);
	free(q);
}

static void test_ringbuf_full(void **state)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct rec_log *log = calloc(1, sizeof(*log));
	struct robot_fastq_out ref;
	struct robot_parsed p;
	struct robot_flow f;
	__u8 pkt[PKT_MAX];
	struct xt t;
	__u32 i, len, fallback = 0, collecting = 0;

	(void)state;
	assert_non_null(q);
	assert_non_null(log);
	assert_int_equal(xt_open(&t, 4096, 4096, 0), 0);
	model_all_fdd(q, 5);
	load_model(&t, q);
	rng_seed(99);
	for (i = 0; i < 100; i++) {
		len = pkt_random(pkt, i);
		run_pass(&t, pkt, len);
		assert_int_equal(flow_get(&t, pkt, len, &f), 0);
		assert_int_equal(pkt_parse(pkt, len, &p), 0);
		robot_fastq_infer(q, p.feat.hdr, &ref);
		/* the fast verdict stays, whatever happened to the record */
		assert_int_equal(f.fast_class, ref.class);
		assert_int_equal(f.class, ref.class);
		fallback += f.stage == ROBOT_STAGE_FALLBACK;
		collecting += f.stage == ROBOT_STAGE_COLLECTING;
	}
	/* 4 KiB hold 28 records of 136 + 8 bytes */
	assert_int_equal(collecting, xt_stat(&t, ROBOT_STAT_RB_RECORDS));
	assert_int_equal(fallback, xt_stat(&t, ROBOT_STAT_RB_DROPS));
	assert_true(collecting >= 20 && collecting <= 28);
	assert_int_equal(collecting + fallback, 100);
	assert_int_equal(drain(&t, log), collecting);
	/* a fallback flow never records again */
	xt_close(&t);
	free(log);
	free(q);
}

/* --------------------------------------------------------- budget */

static void test_budget(void **state)
{
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct robot_flow f;
	struct pkt_spec s;
	__u8 pkt[3][PKT_MAX];
	__u32 len[3], i;

	assert_non_null(q);
	pin_cpu0();
	model_random(q, 3, MODEL_NORMAL, 3);
	load_model(t, q);
	assert_int_equal(robot_bpf_config_set(t->config, 1, 1), 0);
	for (i = 0; i < 3; i++) {
		spec_default(&s, 4, 17);
		s.sport = 7000 + i;
		len[i] = pkt_build(&s, pkt[i]);
		run_pass(t, pkt[i], len[i]);
	}
	/* one token: the first flow classified, the others wait */
	assert_int_equal(flow_get(t, pkt[0], len[0], &f), 0);
	assert_true(f.stage == ROBOT_STAGE_FAST ||
		    f.stage == ROBOT_STAGE_COLLECTING);
	for (i = 1; i < 3; i++) {
		assert_int_equal(flow_get(t, pkt[i], len[i], &f), 0);
		assert_int_equal(f.stage, ROBOT_STAGE_UNCLASSIFIED);
		assert_int_equal(f.fast_class, ROBOT_CLASS_NONE);
	}
	assert_int_equal(xt_stat(t, ROBOT_STAT_BUDGET_EXHAUSTED), 2);
	/* tokens return: the next payload packet classifies */
	usleep(1100 * 1000);
	run_pass(t, pkt[1], len[1]);
	assert_int_equal(flow_get(t, pkt[1], len[1], &f), 0);
	assert_true(f.stage == ROBOT_STAGE_FAST ||
		    f.stage == ROBOT_STAGE_COLLECTING);
	assert_int_equal(f.model_ver, 3);
	run_pass(t, pkt[2], len[2]);
	assert_int_equal(flow_get(t, pkt[2], len[2], &f), 0);
	assert_int_equal(f.stage, ROBOT_STAGE_UNCLASSIFIED);
	/* unlimited again */
	assert_int_equal(robot_bpf_config_set(t->config, 0, 0), 0);
	run_pass(t, pkt[2], len[2]);
	assert_int_equal(flow_get(t, pkt[2], len[2], &f), 0);
	assert_int_not_equal(f.stage, ROBOT_STAGE_UNCLASSIFIED);
	unpin();
	free(q);
}

/* classify_any = 1: a SYN (no payload) classifies the flow. */
static void test_classify_any(void **state)
{
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct robot_fastq_out ref;
	struct robot_parsed p;
	struct robot_flow f;
	struct pkt_spec s;
	__u8 pkt[PKT_MAX];
	struct xt t;
	__u32 len;

	(void)state;
	assert_non_null(q);
	assert_int_equal(xt_open(&t, 1024, 1 << 20, 1), 0);
	model_random(q, 11, MODEL_NORMAL, 11);
	load_model(&t, q);
	spec_default(&s, 4, 6);
	s.payload = 0;
	s.tcp_flags = 0x02;
	len = pkt_build(&s, pkt);
	run_pass(&t, pkt, len);
	assert_int_equal(flow_get(&t, pkt, len, &f), 0);
	assert_int_equal(pkt_parse(pkt, len, &p), 0);
	robot_fastq_infer(q, p.feat.hdr, &ref);
	assert_int_equal(f.model_ver, 11);
	assert_int_equal(f.fast_class, ref.class);
	assert_int_equal(f.fast_dot, ref.dot);
	xt_close(&t);
	free(q);
}

/* -------------------------------------------------------------- tc */

static void test_tc_marks(void **state)
{
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct robot_mark mk;
	struct __sk_buff ctx;
	struct robot_flow f;
	struct pkt_spec s;
	__u8 pkt[PKT_MAX], other[PKT_MAX];
	__u32 len, olen, class;
	__u64 m0;

	assert_non_null(q);
	model_random(q, 21, MODEL_NORMAL, 21);
	q->thresh = 0; /* nothing FDD */
	load_model(t, q);
	assert_int_equal(robot_bpf_marks_default(t->marks, 0), 0);
	spec_default(&s, 4, 6);
	s.sport = 9000;
	len = pkt_build(&s, pkt);
	run_pass(t, pkt, len);
	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	assert_int_equal(f.stage, ROBOT_STAGE_FAST);
	class = f.class;
	assert_true(class < ROBOT_CLASS_MAX);

	/* ingress: mark under the 0xff mask, other bits kept */
	m0 = xt_stat(t, ROBOT_STAT_TC_MARKED);
	memset(&ctx, 0, sizeof(ctx));
	ctx.mark = 0xabcd0000 | 0x55;
	ctx.ifindex = 1;
	ctx.ingress_ifindex = 1;
	assert_int_equal(xt_run_tc(t, pkt, len, &ctx), TC_ACT_OK);
	assert_int_equal(ctx.mark, 0xabcd0000 | (class + 1));
	assert_int_equal(ctx.priority, 0);
	assert_int_equal(xt_stat(t, ROBOT_STAT_TC_MARKED) - m0, 1);

	/* priority and a wider mask */
	mk = (struct robot_mark){ .mark = 0x1200, .mask = 0xff00,
				  .priority = 0x10002 };
	assert_int_equal(bpf_map_update_elem(t->marks, &class, &mk, 0), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.mark = 0x77;
	ctx.ifindex = 1;
	ctx.ingress_ifindex = 1;
	assert_int_equal(xt_run_tc(t, pkt, len, &ctx), TC_ACT_OK);
	assert_int_equal(ctx.mark, 0x1277);
	assert_int_equal(ctx.priority, 0x10002);

	/* zero mask: untouched */
	mk = (struct robot_mark){ .mark = 0x1, .mask = 0 };
	assert_int_equal(bpf_map_update_elem(t->marks, &class, &mk, 0), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.mark = 0x42;
	ctx.ifindex = 1;
	ctx.ingress_ifindex = 1;
	assert_int_equal(xt_run_tc(t, pkt, len, &ctx), TC_ACT_OK);
	assert_int_equal(ctx.mark, 0x42);

	/* unknown flow and unparsed packet: untouched, TC_ACT_OK */
	s.sport = 9001;
	olen = pkt_build(&s, other);
	memset(&ctx, 0, sizeof(ctx));
	ctx.mark = 0x42;
	ctx.ifindex = 1;
	ctx.ingress_ifindex = 1;
	assert_int_equal(xt_run_tc(t, other, olen, &ctx), TC_ACT_OK);
	assert_int_equal(ctx.mark, 0x42);
	s.proto = 1;
	olen = pkt_build(&s, other);
	assert_int_equal(xt_run_tc(t, other, olen, &ctx), TC_ACT_OK);
	assert_int_equal(ctx.mark, 0x42);
	free(q);
}

/* Egress: tc creates and classifies flows, counts, and feeds collecting
 * flows into the ringbuf (source 1).
 */
static void test_tc_egress(void **state)
{
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct rec_log *log = calloc(1, sizeof(*log));
	struct __sk_buff ctx;
	struct robot_flow f;
	struct pkt_spec s, r;
	__u8 pkt[PKT_MAX], rep[PKT_MAX];
	__u32 len, rlen, i;
	__u64 e0;

	assert_non_null(q);
	assert_non_null(log);
	model_all_fdd(q, 41);
	load_model(t, q);
	assert_int_equal(robot_bpf_marks_default(t->marks, 0), 0);
	drain(t, log);
	e0 = xt_stat(t, ROBOT_STAT_TC_EGRESS_RECORDS);
	/* local host sends the first packet (egress) */
	spec_default(&s, 4, 6);
	memcpy(s.saddr, "\x0b\x00\x00\x09", 4); /* sorts after daddr */
	s.sport = 9100;
	len = pkt_build(&s, pkt);
	memset(&ctx, 0, sizeof(ctx));
	ctx.ifindex = 1;
	assert_int_equal(xt_run_tc(t, pkt, len, &ctx), TC_ACT_OK);
	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	assert_int_equal(f.a_is_init, 0);
	assert_int_equal(f.stage, ROBOT_STAGE_COLLECTING);
	assert_int_equal(f.model_ver, 41);
	assert_int_equal(ctx.mark, f.class + 1);
	/* the answer comes in through XDP; more egress */
	r = s;
	memcpy(r.saddr, s.daddr, 16);
	memcpy(r.daddr, s.saddr, 16);
	r.sport = s.dport;
	r.dport = s.sport;
	rlen = pkt_build(&r, rep);
	for (i = 0; i < 4; i++) {
		run_pass(t, rep, rlen);
		memset(&ctx, 0, sizeof(ctx));
		ctx.ifindex = 1;
		assert_int_equal(xt_run_tc(t, pkt, len, &ctx), TC_ACT_OK);
	}
	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	assert_int_equal(f.collected, 9);
	assert_int_equal(f.packets, 9);
	assert_int_equal(xt_stat(t, ROBOT_STAT_TC_EGRESS_RECORDS) - e0, 5);
	assert_int_equal(drain(t, log), 9);
	for (i = 0; i < 9; i++) {
		assert_int_equal(log->ev[i].seq, i);
		assert_int_equal(log->ev[i].source,
				 i % 2 == 0 ? ROBOT_SRC_TC_EGRESS :
					      ROBOT_SRC_XDP);
		assert_int_equal(log->ev[i].feat.dir,
				 i % 2 == 0 ? ROBOT_DIR_FWD : ROBOT_DIR_REV);
	}
	free(log);
	free(q);
}

/* Gateway: a packet forwarded from an interface where robot_xdp runs
 * (robot_xdp_ifaces_v1) was counted and collected by XDP: tc egress only
 * marks it. From an interface not in the map (ingress without Robot) tc
 * egress does the flow logic.
 */
static void test_tc_forwarded(void **state)
{
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	struct rec_log *log = calloc(1, sizeof(*log));
	int ifs = bpf_map__fd(t->skel->maps.robot_xdp_ifaces_v1);
	__u32 xdp_if = 7, v = ROBOT_IF_XDP;
	struct __sk_buff ctx;
	struct robot_flow f;
	struct pkt_spec s;
	__u8 pkt[PKT_MAX];
	__u32 len;
	__u64 e0, fw0, m0;

	assert_non_null(q);
	assert_non_null(log);
	assert_true(ifs >= 0);
	model_all_fdd(q, 43);
	load_model(t, q);
	assert_int_equal(robot_bpf_marks_default(t->marks, 0), 0);
	assert_int_equal(bpf_map_update_elem(ifs, &xdp_if, &v, BPF_ANY), 0);
	drain(t, log);
	spec_default(&s, 4, 6);
	s.sport = 9200;
	len = pkt_build(&s, pkt);
	/* XDP on the gateway's ingress interface sees it first */
	run_pass(t, pkt, len);
	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	assert_int_equal(f.packets, 1);
	assert_int_equal(f.collected, 1);
	e0 = xt_stat(t, ROBOT_STAT_TC_EGRESS_RECORDS);
	fw0 = xt_stat(t, ROBOT_STAT_TC_FORWARDED);
	m0 = xt_stat(t, ROBOT_STAT_TC_MARKED);
	/* forwarded out of the other interface: marked, not counted again */
	memset(&ctx, 0, sizeof(ctx));
	ctx.ifindex = 1;
	ctx.ingress_ifindex = xdp_if;
	assert_int_equal(xt_run_tc(t, pkt, len, &ctx), TC_ACT_OK);
	assert_int_equal(ctx.mark, f.class + 1);
	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	assert_int_equal(f.packets, 1);
	assert_int_equal(f.collected, 1);
	assert_int_equal(xt_stat(t, ROBOT_STAT_TC_FORWARDED) - fw0, 1);
	assert_int_equal(xt_stat(t, ROBOT_STAT_TC_MARKED) - m0, 1);
	assert_int_equal(xt_stat(t, ROBOT_STAT_TC_EGRESS_RECORDS) - e0, 0);
	assert_int_equal(drain(t, log), 1);
	/* forwarded from an interface without Robot: tc egress collects */
	memset(&ctx, 0, sizeof(ctx));
	ctx.ifindex = 1;
	ctx.ingress_ifindex = xdp_if + 1;
	assert_int_equal(xt_run_tc(t, pkt, len, &ctx), TC_ACT_OK);
	assert_int_equal(flow_get(t, pkt, len, &f), 0);
	assert_int_equal(f.packets, 2);
	assert_int_equal(f.collected, 2);
	assert_int_equal(xt_stat(t, ROBOT_STAT_TC_FORWARDED) - fw0, 1);
	assert_int_equal(xt_stat(t, ROBOT_STAT_TC_EGRESS_RECORDS) - e0, 1);
	assert_int_equal(drain(t, log), 1);
	free(log);
	free(q);
}

/* ----------------------------------------------------- model swap */

struct swap_ctx {
	struct xt *t;
	struct robot_fastq *q[2];
	atomic_int stop;
	int swaps, err;
};

static void *swapper(void *arg)
{
	struct swap_ctx *c = arg;

	while (!atomic_load(&c->stop)) {
		int err = robot_bpfmodel_load(c->t->model, c->t->active,
					      c->q[c->swaps & 1]);

		if (err) {
			c->err = err;
			break;
		}
		c->swaps++;
	}
	return NULL;
}

static void test_swap_under_load(void **state)
{
	struct xt *t = *state;
	struct swap_ctx c = { .t = t };
	struct rec_log *log = calloc(1, sizeof(*log));
	struct robot_fastq_out ref;
	struct robot_parsed p;
	struct robot_flow f;
	__u8 pkt[PKT_MAX];
	__u32 i, len, seen[2] = { 0, 0 }, bad = 0;
	struct timespec t0, t1;
	pthread_t th;

	c.q[0] = calloc(1, sizeof(*c.q[0]));
	c.q[1] = calloc(1, sizeof(*c.q[1]));
	assert_non_null(c.q[0]);
	assert_non_null(c.q[1]);
	assert_non_null(log);
	model_random(c.q[0], 61, MODEL_NORMAL, 61);
	model_random(c.q[1], 62, MODEL_NORMAL, 62);
	load_model(t, c.q[0]);
	assert_int_equal(pthread_create(&th, NULL, swapper, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rng_seed(63);
	for (i = 0;; i++) {
		const struct robot_fastq *q;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= 3 && c.swaps >= 10)
			break;
		len = pkt_random(pkt, 1u << 24 | i);
		assert_int_equal(pkt_parse(pkt, len, &p), 0);
		run_pass(t, pkt, len);
		assert_int_equal(flow_get(t, pkt, len, &f), 0);
		if (f.model_ver != 61 && f.model_ver != 62) {
			bad++;
			continue;
		}
		q = c.q[f.model_ver - 61];
		seen[f.model_ver - 61]++;
		robot_fastq_infer(q, p.feat.hdr, &ref);
		if (f.fast_class != ref.class || f.fast_dot != ref.dot ||
		    f.fast_nrm2 != ref.nrm2 || f.fdd != ref.fdd)
			bad++;
		if (i % 1024 == 1023)
			drain(t, log);
	}
	atomic_store(&c.stop, 1);
	pthread_join(th, NULL);
	drain(t, log);
	print_message("swap: %u flows, %d swaps, model 61: %u, 62: %u, mixed/bad %u\n",
		      i, c.swaps, seen[0], seen[1], bad);
	assert_int_equal(c.err, 0);
	assert_int_equal(bad, 0);
	assert_true(seen[0] > 0 && seen[1] > 0);
	free(c.q[0]);
	free(c.q[1]);
	free(log);
}

/* Loader validation: wrong architecture and ranges are refused. */
static void test_bpfmodel_reject(void **state)
{
	struct xt *t = *state;
	struct robot_fastq *q = calloc(1, sizeof(*q));
	__u32 ver;

	assert_non_null(q);
	model_random(q, 1, MODEL_NORMAL, 9);
	q->arch.c1 = 4;
	robot_fastq_arch_check(&q->arch);
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, q), -EINVAL);
	model_random(q, 1, MODEL_NORMAL, 9);
	q->sh2[3] = 0;
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, q), -EINVAL);
	model_random(q, 1, MODEL_NORMAL, 9);
	q->b3[0] = ROBOT_BPF_BIAS_MAX + 1;
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, q), -EINVAL);
	model_random(q, 1, MODEL_NORMAL, 0);
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, q), -EINVAL);
	model_random(q, 1, MODEL_NORMAL, 9);
	q->n_cent = 33;
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, q), -EINVAL);
	/* nothing got loaded; then load and unload */
	assert_int_equal(robot_bpfmodel_active(t->model, t->active, &ver), 0);
	assert_int_equal(ver, 0);
	model_random(q, 1, MODEL_NORMAL, 9);
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, q), 0);
	assert_int_equal(robot_bpfmodel_active(t->model, t->active, &ver), 0);
	assert_int_equal(ver, 9);
	assert_int_equal(robot_bpfmodel_load(t->model, t->active, NULL), 0);
	assert_int_equal(robot_bpfmodel_active(t->model, t->active, &ver), 0);
	assert_int_equal(ver, 0);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_model_passes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parse_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncated_everywhere,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bpfmodel_reject, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parity_random, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parity_corners, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parity_pcap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fdd_window, setup,
						teardown),
		cmocka_unit_test(test_ringbuf_full),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test(test_classify_any),
		cmocka_unit_test_setup_teardown(test_tc_marks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tc_forwarded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tc_egress, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_swap_under_load, setup,
						teardown),
	};

	if (geteuid() != 0) {
		printf("skip: needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
