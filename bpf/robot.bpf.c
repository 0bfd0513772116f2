// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * robot.bpf.c - the Robot datapath.
 *
 * robot_xdp (SEC "xdp", ingress): parse (include/robot_feat.h), find or
 * create the flow, classify the flow's first payload packet with the int8
 * Fast model (bit-exact with robot_fastq_infer()), stream the first
 * ROBOT_WINDOW packets of FDD flows to userspace through a ringbuf. Every
 * packet passes (XDP_PASS): Robot classifies, it never drops.
 *
 * robot_tc (SEC "tc", clsact ingress and egress): sets skb->mark (and
 * optionally skb->priority) from the flow's class; on egress it also runs
 * the flow logic (create, classify, collect) so that a single interface
 * sees both directions, except for packets forwarded from an interface
 * where robot_xdp already did it (ROBOT_MAP_XDP_IFACES).
 *
 * Maps: bpf/robot_maps.bpf.h; layout and operation: docs/datapath.md.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "robot_abi.h"
#include "robot_feat.h"
#include "robot_cnn.bpf.h"
#include "robot_maps.bpf.h"

#define NSEC_PER_SEC 1000000000ULL

/* 1: classify a new flow on its first packet of any kind (SYN included);
 * 0 (default): on its first packet carrying L4 payload, as the paper.
 */
const volatile __u32 robot_classify_any = 0;

/* Bytes of an skb that tc makes linear before parsing (the headers). */
#define ROBOT_TC_PULL 256

_Static_assert(ROBOT_STAT_SKIP_TRUNCATED ==
		       ROBOT_STAT_SKIP_NOT_IP + ROBOT_PARSE_TRUNCATED - 1 &&
	       ROBOT_STAT_SKIP_PROTO ==
		       ROBOT_STAT_SKIP_NOT_IP + ROBOT_PARSE_PROTO - 1 &&
	       ROBOT_STAT_SKIP_FRAGMENT ==
		       ROBOT_STAT_SKIP_NOT_IP + ROBOT_PARSE_FRAGMENT - 1 &&
	       ROBOT_STAT_SKIP_BAD_HDR ==
		       ROBOT_STAT_SKIP_NOT_IP + ROBOT_PARSE_BAD_HDR - 1,
	       "parse results map 1:1 onto the skip counters");

/* PERCPU_ARRAY values are per CPU and programs of one CPU do not nest
 * (XDP and tc ingress run in softirq, tc egress with BHs off), so plain
 * adds are safe.
 */
static __always_inline void robot_stat_add(__u32 idx, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(&ROBOT_MAP_STATS, &idx);

	if (c)
		*c += v;
}

static __always_inline void robot_stat_inc(__u32 idx)
{
	robot_stat_add(idx, 1);
}

/* The active model slot, or NULL when none is loaded. */
static __always_inline const struct robot_bpf_model *robot_model(void)
{
	const struct robot_bpf_model *m;
	__u32 zero = 0, *slot;

	slot = bpf_map_lookup_elem(&ROBOT_MAP_ACTIVE, &zero);
	if (!slot)
		return NULL;
	m = bpf_map_lookup_elem(&ROBOT_MAP_MODEL, slot);
	if (!m || !m->version)
		return NULL;
	return m;
}

/* Per-CPU token bucket: 1 when a classification may run now. */
static __always_inline int robot_take_token(struct robot_percpu *s)
{
	const struct robot_config *cfg;
	__u64 now, el, cap, tokens;
	__u32 zero = 0, burst;

	cfg = bpf_map_lookup_elem(&ROBOT_MAP_CONFIG, &zero);
	if (!cfg || !cfg->rate)
		return 1;
	burst = cfg->burst ? cfg->burst : cfg->rate;
	cap = burst * NSEC_PER_SEC;
	now = bpf_ktime_get_ns();
	el = now - s->tb_last_ns;
	s->tb_last_ns = now;
	if (el >= NSEC_PER_SEC)
		tokens = cap;
	else
		tokens = s->tb_tokens + el * cfg->rate;
	if (tokens > cap)
		tokens = cap;
	if (tokens < NSEC_PER_SEC) {
		s->tb_tokens = tokens;
		return 0;
	}
	s->tb_tokens = tokens - NSEC_PER_SEC;
	return 1;
}

/* CLOCK_MONOTONIC at tick resolution, as bpf_ktime_get_coarse_ns(), but
 * that helper costs ~18 ns per packet on the hot path while
 * bpf_jiffies64() is nearly free: read the clock once per tick per CPU.
 */
