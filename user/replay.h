/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * replay.h - offline runs of captures through the datapath and the
 * daemon's pipeline (`robot replay`), as a function for eval and tests.
 *
 * Each capture runs on its own (empty flow table at its start): its
 * packets, in capture order, go through the XDP program itself with
 * BPF_PROG_TEST_RUN; the ringbuf records each run produced are consumed
 * right after it, their ts_ns replaced by the packet's capture timestamp,
 * and fed to the collector (user/collector.h) with the capture time as
 * the clock, so idle timeouts follow capture time. Windows are
 * classified by the Robust model (CPU) and the verdict is written into
 * the flow map as the daemon does. At the end of the capture pending
 * windows are closed (reason flush) and classified, then every flow of
 * the table is reported.
 *
 * Without BPF (no privileges, no BTF kernel...) the same steps run on an
 * emulation: robot_fastq_infer() and a userspace flow table following
 * bpf/robot.bpf.c's flow logic (no classification budget).
 */
#ifndef ROBOT_REPLAY_H
#define ROBOT_REPLAY_H

#include <linux/types.h>
#include "robot_abi.h"

struct robot_replay_opts {
	const char *models_dir;  /* fast.model (required), robust.model */
	int emulate;             /* 1: never try BPF */
	__u32 flows;             /* flow table entries per capture */
	__u64 idle_timeout_ns;   /* collector idle timeout (capture time) */
};

/* One flow of a capture, as the flow table holds it at the end. */
struct robot_replay_flow {
	const char *file;          /* the capture */
	struct robot_flow_key key;
	struct robot_flow flow;    /* first_ns/last_ns: kernel clock in BPF
				    * mode, capture time when emulated */
	__u64 first_ts_ns;         /* capture time of its first packet */
};

struct robot_replay_summary {
	int bpf;                 /* 1: BPF_PROG_TEST_RUN, 0: emulation */
	__u32 files;             /* captures replayed */
	__u32 file_errors;       /* unreadable or damaged captures */
	__u64 packets;           /* packets run */
	__u64 truncated;         /* frames cut to the test-run maximum */
	__u64 flows;             /* flows reported */
	__u64 records;           /* ringbuf records (or emulated) */
	__u64 windows;           /* windows classified */
	__u64 verdicts;          /* robust verdicts written */
	__u64 stage[ROBOT_STAGE_MAX]; /* flows per final stage */
	__u64 class[ROBOT_CLASS_MAX + 1]; /* flows per class, [MAX]: none */
	__u64 fdd;               /* flows found FDD */
};

/* Called once per flow; a non-zero return stops the replay. */
typedef int (*robot_replay_flow_fn)(const struct robot_replay_flow *f,
				    void *ctx);

/* Replay files in order. 0 or -errno (-EINVAL: bad model, ...). A file
 * that is not a readable capture is reported, counted in file_errors and
 * skipped; a capture damaged midway is counted in file_errors too, and
 * the flows of its packets before the damage are reported.
 */
int robot_replay_run(const struct robot_replay_opts *o, char *const *files,
		     int n_files, robot_replay_flow_fn cb, void *ctx,
		     struct robot_replay_summary *sum);

#endif
