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
 *
 * Capabilities and no_new_privs belong to each thread, not to the process:
 * capset() changes the calling thread only. Threads started before the
 * drop (OpenBLAS starts its workers when the library loads, a GPU runtime
 * when it initializes) would keep every capability. robot_caps_keep()
 * therefore signals every other thread of /proc/self/task, whose handler
 * makes the same capset() and prctl() calls, and waits until all have
 * answered (threads they start later inherit the reduced sets).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "daemon.h"
#include "log.h"

#define CAPS_TASKS_MAX 1024

/* What every thread applies: kernel capset() layout, version 3. */
static struct {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	int answered, failed;
} drop;

/* In each thread (and called directly in the calling one); async-signal
 * safe: two system calls and atomics.
 */
static void drop_here(void)
{
	int saved = errno;

	if (syscall(SYS_capset, &drop.hdr, drop.data) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		__atomic_add_fetch(&drop.failed, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&drop.answered, 1, __ATOMIC_SEQ_CST);
	errno = saved;
}

static void drop_handler(int sig)
{
	drop_here();
}

static int tid_seen(const pid_t *tids, int n, pid_t tid)
{
	int i;

	for (i = 0; i < n; i++)
		if (tids[i] == tid)
			return 1;
	return 0;
}

/* Signal every thread not yet in tids[] (adding it); the number
 * signalled, or -errno.
 */
static int drop_signal_new(pid_t *tids, int *n, int sig)
{
	struct dirent *de;
	pid_t pid = getpid(), tid;
	int sent = 0;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		tid = atoi(de->d_name);
		if (tid <= 0 || tid_seen(tids, *n, tid))
			continue;
		if (*n >= CAPS_TASKS_MAX) {
			closedir(d);
			return -E2BIG;
		}
		tids[(*n)++] = tid;
		if (syscall(SYS_tgkill, pid, tid, sig) == 0)
			sent++;
		else if (errno != ESRCH) /* ESRCH: it has exited */
			__atomic_add_fetch(&drop.failed, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&drop.answered, 1, __ATOMIC_SEQ_CST);
	}
	closedir(d);
	return sent;
}

/* The other threads of the process: the same drop, through a signal. */
static int drop_other_threads(void)
{
	struct timespec ts = { 0, 1000000 };
	struct sigaction sa = { .sa_handler = drop_handler }, old;
	int sig = SIGRTMIN + 3, n = 0, want, err = 0, round, ms;
	pid_t *tids;

	tids = calloc(CAPS_TASKS_MAX, sizeof(*tids));
	if (!tids)
		return -ENOMEM;
	tids[n++] = syscall(SYS_gettid); /* done by the caller */
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &old)) {
		free(tids);
		return -errno;
	}
	/* Rescan until a pass finds no thread we have not signalled: a
	 * thread started meanwhile by one not yet reduced is caught too.
	 */
	for (round = 0; round < 8; round++) {
		int sent = drop_signal_new(tids, &n, sig);

		if (sent < 0) {
			err = sent;
			break;
		}
		want = n; /* answers so far, this thread's included */
		for (ms = 0; ms < 2000 && __atomic_load_n(&drop.answered,
				__ATOMIC_SEQ_CST) < want; ms++)
			nanosleep(&ts, NULL);
		if (__atomic_load_n(&drop.answered, __ATOMIC_SEQ_CST) < want) {
			err = -ETIMEDOUT; /* a thread blocks the signal */
			break;
		}
		if (!sent)
			break;
	}
	if (!err && round == 8)
		err = -EAGAIN;
	if (!err && __atomic_load_n(&drop.failed, __ATOMIC_SEQ_CST))
		err = -EPERM;
	sigaction(sig, &old, NULL);
	free(tids);
	return err;
}

int robot_caps_keep(const int *keep, int n)
{
	int i;

	if (n < 0 || n > 16)
		return -EINVAL;
	memset(&drop, 0, sizeof(drop));
	drop.hdr.version = _LINUX_CAPABILITY_VERSION_3;
	for (i = 0; i < n; i++) {
		if (keep[i] < 0 || keep[i] >= 64)
			return -EINVAL;
		drop.data[keep[i] / 32].permitted |= 1u << (keep[i] % 32);
	}
	drop.data[0].effective = drop.data[0].permitted;
	drop.data[1].effective = drop.data[1].permitted;
	/* This thread first (no regaining through exec of a setuid or
	 * file-capability binary either: no_new_privs), then the others.
	 */
	drop_here();
	if (drop.failed)
		return -EPERM;
	return drop_other_threads();
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
