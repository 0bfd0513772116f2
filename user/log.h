/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Logging (stderr) and the exit codes of the robot binary. */
#ifndef ROBOT_LOG_H
#define ROBOT_LOG_H

#include <stdarg.h>

/* Documented exit codes of every `robot` subcommand. */
enum robot_exit {
	ROBOT_EXIT_OK = 0,     /* success */
	ROBOT_EXIT_FAIL = 1,   /* runtime error, or input skipped for errors */
	ROBOT_EXIT_USAGE = 2,  /* wrong arguments */
	ROBOT_EXIT_BPF = 3,    /* loading/attaching BPF failed */
	ROBOT_EXIT_SKIP = 77,  /* tests: prerequisite missing */
};

enum robot_log_level {
	ROBOT_LOG_WARN = 0,
	ROBOT_LOG_INFO = 1,
	ROBOT_LOG_DEBUG = 2,
};

extern int robot_log_level; /* raised by -v / -vv */

void robot_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...) robot_log(ROBOT_LOG_WARN, __VA_ARGS__)
#define pr_info(...) robot_log(ROBOT_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) robot_log(ROBOT_LOG_DEBUG, __VA_ARGS__)

/* Route libbpf's messages through robot_log, demoted one level. */
void robot_log_libbpf(void);

#endif
