// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * caps.c - dropping capabilities after load/attach (libcap).
 *
 * What the daemon keeps, and why (docs/daemon.md):
 *   CAP_NET_ADMIN  detach XDP (netlink) and delete our tc filters and
 *                  clsact qdisc at exit.
 *   CAP_BPF,       only with the libxdp multi-prog dispatcher: detaching
 *   CAP_SYS_ADMIN  from it looks programs up by id (BPF_PROG_GET_FD_BY_ID
 *                  needs CAP_SYS_ADMIN). In the single-program fallback
 *                  the daemon detaches by fd and drops both.
 * Everything else (map updates, ringbuf, SIGHUP model reload, pins) goes
 * through fds opened before the drop and needs no capability.
 */
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "daemon.h"
#include "log.h"

int robot_caps_keep(const int *keep, int n)
{
	cap_value_t vals[16];
	cap_t caps;
	int i, err = 0;

	if (n < 0 || n > 16)
		return -EINVAL;
	for (i = 0; i < n; i++)
		vals[i] = keep[i];
	caps = cap_init(); /* all clear */
	if (!caps)
		return -errno;
	if (n && (cap_set_flag(caps, CAP_PERMITTED, n, vals, CAP_SET) ||
		  cap_set_flag(caps, CAP_EFFECTIVE, n, vals, CAP_SET))) {
		err = -errno;
		goto out_free;
	}
	if (cap_set_proc(caps))
		err = -errno;
	/* No regaining through exec of a setuid/file-capability binary. */
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
out_free:
	cap_free(caps);
	return err;
}

int robot_caps_have(int cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return 0;
	cap_get_flag(caps, cap, CAP_EFFECTIVE, &v);
	cap_free(caps);
	return v == CAP_SET;
}

void robot_caps_describe(char *buf, size_t sz)
{
	cap_t caps = cap_get_proc();
	char *txt = caps ? cap_to_text(caps, NULL) : NULL;

	snprintf(buf, sz, "%s", txt ? txt : "?");
	if (txt)
		cap_free(txt);
	if (caps)
		cap_free(caps);
}
