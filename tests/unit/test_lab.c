// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the lab's ground truth (user/lab.c): the app table parser
 * (good table, each kind of bad line) and the labeling of a capture
 * written here: a TCP flow from an app's client, a UDP flow whose server
 * side speaks first, a flow on a clear-text port of an encrypting app, a
 * flow below the packet minimum, one with no lab address, one between two
 * apps' addresses, and an ARP frame. The rows must be exact.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "lab.h"

static const char table_text[] =
	"# app category encrypted server_ip plain_ports client_ip\n"
	"web Browsing yes 10.9.2.11 - 10.9.1.11\n"
	"\n"
	"voip\tVoIP\tyes\t10.9.2.41\t-\t10.9.1.41   # comment\n"
	"bt P2P yes 10.9.2.61 6969,80 10.9.1.61\n"
	"sip VoIP no 10.9.2.42 - 10.9.1.42\n";

static void test_table_ok(void **state)
{
	struct robot_lab_table *t = calloc(1, sizeof(*t));
	__u8 ip[4] = { 10, 9, 1, 41 }, other[4] = { 10, 9, 1, 2 };

	assert_non_null(t);
	assert_int_equal(robot_lab_table_parse("t", table_text, t), 0);
	assert_int_equal(t->n, 4);
	assert_string_equal(t->apps[1].name, "voip");
	assert_string_equal(t->apps[1].category, "VoIP");
	assert_int_equal(t->apps[1].encrypted, 1);
	assert_int_equal(t->apps[3].encrypted, 0);
	assert_int_equal(t->apps[2].n_plain, 2);
	assert_int_equal(t->apps[2].plain[0], 6969);
	assert_int_equal(t->apps[2].plain[1], 80);
	assert_int_equal(robot_lab_app_of(t, ip), 1);
	assert_int_equal(robot_lab_app_of(t, other), -1);
	free(t);
}

