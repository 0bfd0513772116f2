// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of packet parsing and feature extraction (include/robot_feat.h,
 * the same code the XDP program runs) and of the capture link layers
 * (user/pcapread.c): Ethernet, 802.1Q and QinQ, Linux cooked SLL/SLL2, raw
 * IP; IPv4 with options and fragments; IPv6 extension headers; TCP with
 * options and UDP; the masked header vector byte by byte; canonical keys of
 * both directions; and every truncation of every packet, parsed from an
 * exact-size heap copy so that ASan (asan_test_feat) sees any overread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "robot_feat.h"
#include "pcapread.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif

/* ---------------------------------------------------------------- build */

struct pkt {
	__u8 b[512];
	int len;
	int ip_off;  /* start of the IP header */
	int l4_off;  /* start of the TCP/UDP header */
	int hdr_end; /* bytes the parser needs (through the L4 header) */
};

static void put(struct pkt *p, const void *d, int n)
{
	assert_true(p->len + n <= (int)sizeof(p->b));
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void put8(struct pkt *p, __u8 v)
{
	put(p, &v, 1);
}

static void put16be(struct pkt *p, __u16 v)
{
	__u8 b[2] = { v >> 8, v & 0xff };

	put(p, b, 2);
}

static void eth(struct pkt *p, __u16 type, int vlans)
{
	static const __u8 macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	put(p, macs, 12);
	if (vlans >= 2) {
		put16be(p, ROBOT_ETH_P_8021AD);
		put16be(p, 0x0064); /* outer VID 100 */
	}
	if (vlans >= 1) {
		put16be(p, ROBOT_ETH_P_8021Q);
		put16be(p, 0x2005); /* PCP 1, VID 5 */
	}
	put16be(p, type);
}

/* Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes,
 * protocol.
 */
static void sll(struct pkt *p, __u16 type)
{
	static const __u8 h[14] = { 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0 };

	put(p, h, 14);
	put16be(p, type);
}

/* Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type,
 * address length, 8 address bytes.
 */
static void sll2(struct pkt *p, __u16 type)
{
	static const __u8 h[18] = { 0, 0, 0, 0, 0, 3, 0, 1, 0, 6,
				    2, 0, 0, 0, 0, 1, 0, 0 };

	put16be(p, type);
	put(p, h, 18);
}

static const __u8 v4_src[4] = { 192, 168, 1, 20 };
static const __u8 v4_dst[4] = { 10, 0, 0, 7 };
static const __u8 v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 0x99 };
static const __u8 v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 0x01 };

/* IPv4 header; opts bytes of options (multiple of 4); tot is patched by
 * fin_ip4().
 */
static void ip4(struct pkt *p, __u8 proto, int opts, __u16 frag, int swap)
{
	int i;

	p->ip_off = p->len;
	put8(p, 0x40 | (5 + opts / 4));
	put8(p, 0xb8);           /* DSCP EF */
	put16be(p, 0);           /* total length, patched */
	put16be(p, 0x1234);      /* id */
	put16be(p, frag);        /* flags + offset */
	put8(p, 63);             /* TTL */
	put8(p, proto);
	put16be(p, 0xbeef);      /* checksum: must be masked */
	put(p, swap ? v4_dst : v4_src, 4);
	put(p, swap ? v4_src : v4_dst, 4);
	for (i = 0; i < opts; i++)
		put8(p, i == 0 ? 0x94 : i == 1 ? 0x04 : 0xa0 + i);
}

static void fin_ip4(struct pkt *p)
{
	robot_put16(p->b + p->ip_off + 2, p->len - p->ip_off);
}

/* IPv6 header, next header nh; payload length patched by fin_ip6(). */
static void ip6(struct pkt *p, __u8 nh, int swap)
{
	p->ip_off = p->len;
	put8(p, 0x6a);     /* version 6, traffic class 0xa. */
	put8(p, 0xbc);     /* traffic class .c, flow label 0x.... */
	put16be(p, 0xdef0);
	put16be(p, 0);     /* payload length, patched */
	put8(p, nh);
	put8(p, 55);       /* hop limit */
	put(p, swap ? v6_dst : v6_src, 16);
	put(p, swap ? v6_src : v6_dst, 16);
}

