// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

int robot_log_level = ROBOT_LOG_WARN;

void robot_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > robot_log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf warnings become info, info becomes debug. */
	int ours = level == LIBBPF_WARN ? ROBOT_LOG_INFO : ROBOT_LOG_DEBUG;

	if (ours > robot_log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void robot_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
