/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * robot_abi.h - the kernel/user ABI of Robot.
 *
 * Used by BPF programs (clang -target bpf) and by userspace (gcc). This is the
 * single definition of every struct, enum, map name and pin name the two
 * sides share; never copy these structs elsewhere.
 *
 * Rules: fixed-width __u8..__u64 only, explicit padding, no pointers, no
 * bool, no enums as field types; every field says its unit and byte order.
 * A layout change bumps the _vN suffix of the map names that carry it.
 */
#ifndef ROBOT_ABI_H
#define ROBOT_ABI_H

#include <linux/types.h>

#ifndef __bpf__
#include <assert.h>
#define ROBOT_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
#define ROBOT_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* ------------------------------------------------------------------ */
/* Classes                                                             */
/* ------------------------------------------------------------------ */

/* Category ids. The ids are fixed; a model names the subset it knows
 * (class names are stored in the model file) and maps its classes to these
 * ids, so that marks mean the same thing for every model.
 */
enum robot_class {
	ROBOT_CLASS_VOIP = 0,
	ROBOT_CLASS_CHAT = 1,
	ROBOT_CLASS_STREAMING = 2,
	ROBOT_CLASS_FILETRANSFER = 3,
	ROBOT_CLASS_EMAIL = 4,
	ROBOT_CLASS_P2P = 5,
	ROBOT_CLASS_BROWSING = 6,
	ROBOT_CLASS_MAX = 7,
};

/* "No class (yet)": stored in robot_flow.fast_class/robust_class/class. */
#define ROBOT_CLASS_NONE 0xff

/* Names, indexed by enum robot_class (userspace only). */
#define ROBOT_CLASS_NAMES                                                  \
	{ "VoIP", "Chat", "Streaming", "FileTransfer", "Email", "P2P",     \
	  "Browsing" }

/* ------------------------------------------------------------------ */
/* Features                                                            */
/* ------------------------------------------------------------------ */

/* Length of the masked header-byte vector of one packet (see robot_feat.h
 * for the layout: 24 bytes of IP region, 40 bytes of L4 region).
 */
#define ROBOT_HDR_LEN 64
#define ROBOT_HDR_IP_OFF 0
#define ROBOT_HDR_IP_LEN 24
#define ROBOT_HDR_L4_OFF 24
#define ROBOT_HDR_L4_LEN 40

/* Packets per Robust-model window: the FDD packet and the next ones. */
#define ROBOT_WINDOW 20

/* Packets per flow kept in the dataset file. */
#define ROBOT_DATASET_PKTS 64

/* Direction of a packet relative to the first packet of its flow. */
enum robot_dir {
	ROBOT_DIR_FWD = 0, /* same direction as the flow's first packet */
	ROBOT_DIR_REV = 1, /* the answer direction */
};

/* Features of one packet, as the XDP program, the dataset tool, the
 * trainer and the daemon all see them (filled by robot_feat_extract()).
 */
struct robot_pkt_feat {
	__u64 ts_ns;       /* arrival time, ns: bpf_ktime_get_ns() in the
			    * kernel (CLOCK_MONOTONIC), capture time in pcaps */
	__u16 ip_len;      /* IP total length, bytes, host order (IPv6:
			    * payload length + 40) */
	__u8 dir;          /* enum robot_dir */
	__u8 tcp_flags;    /* TCP flags byte (CWR..FIN), 0 for UDP */
	__u8 l4_proto;     /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 ip_ver;       /* 4 or 6 */
	__u16 payload_len; /* L4 payload, bytes, host order */
	__u8 hdr[ROBOT_HDR_LEN]; /* masked header bytes, see robot_feat.h */
};
ROBOT_ABI_ASSERT(sizeof(struct robot_pkt_feat) == 80, "robot_pkt_feat ABI");

/* ------------------------------------------------------------------ */
/* Flow key and state                                                  */
/* ------------------------------------------------------------------ */

/* Bidirectional flow key: both directions of a connection map to the same
 * key. The endpoint (address, port) that sorts lower (memcmp of address,
 * then port in network byte order) is "a", the other "b". IPv4 addresses
 * sit in the first 4 bytes of the 16, the rest zero.
 */
