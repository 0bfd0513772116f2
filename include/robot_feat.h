/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * robot_feat.h - packet parsing and feature extraction, defined once.
 *
 * Compiled by clang's BPF target (the XDP and tc programs) and by gcc (the
 * dataset tool, the daemon, tests), so that every component sees
 * byte-identical features. Everything here works on a byte range
 * [data, end) and checks bounds before every read; in BPF, data/end are the
 * packet pointers and the checks are the ones the verifier wants.
 *
 * Each parser returns ROBOT_PARSE_OK (0) or the reason the packet is not
 * classified (enum robot_parse_res), which maps 1:1 to a skip counter.
 *
 * The masked header vector (ROBOT_HDR_LEN = 64 bytes), byte positions:
 *
 *   IP region, hdr[0..23]
 *     IPv4: the header's bytes 0..19 as on the wire, except checksum (10..11)
 *           and addresses (12..19), which are zeroed; hdr[20..23] = the
 *           first 4 option bytes (zero without options).
 *     IPv6: laid out on IPv4's positions so that a position means the same
 *           field: [0] = byte 0 (version 6, traffic class high nibble),
 *           [1] = byte 1, [2..3] = payload length + 40 (IPv4's total length),
 *           [4..5] = bytes 2..3 (flow label low 16 bits, IPv4's ID slot),
 *           [6..7] = 0, [8] = hop limit (TTL slot), [9] = the L4 protocol
 *           found after the extension headers (protocol slot), rest zero.
 *   L4 region, hdr[24..63]
 *     TCP: the header's bytes 0..39 (base header and up to 20 option
 *          bytes), with ports (0..3), sequence and acknowledgement numbers
 *          (4..11) and checksum (16..17) zeroed. Sequence numbers start at
 *          random ISNs: they carry no class information and a small model
 *          would memorize them.
 *     UDP: the 8-byte header with ports (0..3) and checksum (6..7) zeroed,
 *          length (4..5) kept; rest zero.
 * Checksums are zeroed because they are functions of the addresses/ports.
 * Multi-byte fields stay in network byte order.
 */
#ifndef ROBOT_FEAT_H
#define ROBOT_FEAT_H

#include "robot_abi.h"

#ifdef __bpf__
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define ROBOT_UNROLL _Pragma("unroll")
#else
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define ROBOT_UNROLL
#endif

#define ROBOT_ETH_HLEN 14
#define ROBOT_ETH_P_IP 0x0800
#define ROBOT_ETH_P_IPV6 0x86DD
#define ROBOT_ETH_P_8021Q 0x8100
#define ROBOT_ETH_P_8021AD 0x88A8
#define ROBOT_VLAN_MAX 2   /* 802.1Q and QinQ */
#define ROBOT_IPV6_EXT_MAX 6 /* extension headers followed, at most */

#define ROBOT_IPPROTO_HOPOPTS 0
#define ROBOT_IPPROTO_TCP 6
#define ROBOT_IPPROTO_UDP 17
#define ROBOT_IPPROTO_ROUTING 43
#define ROBOT_IPPROTO_FRAGMENT 44
#define ROBOT_IPPROTO_AH 51
#define ROBOT_IPPROTO_DSTOPTS 60

enum robot_parse_res {
	ROBOT_PARSE_OK = 0,
	ROBOT_PARSE_NOT_IP = 1,   /* not IPv4/IPv6 (ARP, LLDP, ...) */
	ROBOT_PARSE_TRUNCATED = 2, /* a header runs past the data */
	ROBOT_PARSE_PROTO = 3,    /* IP, but not TCP or UDP */
	ROBOT_PARSE_FRAGMENT = 4, /* non-first fragment: no L4 header */
	ROBOT_PARSE_BAD_HDR = 5,  /* IHL < 5, doff < 5, version mismatch... */
	ROBOT_PARSE_MAX = 6,
};

/* The result of parsing one packet. */
struct robot_parsed {
	struct robot_flow_key key; /* canonical bidirectional key */
	struct robot_pkt_feat feat; /* ts_ns and dir are left to the caller */
	__u8 src_is_a; /* 1: the packet's source is the key's side "a" */
	__u8 pad[7];
};

/* The big-endian 16-bit field at p. BPF: one 16-bit load instead of two
 * byte loads (every field read so lies at an even offset from the frame
 * start, so it stays aligned where the architecture wants aligned packet
 * loads); elsewhere bytes, which any alignment allows.
 */
static __always_inline __u16 robot_get16(const __u8 *p)
{
#if defined(__bpf__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(*(const __u16 *)p);
#elif defined(__bpf__)
	return *(const __u16 *)p;
#else
	return ((__u16)p[0] << 8) | p[1];
#endif
}

static __always_inline void robot_put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Order two endpoints; returns 1 when (a, pa) sorts before or equal to
 * (b, pb). Addresses compare as big-endian numbers, then ports.
 */
static __always_inline int robot_ep_le(const __u8 *a, __u16 pa, const __u8 *b,
				       __u16 pb, int alen)
{
	int i;

	ROBOT_UNROLL
	for (i = 0; i < 16; i++) {
		if (i >= alen)
			break;
		if (a[i] != b[i])
			return a[i] < b[i];
	}
	return pa <= pb;
}

/* The 4 bytes at p as they lie in memory (network order stays network
 * order). BPF: one 32-bit load instead of four byte loads (the addresses
 * lie at 4-byte multiples from the network header, so it stays aligned
 * where the architecture wants aligned packet loads); elsewhere memcpy,
 * which any alignment allows.
 */
static __always_inline __u32 robot_raw32(const __u8 *p)
{
#ifdef __bpf__
	return *(const __u32 *)p;
#else
	__u32 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
#endif
}

/* A raw32 word as a big-endian number: words compare like their bytes. */
static __always_inline __u32 robot_be32_num(__u32 raw)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(raw);
#else
	return raw;
#endif
}

