// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * robot - fast and robust online traffic classification.
 *
 * One binary, subcommands: `robot <command> [options]`, `robot <command>
 * --help`. Exit codes: enum robot_exit in log.h (0 ok, 1 failure, 2 usage,
 * 3 BPF load/attach failure).
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "log.h"

struct robot_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct robot_cmd cmds[] = {
	{ "dataset", do_dataset, "build a flow dataset from labeled captures" },
	{ "attach", do_attach, "attach to interfaces, run the companion daemon" },
	{ "detach", do_detach, "clean up after a daemon that was killed" },
	{ "status", do_status, "interfaces, models and maps of the daemon" },
	{ "stats", do_stats, "datapath and daemon counters" },
	{ "flows", do_flows, "the flow table" },
	{ "marks", do_marks, "the class -> mark/priority map, changed live" },
	{ "replay", do_replay, "run captures through the datapath offline" },
	{ "train", do_train, "train the Fast and Robust models from a dataset" },
	{ "eval", do_eval, "evaluate Robot and the baselines on a dataset" },
	{ "lab", do_lab, "traffic lab: real apps in namespaces, labeled captures" },
	{ "demo", do_demo, "live demo: Robot classifying the lab's apps at its gateway" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: robot [-v|-vv] <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n`robot <command> --help` describes each command.\n"
		   "exit codes: 0 ok, 1 failure, 2 usage, 3 BPF load/attach\n");
}

int main(int argc, char **argv)
{
	size_t i;

	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-v"))
			robot_log_level = ROBOT_LOG_INFO;
		else if (!strcmp(argv[0], "-vv"))
			robot_log_level = ROBOT_LOG_DEBUG;
		else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			usage(stdout);
			return ROBOT_EXIT_OK;
		} else {
			fprintf(stderr, "robot: unknown option '%s'\n", argv[0]);
			usage(stderr);
			return ROBOT_EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	if (argc < 1) {
		usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	robot_log_libbpf();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[0], cmds[i].name))
			return cmds[i].fn(argc, argv);
	fprintf(stderr, "robot: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return ROBOT_EXIT_USAGE;
}