static __always_inline __u64 robot_now_coarse(void)
{
	struct robot_percpu *s;
	__u32 zero = 0;
	__u64 j;

	s = bpf_map_lookup_elem(&ROBOT_MAP_PERCPU, &zero);
	if (!s)
		return bpf_ktime_get_coarse_ns();
	j = bpf_jiffies64();
	if (j != s->clk_jiffies) {
		s->clk_jiffies = j;
		s->clk_ns = bpf_ktime_get_coarse_ns();
	}
	return s->clk_ns;
}

/* robot_flow.collected is a __u16 at a 4-byte aligned offset; the 32-bit
 * atomic add on its word increments it alone (it never wraps: it stops
 * a few past ROBOT_WINDOW).
 */
_Static_assert(__builtin_offsetof(struct robot_flow, collected) % 4 == 0,
	       "collected must start a 32-bit word");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ROBOT_COLLECTED_ONE 1u
#define ROBOT_COLLECTED_OF(w) ((w) & 0xffff)
#else
#define ROBOT_COLLECTED_ONE (1u << 16)
#define ROBOT_COLLECTED_OF(w) ((w) >> 16)
#endif

/* Send one packet of a collecting flow to the ringbuf. */
static __noinline int robot_record(const struct robot_parsed *p,
				   struct robot_flow *f, __u32 src)
{
	struct robot_event *e;
	__u32 old, seq;

	old = __sync_fetch_and_add((__u32 *)&f->collected,
				   ROBOT_COLLECTED_ONE);
	seq = ROBOT_COLLECTED_OF(old);
	if (seq >= ROBOT_WINDOW)
		return 0; /* another CPU completed the window */
	e = bpf_ringbuf_reserve(&ROBOT_MAP_EVENTS, sizeof(*e), 0);
	if (!e) {
		robot_stat_inc(ROBOT_STAT_RB_DROPS);
		f->stage = ROBOT_STAGE_FALLBACK;
		return 0;
	}
	__builtin_memcpy(&e->key, &p->key, sizeof(e->key));
	__builtin_memcpy(&e->feat, &p->feat, sizeof(e->feat));
	e->feat.ts_ns = bpf_ktime_get_ns();
	e->feat.dir = robot_pkt_dir(p->src_is_a, f->a_is_init);
	e->flow_first_ns = f->first_ns;
	e->model_ver = f->model_ver;
	e->seq = seq;
	e->fast_class = f->fast_class;
	e->source = src;
	bpf_ringbuf_submit(e, 0);
	robot_stat_inc(ROBOT_STAT_RB_RECORDS);
	if (src == ROBOT_SRC_TC_EGRESS)
		robot_stat_inc(ROBOT_STAT_TC_EGRESS_RECORDS);
	if (seq + 1 == ROBOT_WINDOW)
		f->stage = ROBOT_STAGE_COLLECTED;
	return 0;
}

/* Run the active Fast model on the input already in the per-CPU area
 * (robot_cnn_input()); results go there too. Returns the model version,
 * 0 when no model is loaded.
 *
 * A global function: the verifier checks it once, not once per path of
 * the parser that leads to it (which multiplied the work 20-fold).
 */
__noinline int robot_fast_infer(__u32 unused)
{
	const struct robot_bpf_model *m;
	struct robot_percpu *s;
	__u32 zero = 0;

	m = robot_model();
	if (!m)
		return 0;
	s = bpf_map_lookup_elem(&ROBOT_MAP_PERCPU, &zero);
	if (!s)
		return 0;
	robot_conv1(m, s);
	robot_conv2(m, s);
	robot_dense(m, s);
	robot_decide(m, s);
	s->class = m->cent_class[s->best & (ROBOT_BPF_CENT - 1)];
	s->fdd = robot_cnn_fdd(m, s->dot, s->nrm2);
	return m->version;
}

/* Classify a flow in stage WAIT or UNCLASSIFIED on packet p. */
static __noinline int robot_classify(const struct robot_parsed *p,
				     struct robot_flow *f, __u32 src)
{
	struct robot_percpu *s;
	__u32 zero = 0, class, ver;