/* The key's ports (network order) from host-order pa, pb; zero pad. */
static __always_inline void robot_key_ports(struct robot_flow_key *k,
					    __u16 pa, __u16 pb)
{
#if defined(__bpf__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	k->port_a = __builtin_bswap16(pa);
	k->port_b = __builtin_bswap16(pb);
#elif defined(__bpf__)
	k->port_a = pa;
	k->port_b = pb;
#else
	robot_put16((__u8 *)&k->port_a, pa);
	robot_put16((__u8 *)&k->port_b, pb);
#endif
	k->pad[0] = 0;
	k->pad[1] = 0;
}

/* Build the canonical key from the packet's addresses (alen = 4 or 16
 * bytes, network order) and ports (host order). Sets p->src_is_a: 1 when
 * (saddr, sport) sorts before or equal to (daddr, dport), addresses as
 * big-endian numbers, then ports. Word at a time: comparing 32-bit
 * big-endian words orders the addresses as comparing their bytes does.
 */
static __always_inline void robot_key_make(struct robot_parsed *p,
					   const __u8 *saddr,
					   const __u8 *daddr, __u16 sport,
					   __u16 dport, int alen)
{
	struct robot_flow_key *k = &p->key;
	__u32 s[4] = {}, d[4] = {}, w;
	int i, le = -1;

	ROBOT_UNROLL
	for (i = 0; i < 4; i++) {
		if (i * 4 >= alen)
			break;
		s[i] = robot_raw32(saddr + i * 4);
		d[i] = robot_raw32(daddr + i * 4);
	}
	ROBOT_UNROLL
	for (i = 0; i < 4; i++) {
		if (i * 4 >= alen)
			break;
		if (s[i] != d[i]) {
			le = robot_be32_num(s[i]) < robot_be32_num(d[i]);
			break;
		}
	}
	if (le < 0)
		le = sport <= dport;
	p->src_is_a = le;
	ROBOT_UNROLL
	for (i = 0; i < 4; i++) {
		w = le ? s[i] : d[i];
		__builtin_memcpy(k->addr_a + i * 4, &w, 4);
		w = le ? d[i] : s[i];
		__builtin_memcpy(k->addr_b + i * 4, &w, 4);
	}
	robot_key_ports(k, le ? sport : dport, le ? dport : sport);
}

