// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pcapread.c - capture files and their link layers.
 *
 * Only the link layer is parsed here: we find the network header and its
 * EtherType, then hand over to robot_parse_l3() (robot_feat.h), so that a
 * packet read from a capture yields exactly the features the XDP program
 * computes for it.
 */
#include <errno.h>
#include <string.h>
#include "pcapread.h"
#include "log.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

int robot_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 1;
	}
	return 0;
}

/* Skip up to ROBOT_VLAN_MAX 802.1Q/802.1ad tags that follow a cooked
 * header (libpcap re-inserts the tags the kernel stripped).
 */
static int skip_vlan(const __u8 **l3, const __u8 *end, __u16 *type)
{
	const __u8 *p = *l3;
	int i;

	for (i = 0; i < ROBOT_VLAN_MAX; i++) {
		if (*type != ROBOT_ETH_P_8021Q && *type != ROBOT_ETH_P_8021AD)
			break;
		if (p + 4 > end)
			return ROBOT_PARSE_TRUNCATED;
		*type = robot_get16(p + 2);
		p += 4;
	}
	if (*type == ROBOT_ETH_P_8021Q || *type == ROBOT_ETH_P_8021AD)
		return ROBOT_PARSE_NOT_IP;
	*l3 = p;
	return ROBOT_PARSE_OK;
}

/* Raw IP: the version nibble tells IPv4 from IPv6. */
static int parse_raw(const __u8 *data, const __u8 *end,
		     struct robot_parsed *p)
{
	if (data + 1 > end)
		return ROBOT_PARSE_TRUNCATED;
	switch (data[0] >> 4) {
	case 4:
		return robot_parse_l3(data, end, ROBOT_ETH_P_IP, p);
	case 6:
		return robot_parse_l3(data, end, ROBOT_ETH_P_IPV6, p);
	}
	return ROBOT_PARSE_NOT_IP;
}

static int parse_sll(const __u8 *data, const __u8 *end, int hlen, int toff,
		     struct robot_parsed *p)
{
	const __u8 *l3 = data + hlen;
	__u16 type;
	int err;

	if (l3 > end)
		return ROBOT_PARSE_TRUNCATED;
	type = robot_get16(data + toff);
	err = skip_vlan(&l3, end, &type);
	if (err)
		return err;
	return robot_parse_l3(l3, end, type, p);
}

int robot_parse_link(int dlt, const __u8 *data, const __u8 *end,
		     struct robot_parsed *p)
{
	switch (dlt) {
	case DLT_EN10MB:
		return robot_parse_frame(data, end, p);
	case DLT_LINUX_SLL:
		return parse_sll(data, end, ROBOT_SLL_HLEN, 14, p);
	case DLT_LINUX_SLL2:
		return parse_sll(data, end, ROBOT_SLL2_HLEN, 0, p);
	case DLT_RAW:
		return parse_raw(data, end, p);
	case DLT_IPV4:
		return robot_parse_l3(data, end, ROBOT_ETH_P_IP, p);
	case DLT_IPV6:
		return robot_parse_l3(data, end, ROBOT_ETH_P_IPV6, p);
	}
	return ROBOT_PARSE_NOT_IP;
}

int robot_pcap_open(struct robot_pcap *r, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *name;

	memset(r, 0, sizeof(*r));
	r->path = path;
	errbuf[0] = 0;
	r->pc = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!r->pc) {
		pr_warn("%s: cannot read capture: %s\n", path, errbuf);
		return -EINVAL;
	}
	r->dlt = pcap_datalink(r->pc);
	if (!robot_link_supported(r->dlt)) {
		name = pcap_datalink_val_to_name(r->dlt);
		pr_warn("%s: unsupported link type %d (%s); supported: "
			"EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6\n",
			path, r->dlt, name ? name : "unknown");
		pcap_close(r->pc);
		r->pc = NULL;
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int robot_pcap_next(struct robot_pcap *r, __u64 *ts_ns, const __u8 **data,
		    __u32 *caplen, __u32 *len)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int ret;

	ret = pcap_next_ex(r->pc, &h, &d);
	if (ret == PCAP_ERROR_BREAK)
		return 0;
	if (ret != 1) {
		pr_warn("%s: packet %llu: %s\n", r->path,
			(unsigned long long)r->pkt_no + 1,
			ret == PCAP_ERROR ? pcap_geterr(r->pc) :
					    "unexpected read error");
		return -EIO;
	}
	r->pkt_no++;
	/* With PCAP_TSTAMP_PRECISION_NANO, tv_usec holds nanoseconds. */
	*ts_ns = (__u64)h->ts.tv_sec * 1000000000ull + (__u64)h->ts.tv_usec;
	*data = d;
	*caplen = h->caplen;
	*len = h->len;
	return 1;
}

void robot_pcap_close(struct robot_pcap *r)
{
	if (r->pc)
		pcap_close(r->pc);
	r->pc = NULL;
}
