/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * collector.h - assembles the ringbuf records (struct robot_event) of FDD
 * flows into their Robust-model windows.
 *
 * The XDP and tc programs send up to ROBOT_WINDOW records per FDD flow,
 * each tagged with its index in the window (seq) and the flow incarnation
 * (key + flow_first_ns). Records of one flow may arrive out of order (one
 * ringbuf, several CPUs, XDP and tc egress) and, rarely, twice. The
 * collector keeps one pending entry per flow incarnation, stores each
 * record at its seq, and hands the window to a callback when
 *   - all ROBOT_WINDOW seqs arrived (ROBOT_COLL_COMPLETE), or
 *   - no record came for idle_timeout_ns (ROBOT_COLL_IDLE): the flow
 *     stopped short, classified on what arrived, or
 *   - the table is full and it is the least recently active flow
 *     (ROBOT_COLL_EVICTED), or
 *   - the caller flushes (ROBOT_COLL_FLUSH, at exit / end of a replay).
 * The window handed over holds the received packets in seq order, gaps
 * squeezed out; the caller pads it as the trainer does
 * (robot_robust_featurize).
 *
 * After a window is handed over, its flow stays in the table as a
 * tombstone for idle_timeout_ns so that late or duplicate records do not
 * open it again (counted as late). Memory is bounded by max_flows entries
 * (pending flows and tombstones together; tombstones are reused first).
 *
 * Pure code: no I/O, no clock. Times (now_ns) come from the caller: the
 * monotonic clock in the daemon, capture timestamps in `robot replay`.
 */
#ifndef ROBOT_COLLECTOR_H
#define ROBOT_COLLECTOR_H

#include <linux/types.h>
#include "robot_abi.h"

/* Why a window was handed over. */
enum robot_coll_reason {
	ROBOT_COLL_COMPLETE = 0, /* all ROBOT_WINDOW packets arrived */
	ROBOT_COLL_IDLE = 1,     /* idle timeout: stopped short */
	ROBOT_COLL_EVICTED = 2,  /* table full, least recently active */
	ROBOT_COLL_FLUSH = 3,    /* robot_coll_flush() */
	ROBOT_COLL_REASON_MAX = 4,
};

#define ROBOT_COLL_REASON_NAMES { "complete", "idle", "evicted", "flush" }

/* One assembled window. */
struct robot_coll_window {
	struct robot_flow_key key;
	__u64 flow_first_ns; /* flow incarnation (robot_flow.first_ns) */
	__u64 last_ns;       /* caller's time of the last record, ns */
	__u32 model_ver;     /* Fast model version that found it FDD */
	__u8 fast_class;     /* the fast verdict (enum robot_class) */
	__u8 reason;         /* enum robot_coll_reason */
	__u8 n_pkts;         /* packets in pkts[], 0 < n_pkts <= WINDOW */
	__u8 pad;
	__u32 seq_mask;      /* bit i: seq i arrived */
	struct robot_pkt_feat pkts[ROBOT_WINDOW]; /* by seq, gaps removed */
};

struct robot_coll_stats {
	__u64 records;   /* records accepted into a window */
	__u64 dups;      /* records whose seq was already there */
	__u64 late;      /* records of a flow already handed over */
	__u64 invalid;   /* seq >= ROBOT_WINDOW */
	__u64 windows[ROBOT_COLL_REASON_MAX]; /* windows handed over */
	__u64 pending;   /* flows being assembled now */
	__u64 tombstones; /* handed-over flows remembered now */
};

typedef void (*robot_coll_emit_fn)(const struct robot_coll_window *w,
				   void *ctx);

/* Asked before a record opens a new pending flow: 1 when that flow
 * incarnation already has its verdict (its tombstone expired, e.g. a
 * window closed by the idle timeout whose flow resumed later), so the
 * record is late and dropped. The daemon answers from the flow map.
 */
typedef int (*robot_coll_closed_fn)(const struct robot_event *ev, void *ctx);

struct robot_coll;

/* max_flows >= 1; idle_timeout_ns > 0. NULL on bad arguments or ENOMEM
 * (errno set).
 */
struct robot_coll *robot_coll_new(__u32 max_flows, __u64 idle_timeout_ns,
				  robot_coll_emit_fn emit, void *ctx);
void robot_coll_free(struct robot_coll *c);

/* Optional: see robot_coll_closed_fn (ctx is the one of robot_coll_new). */
void robot_coll_set_closed_fn(struct robot_coll *c, robot_coll_closed_fn fn);

/* Add one record seen at now_ns. May call emit (complete, eviction).
 * Returns 0, or -EINVAL for a record that cannot be placed (bad seq).
 */
int robot_coll_add(struct robot_coll *c, const struct robot_event *ev,
		   __u64 now_ns);

/* Hand over the flows idle since now_ns - idle_timeout_ns, forget old
 * tombstones. Returns the number of windows handed over.
 */
int robot_coll_expire(struct robot_coll *c, __u64 now_ns);

/* Hand over every pending flow (reason FLUSH). Returns their number. */
int robot_coll_flush(struct robot_coll *c);

/* Earliest time at which robot_coll_expire() has work to do; 0 when
 * nothing is pending or remembered.
 */
__u64 robot_coll_next_deadline(const struct robot_coll *c);

void robot_coll_get_stats(const struct robot_coll *c,
			  struct robot_coll_stats *st);

#endif
