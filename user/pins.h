/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pins.h - the pin directory (/sys/fs/bpf/robot), its lock, the daemon's
 * own pinned stats map and the attach-state file.
 *
 * What lives where:
 *   /sys/fs/bpf/robot/            dir 0700, flock()ed by the daemon
 *     robot_flows_v1 ...          the BPF object's maps (robot_abi.h), 0600
 *     robot_daemon_v1             ARRAY, 1 entry, struct robot_dstats:
 *                                 daemon-side counters, written by the
 *                                 daemon, read by `robot stats|status`
 *   /run/robot/attach-NETNS.state what the daemon attached (text, see
 *                                 robot_state_write()), read by
 *                                 `robot status` and `robot detach`
 */
#ifndef ROBOT_PINS_H
#define ROBOT_PINS_H

#include <stddef.h>
#include <linux/types.h>
#include "robot_abi.h"

#define ROBOT_RUN_DIR "/run/robot"
/* /run/robot/attach-<netns inode>.state: /run is shared by the network
 * namespaces, the pin directory (a bpffs per `ip netns exec`) is not.
 */
#define ROBOT_STATE_FMT ROBOT_RUN_DIR "/attach-%lu.state"
#define ROBOT_MAP_DAEMON robot_daemon_v1

#define ROBOT_IFACES_MAX 16
#define ROBOT_LAT_BUCKETS 96 /* latency histogram: 1 us .. 2^24 us (16.8 s) */

/* Value of the robot_daemon_v1 map (key 0). All counters are totals
 * since the daemon started; times are CLOCK_MONOTONIC ns.
 */
struct robot_dstats {
	__u64 started_ns;     /* daemon start */
	__u64 updated_ns;     /* last write of this record */
	__u32 pid;            /* daemon pid */
	__u32 fast_ver;       /* Fast model version in the active slot */
	__u32 robust_ver;     /* Robust model version, 0: none */
	__u8 device;          /* 0: none (count-only), 1: cpu, 2: gpu */
	__u8 pad[3];
	__u64 records;        /* ringbuf records accepted into windows */
	__u64 dups;           /* duplicate records */
	__u64 late;           /* records of flows already handed over */
	__u64 invalid;        /* malformed records */
	__u64 windows[4];     /* enum robot_coll_reason */
	__u64 pending;        /* flows being assembled now */
	__u64 batches;        /* inference batches run */
	__u64 batch_items;    /* windows classified */
	__u64 verdicts;       /* ROBOT_STAT_ROBUST_VERDICTS: written */
	__u64 stale;          /* flow gone or reused before its verdict */
	__u64 write_errors;   /* flow map update failed */
	__u64 infer_errors;   /* inference failed (window dropped) */
	__u64 reloads;        /* SIGHUP reloads done */
	__u64 reload_errors;  /* SIGHUP reloads refused */
	__u64 infer_ns;       /* time spent in inference */
	/* Verdict latency, from the window's hand-over by the collector
	 * (complete, idle, evicted) to its verdict in the flow map: batch
	 * wait + inference + write. Bucket b counts latencies in
	 * [lat_lo(b), lat_lo(b+1)) us (robot_lat_bucket()).
	 */
	__u64 lat[ROBOT_LAT_BUCKETS];
};

/* Latency bucket of a value in microseconds: four buckets per octave. */
int robot_lat_bucket(__u64 us);
/* Lower bound of bucket b, microseconds. */
double robot_lat_lo(int b);
/* p-th percentile (0..100) of a histogram, the bucket's upper bound, us;
 * 0 if empty.
 */
double robot_lat_pct(const __u64 *lat, double p);

/* Make sure /sys/fs/bpf is a bpffs (mount one if not: `ip netns exec`
 * remounts /sys) and create dir (0700). 0 or -errno.
 */
int robot_pins_prepare(const char *dir);

/* flock() the pin directory: returns the held fd or -errno; -EBUSY when
 * another process holds it (nonblocking).
 */
int robot_pins_lock(const char *dir);
void robot_pins_unlock(int fd);

/* Path of a pinned object. 0 or -ENAMETOOLONG. */
int robot_pin_path(char *buf, size_t sz, const char *dir, const char *name);

/* Open a pinned map read-write. fd or -errno. */
int robot_pin_open(const char *dir, const char *name);

/* Remove every pin in dir, keep dir. Returns the number removed or
 * -errno.
 */
int robot_pins_clear(const char *dir);
/* Remove every pin in dir and dir itself. Returns the number removed or
 * -errno (-ENOENT if dir does not exist).
 */
int robot_pins_remove(const char *dir);

/* One attached interface, as the state file records it. */
struct robot_iface_state {
	char name[32];
	int ifindex;
	int mode;           /* enum xdp_attach_mode */
	__u32 xdp_prog_id;  /* our XDP program (0: not attached) */
	__u32 tc_prog_id;   /* our tc program */
	int clsact_created; /* we created the clsact qdisc */
	int tc_ingress;     /* our filter is on ingress */
	int tc_egress;      /* our filter is on egress */
};

struct robot_state {
	int pid;
	int n_ifaces;
	char models[256]; /* model dir, "" in count-only mode */
	struct robot_iface_state ifaces[ROBOT_IFACES_MAX];
};

/* Write (atomically: temp file + rename) / read the state file. 0 or
 * -errno; read: -ENOENT without a file, -EINVAL on a malformed one.
 */
int robot_state_write(const char *path, const struct robot_state *st);
/* The state file of this network namespace. */
const char *robot_state_path(void);
int robot_state_read(const char *path, struct robot_state *st);

#endif
