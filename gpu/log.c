// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* robot_log for librobot_gpu.so: user/log.c without its libbpf hook, so
 * the library needs neither libbpf nor the daemon's symbols. Messages go
 * to stderr; ROBOT_GPU_VERBOSE=1|2 raises the level (the daemon's -v does
 * not reach this copy).
 */
#include <stdio.h>
#include <stdlib.h>
#include "log.h"

int robot_log_level = -1;

void robot_log(int level, const char *fmt, ...)
{
	const char *env;
	va_list ap;

	if (robot_log_level < 0) {
		env = getenv("ROBOT_GPU_VERBOSE");
		robot_log_level = env && *env ? atoi(env) : ROBOT_LOG_WARN;
	}
	if (level > robot_log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