	if (!robot_model()) {
		robot_stat_inc(ROBOT_STAT_NO_MODEL);
		return 0;
	}
	s = bpf_map_lookup_elem(&ROBOT_MAP_PERCPU, &zero);
	if (!s)
		return 0;
	if (!robot_take_token(s)) {
		f->stage = ROBOT_STAGE_UNCLASSIFIED;
		robot_stat_inc(ROBOT_STAT_BUDGET_EXHAUSTED);
		return 0;
	}
	robot_cnn_input(s, p->feat.hdr);
	ver = robot_fast_infer(0);
	if (!ver) { /* unloaded meanwhile */
		robot_stat_inc(ROBOT_STAT_NO_MODEL);
		return 0;
	}
	robot_stat_inc(ROBOT_STAT_CNN_RUNS);
	class = s->class;
	f->fast_dot = s->dot;
	f->fast_nrm2 = s->nrm2;
	f->model_ver = ver;
	f->fast_class = class;
	f->class = class;
	f->fdd = s->fdd;
	if (class < ROBOT_CLASS_MAX)
		robot_stat_inc(ROBOT_STAT_FAST_CLASS0 + class);
	if (!s->fdd) {
		f->stage = ROBOT_STAGE_FAST;
		return 0;
	}
	robot_stat_inc(ROBOT_STAT_FDD_FLOWS);
	f->collected = 0;
	f->stage = ROBOT_STAGE_COLLECTING;
	return robot_record(p, f, src);
}

/* A flow that is not final yet: classify or collect. */
static __always_inline void robot_flow_pending(const struct robot_parsed *p,
					       struct robot_flow *f, __u32 src)
{
	if (f->stage == ROBOT_STAGE_COLLECTING) {
		robot_record(p, f, src);
		return;
	}
	if (f->stage > ROBOT_STAGE_UNCLASSIFIED)
		return;
	if (p->feat.payload_len || robot_classify_any)
		robot_classify(p, f, src);
}

/* Create the flow of p. */
static __always_inline int robot_flow_new(const struct robot_parsed *p,
					  __u32 len, __u32 src)
{
	struct robot_flow nf = {}, *f;
	long err;

	nf.first_ns = bpf_ktime_get_ns();
	nf.last_ns = nf.first_ns;
	nf.packets = 1;
	nf.bytes = len;
	nf.stage = ROBOT_STAGE_WAIT;
	nf.fast_class = ROBOT_CLASS_NONE;
	nf.robust_class = ROBOT_CLASS_NONE;
	nf.class = ROBOT_CLASS_NONE;
	nf.a_is_init = p->src_is_a;
	err = bpf_map_update_elem(&ROBOT_MAP_FLOWS, &p->key, &nf, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: another CPU created it */) {
		robot_stat_inc(ROBOT_STAT_FLOW_INSERT_FAIL);
		return 0;
	}
	f = bpf_map_lookup_elem(&ROBOT_MAP_FLOWS, &p->key);
	if (!f)
		return 0;
	if (err) {
		f->packets++;
		f->bytes += len;
	} else {
		robot_stat_inc(ROBOT_STAT_NEW_FLOWS);
	}
	robot_flow_pending(p, f, src);
	return 0;
}

/* The slow path: a new flow, or one still to classify or collecting. The
 * packet is in the per-CPU area (robot_percpu.pkt); new: 1 when the
 * caller found no flow. A global function, so the verifier checks it
 * once rather than once per parser path.
 */
__noinline int robot_flow_slow(__u32 len, __u32 src, __u32 new)
{
	struct robot_percpu *s;
	struct robot_flow *f;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&ROBOT_MAP_PERCPU, &zero);
	if (!s)
		return 0;
	if (new)
		return robot_flow_new(&s->pkt, len, src);
	f = bpf_map_lookup_elem(&ROBOT_MAP_FLOWS, &s->pkt.key);
	if (f)
		robot_flow_pending(&s->pkt, f, src);
	return 0;
}

/* The XDP slow path: parse again, with the features, straight into the
 * per-CPU area, then the flow logic. Global, like robot_flow_slow(): a
 * static function would be verified once per path of the hot path's
 * parser (3x the instructions processed).
 */
__noinline int robot_xdp_slow(struct xdp_md *ctx, __u32 new)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct robot_percpu *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&ROBOT_MAP_PERCPU, &zero);
	if (!s)
		return 0;
	robot_feat_zero(&s->pkt);
	if (robot_parse_frame(data, end, &s->pkt))
		return 0; /* cannot happen: the hot path parsed it */
	return robot_flow_slow(end - data, ROBOT_SRC_XDP, new);
}

/* The tc egress slow path, as robot_xdp_slow(). */
__noinline int robot_tc_slow(struct __sk_buff *skb, __u32 new)
{
	const __u8 *data = (const __u8 *)(long)skb->data;
	const __u8 *end = (const __u8 *)(long)skb->data_end;
	struct robot_percpu *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&ROBOT_MAP_PERCPU, &zero);
	if (!s)
		return 0;
	robot_feat_zero(&s->pkt);
	if (robot_parse_frame(data, end, &s->pkt))
		return 0; /* cannot happen: robot_tc parsed it */
	return robot_flow_slow(skb->len, ROBOT_SRC_TC_EGRESS, new);
}

