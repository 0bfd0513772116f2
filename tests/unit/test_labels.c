// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the labels CSV reader (user/labels.c): RFC 4180 records
 * (quotes, "" escapes, commas and newlines inside quotes, CRLF, blank
 * lines), malformed records and rows (reported, counted, skipped; reading
 * goes on), header columns by name, timestamps to ns, canonical keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "labels.h"
#include "robot_feat.h"

#define HDR "file,source,app,category,encrypted,l4,src,sport,dst,dport," \
	    "pkts,bytes,first_ts,ndpi_label,ndpi_cat,sni,splitA,splitB\n"

struct rec {
	char buf[256];
	char *f[8];
};

/* One record of s into r; returns the field count or -errno. */
static int rec1(const char *s, struct rec *r, const char **pos, __u32 *line)
{
	const char *err = NULL;
	int n;

	n = robot_csv_record(pos, s + strlen(s), line, r->buf,
			     sizeof(r->buf), r->f, 8, &err);
	if (n < 0)
		assert_non_null(err);
	return n;
}

static void test_csv_quotes(void **state)
{
	const char *s = "a,\"b,c\",\"say \"\"hi\"\"\",,\"\"\r\n"
			"\n\n"
			"\"multi\nline\",x\n"
			"last,\"\"\"\"";
	const char *pos = s;
	struct rec r;
	__u32 line = 1;

	assert_int_equal(rec1(s, &r, &pos, &line), 5);
	assert_string_equal(r.f[0], "a");
	assert_string_equal(r.f[1], "b,c");
	assert_string_equal(r.f[2], "say \"hi\"");
	assert_string_equal(r.f[3], "");
	assert_string_equal(r.f[4], "");
	assert_int_equal(line, 2);
	/* blank lines skipped; a quoted newline stays in the field */
	assert_int_equal(rec1(s, &r, &pos, &line), 2);
	assert_string_equal(r.f[0], "multi\nline");
	assert_string_equal(r.f[1], "x");
	assert_int_equal(line, 6);
	/* no newline at the end of the data */
	assert_int_equal(rec1(s, &r, &pos, &line), 2);
	assert_string_equal(r.f[1], "\"");
	assert_int_equal(rec1(s, &r, &pos, &line), 0);
	assert_int_equal(rec1(s, &r, &pos, &line), 0);
}

static void test_csv_malformed(void **state)
{
	const char *s = "a,\"open\n"      /* line 1: never closed... */
			"b,\"x\"y,c\n"      /* line 2: text after quote */
			"c,d\"e\n"          /* line 3: quote in field */
			"1,2,3,4,5,6,7,8,9\n" /* line 4: too many */
			"ok,1\n";           /* line 5 */
	const char *pos = s;
	struct rec r;
	__u32 line = 1;

	/* each error resumes on the next line */
	assert_int_equal(rec1(s, &r, &pos, &line), -EINVAL);
	assert_int_equal(line, 2);
	assert_int_equal(rec1(s, &r, &pos, &line), -EINVAL);
	assert_int_equal(line, 3);
	assert_int_equal(rec1(s, &r, &pos, &line), -EINVAL);
	assert_int_equal(line, 4);
	assert_int_equal(rec1(s, &r, &pos, &line), -E2BIG);
	assert_int_equal(line, 5);
	assert_int_equal(rec1(s, &r, &pos, &line), 2);
	assert_string_equal(r.f[0], "ok");
	assert_int_equal(rec1(s, &r, &pos, &line), 0);
}

static void test_csv_limits(void **state)
{
	char big[600], nul[] = "a,b\0c\nd\n";
	const char *pos = big, *end, *err;
	char buf[16], *f[4];
	__u32 line = 1;

	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = 0;
	end = big + strlen(big);
	assert_int_equal(robot_csv_record(&pos, end, &line, buf, sizeof(buf),
					  f, 4, &err), -E2BIG);
	assert_ptr_equal(pos, end);
	/* a NUL byte inside a record */
	pos = nul;
	line = 1;
	assert_int_equal(robot_csv_record(&pos, nul + sizeof(nul) - 1, &line,
					  buf, sizeof(buf), f, 4, &err),
			 -EINVAL);
	assert_int_equal(robot_csv_record(&pos, nul + sizeof(nul) - 1, &line,
					  buf, sizeof(buf), f, 4, &err), 1);
	assert_string_equal(f[0], "d");
}