static void fin_ip6(struct pkt *p)
{
	robot_put16(p->b + p->ip_off + 4, p->len - p->ip_off - 40);
}

/* Extension header: next header nh, total length len (multiple of 8). */
static void ext6(struct pkt *p, __u8 nh, int len)
{
	int i;

	put8(p, nh);
	put8(p, len / 8 - 1);
	for (i = 2; i < len; i++)
		put8(p, i == 2 ? 1 : 0); /* a PadN-ish filler */
}

static void frag6(struct pkt *p, __u8 nh, __u16 off_flags)
{
	put8(p, nh);
	put8(p, 0);
	put16be(p, off_flags);
	put16be(p, 0xabcd);
	put16be(p, 0x0001);
}

/* TCP with opts bytes of options (multiple of 4), then payload bytes. */
static void tcp(struct pkt *p, int opts, int payload, int swap)
{
	static const __u8 ts_opt[12] = { 1, 1, 8, 10, 0, 0, 0, 1,
					 0, 0, 0, 2 };
	int i;

	p->l4_off = p->len;
	put16be(p, swap ? 443 : 40000);
	put16be(p, swap ? 40000 : 443);
	put16be(p, 0x1111); /* seq */
	put16be(p, 0x2222);
	put16be(p, 0x3333); /* ack */
	put16be(p, 0x4444);
	put8(p, (5 + opts / 4) << 4);
	put8(p, 0x18);      /* PSH ACK */
	put16be(p, 0x0200); /* window */
	put16be(p, 0xcafe); /* checksum */
	put16be(p, 0x0007); /* urgent pointer */
	for (i = 0; i < opts; i++)
		put8(p, i < 12 ? ts_opt[i] : (i % 4 == 3 ? 0 : 1));
	/* the parser reads options only as far as the vector goes */
	p->hdr_end = p->l4_off + (20 + opts < ROBOT_HDR_L4_LEN ?
				  20 + opts : ROBOT_HDR_L4_LEN);
	for (i = 0; i < payload; i++)
		put8(p, 0xee);
}

static void udp(struct pkt *p, int payload, int swap)
{
	int i;

	p->l4_off = p->len;
	put16be(p, swap ? 53 : 5353);
	put16be(p, swap ? 5353 : 53);
	put16be(p, 8 + payload);
	put16be(p, 0xfeed);
	p->hdr_end = p->len;
	for (i = 0; i < payload; i++)
		put8(p, 0xdd);
}

/* Parse from an exact-size heap copy of the first len bytes. */
static int parse_n(int dlt, const struct pkt *k, int len,
		   struct robot_parsed *out)
{
	__u8 *c = malloc(len ? len : 1);
	int res;

	assert_non_null(c);
	memcpy(c, k->b, len);
	robot_feat_zero(out);
	res = robot_parse_link(dlt, c, c + len, out);
	free(c);
	return res;
}

static int parse(int dlt, const struct pkt *k, struct robot_parsed *out)
{
	return parse_n(dlt, k, k->len, out);
}

/* Standard packets. */
static struct pkt v4_tcp(int vlans, int ipopts, int tcpopts, int payload,
			 int swap)
{
	struct pkt p = {};

	eth(&p, ROBOT_ETH_P_IP, vlans);
	ip4(&p, ROBOT_IPPROTO_TCP, ipopts, 0x4000, swap);
	tcp(&p, tcpopts, payload, swap);
	fin_ip4(&p);
	return p;
}

static struct pkt v4_udp(int payload, int swap)
{
	struct pkt p = {};

	eth(&p, ROBOT_ETH_P_IP, 0);
	ip4(&p, ROBOT_IPPROTO_UDP, 0, 0, swap);
	udp(&p, payload, swap);
	fin_ip4(&p);
	return p;
}

/* IPv6: hop-by-hop (8), routing (24), fragment (offset 0, M), TCP. */
static struct pkt v6_ext_tcp(int swap)
{
	struct pkt p = {};

	eth(&p, ROBOT_ETH_P_IPV6, 0);
	ip6(&p, ROBOT_IPPROTO_HOPOPTS, swap);
	ext6(&p, ROBOT_IPPROTO_ROUTING, 8);
	ext6(&p, ROBOT_IPPROTO_FRAGMENT, 24);
	frag6(&p, ROBOT_IPPROTO_TCP, 0x0001);
	tcp(&p, 8, 5, swap);
	fin_ip6(&p);
	return p;
}

