/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * marks.h - the class -> mark map (robot_marks_v1, struct robot_mark) as
 * userspace sees it: tc handles in text, class names, HTB priorities.
 *
 * tc handles are written as tc writes them: MAJ:MIN, both hexadecimal
 * ("1:a" is major 1, minor 10), skb->priority = TC_H_MAKE(MAJ << 16, MIN).
 * HTB (htb_classify) takes a packet whose skb->priority is the id of one
 * of its leaf classes straight into that class, before any filter; the
 * tc program runs on clsact egress, before the root qdisc, so setting
 * the priority is all it takes.
 */
#ifndef ROBOT_MARKS_H
#define ROBOT_MARKS_H

#include <stddef.h>
#include <linux/types.h>
#include "robot_abi.h"

#define ROBOT_TC_MAJ_MAX 0xfffe /* ffff: is clsact/ingress, ffff:ffff root */
#define ROBOT_TC_MIN_MAX 0xffff

/* skb->priority of "MAJ:MIN" (hex, MAJ 1..fffe, MIN 1..ffff: a class, not
 * a qdisc), or 0 for "0" / "none" (keep the packet's priority). 0 or
 * -EINVAL.
 */
int robot_tc_prio_parse(const char *s, __u32 *prio);

/* The major of "MAJ:" (hex, 1..fffe; "MAJ" without the colon too), as a
 * plain number (1 for "1:"). 0 or -EINVAL.
 */
int robot_tc_major_parse(const char *s, __u32 *maj);

/* "MAJ:MIN" (hex, as tc prints it), "0" for 0. */
void robot_tc_prio_str(__u32 prio, char *buf, size_t sz);

/* Class id of a name (case-insensitive, ROBOT_CLASS_NAMES) or a decimal
 * id 0..ROBOT_CLASS_MAX-1; -EINVAL otherwise.
 */
int robot_class_parse(const char *s);

/* HTB class of class c under HTB major maj: maj:(c+1). */
static inline __u32 robot_htb_prio(__u32 maj, __u32 c)
{
	return (maj << 16) | ((c + 1) & 0xffff);
}

#endif