static void test_ts(void **state)
{
	__u64 ns;

	assert_int_equal(robot_parse_ts_ns("1470104377.734137", &ns), 0);
	assert_true(ns == 1470104377734137000ull);
	assert_int_equal(robot_parse_ts_ns("1636901956.8999774", &ns), 0);
	assert_true(ns == 1636901956899977400ull);
	assert_int_equal(robot_parse_ts_ns("70.230046", &ns), 0);
	assert_true(ns == 70230046000ull);
	assert_int_equal(robot_parse_ts_ns("5", &ns), 0);
	assert_true(ns == 5000000000ull);
	assert_int_equal(robot_parse_ts_ns(".5", &ns), 0);
	assert_true(ns == 500000000ull);
	assert_int_equal(robot_parse_ts_ns("1.123456789", &ns), 0);
	assert_true(ns == 1123456789ull);
	assert_int_equal(robot_parse_ts_ns("1.1234567891", &ns), -EINVAL);
	assert_int_equal(robot_parse_ts_ns("", &ns), -EINVAL);
	assert_int_equal(robot_parse_ts_ns(".", &ns), -EINVAL);
	assert_int_equal(robot_parse_ts_ns("-1", &ns), -EINVAL);
	assert_int_equal(robot_parse_ts_ns("1e9", &ns), -EINVAL);
	assert_int_equal(robot_parse_ts_ns("12.5x", &ns), -EINVAL);
	assert_int_equal(robot_parse_ts_ns("99999999999", &ns), -EINVAL);
	assert_int_equal(robot_parse_ts_ns("999999999999999999999", &ns),
			 -EINVAL);
}

static int parse_text(const char *text, struct robot_labels *l)
{
	return robot_labels_parse("t.csv", text, strlen(text), l);
}

