/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bpfmodel.h - the Fast model as the XDP program reads it, and the
 * userspace side of the datapath maps (model slots, marks, config).
 *
 * Model swap protocol (single writer, e.g. the daemon under its flock):
 * the XDP program reads the active slot index, then the slot. The writer
 * waits for an RCU grace period (membarrier(MEMBARRIER_CMD_GLOBAL)) so
 * that no program still reads the inactive slot from before the previous
 * flip, writes the complete model into it, then flips the index. A
 * classification therefore always sees one whole model; its version is
 * stored in robot_flow.model_ver.
 */
#ifndef ROBOT_BPFMODEL_H
#define ROBOT_BPFMODEL_H

#include <linux/types.h>
#include "robot_abi.h"
#include "fastq.h"

/* Largest |bias| accepted: keeps bias + sum within 31 bits, so that the
 * reference's int32 accumulator never overflows and the kernel's folded
 * bias (robot_bpf_rq.brnd) is exact.
 */
#define ROBOT_BPF_BIAS_MAX (1 << 30)

/* Convert q into the map layout. -EINVAL (after a message saying what)
 * when q is not the default architecture or a field is out of range.
 */
int robot_bpfmodel_pack(const struct robot_fastq *q,
			struct robot_bpf_model *out);

/* Write q into the inactive slot of the model map, then make it active.
 * q == NULL unloads (an empty slot, version 0, becomes active: XDP then
 * passes everything and counts ROBOT_STAT_NO_MODEL). Returns 0 or -errno.
 */
int robot_bpfmodel_load(int model_map_fd, int active_map_fd,
			const struct robot_fastq *q);

/* The version of the active model (0: none). Returns 0 or -errno. */
int robot_bpfmodel_active(int model_map_fd, int active_map_fd, __u32 *ver);

/* Default marks: class c gets mark c + 1 under mask 0xff and priority
 * htb_major:(c+1) (marks.h robot_htb_prio), or priority 0 (left alone)
 * when htb_major is 0. 0 or -errno.
 */
int robot_bpf_marks_default(int marks_map_fd, __u32 htb_major);

/* Classification budget: rate per second per CPU (0: unlimited), burst
 * (0: = rate).
 */
int robot_bpf_config_set(int config_map_fd, __u32 rate, __u32 burst);

#endif
