// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the marks helpers (user/marks.c): tc class ids MAJ:MIN
 * (hex, as tc writes them) to skb->priority and back, HTB majors of
 * `robot attach --htb`, class names and ids of `robot marks set`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/pkt_sched.h>
#include "marks.h"

static void test_prio_parse(void **state)
{
	static const struct {
		const char *s;
		__u32 want;
	} ok[] = {
		{ "0", 0 },
		{ "none", 0 },
		{ "1:1", 0x10001 },
		{ "1:7", 0x10007 },
		{ "1:a", 0x1000a },    /* hex, as tc: 1:a is minor 10 */
		{ "1:10", 0x10010 },   /* and 1:10 is minor 16 */
		{ "A:Ff", 0xa00ff },
		{ "fffe:ffff", 0xfffeffff },
		{ "0001:0002", 0x10002 },
	};
	static const char *const bad[] = {
		"", ":", "1", "1:", ":1", "0:1", "1:0", "0:0", "ffff:1",
		"ffff:ffff", "10000:1", "1:10000", "1:2:3", "1:x", "g:1",
		"-1:1", "1:-1", " 1:1", "1:1 ", "0x1:1", "1:0x1", "00",
		"NONE", "000000001:1",
	};
	__u32 p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		p = 0xdeadbeef;
		assert_int_equal(robot_tc_prio_parse(ok[i].s, &p), 0);
		assert_int_equal(p, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 0xdeadbeef;
		if (robot_tc_prio_parse(bad[i], &p) != -EINVAL)
			fail_msg("'%s' accepted as %#x", bad[i], p);
	}
}

/* The kernel's TC_H_MAKE, and what tc prints, for every major we take. */
static void test_prio_roundtrip(void **state)
{
	char buf[16], want[16];
	__u32 maj, min, p;

	(void)state;
	for (maj = 1; maj <= ROBOT_TC_MAJ_MAX; maj += 0x111) {
		for (min = 1; min <= ROBOT_TC_MIN_MAX; min += 0x1111) {
			p = TC_H_MAKE(maj << 16, min);
			robot_tc_prio_str(p, buf, sizeof(buf));
			snprintf(want, sizeof(want), "%x:%x", maj, min);
			assert_string_equal(buf, want);
			p = 0;
			assert_int_equal(robot_tc_prio_parse(buf, &p), 0);
			assert_int_equal(p, TC_H_MAKE(maj << 16, min));
		}
	}
	robot_tc_prio_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
}

static void test_major_parse(void **state)
{
	__u32 m;

	(void)state;
	m = 0;
	assert_int_equal(robot_tc_major_parse("1:", &m), 0);
	assert_int_equal(m, 1);
	assert_int_equal(robot_tc_major_parse("1", &m), 0);
	assert_int_equal(m, 1);
	assert_int_equal(robot_tc_major_parse("10:", &m), 0);
	assert_int_equal(m, 0x10);
	assert_int_equal(robot_tc_major_parse("fffe:", &m), 0);
	assert_int_equal(m, 0xfffe);
	assert_int_equal(robot_tc_major_parse("", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse(":", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse("0:", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse("ffff:", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse("10000:", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse("1:1", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse("1::", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse("-1:", &m), -EINVAL);
	assert_int_equal(robot_tc_major_parse("z:", &m), -EINVAL);
}

/* --htb 1: puts class c into HTB class 1:(c+1), as TC_H_MAKE builds it. */
static void test_htb_prio(void **state)
{
	__u32 c, p;
	char buf[16];

	(void)state;
	for (c = 0; c < ROBOT_CLASS_MAX; c++) {
		assert_int_equal(robot_htb_prio(1, c), TC_H_MAKE(1u << 16, c + 1));
		assert_int_equal(TC_H_MAJ(robot_htb_prio(0xabc, c)), 0xabc0000);
		assert_int_equal(TC_H_MIN(robot_htb_prio(0xabc, c)), c + 1);
		robot_tc_prio_str(robot_htb_prio(1, c), buf, sizeof(buf));
		assert_int_equal(robot_tc_prio_parse(buf, &p), 0);
		assert_int_equal(p, robot_htb_prio(1, c));
	}
	robot_tc_prio_str(robot_htb_prio(1, ROBOT_CLASS_BROWSING), buf,
			  sizeof(buf));
	assert_string_equal(buf, "1:7");
}

static void test_class_parse(void **state)
{
	(void)state;
	assert_int_equal(robot_class_parse("VoIP"), ROBOT_CLASS_VOIP);
	assert_int_equal(robot_class_parse("voip"), ROBOT_CLASS_VOIP);
	assert_int_equal(robot_class_parse("CHAT"), ROBOT_CLASS_CHAT);
	assert_int_equal(robot_class_parse("FileTransfer"),
			 ROBOT_CLASS_FILETRANSFER);
	assert_int_equal(robot_class_parse("browsing"), ROBOT_CLASS_BROWSING);
	assert_int_equal(robot_class_parse("0"), 0);
	assert_int_equal(robot_class_parse("6"), 6);
	assert_int_equal(robot_class_parse("7"), -EINVAL);
	assert_int_equal(robot_class_parse("-1"), -EINVAL);
	assert_int_equal(robot_class_parse("1x"), -EINVAL);
	assert_int_equal(robot_class_parse(""), -EINVAL);
	assert_int_equal(robot_class_parse("Chatter"), -EINVAL);
	assert_int_equal(robot_class_parse("99999999999999999999"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prio_parse),
		cmocka_unit_test(test_prio_roundtrip),
		cmocka_unit_test(test_major_parse),
		cmocka_unit_test(test_htb_prio),
		cmocka_unit_test(test_class_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