/* ---------------------------------------------------------------- tests */

static void expect_v4_ip_region(const __u8 *h, __u8 ihl_byte, __u16 tot,
				__u8 proto)
{
	static const __u8 zero[10];

	assert_int_equal(h[0], ihl_byte);
	assert_int_equal(h[1], 0xb8);
	assert_int_equal(robot_get16(h + 2), tot);
	assert_int_equal(robot_get16(h + 4), 0x1234);
	assert_int_equal(h[8], 63);
	assert_int_equal(h[9], proto);
	/* checksum and both addresses masked */
	assert_memory_equal(h + 10, zero, 10);
}

static void test_v4_tcp_options(void **state)
{
	struct pkt k = v4_tcp(0, 0, 12, 10, 0);
	static const __u8 zero[40];
	struct robot_parsed p;
	const __u8 *h, *l4;

	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_OK);
	h = p.feat.hdr;
	expect_v4_ip_region(h, 0x45, 20 + 32 + 10, ROBOT_IPPROTO_TCP);
	assert_int_equal(robot_get16(h + 6), 0x4000); /* DF kept */
	assert_memory_equal(h + 20, zero, 4);          /* no IP options */
	l4 = h + ROBOT_HDR_L4_OFF;
	assert_memory_equal(l4, zero, 12);  /* ports, seq, ack masked */
	assert_int_equal(l4[12], 8 << 4);   /* data offset */
	assert_int_equal(l4[13], 0x18);     /* flags */
	assert_int_equal(robot_get16(l4 + 14), 0x0200); /* window */
	assert_memory_equal(l4 + 16, zero, 2);          /* checksum */
	assert_int_equal(robot_get16(l4 + 18), 0x0007); /* urgent */
	assert_memory_equal(l4 + 20, k.b + k.l4_off + 20, 12); /* options */
	assert_memory_equal(l4 + 32, zero, 8); /* beyond the header */
	assert_int_equal(p.feat.tcp_flags, 0x18);
	assert_int_equal(p.feat.l4_proto, 6);
	assert_int_equal(p.feat.ip_ver, 4);
	assert_int_equal(p.feat.ip_len, 62);
	assert_int_equal(p.feat.payload_len, 10);
	assert_int_equal(p.key.family, 4);
	assert_int_equal(p.key.proto, 6);
	/* 10.0.0.7:443 sorts before 192.168.1.20:40000 */
	assert_memory_equal(p.key.addr_a, v4_dst, 4);
	assert_memory_equal(p.key.addr_b, v4_src, 4);
	assert_memory_equal(p.key.addr_a + 4, zero, 12);
	assert_memory_equal(p.key.addr_b + 4, zero, 12);
	assert_int_equal(robot_get16((__u8 *)&p.key.port_a), 443);
	assert_int_equal(robot_get16((__u8 *)&p.key.port_b), 40000);
	assert_int_equal(p.src_is_a, 0);
	assert_int_equal(p.key.pad[0] | p.key.pad[1], 0);
}

/* 20 bytes of TCP options fill the vector; more are cut. */
static void test_tcp_long_options(void **state)
{
	struct pkt k = v4_tcp(0, 0, 40, 0, 0);
	struct robot_parsed p;
	const __u8 *l4;

	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_OK);
	l4 = p.feat.hdr + ROBOT_HDR_L4_OFF;
	assert_int_equal(l4[12], 15 << 4);
	assert_memory_equal(l4 + 20, k.b + k.l4_off + 20, 20);
	assert_int_equal(p.feat.payload_len, 0);
}

