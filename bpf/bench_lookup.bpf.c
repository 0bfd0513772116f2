// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark baselines (tests/bench/bench_xdp.c):
 * bench_lookup: a minimal 5-tuple LRU lookup (Ethernet, IPv4/IPv6 without
 *   extension headers, TCP/UDP ports) with a key as large as Robot's, the
 *   least any per-flow XDP program pays;
 * bench_parse: include/robot_feat.h's full parse and feature extraction,
 *   nothing else.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "robot_abi.h"
#include "robot_feat.h"

/* Bench only: key struct robot_flow_key (uncanonicalized), value
 * __u64 packets. Written and read by bench_lookup. Not pinned.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct robot_flow_key);
	__type(value, __u64);
} bench_flows SEC(".maps");

SEC("xdp")
int bench_lookup(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct robot_flow_key k = {};
	const __u8 *l4;
	__u64 one = 1, *v;
	__u16 type;

	if (data + 14 > end)
		return XDP_PASS;
	type = robot_get16(data + 12);
	if (type == ROBOT_ETH_P_IP) {
		if (data + 34 > end)
			return XDP_PASS;
		__builtin_memcpy(k.addr_a, data + 26, 4);
		__builtin_memcpy(k.addr_b, data + 30, 4);
		k.proto = data[23];
		l4 = data + 14 + (data[14] & 0xf) * 4;
	} else if (type == ROBOT_ETH_P_IPV6) {
		if (data + 54 > end)
			return XDP_PASS;
		__builtin_memcpy(k.addr_a, data + 22, 16);
		__builtin_memcpy(k.addr_b, data + 38, 16);
		k.proto = data[20];
		l4 = data + 54;
	} else {
		return XDP_PASS;
	}
	if (l4 + 4 > end)
		return XDP_PASS;
	__builtin_memcpy(&k.port_a, l4, 2);
	__builtin_memcpy(&k.port_b, l4 + 2, 2);
	v = bpf_map_lookup_elem(&bench_flows, &k);
	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&bench_flows, &k, &one, BPF_ANY);
	return XDP_PASS;
}

/* Bench only: where bench_parse leaves its result so that the parse is
 * not optimized away. Not pinned.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_sink SEC(".maps");

SEC("xdp")
int bench_parse(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct robot_parsed p;
	__u32 zero = 0;
	__u64 *sink;
	int err;

	robot_feat_zero(&p);
	err = robot_parse_frame(data, end, &p);
	sink = bpf_map_lookup_elem(&bench_sink, &zero);
	if (sink)
		*sink += err + p.feat.hdr[9] + p.feat.payload_len +
			 p.key.port_a;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
