// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flows.c - `robot flows`: the pinned flow table, one flow per line, and
 * the name helpers of the companion.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "commands.h"
#include "daemon.h"
#include "fastq.h"
#include "json.h"
#include "log.h"

const char *const robot_class_names[ROBOT_CLASS_MAX] = ROBOT_CLASS_NAMES;
const char *const robot_stage_names[ROBOT_STAGE_MAX] = ROBOT_STAGE_NAMES;

const char *robot_class_name(__u8 c)
{
	return c < ROBOT_CLASS_MAX ? robot_class_names[c] : "-";
}

const char *robot_stage_name(__u8 s)
{
	return s < ROBOT_STAGE_MAX ? robot_stage_names[s] : "?";
}

void robot_key_addr(const struct robot_flow_key *k, int side_b, char *buf,
		    size_t sz)
{
	const __u8 *a = side_b ? k->addr_b : k->addr_a;

	if (!inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, a, buf, sz))
		snprintf(buf, sz, "?");
}

/* One flow, oriented initiator -> responder. */
struct flow_row {
	char src[48], dst[48];
	__u16 sport, dport;
};

static void flow_orient(const struct robot_flow_key *k,
			const struct robot_flow *f, struct flow_row *r)
{
	int init_b = !f->a_is_init;

	robot_key_addr(k, init_b, r->src, sizeof(r->src));
	robot_key_addr(k, !init_b, r->dst, sizeof(r->dst));
	r->sport = ntohs(init_b ? k->port_b : k->port_a);
	r->dport = ntohs(init_b ? k->port_a : k->port_b);
}

/* Distance to the nearest centroid, when the Fast model ran. */
static double flow_distance(const struct robot_flow *f)
{
	if (f->fast_class == ROBOT_CLASS_NONE)
		return -1;
	return robot_fastq_distance(f->fast_dot, f->fast_nrm2);
}

static void flow_print(struct json_w *j, const struct robot_flow_key *k,
		       const struct robot_flow *f)
{
	struct flow_row r;
	double dist = flow_distance(f);

	flow_orient(k, f, &r);
	if (!j) {
		printf("%-39s %5u  %-39s %5u %3u %-12s %-12s %-12s %-12s ",
		       r.src, r.sport, r.dst, r.dport, k->proto,
		       robot_stage_name(f->stage), robot_class_name(f->class),
		       robot_class_name(f->fast_class),
		       robot_class_name(f->robust_class));
		if (dist >= 0)
			printf("%6.3f", dist);
		else
			printf("%6s", "-");
		printf(" %3s %8llu %10llu\n", f->fdd ? "yes" : "no",
		       (unsigned long long)f->packets,
		       (unsigned long long)f->bytes);
		return;
	}
	json_init(j, stdout);
	json_obj_open(j, NULL);
	json_str(j, "src", r.src);
	json_u64(j, "sport", r.sport);
	json_str(j, "dst", r.dst);
	json_u64(j, "dport", r.dport);
	json_u64(j, "proto", k->proto);
	json_str(j, "stage", robot_stage_name(f->stage));
	json_str(j, "class", robot_class_name(f->class));
	json_str(j, "fast_class", robot_class_name(f->fast_class));
	json_str(j, "robust_class", robot_class_name(f->robust_class));
	if (dist >= 0)
		json_dbl(j, "distance", dist);
	else
		json_null(j, "distance");
	json_bool(j, "fdd", f->fdd);
	json_u64(j, "packets", f->packets);
	json_u64(j, "bytes", f->bytes);
	json_u64(j, "model_ver", f->model_ver);
	json_obj_close(j);
	json_end(j);
}

static void flows_usage(FILE *f)
{
	fprintf(f,
		"usage: robot flows [--json] [--limit N]\n"
		"List the flow table of the running datapath (pinned under %s):\n"
		"initiator -> responder, protocol, stage, class used for marking,\n"
		"fast and robust verdicts, distance to the nearest centroid, FDD,\n"
		"packets and bytes. --json: one object per line.\n",
		ROBOT_PIN_DIR);
}

int do_flows(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct robot_flow_key key, next;
	struct robot_flow f;
	unsigned long long limit = 0, n = 0;
	struct json_w j;
	int c, fd, json = 0, err;
	void *prev = NULL;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'n':
			errno = 0;
			limit = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    optarg[0] == '-') {
				fprintf(stderr, "robot flows: bad --limit '%s'\n",
					optarg);
				return ROBOT_EXIT_USAGE;
			}
			break;
		case 'h':
			flows_usage(stdout);
			return ROBOT_EXIT_OK;
		default:
			flows_usage(stderr);
			return ROBOT_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		flows_usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	fd = robot_pin_open(ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_FLOWS));
	if (fd < 0) {
		pr_warn("Couldn't open %s/%s: %s (is `robot attach` running?)\n",
			ROBOT_PIN_DIR, ROBOT_STR(ROBOT_MAP_FLOWS),
			strerror(-fd));
		return ROBOT_EXIT_FAIL;
	}
	if (!json)
		printf("%-39s %5s  %-39s %5s %3s %-12s %-12s %-12s %-12s %6s "
		       "%3s %8s %10s\n", "src", "sport", "dst", "dport", "pro",
		       "stage", "class", "fast", "robust", "dist", "fdd",
		       "packets", "bytes");
	while (!limit || n < limit) {
		err = bpf_map_get_next_key(fd, prev, &next);
		if (err)
			break;
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &f))
			continue; /* evicted meanwhile */
		flow_print(json ? &j : NULL, &key, &f);
		n++;
	}
	if (!json)
		printf("%llu flows\n", n);
	return ROBOT_EXIT_OK;
}