struct robot_flow_key {
	__u8 addr_a[16]; /* network byte order */
	__u8 addr_b[16]; /* network byte order */
	__be16 port_a;   /* network byte order */
	__be16 port_b;   /* network byte order */
	__u8 proto;      /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;     /* 4 or 6 */
	__u8 pad[2];     /* zero */
};
ROBOT_ABI_ASSERT(sizeof(struct robot_flow_key) == 40, "robot_flow_key ABI");

/* Where a flow stands. */
enum robot_stage {
	ROBOT_STAGE_WAIT = 0,         /* seen, no payload packet yet */
	ROBOT_STAGE_UNCLASSIFIED = 1, /* classification budget exhausted */
	ROBOT_STAGE_FAST = 2,         /* fast verdict, final */
	ROBOT_STAGE_COLLECTING = 3,   /* FDD: streaming packets to userspace */
	ROBOT_STAGE_COLLECTED = 4,    /* FDD: window sent, awaiting verdict */
	ROBOT_STAGE_ROBUST = 5,       /* robust verdict written by the daemon */
	ROBOT_STAGE_FALLBACK = 6,     /* FDD, ringbuf full: fast verdict kept */
	ROBOT_STAGE_MAX = 7,
};

#define ROBOT_STAGE_NAMES                                                  \
	{ "wait", "unclassified", "fast", "collecting", "collected",       \
	  "robust", "fallback" }

/* Per-flow state, value of the flow map. Written by XDP (and tc for
 * egress packets of collecting flows); the daemon writes robust_class,
 * class and stage = ROBOT_STAGE_ROBUST.
 */
struct robot_flow {
	__u64 first_ns;     /* first packet, ns (bpf_ktime_get_ns) */
	__u64 last_ns;      /* last packet, ns (bpf_ktime_get_ns) */
	__u64 packets;      /* packets seen, both directions */
	__u64 bytes;        /* L2 bytes seen (xdp frame length) */
	__s32 fast_dot;     /* integer dot product with the nearest centroid
			     * (robot_fastq scale, see user/fastq.h) */
	__u32 fast_nrm2;    /* integer squared norm of the embedding */
	__u32 model_ver;    /* version of the Fast model that classified it */
	__u16 collected;    /* packets sent to the ringbuf for this flow */
	__u8 stage;         /* enum robot_stage */
	__u8 fast_class;    /* enum robot_class or ROBOT_CLASS_NONE */
	__u8 robust_class;  /* enum robot_class or ROBOT_CLASS_NONE */
	__u8 class;         /* class used for marking: robust if given, else
			     * fast, or ROBOT_CLASS_NONE */
	__u8 fdd;           /* 1: every centroid farther than the threshold */
	__u8 a_is_init;     /* 1: the key's side "a" sent the first packet */
	__u8 pad[4];        /* zero */
};
ROBOT_ABI_ASSERT(sizeof(struct robot_flow) == 56, "robot_flow ABI");

/* Ringbuf record: one packet of an FDD flow. */
struct robot_event {
	struct robot_flow_key key; /* the flow */
	struct robot_pkt_feat feat; /* the packet's features */
	__u64 flow_first_ns; /* robot_flow.first_ns, ns: identifies the flow
			      * incarnation when an LRU key is reused */
	__u32 model_ver;     /* Fast model version that found it FDD */
	__u16 seq;           /* index of the packet in the window, 0..19 */
	__u8 fast_class;     /* enum robot_class: the fast verdict */
	__u8 source;         /* 0: XDP (ingress), 1: tc egress */
};
ROBOT_ABI_ASSERT(sizeof(struct robot_event) == 136, "robot_event ABI");

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

