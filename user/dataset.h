/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dataset.h - the flow dataset: in-memory form, file I/O (reader API shared
 * by `robot dataset`, the trainer, eval and tests).
 *
 * A dataset holds, per labeled flow, its class, app, split columns and the
 * feature records (struct robot_pkt_feat, robot_feat.h) of its first
 * ROBOT_DATASET_PKTS packets in arrival order, with dir relative to the
 * flow's first packet and ts_ns from the capture.
 * The file format is documented in dataset.c / docs/dataset-format.md.
 */
#ifndef ROBOT_DATASET_H
#define ROBOT_DATASET_H

#include <stddef.h>
#include <linux/types.h>
#include "robot_abi.h"

#define ROBOT_DS_NAME_MAX 48 /* class/app name, NUL included */

/* Split column values (labels_flows.csv splitA/splitB). */
enum robot_ds_split {
	ROBOT_DS_KNOWN = 0,  /* "known": may enter training */
	ROBOT_DS_UNSEEN = 1, /* "unseen": test only */
};

struct robot_ds_flow {
	struct robot_flow_key key; /* canonical key */
	__u16 class_idx;  /* index into robot_dataset.classes */
	__u16 app_idx;    /* index into robot_dataset.apps */
	__u8 split_a;     /* enum robot_ds_split */
	__u8 split_b;     /* enum robot_ds_split */
	__u8 a_is_init;   /* 1: key side "a" sent the first packet */
	__u8 pad;
	__u16 n_pkts;     /* stored packets, <= ROBOT_DATASET_PKTS */
	__u16 file_idx;   /* index into robot_dataset.files */
	__u32 total_pkts; /* packets of the flow in the capture */
	__u32 label_row;  /* 1-based CSV line of its label row */
	struct robot_pkt_feat pkts[ROBOT_DATASET_PKTS];
};

struct robot_dataset {
	__u32 n_classes;
	char (*classes)[ROBOT_DS_NAME_MAX];
	__u8 *class_ids;  /* [n_classes] enum robot_class of each class */
	__u32 n_apps;
	char (*apps)[ROBOT_DS_NAME_MAX];
	__u16 *app_class; /* [n_apps] class_idx of each app */
	__u32 n_files;
	char (*files)[ROBOT_DS_NAME_MAX * 2]; /* capture file names */
	__u32 n_flows;
	struct robot_ds_flow *flows;
	__u32 checksum;   /* of the file it was loaded from (0 if built) */
};

/* Write/read the binary dataset file. Return 0 or -errno; on a bad file,
 * print a message naming the file and what is wrong, and leave *ds empty.
 */
int robot_ds_save(const struct robot_dataset *ds, const char *path);
int robot_ds_load(const char *path, struct robot_dataset *ds);
void robot_ds_free(struct robot_dataset *ds);

/* Index of the flow's first packet carrying L4 payload at or after packet
 * `from`; -1 if none. The Fast model classifies this packet by default.
 */
int robot_ds_first_payload(const struct robot_ds_flow *f, int from);

/* Class index by name; -1 if absent. */
int robot_ds_class_idx(const struct robot_dataset *ds, const char *name);

#endif
