/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pcapread.h - reading captures (libpcap) and the link layers that only
 * captures have: Linux cooked SLL/SLL2 and raw IP. The network and
 * transport layers are parsed by robot_feat.h, as in the XDP program.
 */
#ifndef ROBOT_PCAPREAD_H
#define ROBOT_PCAPREAD_H

#include <linux/types.h>
#include <pcap/pcap.h>
#include "robot_feat.h"

#define ROBOT_SLL_HLEN 16  /* DLT_LINUX_SLL header; EtherType at 14 */
#define ROBOT_SLL2_HLEN 20 /* DLT_LINUX_SLL2 header; EtherType at 0 */

/* 1 when robot_parse_link() understands link type dlt (DLT_EN10MB,
 * DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW (LINKTYPE_RAW), DLT_IPV4,
 * DLT_IPV6).
 */
int robot_link_supported(int dlt);

/* Parse one captured frame [data, end) of link type dlt into p, which the
 * caller zeroes (robot_feat_zero) first. Returns enum robot_parse_res;
 * ROBOT_PARSE_NOT_IP for an unsupported link type.
 */
int robot_parse_link(int dlt, const __u8 *data, const __u8 *end,
		     struct robot_parsed *p);

/* An open capture file. */
struct robot_pcap {
	pcap_t *pc;
	const char *path; /* as given, for messages; not owned */
	int dlt;          /* link type (pcap_datalink) */
	__u64 pkt_no;     /* 1-based number of the last packet read */
};

/* Open a pcap or pcapng file with nanosecond timestamps. Returns 0, or
 * -EINVAL (not a capture, unreadable) / -EPROTONOSUPPORT (link type we
 * do not parse) after printing a message naming the file.
 */
int robot_pcap_open(struct robot_pcap *r, const char *path);

/* Next packet: returns 1 and fills the outputs, 0 at the end of the file,
 * -EIO on a damaged file (message names the file and packet number).
 */
int robot_pcap_next(struct robot_pcap *r, __u64 *ts_ns, const __u8 **data,
		    __u32 *caplen, __u32 *len);

void robot_pcap_close(struct robot_pcap *r);

#endif
