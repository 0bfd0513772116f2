// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_feat - the packet parser of include/robot_feat.h (the one the XDP
 * program runs) and the capture link layers of user/pcapread.c on
 * arbitrary bytes.
 *
 * Input: byte 0 selects the entry point, the rest is the packet, copied
 * into a buffer of exactly its size so that ASan sees a read one byte
 * past the end:
 *   0..5   robot_parse_link() with EN10MB, LINUX_SLL, LINUX_SLL2, RAW,
 *          IPV4, IPV6 (EN10MB is robot_parse_frame(), the XDP path)
 *   6, 7   robot_parse_l3() with EtherType IPv4 / IPv6
 * Checks on every successful parse: family and protocol consistent, the
 * key canonical (side a sorts first) and padding zero, the features
 * within the packet, and the same result when parsed twice (no state);
 * then the reference Fast model runs on the header vector.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pcapread.h"
#include "fastq.h"
#include "log.h"

static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
			    DLT_RAW, DLT_IPV4, DLT_IPV6 };

static struct robot_fastq model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	__u32 o, k, c, j;

	robot_log_level = -1; /* bad input is expected: no messages */
	model.arch = (struct robot_fastq_arch){
		.c1 = ROBOT_FASTQ_DEF_C1, .k1 = ROBOT_FASTQ_DEF_K1,
		.s1 = ROBOT_FASTQ_DEF_S1, .p1 = ROBOT_FASTQ_DEF_P1,
		.c2 = ROBOT_FASTQ_DEF_C2, .k2 = ROBOT_FASTQ_DEF_K2,
		.s2 = ROBOT_FASTQ_DEF_S2, .p2 = ROBOT_FASTQ_DEF_P2,
		.emb = ROBOT_FASTQ_DEF_EMB,
	};
	if (robot_fastq_arch_check(&model.arch))
		abort();
	srand(1);
	for (o = 0; o < model.arch.c1; o++) {
		for (k = 0; k < model.arch.k1; k++)
			model.w1[o][k] = rand();
		model.m1[o] = rand() & 0xffff;
		model.sh1[o] = 16;
	}
	for (o = 0; o < model.arch.c2; o++) {
		for (c = 0; c < model.arch.c1; c++)
			for (k = 0; k < model.arch.k2; k++)
				model.w2[o][c][k] = rand();
		model.m2[o] = rand() & 0xffff;
		model.sh2[o] = 20;
	}
	for (o = 0; o < model.arch.emb; o++) {
		for (j = 0; j < model.arch.c2 * model.arch.l2; j++)
			model.w3[o][j] = rand();
		model.m3[o] = rand() & 0xffff;
		model.sh3[o] = 24;
	}
	model.n_cent = 7;
	for (j = 0; j < model.n_cent; j++) {
		for (o = 0; o < model.arch.emb; o++)
			model.cent[j][o] = rand();
		model.cent_class[j] = j;
	}
	model.thresh = 1ull << 28;
	model.version = 1;
	return 0;
}

static int parse(__u8 sel, const __u8 *d, const __u8 *end,
		 struct robot_parsed *p)
{
	robot_feat_zero(p);
	if (sel < 6)
		return robot_parse_link(dlts[sel], d, end, p);
	return robot_parse_l3(d, end, sel == 6 ? ROBOT_ETH_P_IP :
						 ROBOT_ETH_P_IPV6, p);
}

static void check_ok(const struct robot_parsed *p, size_t len)
{
	const struct robot_flow_key *k = &p->key;
	int alen = k->family == 4 ? 4 : 16, i;
	__u16 pa = robot_get16((const __u8 *)&k->port_a);
	__u16 pb = robot_get16((const __u8 *)&k->port_b);

	if (k->family != 4 && k->family != 6)
		abort();
	if (k->proto != ROBOT_IPPROTO_TCP && k->proto != ROBOT_IPPROTO_UDP)
		abort();
	if (p->feat.l4_proto != k->proto || p->feat.ip_ver != k->family)
		abort();
	if (k->pad[0] || k->pad[1] || p->src_is_a > 1)
		abort();
	for (i = alen; i < 16; i++)
		if (k->addr_a[i] || k->addr_b[i])
			abort();
	/* canonical: (addr_a, port_a) <= (addr_b, port_b) */
	if (!robot_ep_le(k->addr_a, pa, k->addr_b, pb, alen))
		abort();
	if (k->proto == ROBOT_IPPROTO_UDP && p->feat.tcp_flags)
		abort();
	/* IPv4: the payload never exceeds the IP total length (IPv6's
	 * ip_len = payload length + 40 wraps at 16 bits on lying headers)
	 */
	if (k->family == 4 && p->feat.payload_len > p->feat.ip_len)
		abort();
	(void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct robot_parsed p1, p2;
	struct robot_fastq_out out;
	__u8 *buf, sel;
	size_t len;
	int r1, r2;

	if (size < 1)
		return 0;
	sel = data[0] % 8;
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	r1 = parse(sel, buf, buf + len, &p1);
	r2 = parse(sel, buf, buf + len, &p2);
	if (r1 < 0 || r1 >= ROBOT_PARSE_MAX || r1 != r2)
		abort();
	if (r1 == ROBOT_PARSE_OK) {
		if (memcmp(&p1, &p2, sizeof(p1)))
			abort();
		check_ok(&p1, len);
		robot_fastq_infer(&model, p1.feat.hdr, &out);
		if (out.best >= model.n_cent || out.fdd > 1)
			abort();
	}
	free(buf);
	return 0;
}