static void test_both_directions(void **state)
{
	struct pkt a = v4_tcp(0, 0, 12, 10, 0), b = v4_tcp(0, 0, 12, 10, 1);
	struct pkt c = v6_ext_tcp(0), d = v6_ext_tcp(1);
	struct robot_parsed pa, pb;

	assert_int_equal(parse(DLT_EN10MB, &a, &pa), ROBOT_PARSE_OK);
	assert_int_equal(parse(DLT_EN10MB, &b, &pb), ROBOT_PARSE_OK);
	assert_memory_equal(&pa.key, &pb.key, sizeof(pa.key));
	assert_int_equal(pa.src_is_a, !pb.src_is_a);
	/* masked vectors do not tell the directions apart */
	assert_memory_equal(pa.feat.hdr, pb.feat.hdr, ROBOT_HDR_LEN);

	assert_int_equal(parse(DLT_EN10MB, &c, &pa), ROBOT_PARSE_OK);
	assert_int_equal(parse(DLT_EN10MB, &d, &pb), ROBOT_PARSE_OK);
	assert_memory_equal(&pa.key, &pb.key, sizeof(pa.key));
	assert_int_equal(pa.src_is_a, !pb.src_is_a);
	assert_int_equal(pa.src_is_a, 0); /* ::99 > ::1 */
	assert_memory_equal(pa.key.addr_a, v6_dst, 16);
}

static void test_v4_options(void **state)
{
	struct pkt k = v4_tcp(0, 8, 0, 3, 0);
	struct robot_parsed p;

	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_OK);
	expect_v4_ip_region(p.feat.hdr, 0x47, 28 + 20 + 3, 6);
	/* first 4 option bytes: router alert 0x94 0x04, then a2 a3 */
	assert_int_equal(p.feat.hdr[20], 0x94);
	assert_int_equal(p.feat.hdr[21], 0x04);
	assert_int_equal(p.feat.hdr[22], 0xa2);
	assert_int_equal(p.feat.hdr[23], 0xa3);
	/* the TCP header is found after the options */
	assert_int_equal(p.feat.hdr[ROBOT_HDR_L4_OFF + 12], 5 << 4);
	assert_int_equal(p.feat.payload_len, 3);
	assert_int_equal(robot_get16((__u8 *)&p.key.port_b), 40000);
}

static void test_v4_fragments(void **state)
{
	struct pkt first = {}, later = {};
	struct robot_parsed p;

	/* first fragment: MF, offset 0: parsed, L4 header present */
	eth(&first, ROBOT_ETH_P_IP, 0);
	ip4(&first, ROBOT_IPPROTO_UDP, 0, 0x2000, 0);
	udp(&first, 100, 0);
	fin_ip4(&first);
	assert_int_equal(parse(DLT_EN10MB, &first, &p), ROBOT_PARSE_OK);
	assert_int_equal(robot_get16(p.feat.hdr + 6), 0x2000);
	assert_int_equal(p.feat.payload_len, 100);

	/* later fragment: offset 185 (1480 bytes): no L4 header */
	eth(&later, ROBOT_ETH_P_IP, 0);
	ip4(&later, ROBOT_IPPROTO_UDP, 0, 185, 0);
	later.hdr_end = later.len;
	put(&later, "0123456789abcdef", 16);
	fin_ip4(&later);
	assert_int_equal(parse(DLT_EN10MB, &later, &p),
			 ROBOT_PARSE_FRAGMENT);
	/* the last fragment (no MF) too */
	robot_put16(later.b + later.ip_off + 6, 0x2000 | 185);
	assert_int_equal(parse(DLT_EN10MB, &later, &p),
			 ROBOT_PARSE_FRAGMENT);
}

static void test_udp(void **state)
{
	struct pkt k = v4_udp(30, 0);
	static const __u8 zero[40];
	struct robot_parsed p;
	const __u8 *l4;

	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_OK);
	expect_v4_ip_region(p.feat.hdr, 0x45, 20 + 8 + 30, 17);
	l4 = p.feat.hdr + ROBOT_HDR_L4_OFF;
	assert_memory_equal(l4, zero, 4);       /* ports */
	assert_int_equal(robot_get16(l4 + 4), 38); /* UDP length kept */
	assert_memory_equal(l4 + 6, zero, 34);  /* checksum, rest */
	assert_int_equal(p.feat.payload_len, 30);
	assert_int_equal(p.feat.tcp_flags, 0);
	assert_int_equal(p.feat.l4_proto, 17);
	assert_int_equal(robot_get16((__u8 *)&p.key.port_a), 53);
}