/* Zero the feature record (the caller's ts_ns/dir included). */
static __always_inline void robot_feat_zero(struct robot_parsed *p)
{
	__builtin_memset(p, 0, sizeof(*p));
}

/* Ethernet with up to two VLAN tags. On success *l3 points at the network
 * header and *proto holds its EtherType (host order).
 */
static __always_inline int robot_parse_eth(const __u8 *data, const __u8 *end,
					   const __u8 **l3, __u16 *proto)
{
	const __u8 *p = data + ROBOT_ETH_HLEN;
	__u16 type;
	int i;

	if (p > end)
		return ROBOT_PARSE_TRUNCATED;
	type = robot_get16(data + 12);
	ROBOT_UNROLL
	for (i = 0; i < ROBOT_VLAN_MAX; i++) {
		if (type != ROBOT_ETH_P_8021Q && type != ROBOT_ETH_P_8021AD)
			goto out; /* untagged: two compares, not four */
		if (p + 4 > end)
			return ROBOT_PARSE_TRUNCATED;
		type = robot_get16(p + 2);
		p += 4;
	}
	if (type == ROBOT_ETH_P_8021Q || type == ROBOT_ETH_P_8021AD)
		return ROBOT_PARSE_NOT_IP; /* deeper than we follow */
out:
	*l3 = p;
	*proto = type;
	return ROBOT_PARSE_OK;
}

/* TCP options into the L4 region h, 4 bytes at a time, as far as the
 * vector (ROBOT_HDR_L4_LEN) and the header length hl go. Written out by
 * hand: clang's BPF backend cannot unroll the equivalent loop with its
 * two exits.
 */
static __always_inline int robot_tcp_opts(const __u8 *l4, const __u8 *end,
					  __u8 *h, __u32 hl, const int feat)
{
	/* Key only: the same verdict from one check, the furthest the steps
	 * below make (l4 + i + 4 for i = 20, 24, ... below hl, a multiple of
	 * 4, and ROBOT_HDR_L4_LEN).
	 */
	if (!feat)
		return hl > 20 && l4 + (hl < ROBOT_HDR_L4_LEN ?
					hl : ROBOT_HDR_L4_LEN) > end ?
			       ROBOT_PARSE_TRUNCATED : ROBOT_PARSE_OK;
#define ROBOT_TCP_OPT4(i)                                                  \
	do {                                                               \
		if ((i) >= hl)                                             \
			return ROBOT_PARSE_OK;                             \
		if (l4 + (i) + 4 > end)                                    \
			return ROBOT_PARSE_TRUNCATED;                      \
		if (feat) {                                                \
			h[(i)] = l4[(i)];                                  \
			h[(i) + 1] = l4[(i) + 1];                          \
			h[(i) + 2] = l4[(i) + 2];                          \
			h[(i) + 3] = l4[(i) + 3];                          \
		}                                                          \
	} while (0)
	ROBOT_TCP_OPT4(20);
	ROBOT_TCP_OPT4(24);
	ROBOT_TCP_OPT4(28);
	ROBOT_TCP_OPT4(32);
	ROBOT_TCP_OPT4(36);
#undef ROBOT_TCP_OPT4
	_Static_assert(ROBOT_HDR_L4_LEN == 40, "ROBOT_TCP_OPT4 steps");
	return ROBOT_PARSE_OK;
}

/* TCP or UDP header at l4. ip_payload = bytes from l4 to the end of the IP
 * datagram as the IP header says. Fills feat.hdr's L4 region, tcp_flags,
 * payload_len and the ports (host order) for the key.
 */
