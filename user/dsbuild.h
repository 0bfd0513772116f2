/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dsbuild.h - build a flow dataset from a directory of captures and a
 * labels CSV (the engine of `robot dataset`, also used by tests and the
 * benchmark).
 *
 * Every capture is parsed (pcapread.h, robot_feat.h) and assembled into
 * bidirectional flows (flowtab.h) with an idle timeout; label rows are then
 * joined to flows of the same capture by canonical 5-tuple key, and when a
 * key has several flows (idle timeout), to the flow whose first packet is
 * nearest the row's first_ts; each flow serves one row at most. Rows whose
 * ndpi_label starts with "DNS." are dropped, as are rows of categories not
 * in the class list.
 */
#ifndef ROBOT_DSBUILD_H
#define ROBOT_DSBUILD_H

#include <linux/types.h>
#include "robot_feat.h"
#include "dataset.h"

#define ROBOT_DSB_IDLE_DEFAULT_NS (120ull * 1000000000ull)

struct robot_dsb_opts {
	const char *pcap_dir;
	const char *labels;             /* labels CSV path */
	const char *classes[ROBOT_CLASS_MAX]; /* class names, in order */
	int n_classes;                  /* 0: the default 6 (no Email) */
	__u64 idle_ns;                  /* 0: ROBOT_DSB_IDLE_DEFAULT_NS */
};

/* Why a (non-DNS, well-formed) label row found no flow. */
enum robot_dsb_miss {
	ROBOT_DSB_MISS_NO_FILE = 0,  /* capture absent from the directory */
	ROBOT_DSB_MISS_BAD_FILE = 1, /* capture unreadable / link type */
	ROBOT_DSB_MISS_NO_FLOW = 2,  /* no TCP/UDP flow with that 5-tuple */
	ROBOT_DSB_MISS_TAKEN = 3,    /* its flows all went to nearer rows */
	ROBOT_DSB_MISS_MAX = 4,
};

struct robot_dsb_miss_row {
	__u32 line;  /* CSV line */
	__u32 label; /* index into the labels' rows */
	__u8 reason; /* enum robot_dsb_miss */
};

struct robot_dsb_stats {
	__u32 files;           /* captures found in the directory */
	__u32 files_failed;    /* captures that could not be (fully) read */
	__u32 errors;          /* inputs skipped for an error (exit 1) */
	__u64 packets;         /* packets read from captures */
	__u64 parsed;          /* TCP/UDP packets assembled into flows */
	__u64 skipped[ROBOT_PARSE_MAX]; /* by enum robot_parse_res */
	__u64 flows_assembled; /* flows in all captures, labeled or not */
	__u32 labels_rows;     /* well-formed rows */
	__u32 labels_bad;      /* malformed rows */
	__u32 labels_dns;      /* DNS look-up rows, dropped */
	__u32 labels_considered; /* labels_rows - labels_dns */
	__u32 labels_matched;  /* considered rows joined to a flow */
	__u32 labels_other_class; /* matched, category not in the list */
	__u32 miss[ROBOT_DSB_MISS_MAX];
	struct robot_dsb_miss_row *missed; /* [labels_considered -
					    * labels_matched] */
	__u32 n_missed;
	__u32 init_differs;    /* matched flows whose first packet came from
				* the row's dst side */
	__u32 pkts_equal;      /* matched flows with the row's packet count */
	__u64 max_dt_ns;       /* largest |first_ts - flow start| matched */
	__u64 ds_packets;      /* packets of the dataset's flows */
	__u64 ds_stored;       /* feature records stored */
};

/* Build ds (which robot_ds_free() releases). Returns 0 when every input
 * was read, 1 when some input was skipped for an error (messages printed,
 * the dataset holds the rest), or -errno when nothing could be built
 * (labels unreadable, pcap_dir unreadable, bad class name, no memory).
 * labels, when not NULL, receives the parsed label rows (free with
 * robot_labels_free); st->missed indexes them.
 */
struct robot_labels;
int robot_dsb_build(const struct robot_dsb_opts *o, struct robot_dataset *ds,
		    struct robot_dsb_stats *st, struct robot_labels *labels);
void robot_dsb_stats_free(struct robot_dsb_stats *st);

/* enum robot_class id of a class name (case-insensitive), -1 if none. */
int robot_class_id(const char *name);
extern const char *const robot_parse_res_names[ROBOT_PARSE_MAX];
extern const char *const robot_dsb_miss_names[ROBOT_DSB_MISS_MAX];

#endif