static void test_v6_ext_headers(void **state)
{
	struct pkt k = v6_ext_tcp(0);
	static const __u8 zero[40];
	struct robot_parsed p;
	const __u8 *h;
	int plen = 8 + 24 + 8 + 28 + 5;

	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_OK);
	h = p.feat.hdr;
	assert_int_equal(h[0], 0x6a);
	assert_int_equal(h[1], 0xbc);
	assert_int_equal(robot_get16(h + 2), plen + 40);
	assert_int_equal(robot_get16(h + 4), 0xdef0);
	assert_memory_equal(h + 6, zero, 2);
	assert_int_equal(h[8], 55);
	assert_int_equal(h[9], ROBOT_IPPROTO_TCP); /* after the chain */
	assert_memory_equal(h + 10, zero, 14);
	assert_int_equal(h[ROBOT_HDR_L4_OFF + 12], 7 << 4);
	assert_memory_equal(h + ROBOT_HDR_L4_OFF + 20, k.b + k.l4_off + 20, 8);
	assert_int_equal(p.feat.ip_ver, 6);
	assert_int_equal(p.feat.ip_len, plen + 40);
	assert_int_equal(p.feat.payload_len, 5);
	assert_int_equal(p.key.family, 6);
	assert_int_equal(p.key.proto, 6);
}

static void test_v6_udp_plain_and_bad(void **state)
{
	struct pkt k = {}, f = {}, icmp = {}, ah = {};
	struct robot_parsed p;

	eth(&k, ROBOT_ETH_P_IPV6, 1);
	ip6(&k, ROBOT_IPPROTO_UDP, 0);
	udp(&k, 4, 0);
	fin_ip6(&k);
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_OK);
	assert_int_equal(p.feat.payload_len, 4);
	assert_int_equal(p.feat.hdr[9], 17);

	/* non-first IPv6 fragment */
	eth(&f, ROBOT_ETH_P_IPV6, 0);
	ip6(&f, ROBOT_IPPROTO_FRAGMENT, 0);
	frag6(&f, ROBOT_IPPROTO_UDP, 185 << 3);
	f.hdr_end = f.len;
	put(&f, "abcdefgh", 8);
	fin_ip6(&f);
	assert_int_equal(parse(DLT_EN10MB, &f, &p), ROBOT_PARSE_FRAGMENT);

	/* ICMPv6 */
	eth(&icmp, ROBOT_ETH_P_IPV6, 0);
	ip6(&icmp, 58, 0);
	put(&icmp, "\x80\0\0\0\0\0\0\0", 8);
	fin_ip6(&icmp);
	assert_int_equal(parse(DLT_EN10MB, &icmp, &p), ROBOT_PARSE_PROTO);

	/* AH (length in 4-byte units + 2), then UDP */
	eth(&ah, ROBOT_ETH_P_IPV6, 0);
	ip6(&ah, ROBOT_IPPROTO_AH, 0);
	put8(&ah, ROBOT_IPPROTO_UDP);
	put8(&ah, 4); /* (4 + 2) * 4 = 24 bytes */
	put(&ah, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
	udp(&ah, 2, 0);
	fin_ip6(&ah);
	assert_int_equal(parse(DLT_EN10MB, &ah, &p), ROBOT_PARSE_OK);
	assert_int_equal(p.feat.payload_len, 2);
}

/* The same IP packet under every link layer gives the same features. */
static void test_link_layers(void **state)
{
	struct pkt ref = v4_tcp(0, 4, 12, 7, 0), k;
	struct robot_parsed pr, p;
	const __u8 *ip = ref.b + ref.ip_off;
	int iplen = ref.len - ref.ip_off, vl;

	assert_int_equal(parse(DLT_EN10MB, &ref, &pr), ROBOT_PARSE_OK);
	for (vl = 1; vl <= 2; vl++) { /* 802.1Q, QinQ */
		k = v4_tcp(vl, 4, 12, 7, 0);
		assert_int_equal(k.len, ref.len + 4 * vl);
		assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_OK);
		assert_memory_equal(&p, &pr, sizeof(p));
	}
	memset(&k, 0, sizeof(k));
	sll(&k, ROBOT_ETH_P_IP);
	put(&k, ip, iplen);
	assert_int_equal(parse(DLT_LINUX_SLL, &k, &p), ROBOT_PARSE_OK);
	assert_memory_equal(&p, &pr, sizeof(p));

	memset(&k, 0, sizeof(k));
	sll(&k, ROBOT_ETH_P_8021Q); /* libpcap re-inserted tag */
	put16be(&k, 5);
	put16be(&k, ROBOT_ETH_P_IP);
	put(&k, ip, iplen);
	assert_int_equal(parse(DLT_LINUX_SLL, &k, &p), ROBOT_PARSE_OK);
	assert_memory_equal(&p, &pr, sizeof(p));

	memset(&k, 0, sizeof(k));
	sll2(&k, ROBOT_ETH_P_IP);
	put(&k, ip, iplen);
	assert_int_equal(parse(DLT_LINUX_SLL2, &k, &p), ROBOT_PARSE_OK);
	assert_memory_equal(&p, &pr, sizeof(p));

	memset(&k, 0, sizeof(k));
	put(&k, ip, iplen);
	assert_int_equal(parse(DLT_RAW, &k, &p), ROBOT_PARSE_OK);
	assert_memory_equal(&p, &pr, sizeof(p));
	assert_int_equal(parse(DLT_IPV4, &k, &p), ROBOT_PARSE_OK);
	assert_memory_equal(&p, &pr, sizeof(p));
}

