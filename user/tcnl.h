/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcnl.h - clsact qdisc and direct-action BPF classifiers over rtnetlink
 * (libnl-route-3), without shelling out to tc(8).
 *
 * libnl 3.7 has rtnl_qdisc but no "bpf" classifier API: the qdisc goes
 * through rtnl_qdisc, the filters are RTM_{NEW,DEL,GET}TFILTER messages
 * built with nlmsg_alloc_simple()/nla_put(). Our filters are recognized
 * by their handle/priority and their name (TCA_BPF_NAME).
 */
#ifndef ROBOT_TCNL_H
#define ROBOT_TCNL_H

#include <linux/types.h>

#define ROBOT_TC_HANDLE 0xb07  /* filter handle of our classifier */
#define ROBOT_TC_PRIO 0xb07    /* filter priority of our classifier */
#define ROBOT_TC_NAME "robot_tc"

enum robot_tc_dir {
	ROBOT_TC_INGRESS = 0,
	ROBOT_TC_EGRESS = 1,
};

struct nl_sock;

/* A route netlink socket. NULL on failure (errno set). */
struct nl_sock *robot_tcnl_open(void);
void robot_tcnl_close(struct nl_sock *sk);

/* Create the clsact qdisc; *created = 1 if we made it, 0 if it already
 * existed. 0 or -errno.
 */
int robot_tcnl_clsact_add(struct nl_sock *sk, int ifindex, int *created);
/* Delete the clsact qdisc (and every filter in it). 0, -ENOENT, -errno. */
int robot_tcnl_clsact_del(struct nl_sock *sk, int ifindex);

/* Add our direct-action classifier running prog_fd. 0 or -errno
 * (-EEXIST: one is already there).
 */
int robot_tcnl_filter_add(struct nl_sock *sk, int ifindex, int dir,
			  int prog_fd, const char *name);
/* Delete our classifier. 0, -ENOENT or -errno. */
int robot_tcnl_filter_del(struct nl_sock *sk, int ifindex, int dir);

/* One BPF classifier found by robot_tcnl_filter_list(). */
struct robot_tc_filter {
	__u32 handle;
	__u32 prio;
	__u32 prog_id;   /* 0 if not reported */
	int direct;      /* direct-action */
	char name[64];   /* TCA_BPF_NAME */
};

/* List the BPF classifiers on one hook of ifindex. Returns how many were
 * found (may exceed max; only max are stored; 0 without a clsact qdisc)
 * or -errno.
 */
int robot_tcnl_filter_list(struct nl_sock *sk, int ifindex, int dir,
			   struct robot_tc_filter *out, int max);

#endif