/* The hot path, shared by XDP and tc egress: find and count the flow of
 * key. Returns 1 when the packet needs nothing more (a flow with a
 * verdict: one lookup and a few stores), 0 when it goes to the slow path
 * (*fp: the flow, NULL when new).
 */
static __always_inline int robot_flow_hot(const struct robot_flow_key *key,
					  __u16 payload_len, __u32 len,
					  struct robot_flow **fp)
{
	struct robot_flow *f;
	__u8 stage;

	f = bpf_map_lookup_elem(&ROBOT_MAP_FLOWS, key);
	*fp = f;
	if (!f)
		return 0;
	/* Racy across CPUs by design: statistics, not accounting. */
	f->packets++;
	f->bytes += len;
	f->last_ns = robot_now_coarse();
	stage = f->stage;
	if (stage == ROBOT_STAGE_FAST || stage >= ROBOT_STAGE_COLLECTED) {
		robot_stat_inc(ROBOT_STAT_KNOWN_FLOW);
		return 1;
	}
	if (stage == ROBOT_STAGE_COLLECTING || payload_len ||
	    robot_classify_any)
		return 0;
	return 1; /* waiting for a payload packet */
}

SEC("xdp")
int robot_xdp(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct robot_parsed p;
	struct robot_flow *f;
	__u32 len = end - data;
	int err;

	robot_stat_inc(ROBOT_STAT_PACKETS);
	robot_stat_add(ROBOT_STAT_BYTES, len);
	/* Hot path: the key-only parse (no feature vector, no zeroing: it
	 * writes every byte of the key and payload_len on success).
	 */
	err = robot_parse_frame_key(data, end, &p);
	if (err) {
		robot_stat_inc(ROBOT_STAT_SKIP_NOT_IP + err - 1);
		return XDP_PASS;
	}
	robot_stat_inc(ROBOT_STAT_PARSED);
	if (!robot_flow_hot(&p.key, p.feat.payload_len, len, &f))
		robot_xdp_slow(ctx, !f);
	return XDP_PASS;
}

/* Mark the skb by the flow's class. */
static __always_inline void robot_tc_mark(struct __sk_buff *skb,
					  const struct robot_flow_key *key)
{
	const struct robot_mark *mk;
	struct robot_flow *f;
	__u32 class;

	f = bpf_map_lookup_elem(&ROBOT_MAP_FLOWS, key);
	if (!f)
		return;
	class = f->class;
	if (class >= ROBOT_CLASS_MAX)
		return;
	mk = bpf_map_lookup_elem(&ROBOT_MAP_MARKS, &class);
	if (!mk || !mk->mask)
		return;
	skb->mark = (skb->mark & ~mk->mask) | (mk->mark & mk->mask);
	if (mk->priority)
		skb->priority = mk->priority;
	robot_stat_inc(ROBOT_STAT_TC_MARKED);
}

/* Does this packet need tc's flow logic? Not on ingress (skb_iif is the
 * receiving device: XDP did it), nor on egress when it was forwarded
 * (skb_iif: the device it came in on; 0 for local packets) from an
 * interface where robot_xdp saw it.
 */
static __always_inline int robot_tc_egress_new(const struct __sk_buff *skb)
{
	__u32 iif = skb->ingress_ifindex;

	if (iif == skb->ifindex)
		return 0; /* ingress: XDP did the flow logic */
	if (iif && bpf_map_lookup_elem(&ROBOT_MAP_XDP_IFACES, &iif)) {
		robot_stat_inc(ROBOT_STAT_TC_FORWARDED);
		return 0;
	}
	return 1;
}

SEC("tc")
int robot_tc(struct __sk_buff *skb)
{
	const __u8 *data, *end;
	struct robot_parsed p;
	struct robot_flow *f;
	__u32 len = skb->len;
	int flow_logic = robot_tc_egress_new(skb);

	data = (const __u8 *)(long)skb->data;
	end = (const __u8 *)(long)skb->data_end;
	if (end - data < ROBOT_TC_PULL && len > (__u32)(end - data)) {
		bpf_skb_pull_data(skb, len < ROBOT_TC_PULL ? len :
							     ROBOT_TC_PULL);
		data = (const __u8 *)(long)skb->data;
		end = (const __u8 *)(long)skb->data_end;
	}
	/* The key is all we need (on ingress XDP did the flow logic); the
	 * egress slow path parses again, with the features.
	 */
	if (robot_parse_frame_key(data, end, &p))
		return TC_ACT_OK;
	if (flow_logic &&
	    !robot_flow_hot(&p.key, p.feat.payload_len, len, &f))
		robot_tc_slow(skb, !f);
	robot_tc_mark(skb, &p.key);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