static void test_link_v6(void **state)
{
	struct pkt ref = v6_ext_tcp(0), k = {};
	struct robot_parsed pr, p;

	assert_int_equal(parse(DLT_EN10MB, &ref, &pr), ROBOT_PARSE_OK);
	put(&k, ref.b + ref.ip_off, ref.len - ref.ip_off);
	assert_int_equal(parse(DLT_RAW, &k, &p), ROBOT_PARSE_OK);
	assert_memory_equal(&p, &pr, sizeof(p));
	memset(&k, 0, sizeof(k));
	sll2(&k, ROBOT_ETH_P_IPV6);
	put(&k, ref.b + ref.ip_off, ref.len - ref.ip_off);
	assert_int_equal(parse(DLT_LINUX_SLL2, &k, &p), ROBOT_PARSE_OK);
	assert_memory_equal(&p, &pr, sizeof(p));
}

static void test_not_classified(void **state)
{
	struct pkt k;
	struct robot_parsed p;

	/* ARP */
	memset(&k, 0, sizeof(k));
	eth(&k, 0x0806, 0);
	put(&k, "\0\1\x08\0\6\4\0\1", 8);
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_NOT_IP);
	/* three VLAN tags: deeper than followed */
	memset(&k, 0, sizeof(k));
	eth(&k, ROBOT_ETH_P_8021Q, 2);
	put16be(&k, 7);
	put16be(&k, ROBOT_ETH_P_IP);
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_NOT_IP);
	/* ICMP */
	memset(&k, 0, sizeof(k));
	eth(&k, ROBOT_ETH_P_IP, 0);
	ip4(&k, 1, 0, 0, 0);
	put(&k, "\x08\0\0\0\0\0\0\0", 8);
	fin_ip4(&k);
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_PROTO);
	/* IHL below 5 */
	k = v4_tcp(0, 0, 0, 0, 0);
	k.b[k.ip_off] = 0x44;
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_BAD_HDR);
	/* IPv6 version inside an IPv4 EtherType */
	k = v4_tcp(0, 0, 0, 0, 0);
	k.b[k.ip_off] = 0x65;
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_BAD_HDR);
	/* total length below the header (TSO capture) */
	k = v4_tcp(0, 0, 0, 0, 0);
	robot_put16(k.b + k.ip_off + 2, 0);
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_BAD_HDR);
	/* TCP data offset below 5 */
	k = v4_tcp(0, 0, 0, 0, 0);
	k.b[k.l4_off + 12] = 4 << 4;
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_BAD_HDR);
	/* IPv6 extension chain longer than the payload length */
	k = v6_ext_tcp(0);
	robot_put16(k.b + k.ip_off + 4, 16);
	assert_int_equal(parse(DLT_EN10MB, &k, &p), ROBOT_PARSE_BAD_HDR);
	/* raw IP with version 5; SLL carrying ARP; unknown link type */
	memset(&k, 0, sizeof(k));
	put(&k, "\x50\0\0\0", 4);
	assert_int_equal(parse(DLT_RAW, &k, &p), ROBOT_PARSE_NOT_IP);
	memset(&k, 0, sizeof(k));
	sll(&k, 0x0806);
	put(&k, "\0\1\x08\0\6\4\0\1", 8);
	assert_int_equal(parse(DLT_LINUX_SLL, &k, &p), ROBOT_PARSE_NOT_IP);
	k = v4_tcp(0, 0, 0, 0, 0);
	assert_int_equal(parse(DLT_NULL, &k, &p), ROBOT_PARSE_NOT_IP);
	assert_false(robot_link_supported(DLT_NULL));
	assert_true(robot_link_supported(DLT_LINUX_SLL2));
}