static __always_inline int robot_parse_l4(const __u8 *l4, const __u8 *end,
					  __u8 proto, __u32 ip_payload,
					  struct robot_parsed *p, __u16 *sport,
					  __u16 *dport, const int feat)
{
	__u8 *h = p->feat.hdr + ROBOT_HDR_L4_OFF;
	__u32 hl;
	int i, err;

	if (proto == ROBOT_IPPROTO_UDP) {
		if (l4 + 8 > end)
			return ROBOT_PARSE_TRUNCATED;
		*sport = robot_get16(l4);
		*dport = robot_get16(l4 + 2);
		if (feat) {
			h[4] = l4[4];
			h[5] = l4[5];
		}
		hl = 8;
	} else {
		if (l4 + 20 > end)
			return ROBOT_PARSE_TRUNCATED;
		hl = (l4[12] >> 4) * 4;
		if (hl < 20)
			return ROBOT_PARSE_BAD_HDR;
		*sport = robot_get16(l4);
		*dport = robot_get16(l4 + 2);
		if (feat) {
			ROBOT_UNROLL
			for (i = 12; i < 20; i++)
				h[i] = l4[i];
			h[16] = 0; /* checksum */
			h[17] = 0;
		}
		p->feat.tcp_flags = l4[13];
		/* Options, 4 bytes at a time, as far as the vector and the
		 * data go.
		 */
		err = robot_tcp_opts(l4, end, h, hl, feat);
		if (err)
			return err;
	}
	p->feat.l4_proto = proto;
	p->feat.payload_len = ip_payload > hl ? ip_payload - hl : 0;
	return ROBOT_PARSE_OK;
}