static void test_rows(void **state)
{
	const char *text =
		HDR
		"a.pcap,x,Skype,VoIP,yes,UDP,10.0.0.9,5000,10.0.0.1,3478,7,"
		"900,1470104377.5,STUN.Skype,VoIP,,unseen,known\r\n"
		"\"b,1.pcap\",x,\"We, Chat\",Chat,no,TCP,2001:db8::1,443,"
		"2001:db8::2,50000,3,1,2.25,\"DNS.WeChat\",x,\"sni\",known,"
		"unseen\n";
	struct robot_labels l;
	struct robot_label *r;
	static const __u8 a9[4] = { 10, 0, 0, 9 }, a1[4] = { 10, 0, 0, 1 };

	assert_int_equal(parse_text(text, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.n_bad, 0);
	r = &l.rows[0];
	assert_string_equal(r->file, "a.pcap");
	assert_string_equal(r->app, "Skype");
	assert_string_equal(r->category, "VoIP");
	assert_int_equal(r->key.proto, 17);
	assert_int_equal(r->key.family, 4);
	assert_int_equal(r->sport, 5000);
	assert_int_equal(r->dport, 3478);
	assert_int_equal(r->pkts, 7);
	assert_true(r->first_ns == 1470104377500000000ull);
	assert_int_equal(r->split_a, ROBOT_DS_UNSEEN);
	assert_int_equal(r->split_b, ROBOT_DS_KNOWN);
	assert_int_equal(r->line, 2);
	assert_false(robot_label_is_dns(r));
	/* canonical key: 10.0.0.1:3478 is side a, the row's dst */
	assert_memory_equal(r->key.addr_a, a1, 4);
	assert_memory_equal(r->key.addr_b, a9, 4);
	assert_int_equal(robot_get16((__u8 *)&r->key.port_a), 3478);
	assert_int_equal(r->src_is_a, 0);
	r = &l.rows[1];
	assert_string_equal(r->file, "b,1.pcap");
	assert_string_equal(r->app, "We, Chat");
	assert_int_equal(r->key.family, 6);
	assert_int_equal(r->key.proto, 6);
	assert_int_equal(r->src_is_a, 1);
	assert_int_equal(r->line, 3);
	assert_true(robot_label_is_dns(r));
	robot_labels_free(&l);
}

/* The row's key equals the key robot_feat.h builds from the packet. */
static void test_key_matches_parser(void **state)
{
	const char *text = HDR
		"a.pcap,x,A,Chat,no,TCP,192.168.1.20,40000,10.0.0.7,443,1,1,"
		"1,TLS,x,,known,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.7,443,192.168.1.20,40000,1,1,"
		"1,TLS,x,,known,known\n";
	__u8 src[4] = { 192, 168, 1, 20 }, dst[4] = { 10, 0, 0, 7 };
	struct robot_labels l;
	struct robot_parsed p;

	assert_int_equal(parse_text(text, &l), 0);
	assert_int_equal(l.n, 2);
	memset(&p, 0, sizeof(p));
	robot_key_make(&p, src, dst, 40000, 443, 4);
	p.key.proto = 6;
	p.key.family = 4;
	assert_memory_equal(&l.rows[0].key, &p.key, sizeof(p.key));
	assert_memory_equal(&l.rows[1].key, &p.key, sizeof(p.key));
	assert_int_equal(l.rows[0].src_is_a, p.src_is_a);
	assert_int_equal(l.rows[1].src_is_a, !p.src_is_a);
	robot_labels_free(&l);
}

static void test_bad_rows(void **state)
{
	const char *text =
		HDR
		"a.pcap,x,A,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.1,65536,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.1,x1,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,ICMP,10.0.0.1,1,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.300,1,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.1,1,::2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,1,L,x,,maybe,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,yesterday,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2\n"
		"a.pcap,x,,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"../a.pcap,x,A,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,\"x,A,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,1,L,x,,known,known\n"
		"a.pcap,x,A,Chat,no,UDP,10.0.0.1,3,10.0.0.2,4,1,1,1,L,x,,known,known\n";
	struct robot_labels l;

	assert_int_equal(parse_text(text, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.n_bad, 11);
	assert_int_equal(l.rows[0].line, 2);
	assert_int_equal(l.rows[1].line, 14);
	assert_int_equal(l.rows[1].sport, 3);
	robot_labels_free(&l);
}

static void test_header(void **state)
{
	struct robot_labels l;
	/* any column order; pkts optional */
	const char *reordered =
		"dport,dst,sport,src,l4,file,app,category,first_ts,ndpi_label,"
		"splitB,splitA\n"
		"80,10.0.0.2,1234,10.0.0.1,tcp,z.pcap,A,Browsing,3.5,HTTP,"
		"known,unseen\n";

	assert_int_equal(parse_text(reordered, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.rows[0].dport, 80);
	assert_int_equal(l.rows[0].split_a, ROBOT_DS_UNSEEN);
	assert_int_equal(l.rows[0].pkts, 0);
	robot_labels_free(&l);
	/* a required column missing; an empty file; a bad header */
	assert_int_equal(parse_text("file,app,category\na,b,c\n", &l),
			 -EINVAL);
	assert_null(l.rows);
	assert_int_equal(parse_text("", &l), -EINVAL);
	assert_int_equal(parse_text("\"file,app\n", &l), -EINVAL);
	/* header only: no rows, no error */
	assert_int_equal(parse_text(HDR, &l), 0);
	assert_int_equal(l.n, 0);
	robot_labels_free(&l);
}

static void test_load_missing(void **state)
{
	struct robot_labels l;

	assert_int_equal(robot_labels_load("/nonexistent/labels.csv", &l),
			 -ENOENT);
	assert_int_equal(robot_labels_load("/", &l), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_quotes),
		cmocka_unit_test(test_csv_malformed),
		cmocka_unit_test(test_csv_limits),
		cmocka_unit_test(test_ts),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_key_matches_parser),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
