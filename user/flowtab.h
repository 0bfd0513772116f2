/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flowtab.h - bidirectional flow assembly for captures.
 *
 * Packets parsed by robot_feat.h are grouped by their canonical key
 * (struct robot_flow_key). A packet that arrives more than idle_ns after
 * the previous packet of its key starts a new flow (a new "incarnation" of
 * the key); the old one stays in the flow array, linked through `prev`.
 * Each flow keeps the feature records of its first max_pkts packets.
 *
 * Open addressing (linear probing) over a power-of-two slot array that
 * holds the key hash and the index of the key's latest flow.
 */
#ifndef ROBOT_FLOWTAB_H
#define ROBOT_FLOWTAB_H

#include <linux/types.h>
#include "robot_feat.h"

#define FT_NONE 0xffffffffu

struct ft_flow {
	struct robot_flow_key key;
	__u64 first_ns;    /* capture time of the first packet */
	__u64 last_ns;     /* capture time of the last packet */
	__u64 bytes;       /* sum of IP lengths */
	__u32 total_pkts;  /* packets of the flow */
	__u32 prev;        /* earlier flow with the same key, or FT_NONE */
	__u16 n_pkts;      /* stored feature records */
	__u16 cap_pkts;    /* allocated feature records */
	__u8 a_is_init;    /* 1: key side "a" sent the first packet */
	__u8 taken;        /* free for the caller (label matching) */
	struct robot_pkt_feat *pkts;
};

struct ft_slot {
	__u32 hash; /* 0: empty (real hashes are forced non-zero) */
	__u32 flow; /* index of the key's latest flow */
};

struct flowtab {
	struct ft_slot *slots;
	__u32 mask;      /* slots - 1 */
	__u32 n_keys;    /* occupied slots */
	struct ft_flow *flows;
	__u32 n_flows;
	__u32 cap_flows;
	__u64 idle_ns;   /* idle timeout */
	__u16 max_pkts;  /* feature records kept per flow */
};

int flowtab_init(struct flowtab *ft, __u64 idle_ns, __u16 max_pkts);
void flowtab_free(struct flowtab *ft);
/* Forget every flow, keep the memory of the tables. */
void flowtab_reset(struct flowtab *ft);

/* Account one parsed packet captured at ts_ns: sets feat.ts_ns and
 * feat.dir. Returns the index of its flow, or -ENOMEM.
 */
int flowtab_add(struct flowtab *ft, const struct robot_parsed *p,
		__u64 ts_ns);

/* Latest flow of a key, FT_NONE if none; follow ft_flow.prev for the
 * earlier ones.
 */
__u32 flowtab_lookup(const struct flowtab *ft,
		     const struct robot_flow_key *key);

#endif