static void test_table_bad(void **state)
{
	static const char *const bad[] = {
		"web Browsing yes 10.9.2.11 - \n",           /* 5 fields */
		"web Browsing yes 10.9.2.11 - 10.9.1.11 x\n", /* 7 fields */
		"web Browsing maybe 10.9.2.11 - 10.9.1.11\n",
		"web Browsing yes 10.9.2.300 - 10.9.1.11\n",
		"web Browsing yes 10.9.2.11 0 10.9.1.11\n",
		"web Browsing yes 10.9.2.11 80,x 10.9.1.11\n",
		"w,b Browsing yes 10.9.2.11 - 10.9.1.11\n",
		"web Browsing yes 10.9.2.11 - 10.9.2.11\n",
		"web Browsing yes 10.9.2.11 - 10.9.1.11\n"
		"web2 Browsing yes 10.9.1.11 - 10.9.1.12\n", /* address twice */
		"web Browsing yes 10.9.2.11 - 10.9.1.11\n"
		"web Chat yes 10.9.2.12 - 10.9.1.12\n",      /* name twice */
		"# nothing\n",
		"",
	};
	struct robot_lab_table *t = calloc(1, sizeof(*t));
	size_t i;

	assert_non_null(t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(robot_lab_table_parse("bad", bad[i], t),
				 -EINVAL);
	free(t);
}

struct cap {
	pcap_t *pd;
	pcap_dumper_t *d;
	__u64 ts_us;
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* One Ethernet/IPv4 frame: TCP (proto 6) or UDP (17), payload bytes. */
static void frame(struct cap *c, __u8 proto, const __u8 *s, __u16 sp,
		  const __u8 *d, __u16 dp, int payload)
{
	__u8 b[1600] = { 0 }, *ip = b + 14, *l4 = ip + 20;
	struct pcap_pkthdr h;
	int l4len = proto == 6 ? 20 : 8, len;

	len = 14 + 20 + l4len + payload;
	put16(b + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, len - 14);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, s, 4);
	memcpy(ip + 16, d, 4);
	put16(l4, sp);
	put16(l4 + 2, dp);
	if (proto == 6) {
		l4[12] = 5 << 4;
		l4[13] = 0x18;
	} else {
		put16(l4 + 4, 8 + payload);
	}
	c->ts_us += 1000;
	h.ts.tv_sec = 1700000000 + c->ts_us / 1000000;
	h.ts.tv_usec = c->ts_us % 1000000;
	h.caplen = h.len = len;
	pcap_dump((u_char *)c->d, &h, b);
}

static void arp(struct cap *c)
{
	__u8 b[42] = { 0 };
	struct pcap_pkthdr h = { .caplen = 42, .len = 42 };

	put16(b + 12, 0x0806);
	h.ts.tv_sec = 1700000000;
	pcap_dump((u_char *)c->d, &h, b);
}

static void test_label(void **state)
{
	static const __u8 wc[4] = { 10, 9, 1, 11 }, ws[4] = { 10, 9, 2, 11 };
	static const __u8 vc[4] = { 10, 9, 1, 41 }, vs[4] = { 10, 9, 2, 41 };
	static const __u8 bc[4] = { 10, 9, 1, 61 }, bs[4] = { 10, 9, 2, 61 };
	static const __u8 x1[4] = { 10, 9, 1, 2 }, x2[4] = { 10, 9, 2, 2 };
	char path[] = "/tmp/test_lab.XXXXXX", pcap[64], *buf = NULL;
	char want[2048];
	const char *base;
	struct robot_lab_table *t = calloc(1, sizeof(*t));
	struct robot_lab_stats st;
	struct cap c = { 0 };
	size_t len = 0;
	FILE *out;
	int fd, i;

	assert_non_null(t);
	assert_int_equal(robot_lab_table_parse("t", table_text, t), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(pcap, sizeof(pcap), "%s.pcap", path);
	c.pd = pcap_open_dead(DLT_EN10MB, 65535);
	c.d = pcap_dump_open(c.pd, pcap);
	assert_non_null(c.d);

	/* web: client opens, 3 out + 1 back */
	frame(&c, 6, wc, 40000, ws, 443, 0);
	frame(&c, 6, ws, 443, wc, 40000, 100);
	arp(&c);
	frame(&c, 6, wc, 40000, ws, 443, 10);
	frame(&c, 6, wc, 40000, ws, 443, 0);
	/* voip: the server side speaks first (RTP) */
	for (i = 0; i < 5; i++)
		frame(&c, 17, i % 2 ? vc : vs, i % 2 ? 30000 : 20000,
		      i % 2 ? vs : vc, i % 2 ? 20000 : 30000, 172);
	/* bt: tracker on a clear-text port */
	for (i = 0; i < 3; i++)
		frame(&c, 6, i == 1 ? bs : bc, i == 1 ? 6969 : 50000,
		      i == 1 ? bc : bs, i == 1 ? 50000 : 6969, 50);
	/* short: 2 packets of web */
	frame(&c, 6, wc, 40001, ws, 443, 0);
	frame(&c, 6, ws, 443, wc, 40001, 0);
	/* no lab address */
	for (i = 0; i < 3; i++)
		frame(&c, 17, x1, 1000, x2, 53, 30);
	/* two apps' addresses */
	for (i = 0; i < 3; i++)
		frame(&c, 6, wc, 40002, vs, 443, 0);
	pcap_dump_close(c.d);
	pcap_close(c.pd);

	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(robot_lab_label(pcap, t, 3, 120000000000ull, out,
					 &st), 0);
	fclose(out);
	assert_int_equal(st.packets, 21);
	assert_int_equal(st.not_parsed, 1);
	assert_int_equal(st.flows, 6);
	assert_int_equal(st.labeled, 3);
	assert_int_equal(st.short_flows, 1);
	assert_int_equal(st.unlabeled, 1);
	assert_int_equal(st.ambiguous, 1);
	base = strrchr(pcap, '/') + 1;
	snprintf(want, sizeof(want),
		 "%1$s,robot-lab,web,Browsing,yes,TCP,10.9.1.11,40000,"
		 "10.9.2.11,443,4,326,1700000000.001000,LAB.web,Browsing,,"
		 "known,known\r\n"
		 "%1$s,robot-lab,voip,VoIP,yes,UDP,10.9.2.41,20000,10.9.1.41,"
		 "30000,5,1070,1700000000.005000,LAB.voip,VoIP,,known,known\r\n"
		 "%1$s,robot-lab,bt,P2P,no,TCP,10.9.1.61,50000,10.9.2.61,"
		 "6969,3,312,1700000000.010000,LAB.bt,P2P,,known,known\r\n",
		 base);
	assert_string_equal(buf, want);
	assert_int_equal(t->apps[0].flows, 1);
	assert_int_equal(t->apps[0].pkts, 4);
	assert_int_equal(t->apps[0].bytes, 326);
	assert_int_equal(t->apps[1].pkts, 5);
	free(buf);

	/* a missing capture is an error, not a crash */
	out = open_memstream(&buf, &len);
	assert_true(robot_lab_label("/nonexistent/x.pcap", t, 3, 1, out,
				    &st) < 0);
	fclose(out);
	free(buf);
	unlink(pcap);
	unlink(path);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_ok),
		cmocka_unit_test(test_table_bad),
		cmocka_unit_test(test_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
