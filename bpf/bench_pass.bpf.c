// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Benchmark baseline: the bare XDP_PASS program (tests/bench/bench_xdp.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
