/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * robot_maps.bpf.h - the maps of the Robot datapath.
 *
 * Used *ONLY* by BPF programs (bpf/robot.bpf.c). The value layouts live in
 * include/robot_abi.h, the user-facing description in docs/datapath.md.
 * Every map is pinned by name (LIBBPF_PIN_BY_NAME), so that the XDP and
 * the tc program share them even when loaded separately (iproute2).
 */
#ifndef ROBOT_MAPS_BPF_H
#define ROBOT_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "robot_abi.h"
#include "robot_cnn.bpf.h"

/* Flow table. key: struct robot_flow_key (canonical, both directions);
 * value: struct robot_flow. Written by XDP and tc egress (create, counts,
 * stage, fast verdict), by the daemon (robust verdict, class); read by
 * tc (marks) and the daemon. max_entries is a load-time parameter
 * (bpf_map__set_max_entries, default ROBOT_FLOWS_DEFAULT).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ROBOT_FLOWS_DEFAULT);
	__type(key, struct robot_flow_key);
	__type(value, struct robot_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_FLOWS SEC(".maps");

/* Packets of FDD flows for the Robust model. record: struct robot_event.
 * Written by XDP and tc egress, read by the daemon. Size (bytes, power of
 * two) is a load-time parameter, default ROBOT_EVENTS_DEFAULT.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ROBOT_EVENTS_DEFAULT);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_EVENTS SEC(".maps");

/* Counters. key: __u32 enum robot_stat; value: __u64 per CPU. Written by
 * XDP and tc, read by `robot stats` (sum over CPUs).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ROBOT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_STATS SEC(".maps");

/* Fast model, two slots. key: __u32 slot 0/1; value: struct
 * robot_bpf_model. Written by robot_bpfmodel_load() (the inactive slot
 * only), read by XDP and tc egress (the active slot).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct robot_bpf_model);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_MODEL SEC(".maps");

/* Active model slot. key: __u32 0; value: __u32 slot. Written by
 * robot_bpfmodel_load() after the slot is complete, read by XDP and tc.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_ACTIVE SEC(".maps");

/* skb->mark per class. key: __u32 enum robot_class; value: struct
 * robot_mark. Written by the loader (defaults mark = class + 1, mask
 * 0xff), read by tc. A zero mask leaves skb->mark alone.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ROBOT_CLASS_MAX);
	__type(key, __u32);
	__type(value, struct robot_mark);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_MARKS SEC(".maps");

/* Runtime policy. key: __u32 0; value: struct robot_config. Written by
 * the loader/daemon, read by XDP and tc egress.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct robot_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_CONFIG SEC(".maps");

/* Interfaces where robot_xdp runs. key: __u32 ifindex; value: __u32
 * ROBOT_IF_XDP. Written by the daemon after each XDP attach, read by tc
 * egress (forwarded packets from these interfaces: mark only). Empty when
 * the programs are loaded by iproute2: tc egress then runs the flow logic
 * on every packet.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ROBOT_XDP_IFACES_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_XDP_IFACES SEC(".maps");

/* Per-CPU state: token bucket and CNN activations. key: __u32 0; value:
 * struct robot_percpu (bpf/robot_cnn.bpf.h, not ABI). Written and read by
 * XDP and tc egress only; pinned so that separately loaded programs share
 * one classification budget.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct robot_percpu);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ROBOT_MAP_PERCPU SEC(".maps");

#endif /* ROBOT_MAPS_BPF_H */
