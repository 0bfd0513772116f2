// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * marks.c - `robot marks`: the class -> mark map of the running datapath
 * (pinned robot_marks_v1, struct robot_mark), listed and changed while
 * traffic flows; the tc handle and class name helpers (marks.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "commands.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "marks.h"
#include "pins.h"

/* n hex digits of s (1..8, nothing else) into *v, at most max. */
static int hex_part(const char *s, size_t n, __u32 max, __u32 *v)
{
	unsigned long x = 0;
	size_t i;

	if (!n || n > 8)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		x = x * 16 + (isdigit((unsigned char)s[i]) ?
			      s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	if (x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int robot_tc_prio_parse(const char *s, __u32 *prio)
{
	const char *colon;
	__u32 maj, min;

	if (!strcmp(s, "0") || !strcmp(s, "none")) {
		*prio = 0;
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon ||
	    hex_part(s, colon - s, ROBOT_TC_MAJ_MAX, &maj) ||
	    hex_part(colon + 1, strlen(colon + 1), ROBOT_TC_MIN_MAX, &min) ||
	    !maj || !min)
		return -EINVAL;
	*prio = maj << 16 | min;
	return 0;
}

int robot_tc_major_parse(const char *s, __u32 *maj)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == ':')
		n--;
	if (hex_part(s, n, ROBOT_TC_MAJ_MAX, maj) || !*maj)
		return -EINVAL;
	return 0;
}

void robot_tc_prio_str(__u32 prio, char *buf, size_t sz)
{
	if (!prio)
		snprintf(buf, sz, "0");
	else
		snprintf(buf, sz, "%x:%x", prio >> 16, prio & 0xffff);
}

int robot_class_parse(const char *s)
{
	char *end;
	long v;
	int c;

	for (c = 0; c < ROBOT_CLASS_MAX; c++)
		if (!strcasecmp(s, robot_class_names[c]))
			return c;
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v >= ROBOT_CLASS_MAX)
		return -EINVAL;
	return v;
}

/* ------------------------------------------------------------ command */

static void marks_usage(FILE *f)
{
	fprintf(f,
		"usage: robot marks [--json]\n"
		"       robot marks set CLASS [--mark N] [--mask N]\n"
		"                             [--priority MAJ:MIN|0] [--json]\n"
		"The class -> mark map of the running datapath (%s/%s):\n"
		"On every packet of a flow with a class, tc sets skb->mark =\n"
		"(skb->mark & ~mask) | (mark & mask) and, unless the priority is 0,\n"
		"skb->priority. Defaults: mark = class id + 1, mask 0xff, priority 0;\n"
		"`robot attach --htb MAJ:` sets priority MAJ:(class id + 1).\n\n"
		"  set CLASS       change one class (name, e.g. Chat, or id 0..%d);\n"
		"                  what is not given is kept; takes effect at once\n"
		"  --mark N        mark (0..0xffffffff, decimal or 0x hex), within\n"
		"                  the mask\n"
		"  --mask N        the bits of skb->mark that Robot owns (0: this\n"
		"                  class is neither marked nor prioritized)\n"
		"  --priority P    skb->priority as a tc class id MAJ:MIN (hex, as\n"
		"                  tc writes it: 1:a is 1:10; MAJ 1..fffe, MIN\n"
		"                  1..ffff), 0 or none: leave the priority alone\n"
		"  --json          one object per class (after set: the class set)\n"
		"Exit: 0 ok, 1 no running daemon (no pins), 2 bad arguments.\n",
		ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_MARKS), ROBOT_CLASS_MAX - 1);
}