static __always_inline int robot_parse_ipv4(const __u8 *ip, const __u8 *end,
					    struct robot_parsed *p,
					    const int feat)
{
	__u8 *h = p->feat.hdr;
	__u16 tot, frag, sport = 0, dport = 0;
	__u32 ihl;
	__u8 proto;
	int i, err;

	if (ip + 20 > end)
		return ROBOT_PARSE_TRUNCATED;
	if ((ip[0] >> 4) != 4)
		return ROBOT_PARSE_BAD_HDR;
	ihl = (ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return ROBOT_PARSE_BAD_HDR;
	tot = robot_get16(ip + 2);
	if (tot < ihl)
		return ROBOT_PARSE_BAD_HDR;
	frag = robot_get16(ip + 6);
	if (frag & 0x1fff)
		return ROBOT_PARSE_FRAGMENT;
	proto = ip[9];
	if (proto != ROBOT_IPPROTO_TCP && proto != ROBOT_IPPROTO_UDP)
		return ROBOT_PARSE_PROTO;
	if (ip + ihl > end)
		return ROBOT_PARSE_TRUNCATED;
	if (feat) {
		ROBOT_UNROLL
		for (i = 0; i < 10; i++)
			h[i] = ip[i];
	}
	/* ip + ihl <= end, so ip + 24 <= end when ihl > 20: the check below
	 * never fails, it is there for the verifier, which wants a constant
	 * bound before reading ip[20..23].
	 */
	if (feat && ihl > 20) {
		if (ip + 24 > end)
			return ROBOT_PARSE_TRUNCATED;
		h[20] = ip[20];
		h[21] = ip[21];
		h[22] = ip[22];
		h[23] = ip[23];
	}
	p->feat.ip_ver = 4;
	p->feat.ip_len = tot;
	p->key.proto = proto;
	p->key.family = 4;
	err = robot_parse_l4(ip + ihl, end, proto, tot - ihl, p, &sport,
			     &dport, feat);
	if (err)
		return err;
	robot_key_make(p, ip + 12, ip + 16, sport, dport, 4);
	return ROBOT_PARSE_OK;
}

static __always_inline int robot_parse_ipv6(const __u8 *ip, const __u8 *end,
					    struct robot_parsed *p,
					    const int feat)
{
	__u8 *h = p->feat.hdr;
	const __u8 *l4 = ip + 40;
	__u16 plen, sport = 0, dport = 0;
	__u32 extlen = 0, len;
	__u8 nh;
	int i, err;

	if (ip + 40 > end)
		return ROBOT_PARSE_TRUNCATED;
	if ((ip[0] >> 4) != 6)
		return ROBOT_PARSE_BAD_HDR;
	plen = robot_get16(ip + 4);
	nh = ip[6];
	ROBOT_UNROLL
	for (i = 0; i < ROBOT_IPV6_EXT_MAX; i++) {
		if (nh == ROBOT_IPPROTO_TCP || nh == ROBOT_IPPROTO_UDP)
			break;
		if (nh == ROBOT_IPPROTO_FRAGMENT) {
			if (l4 + 8 > end)
				return ROBOT_PARSE_TRUNCATED;
			if (robot_get16(l4 + 2) & 0xfff8)
				return ROBOT_PARSE_FRAGMENT;
			len = 8;
		} else if (nh == ROBOT_IPPROTO_HOPOPTS ||
			   nh == ROBOT_IPPROTO_ROUTING ||
			   nh == ROBOT_IPPROTO_DSTOPTS) {
			if (l4 + 8 > end)
				return ROBOT_PARSE_TRUNCATED;
			len = ((__u32)l4[1] + 1) * 8;
		} else if (nh == ROBOT_IPPROTO_AH) {
			if (l4 + 8 > end)
				return ROBOT_PARSE_TRUNCATED;
			len = ((__u32)l4[1] + 2) * 4;
		} else {
			return ROBOT_PARSE_PROTO;
		}
		nh = l4[0];
		l4 += len;
		extlen += len;
	}
	if (nh != ROBOT_IPPROTO_TCP && nh != ROBOT_IPPROTO_UDP)
		return ROBOT_PARSE_PROTO; /* chain longer than we follow */
	if (extlen > plen)
		return ROBOT_PARSE_BAD_HDR;
	if (feat) {
		h[0] = ip[0];
		h[1] = ip[1];
		robot_put16(h + 2, plen + 40);
		h[4] = ip[2];
		h[5] = ip[3];
		h[8] = ip[7];
		h[9] = nh;
	}
	p->feat.ip_ver = 6;
	p->feat.ip_len = plen + 40;
	p->key.proto = nh;
	p->key.family = 6;
	err = robot_parse_l4(l4, end, nh, plen - extlen, p, &sport, &dport,
			     feat);
	if (err)
		return err;
	robot_key_make(p, ip + 8, ip + 24, sport, dport, 16);
	return ROBOT_PARSE_OK;
}

/* feat = 0 ("key only") parses exactly as feat = 1 (same checks, same
 * result) but leaves feat.hdr alone: the key, src_is_a, payload_len and
 * the other scalar fields are written, the header vector is not. The XDP
 * hot path uses it (a known flow needs no features).
 */
static __always_inline int robot_parse_l3_x(const __u8 *l3, const __u8 *end,
					    __u16 proto,
					    struct robot_parsed *p,
					    const int feat)
{
	if (proto == ROBOT_ETH_P_IP)
		return robot_parse_ipv4(l3, end, p, feat);
	if (proto == ROBOT_ETH_P_IPV6)
		return robot_parse_ipv6(l3, end, p, feat);
	return ROBOT_PARSE_NOT_IP;
}

static __always_inline int robot_parse_frame_x(const __u8 *data,
					       const __u8 *end,
					       struct robot_parsed *p,
					       const int feat)
{
	const __u8 *l3;
	__u16 proto;
	int err;

	err = robot_parse_eth(data, end, &l3, &proto);
	if (err)
		return err;
	return robot_parse_l3_x(l3, end, proto, p, feat);
}

/* Parse from the network header; proto is the EtherType (host order). */
static __always_inline int robot_parse_l3(const __u8 *l3, const __u8 *end,
					  __u16 proto, struct robot_parsed *p)
{
	return robot_parse_l3_x(l3, end, proto, p, 1);
}

/* Parse an Ethernet frame. p must be zeroed (robot_feat_zero) first. */
static __always_inline int robot_parse_frame(const __u8 *data,
					     const __u8 *end,
					     struct robot_parsed *p)
{
	return robot_parse_frame_x(data, end, p, 1);
}

/* Key-only parse (see robot_parse_l3_x): same result as
 * robot_parse_frame(); p needs no zeroing, feat.hdr is left as it was.
 */
static __always_inline int robot_parse_frame_key(const __u8 *data,
						 const __u8 *end,
						 struct robot_parsed *p)
{
	return robot_parse_frame_x(data, end, p, 0);
}

/* Direction of a packet given whether its flow's side "a" initiated. */
static __always_inline __u8 robot_pkt_dir(__u8 src_is_a, __u8 a_is_init)
{
	return src_is_a == a_is_init ? ROBOT_DIR_FWD : ROBOT_DIR_REV;
}

#endif /* ROBOT_FEAT_H */