/* Index of the per-CPU counter map; each slot is a __u64. */
enum robot_stat {
	ROBOT_STAT_PACKETS = 0,        /* packets seen by XDP */
	ROBOT_STAT_BYTES,              /* L2 bytes seen by XDP */
	ROBOT_STAT_PARSED,             /* TCP/UDP packets parsed */
	ROBOT_STAT_SKIP_NOT_IP,        /* ARP, LLDP, ... */
	ROBOT_STAT_SKIP_TRUNCATED,     /* a header runs past the packet */
	ROBOT_STAT_SKIP_PROTO,         /* IP but not TCP/UDP (ICMP, ...) */
	ROBOT_STAT_SKIP_FRAGMENT,      /* non-first IP fragment */
	ROBOT_STAT_SKIP_BAD_HDR,       /* bogus IHL/doff/ext-header chain */
	ROBOT_STAT_NEW_FLOWS,          /* flows created */
	ROBOT_STAT_FLOW_INSERT_FAIL,   /* flow map update failed */
	ROBOT_STAT_KNOWN_FLOW,         /* packets of flows with a verdict */
	ROBOT_STAT_CNN_RUNS,           /* Fast model inferences */
	ROBOT_STAT_NO_MODEL,           /* payload packet but no model loaded */
	ROBOT_STAT_BUDGET_EXHAUSTED,   /* classification refused: no tokens */
	ROBOT_STAT_FDD_FLOWS,          /* flows found FDD */
	ROBOT_STAT_RB_RECORDS,         /* ringbuf records submitted */
	ROBOT_STAT_RB_DROPS,           /* ringbuf full: record dropped */
	ROBOT_STAT_ROBUST_VERDICTS,    /* robust verdicts written (daemon) */
	ROBOT_STAT_TC_MARKED,          /* packets marked by tc */
	ROBOT_STAT_TC_EGRESS_RECORDS,  /* ringbuf records from tc egress */
	ROBOT_STAT_TC_FORWARDED,       /* tc egress: forwarded from an XDP
					* interface, marked only */
	ROBOT_STAT_FAST_CLASS0,        /* fast verdicts, one per class: */
	ROBOT_STAT_FAST_CLASS_LAST = ROBOT_STAT_FAST_CLASS0 + ROBOT_CLASS_MAX - 1,
	ROBOT_STAT_MAX,
};

/* ------------------------------------------------------------------ */
/* Maps and pins                                                       */
/* ------------------------------------------------------------------ */

#define ROBOT_PIN_DIR "/sys/fs/bpf/robot"

/* Map names (also their pin names under ROBOT_PIN_DIR). */
#define ROBOT_MAP_FLOWS robot_flows_v1
#define ROBOT_MAP_STATS robot_stats_v1
#define ROBOT_MAP_EVENTS robot_events_v1
#define ROBOT_MAP_MODEL robot_model_v1
#define ROBOT_MAP_ACTIVE robot_active_v1
#define ROBOT_MAP_MARKS robot_marks_v1
#define ROBOT_MAP_CONFIG robot_config_v1
#define ROBOT_MAP_XDP_IFACES robot_xdp_ifaces_v1

/* Entries of ROBOT_MAP_XDP_IFACES (key: __u32 ifindex, host order; value:
 * __u32 ROBOT_IF_XDP). Written by the daemon for every interface where it
 * attached robot_xdp, read by tc egress: a forwarded packet that came in
 * on such an interface was already counted, classified and collected by
 * XDP, so tc egress only marks it (a gateway would otherwise see every
 * forwarded packet twice).
 */
#define ROBOT_XDP_IFACES_MAX 64
#define ROBOT_IF_XDP 1u

#define ROBOT_STR_(x) #x
#define ROBOT_STR(x) ROBOT_STR_(x)

/* Default sizes (load-time parameters). */
#define ROBOT_FLOWS_DEFAULT (1u << 20)      /* flow table entries */
#define ROBOT_EVENTS_DEFAULT (4u << 20)     /* ringbuf bytes */

/* Value of the marks map (key: __u32 enum robot_class). Written by the
 * loader (defaults: mark = class + 1, priority 0), read by tc.
 */
struct robot_mark {
	__u32 mark;     /* skb->mark value, host order, applied under mask */
	__u32 mask;     /* bits of skb->mark that Robot owns, host order */
	__u32 priority; /* skb->priority (TC_H_MAKE(major, minor)), 0: keep */
	__u32 pad;      /* zero */
};
ROBOT_ABI_ASSERT(sizeof(struct robot_mark) == 16, "robot_mark ABI");

/* ------------------------------------------------------------------ */
/* Datapath: Fast model in maps, runtime config (bpf/robot.bpf.c)      */
/* ------------------------------------------------------------------ */

/* The kernel runs exactly the default architecture of user/fastq.h
 * (ROBOT_FASTQ_DEF_*): conv1 1->8 (k4 s2 p1, L1 32), conv2 8->16 (k3 s2 p1,
 * L2 16), dense 256->16, up to 32 centroids. The dimensions are compiled
 * into the unrolled loops; robot_bpfmodel_load() rejects other
 * architectures with a clear message.
 */