/* 0..0xffffffff, decimal or 0x hex; nothing else. */
static int parse_u32(const char *s, const char *what, __u32 *out)
{
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, hex ? 16 : 10);
	if (errno || end == s || *end ||
	    !isxdigit((unsigned char)s[hex ? 2 : 0]) ||
	    (!hex && !isdigit((unsigned char)s[0])) || v > 0xffffffffull) {
		fprintf(stderr, "robot marks: bad %s '%s' (want 0..0xffffffff, "
			"decimal or 0x hex)\n", what, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static void mark_print(struct json_w *j, __u32 c, const struct robot_mark *mk)
{
	char prio[16];

	robot_tc_prio_str(mk->priority, prio, sizeof(prio));
	if (!j) {
		printf("%-12s %2u  0x%08x  0x%08x  %s\n", robot_class_name(c), c,
		       mk->mark, mk->mask, prio);
		return;
	}
	json_init(j, stdout);
	json_obj_open(j, NULL);
	json_str(j, "class", robot_class_name(c));
	json_u64(j, "id", c);
	json_u64(j, "mark", mk->mark);
	json_u64(j, "mask", mk->mask);
	json_str(j, "priority", prio);
	json_u64(j, "priority_raw", mk->priority);
	json_obj_close(j);
	json_end(j);
}

struct marks_args {
	int json, set, class;
	int have_mark, have_mask, have_prio;
	__u32 mark, mask, prio;
};

static int marks_parse(int argc, char **argv, struct marks_args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "mark", required_argument, NULL, 'k' },
		{ "mask", required_argument, NULL, 'm' },
		{ "priority", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = 1;
			break;
		case 'k':
			if (parse_u32(optarg, "--mark", &a->mark))
				return -EINVAL;
			a->have_mark = 1;
			break;
		case 'm':
			if (parse_u32(optarg, "--mask", &a->mask))
				return -EINVAL;
			a->have_mask = 1;
			break;
		case 'p':
			if (robot_tc_prio_parse(optarg, &a->prio)) {
				fprintf(stderr, "robot marks: bad --priority '%s' "
					"(want MAJ:MIN, hex, MAJ 1..fffe, MIN "
					"1..ffff, or 0)\n", optarg);
				return -EINVAL;
			}
			a->have_prio = 1;
			break;
		case 'h':
			marks_usage(stdout);
			return 1;
		default:
			marks_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind == argc) {
		if (a->have_mark || a->have_mask || a->have_prio) {
			fprintf(stderr, "robot marks: --mark, --mask and "
				"--priority go with `set CLASS`\n");
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(argv[optind], "set") || argc - optind != 2) {
		fprintf(stderr, "robot marks: want no argument or `set CLASS`\n");
		marks_usage(stderr);
		return -EINVAL;
	}
	a->set = 1;
	a->class = robot_class_parse(argv[optind + 1]);
	if (a->class < 0) {
		fprintf(stderr, "robot marks: unknown class '%s' (a name or an "
			"id 0..%d)\n", argv[optind + 1], ROBOT_CLASS_MAX - 1);
		return -EINVAL;
	}
	if (!a->have_mark && !a->have_mask && !a->have_prio) {
		fprintf(stderr, "robot marks set: nothing to set (--mark, "
			"--mask, --priority)\n");
		return -EINVAL;
	}
	if (a->have_mark && a->have_mask && (a->mark & ~a->mask)) {
		fprintf(stderr, "robot marks set: mark 0x%x has bits outside "
			"the mask 0x%x\n", a->mark, a->mask);
		return -EINVAL;
	}
	return 0;
}

static int marks_open(void)
{
	int fd = robot_pin_open(ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_MARKS));

	if (fd < 0)
		pr_warn("Couldn't open %s/%s: %s (is `robot attach` running?)\n",
			ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_MARKS),
			strerror(-fd));
	return fd;
}

static int marks_set(int fd, const struct marks_args *a)
{
	__u32 c = a->class;
	struct robot_mark mk;
	int lock;

	/* Stale pins of a killed daemon: the next attach resets them. */
	lock = robot_pins_lock(ROBOT_PIN_DIR);
	if (lock != -EBUSY) {
		robot_pins_unlock(lock);
		pr_warn("No robot daemon runs (stale pins in %s: robot detach)\n",
			ROBOT_PIN_DIR);
		return ROBOT_EXIT_FAIL;
	}
	if (bpf_map_lookup_elem(fd, &c, &mk)) {
		pr_warn("Couldn't read class %u: %s\n", c, strerror(errno));
		return ROBOT_EXIT_FAIL;
	}
	if (a->have_mark)
		mk.mark = a->mark;
	if (a->have_mask)
		mk.mask = a->mask;
	if (a->have_prio)
		mk.priority = a->prio;
	mk.pad = 0;
	if (mk.mark & ~mk.mask) {
		fprintf(stderr, "robot marks set: mark 0x%x has bits outside "
			"the mask 0x%x\n", mk.mark, mk.mask);
		return ROBOT_EXIT_USAGE;
	}
	if (bpf_map_update_elem(fd, &c, &mk, BPF_EXIST)) {
		pr_warn("Couldn't write class %u: %s\n", c, strerror(errno));
		return ROBOT_EXIT_FAIL;
	}
	if (!mk.mask)
		pr_warn("%s: mask 0: its packets are neither marked nor "
			"prioritized\n", robot_class_name(c));
	return ROBOT_EXIT_OK;
}

int do_marks(int argc, char **argv)
{
	struct marks_args a;
	struct robot_mark mk;
	struct json_w j;
	int fd, rc = ROBOT_EXIT_OK;
	__u32 c;

	rc = marks_parse(argc, argv, &a);
	if (rc)
		return rc > 0 ? ROBOT_EXIT_OK : ROBOT_EXIT_USAGE;
	fd = marks_open();
	if (fd < 0)
		return ROBOT_EXIT_FAIL;
	if (a.set) {
		rc = marks_set(fd, &a);
		if (rc)
			goto out;
	}
	if (!a.json)
		printf("%-12s %2s  %-10s  %-10s  %s\n", "class", "id", "mark",
		       "mask", "priority");
	for (c = 0; c < ROBOT_CLASS_MAX; c++) {
		if (a.set && c != (__u32)a.class)
			continue;
		if (bpf_map_lookup_elem(fd, &c, &mk)) {
			pr_warn("Couldn't read class %u: %s\n", c,
				strerror(errno));
			rc = ROBOT_EXIT_FAIL;
			break;
		}
		mark_print(a.json ? &j : NULL, c, &mk);
	}
out:
	close(fd);
	return rc;
}