/* Every prefix shorter than the headers is an error, never a read past
 * it; every longer prefix parses as the whole packet does.
 */
static void check_truncations(int dlt, const struct pkt *k, int want)
{
	struct robot_parsed full, p;
	int len, res;

	assert_true(k->hdr_end > 0 && k->hdr_end <= k->len);
	assert_int_equal(parse(dlt, k, &full), want);
	for (len = 0; len < k->len; len++) {
		res = parse_n(dlt, k, len, &p);
		if (len < k->hdr_end) {
			if (want == ROBOT_PARSE_OK)
				assert_int_equal(res, ROBOT_PARSE_TRUNCATED);
			else
				assert_int_not_equal(res, ROBOT_PARSE_OK);
		} else {
			assert_int_equal(res, want);
			assert_memory_equal(&p, &full, sizeof(p));
		}
	}
}

static void test_truncation_everywhere(void **state)
{
	struct pkt k, ip;
	int i;

	for (i = 0; i < 3; i++) {
		k = v4_tcp(i, 8, 12, 6, 0);
		check_truncations(DLT_EN10MB, &k, ROBOT_PARSE_OK);
	}
	k = v4_tcp(0, 4, 40, 6, 1);
	check_truncations(DLT_EN10MB, &k, ROBOT_PARSE_OK);
	k = v4_udp(5, 0);
	check_truncations(DLT_EN10MB, &k, ROBOT_PARSE_OK);
	k = v6_ext_tcp(0);
	check_truncations(DLT_EN10MB, &k, ROBOT_PARSE_OK);

	/* the same packets under the capture link layers */
	ip = v6_ext_tcp(1);
	memset(&k, 0, sizeof(k));
	put(&k, ip.b + ip.ip_off, ip.len - ip.ip_off);
	k.hdr_end = ip.hdr_end - ip.ip_off;
	check_truncations(DLT_RAW, &k, ROBOT_PARSE_OK);
	memset(&k, 0, sizeof(k));
	sll(&k, ROBOT_ETH_P_8021Q);
	put16be(&k, 5);
	put16be(&k, ROBOT_ETH_P_IPV6);
	put(&k, ip.b + ip.ip_off, ip.len - ip.ip_off);
	k.hdr_end = ip.hdr_end - ip.ip_off + 20;
	check_truncations(DLT_LINUX_SLL, &k, ROBOT_PARSE_OK);
	ip = v4_udp(3, 1);
	memset(&k, 0, sizeof(k));
	sll2(&k, ROBOT_ETH_P_IP);
	put(&k, ip.b + ip.ip_off, ip.len - ip.ip_off);
	k.hdr_end = ip.hdr_end - ip.ip_off + ROBOT_SLL2_HLEN;
	check_truncations(DLT_LINUX_SLL2, &k, ROBOT_PARSE_OK);

	/* packets that are not classified are refused at every length */
	memset(&k, 0, sizeof(k));
	eth(&k, ROBOT_ETH_P_IP, 0);
	ip4(&k, ROBOT_IPPROTO_TCP, 0, 100, 0);
	k.hdr_end = k.len;
	put(&k, "payload!", 8);
	fin_ip4(&k);
	check_truncations(DLT_EN10MB, &k, ROBOT_PARSE_FRAGMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_tcp_options),
		cmocka_unit_test(test_tcp_long_options),
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_v4_options),
		cmocka_unit_test(test_v4_fragments),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_v6_ext_headers),
		cmocka_unit_test(test_v6_udp_plain_and_bad),
		cmocka_unit_test(test_link_layers),
		cmocka_unit_test(test_link_v6),
		cmocka_unit_test(test_not_classified),
		cmocka_unit_test(test_truncation_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