#define ROBOT_BPF_C1 8
#define ROBOT_BPF_K1 4
#define ROBOT_BPF_S1 2
#define ROBOT_BPF_P1 1
#define ROBOT_BPF_L1 32
#define ROBOT_BPF_C2 16
#define ROBOT_BPF_K2 3
#define ROBOT_BPF_S2 2
#define ROBOT_BPF_P2 1
#define ROBOT_BPF_L2 16
#define ROBOT_BPF_FLAT (ROBOT_BPF_C2 * ROBOT_BPF_L2)
#define ROBOT_BPF_EMB 16
#define ROBOT_BPF_CENT 32

/* Requantization of one output channel: y = (acc * mult + brnd) >> shift
 * with acc the weighted sum WITHOUT the bias, and
 * brnd = bias * mult + 2^(shift - 1) (exact: |bias| <= 2^30).
 */
struct robot_bpf_rq {
	__s64 mult;  /* robot_fastq m[o], 0..2^31-1 */
	__s64 brnd;  /* robot_fastq b[o] * m[o] + 2^(sh[o] - 1) */
	__u64 shift; /* robot_fastq sh[o], 1..62 */
};

/* Value of the model map (ROBOT_MAP_MODEL, ARRAY of 2 slots, key __u32
 * 0/1; ROBOT_MAP_ACTIVE holds the active slot). Weights are packed two
 * output channels per 64-bit word, "pair word" = (s64)w_even +
 * ((s64)w_odd << 32): one 64-bit multiply by an activation computes two
 * MACs, the low 32 bits accumulate the even channel and the high 32 the
 * odd one (every partial sum fits in 31 bits). Host byte order.
 */
struct robot_bpf_model {
	__u32 version;  /* robot_fastq.version; 0: empty slot */
	__u32 n_cent;   /* centroids in use, 1..ROBOT_BPF_CENT */
	__u64 thresh;   /* robot_fastq.thresh (FDD threshold) */
	__u32 arch[12]; /* c1 k1 s1 p1 c2 k2 s2 p2 emb l1 l2 0: informative,
			 * always the ROBOT_BPF_* values */
	/* conv1: w1[k][p] = pair (w1[2p][k], w1[2p+1][k]) */
	__u64 w1[ROBOT_BPF_K1][ROBOT_BPF_C1 / 2];
	struct robot_bpf_rq rq1[ROBOT_BPF_C1];
	/* conv2: w2[c][k][p] = pair (w2[2p][c][k], w2[2p+1][c][k]) */
	__u64 w2[ROBOT_BPF_C1][ROBOT_BPF_K2][ROBOT_BPF_C2 / 2];
	struct robot_bpf_rq rq2[ROBOT_BPF_C2];
	/* dense: w3[j][p] = pair (w3[2p][j], w3[2p+1][j]) */
	__u64 w3[ROBOT_BPF_FLAT][ROBOT_BPF_EMB / 2];
	struct robot_bpf_rq rq3[ROBOT_BPF_EMB];
	/* centroids: cent[i][q] = pair (cent[2q][i], cent[2q+1][i]), zero
	 * beyond n_cent
	 */
	__u64 cent[ROBOT_BPF_EMB][ROBOT_BPF_CENT / 2];
	__u8 cent_class[ROBOT_BPF_CENT]; /* enum robot_class */
};
ROBOT_ABI_ASSERT(sizeof(struct robot_bpf_model) == 21152,
		 "robot_bpf_model ABI");

/* Value of the config map (ROBOT_MAP_CONFIG, ARRAY of 1, key 0). Written
 * by the loader/daemon at any time, read by XDP and tc. All zero (e.g.
 * loaded by iproute2): no classification budget limit.
 */
struct robot_config {
	__u32 rate;  /* classifications per second per CPU; 0: unlimited */
	__u32 burst; /* token bucket depth, classifications; 0: = rate */
	__u32 pad[2]; /* zero */
};
ROBOT_ABI_ASSERT(sizeof(struct robot_config) == 16, "robot_config ABI");

/* Per-CPU state of the datapath (token bucket, CNN activations). */
#define ROBOT_MAP_PERCPU robot_percpu_v1

/* robot_event.source */
#define ROBOT_SRC_XDP 0
#define ROBOT_SRC_TC_EGRESS 1

#endif /* ROBOT_ABI_H */
