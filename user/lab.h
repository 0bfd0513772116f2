/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lab.h - ground truth of the traffic lab (tools/lab/, docs/lab.md).
 *
 * Every lab application has its own server address and its own client
 * address (routes make its traffic use them), so a flow's label follows
 * from its addresses alone. The table comes from `lab.sh apps` (one app a
 * line: app category encrypted server_ip plain_ports client_ip; '#'
 * starts a comment). robot_lab_label() assembles a capture's flows with
 * the dataset's flow table and writes one labels_flows.csv row per
 * labeled flow.
 */
#ifndef ROBOT_LAB_H
#define ROBOT_LAB_H

#include <stdio.h>
#include <linux/types.h>

#define ROBOT_LAB_NAME_MAX 48
#define ROBOT_LAB_PLAIN_MAX 8
#define ROBOT_LAB_APPS_MAX 64

struct robot_lab_app {
	char name[ROBOT_LAB_NAME_MAX];
	char category[ROBOT_LAB_NAME_MAX];
	__u8 encrypted;                     /* 1: the app encrypts */
	__u8 n_plain;
	__u8 server_ip[4];                  /* network order */
	__u8 client_ip[4];
	__u16 plain[ROBOT_LAB_PLAIN_MAX];   /* clear-text server ports */
	/* filled by robot_lab_label() */
	__u32 flows;
	__u64 pkts;
	__u64 bytes;
};

struct robot_lab_table {
	struct robot_lab_app apps[ROBOT_LAB_APPS_MAX];
	__u32 n;
};

struct robot_lab_stats {
	__u64 packets;      /* read from the capture */
	__u64 not_parsed;   /* not IPv4/IPv6 TCP/UDP (ARP, ICMP, ...) */
	__u32 flows;        /* assembled */
	__u32 labeled;      /* rows written */
	__u32 short_flows;  /* an app's, below min_pkts */
	__u32 unlabeled;    /* no lab address */
	__u32 ambiguous;    /* addresses of two different apps */
};

/* Parse the table text (path only for messages). Returns 0, or -EINVAL
 * after printing the line that is wrong, -E2BIG past ROBOT_LAB_APPS_MAX.
 */
int robot_lab_table_parse(const char *path, const char *text,
			  struct robot_lab_table *t);
int robot_lab_table_load(const char *path, struct robot_lab_table *t);

/* Index of the app whose address is ip (4 bytes), -1 if none. */
int robot_lab_app_of(const struct robot_lab_table *t, const __u8 *ip);

/* Label capture `pcap`: one row per TCP/UDP flow (the dataset's flow
 * assembly, idle_ns idle timeout) with at least min_pkts packets and an
 * endpoint address of exactly one app. Rows (CRLF) go to out (no header),
 * with
 * `file` = the capture's base name. Per-app counts land in t->apps[].
 * Returns 0, or -errno (unreadable capture, write error) after a message.
 */
int robot_lab_label(const char *pcap, struct robot_lab_table *t,
		    __u32 min_pkts, __u64 idle_ns, FILE *out,
		    struct robot_lab_stats *st);

/* The header line of labels_flows.csv (with its CRLF). */
extern const char robot_lab_csv_header[];

#endif
