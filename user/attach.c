// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach.c - `robot attach` (load, attach, run the daemon) and `robot
 * detach` (clean up after a daemon that could not).
 *
 * Setup order (robot_daemon_setup), each step undone by teardown:
 *   1. bpffs + /sys/fs/bpf/robot (0700), flock() on it; stale pins and a
 *      stale attach state of a dead daemon are cleaned first
 *   2. open the skeleton, set the flow table and ringbuf sizes, pin root
 *   3. libxdp program from skel->obj; attaching it to the first interface
 *      loads the object (libxdp sets the program type for its dispatcher
 *      and falls back to a single program where the dispatcher fails);
 *      the maps get pinned by name at that load (0600)
 *   4. Fast model into the inactive slot + slot swap (robot_bpfmodel_load),
 *      default marks
 *   5. XDP on the other interfaces, clsact + tc on ingress and egress of
 *      each (netlink, tcnl.c)
 *   6. state file, daemon stats map, ringbuf, Robust engine
 *   7. drop capabilities (caps.c)
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "robot.skel.h"
#include "fastq.h"
#include "bpfmodel.h"
#include "model.h"
#include "commands.h"
#include "daemon.h"
#include "log.h"
#include "marks.h"
#include "tcnl.h"

#define ROBOT_XDP_PROG "robot_xdp"
#define ROBOT_TC_PROG "robot_tc"

static const char *mode_name(int mode)
{
	return mode == XDP_MODE_SKB ? "skb" : "native";
}

static __u32 prog_id_of_fd(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* ------------------------------------------------------------ cleanup */

/* Detach our XDP program from one interface. In the single-program mode
 * this is a netlink request that names our program's fd (only
 * CAP_NET_ADMIN, and it cannot remove someone else's program); with
 * the dispatcher, libxdp removes our program from it.
 */
static int xdp_cleanup(const struct robot_iface_state *s, int xdp_fd,
		       int legacy)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	__u32 flags;
	int err;

	flags = s->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE :
					  XDP_FLAGS_DRV_MODE;
	if (xdp_fd >= 0 && legacy) {
		xo.old_prog_fd = xdp_fd;
		err = bpf_xdp_detach(s->ifindex, flags | XDP_FLAGS_REPLACE,
				     &xo);
		return err == -EEXIST ? -ENOENT : err;
	}
	/* Dispatcher, or no fd (robot detach): find our program by id. */
	mp = xdp_multiprog__get_from_ifindex(s->ifindex);
	if (!mp || libxdp_get_error(mp))
		return -ENOENT;
	err = -ENOENT;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && (xdp_program__id(p) == s->xdp_prog_id ||
			  !strcmp(xdp_program__name(p), ROBOT_XDP_PROG)))
			err = xdp_program__detach(p, s->ifindex,
					xdp_multiprog__attach_mode(mp), 0);
		goto out;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p;
	     p = xdp_multiprog__next_prog(p, mp)) {
		if (xdp_program__id(p) != s->xdp_prog_id &&
		    strcmp(xdp_program__name(p), ROBOT_XDP_PROG))
			continue;
		err = xdp_program__detach(p, s->ifindex,
					  xdp_multiprog__attach_mode(mp), 0);
		break;
	}
out:
	xdp_multiprog__close(mp);
	return err;
}

/* Our tc filter on one hook: delete it if its name or id is ours. */
static int tc_cleanup_hook(struct nl_sock *nl,
			   const struct robot_iface_state *s, int dir)
{
	struct robot_tc_filter f[8];
	int n, i;

	n = robot_tcnl_filter_list(nl, s->ifindex, dir, f, 8);
	if (n < 0)
		return n;
	for (i = 0; i < n && i < 8; i++) {
		if (f[i].handle != ROBOT_TC_HANDLE ||
		    f[i].prio != ROBOT_TC_PRIO)
			continue;
		if (strcmp(f[i].name, ROBOT_TC_NAME) &&
		    (!s->tc_prog_id || f[i].prog_id != s->tc_prog_id))
			continue;
		return robot_tcnl_filter_del(nl, s->ifindex, dir);
	}
	return -ENOENT;
}

int robot_iface_cleanup(struct nl_sock *nl, const struct robot_iface_state *s,
			int xdp_fd, int legacy)
{
	int err, first = 0;

	if (s->xdp_prog_id || xdp_fd >= 0) {
		err = xdp_cleanup(s, xdp_fd, legacy);
		if (err && err != -ENOENT) {
			pr_warn("%s: couldn't detach XDP: %s\n", s->name,
				strerror(-err));
			first = first ? first : err;
		}
	}
	if (!nl)
		return first;
	if (s->tc_ingress || s->tc_egress) {
		err = tc_cleanup_hook(nl, s, ROBOT_TC_INGRESS);
		if (err && err != -ENOENT)
			first = first ? first : err;
		err = tc_cleanup_hook(nl, s, ROBOT_TC_EGRESS);
		if (err && err != -ENOENT)
			first = first ? first : err;
	}
	if (s->clsact_created) {
		/* Only when nobody else put a filter there meanwhile. */
		struct robot_tc_filter f;

		if (robot_tcnl_filter_list(nl, s->ifindex, ROBOT_TC_INGRESS,
					   &f, 1) == 0 &&
		    robot_tcnl_filter_list(nl, s->ifindex, ROBOT_TC_EGRESS,
					   &f, 1) == 0) {
			err = robot_tcnl_clsact_del(nl, s->ifindex);
			if (err && err != -ENOENT)
				first = first ? first : err;
		} else {
			pr_info("%s: clsact has other filters, left in place\n",
				s->name);
		}
	}
	if (first)
		pr_warn("%s: cleanup incomplete: %s\n", s->name,
			strerror(-first));
	return first;
}

/* Clean up after a daemon that died without doing it (its state file
 * is there, its pid gone). Called with the pin lock held.
 */
static int stale_cleanup(struct nl_sock *nl, int verbose)
{
	struct robot_state st;
	int i, err, n = 0;

	err = robot_state_read(robot_state_path(), &st);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	for (i = 0; i < st.n_ifaces; i++) {
		struct robot_iface_state *s = &st.ifaces[i];
		int idx = if_nametoindex(s->name);

		if (!idx || idx != s->ifindex) {
			pr_info("%s: gone (or renumbered), nothing to detach\n",
				s->name);
			continue;
		}
		if (verbose)
			pr_warn("%s: removing what a previous daemon (pid %d) "
				"left attached\n", s->name, st.pid);
		robot_iface_cleanup(nl, s, -1, 0);
		n++;
	}
	unlink(robot_state_path());
	return n;
}

/* ------------------------------------------------------------ setup */

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

int robot_daemon_load_fast(struct robot_daemon *d, const char *models_dir)
{
	struct robot_fastq *q;
	char path[PATH_MAX];
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", models_dir,
		     ROBOT_FAST_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	err = robot_fastq_load(path, q, NULL, NULL);
	if (err)
		goto out_free;
	err = robot_bpfmodel_load(d->model_fd, d->active_fd, q);
	if (err) {
		pr_warn("%s: couldn't load into the maps: %s\n", path,
			strerror(-err));
		goto out_free;
	}
	d->fast_ver = q->version;
	pr_info("Fast model %s version %u active\n", path, q->version);
out_free:
	free(q);
	return err;
}

static int daemon_stats_map(struct robot_daemon *d)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, ROBOT_STR(ROBOT_MAP_DAEMON),
			    sizeof(__u32), sizeof(struct robot_dstats), 1,
			    NULL);
	if (fd < 0)
		return -errno;
	err = robot_pin_path(path, sizeof(path), ROBOT_PIN_DIR,
			     ROBOT_STR(ROBOT_MAP_DAEMON));
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (!err)
		chmod(path, 0600);
	if (!err && bpf_map_update_elem(fd, &zero, &d->ds, BPF_ANY))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	d->dstats_fd = fd;
	return 0;
}

/* chmod 0600 every pin (libbpf pins with the umask applied). */
static void pins_chmod(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		if (bpf_map__is_pinned(m))
			chmod(bpf_map__pin_path(m), 0600);
}

/* Record what is attached so far: a daemon killed in the middle of
 * setup still leaves robot detach (or the next daemon) a complete list.
 */
static void state_save(struct robot_daemon *d)
{
	if (!robot_state_write(robot_state_path(), &d->st))
		d->state_written = 1;
}

static int attach_xdp(struct robot_daemon *d, struct robot_iface_state *s)
{
	char buf[256];
	int err;

	err = xdp_program__attach(d->xdp, s->ifindex, d->o.mode, 0);
	if (err) {
		libxdp_strerror(err, buf, sizeof(buf));
		pr_warn("Couldn't attach XDP on '%s' (mode %s): %s\n", s->name,
			mode_name(d->o.mode), buf);
		if (d->o.mode == XDP_MODE_NATIVE)
			pr_warn("The driver of '%s' may lack native XDP: try "
				"--mode skb\n", s->name);
		return err;
	}
	s->mode = d->o.mode;
	s->xdp_prog_id = xdp_program__id(d->xdp);
	state_save(d);
	return 0;
}

/* libxdp's choice: dispatcher or the program alone. */
static int xdp_is_legacy(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	int legacy;

	if (!mp || libxdp_get_error(mp))
		return 1;
	legacy = xdp_multiprog__is_legacy(mp);
	xdp_multiprog__close(mp);
	return legacy;
}

static int attach_tc(struct robot_daemon *d, struct robot_iface_state *s)
{
	int err;

	err = robot_tcnl_clsact_add(d->nl, s->ifindex, &s->clsact_created);
	state_save(d);
	if (err) {
		pr_warn("%s: couldn't add the clsact qdisc: %s\n", s->name,
			strerror(-err));
		return err;
	}
	err = robot_tcnl_filter_add(d->nl, s->ifindex, ROBOT_TC_INGRESS,
				    d->tc_fd, ROBOT_TC_NAME);
	if (!err)
		s->tc_ingress = 1;
	if (!err)
		err = robot_tcnl_filter_add(d->nl, s->ifindex,
					    ROBOT_TC_EGRESS, d->tc_fd,
					    ROBOT_TC_NAME);
	if (!err)
		s->tc_egress = 1;
	if (err)
		pr_warn("%s: couldn't add the tc filter: %s%s\n", s->name,
			strerror(-err),
			err == -EEXIST ? " (a filter with our handle and "
					 "priority is there: robot detach?)" :
					 "");
	s->tc_prog_id = prog_id_of_fd(d->tc_fd);
	state_save(d);
	return err;
}

static int open_skel(struct robot_daemon *d)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = ROBOT_PIN_DIR);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo);
	struct robot_bpf *skel;
	struct bpf_map *m;
	int err;

	skel = robot_bpf__open_opts(&oo);
	if (!skel) {
		err = -errno;
		pr_warn("Couldn't open the BPF object: %s\n", strerror(-err));
		return err;
	}
	d->skel = skel;
	d->obj = skel->obj;
	m = bpf_object__find_map_by_name(d->obj, ROBOT_STR(ROBOT_MAP_FLOWS));
	if (m)
		bpf_map__set_max_entries(m, d->o.flows);
	m = bpf_object__find_map_by_name(d->obj, ROBOT_STR(ROBOT_MAP_EVENTS));
	if (m)
		bpf_map__set_max_entries(m, d->o.ringbuf);
	xo.obj = d->obj;
	xo.prog_name = ROBOT_XDP_PROG;
	d->xdp = xdp_program__create(&xo);
	err = libxdp_get_error(d->xdp);
	if (err) {
		d->xdp = NULL;
		pr_warn("Couldn't create the XDP program: %s\n",
			strerror(-err));
		return err;
	}
	return 0;
}

/* After the first attach loaded the object. */
static int collect_fds(struct robot_daemon *d)
{
	struct bpf_program *tc;
	int err;

	d->xdp_fd = xdp_program__fd(d->xdp);
	tc = bpf_object__find_program_by_name(d->obj, ROBOT_TC_PROG);
	d->tc_fd = tc ? bpf_program__fd(tc) : -ENOENT;
	d->flows_fd = map_fd(d->obj, ROBOT_STR(ROBOT_MAP_FLOWS));
	d->stats_fd = map_fd(d->obj, ROBOT_STR(ROBOT_MAP_STATS));
	d->events_fd = map_fd(d->obj, ROBOT_STR(ROBOT_MAP_EVENTS));
	d->model_fd = map_fd(d->obj, ROBOT_STR(ROBOT_MAP_MODEL));
	d->active_fd = map_fd(d->obj, ROBOT_STR(ROBOT_MAP_ACTIVE));
	if (d->tc_fd < 0 || d->flows_fd < 0 || d->stats_fd < 0 ||
	    d->events_fd < 0 || d->model_fd < 0 || d->active_fd < 0) {
		pr_warn("The BPF object lacks a program or map we need\n");
		return -ENOENT;
	}
	d->pinned = 1;
	pins_chmod(d->obj);
	/* Fresh maps (stale pins were removed): default marks, with the
	 * HTB priorities when asked.
	 */
	err = robot_bpf_marks_default(map_fd(d->obj, ROBOT_STR(ROBOT_MAP_MARKS)),
				      d->o.htb_major);
	if (err && d->o.htb_major) {
		pr_warn("Couldn't set the HTB priorities: %s\n", strerror(-err));
		return err;
	}
	if (err)
		pr_warn("Couldn't set the default marks\n");
	else if (d->o.htb_major)
		pr_info("HTB: class c gets priority %x:(c+1), %x:1..%x:%x\n",
			d->o.htb_major, d->o.htb_major, d->o.htb_major,
			ROBOT_CLASS_MAX);
	if (d->o.budget_rate) {
		err = robot_bpf_config_set(
			map_fd(d->obj, ROBOT_STR(ROBOT_MAP_CONFIG)),
			d->o.budget_rate, d->o.budget_burst);
		if (err) {
			pr_warn("Couldn't set the classification budget: %s\n",
				strerror(-err));
			return err;
		}
		pr_info("Classification budget: %u/s per CPU, burst %u\n",
			d->o.budget_rate,
			d->o.budget_burst ?: d->o.budget_rate);
	}
	return 0;
}

static int drop_caps(struct robot_daemon *d)
{
	int keep[3] = { CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN };
	char buf[256];
	int err;

	err = robot_caps_keep(keep, d->xdp_legacy ? 1 : 3);
	robot_caps_describe(buf, sizeof(buf));
	if (err)
		pr_warn("Couldn't drop capabilities: %s (running with %s)\n",
			strerror(-err), buf);
	else
		pr_info("Capabilities now: %s\n", buf);
	return 0;
}

/* Tell tc egress that robot_xdp sees what comes in on s (it then only
 * marks forwarded packets from there).
 */
static int xdp_iface_add(struct robot_daemon *d,
			 const struct robot_iface_state *s)
{
	int fd = map_fd(d->obj, ROBOT_STR(ROBOT_MAP_XDP_IFACES));
	__u32 k = s->ifindex, v = ROBOT_IF_XDP;

	if (fd < 0 || bpf_map_update_elem(fd, &k, &v, BPF_ANY)) {
		pr_warn("Couldn't record '%s' in %s: %s\n", s->name,
			ROBOT_STR(ROBOT_MAP_XDP_IFACES),
			strerror(fd < 0 ? -fd : errno));
		return fd < 0 ? fd : -errno;
	}
	return 0;
}

static int setup_ifaces(struct robot_daemon *d)
{
	struct robot_iface_state *s;
	int i, err;

	for (i = 0; i < d->o.n_ifaces; i++) {
		s = &d->st.ifaces[i];
		if (i) { /* the first one was attached by setup */
			err = attach_xdp(d, s);
			if (err)
				return err;
		}
		err = xdp_iface_add(d, s);
		if (err)
			return err;
		err = attach_tc(d, s);
		if (err)
			return err;
	}
	return 0;
}

static int setup_ifnames(struct robot_daemon *d)
{
	struct robot_iface_state *s;
	int i;

	for (i = 0; i < d->o.n_ifaces; i++) {
		s = &d->st.ifaces[i];
		snprintf(s->name, sizeof(s->name), "%s", d->o.ifnames[i]);
		s->ifindex = if_nametoindex(s->name);
		if (!s->ifindex) {
			pr_warn("No interface '%s'\n", s->name);
			return -ENODEV;
		}
	}
	d->st.n_ifaces = d->o.n_ifaces;
	d->st.pid = getpid();
	if (d->o.models_dir)
		snprintf(d->st.models, sizeof(d->st.models), "%s",
			 d->o.models_dir);
	return 0;
}

/* The state directory: ours, root's, 0700, whatever was there before. */
static int run_dir_setup(void)
{
	struct stat st;

	if (mkdir(ROBOT_RUN_DIR, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(ROBOT_RUN_DIR, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0) {
		pr_warn("%s is not a directory owned by root; remove it\n",
			ROBOT_RUN_DIR);
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(ROBOT_RUN_DIR, 0700))
		return -errno;
	return 0;
}

static int setup_pins(struct robot_daemon *d)
{
	int err, n;

	err = robot_pins_prepare(ROBOT_PIN_DIR);
	if (err)
		return err;
	d->lock_fd = robot_pins_lock(ROBOT_PIN_DIR);
	if (d->lock_fd == -EBUSY) {
		pr_warn("Another robot daemon holds %s; stop it first\n",
			ROBOT_PIN_DIR);
		return -EBUSY;
	}
	if (d->lock_fd < 0)
		return d->lock_fd;
	err = run_dir_setup();
	if (err)
		return err;
	stale_cleanup(d->nl, 1);
	/* Pins of a dead daemon: we hold the lock, nobody uses them. */
	n = robot_pins_clear(ROBOT_PIN_DIR);
	if (n > 0)
		pr_warn("Removed %d stale pins from %s\n", n, ROBOT_PIN_DIR);
	return 0;
}

int robot_daemon_setup(struct robot_daemon *d)
{
	int err;

	d->lock_fd = d->xdp_fd = d->tc_fd = d->dstats_fd = -1;
	d->flows_fd = d->stats_fd = d->events_fd = -1;
	d->model_fd = d->active_fd = -1;
	err = setup_ifnames(d);
	if (err)
		return err;
	d->nl = robot_tcnl_open();
	if (!d->nl) {
		err = -errno;
		pr_warn("Couldn't open a netlink socket: %s\n", strerror(-err));
		return err;
	}
	err = setup_pins(d);
	if (err)
		return err;
	err = open_skel(d);
	if (err)
		return err;
	/* Loads the object (see the top of this file). */
	err = attach_xdp(d, &d->st.ifaces[0]);
	if (err)
		return err;
	d->xdp_legacy = xdp_is_legacy(d->st.ifaces[0].ifindex);
	pr_info("XDP %s on %s (%s)\n", mode_name(d->o.mode),
		d->st.ifaces[0].name,
		d->xdp_legacy ? "single program, libxdp dispatcher unavailable" :
				"libxdp dispatcher");
	err = collect_fds(d);
	if (err)
		return err;
	if (d->o.models_dir) {
		err = robot_daemon_load_fast(d, d->o.models_dir);
		if (err)
			return err;
	}
	err = setup_ifaces(d);
	if (err)
		return err;
	d->ds.pid = d->st.pid;
	d->ds.fast_ver = d->fast_ver;
	err = daemon_stats_map(d);
	if (err) {
		pr_warn("Couldn't create the daemon stats map: %s\n",
			strerror(-err));
		return err;
	}
	if (d->o.models_dir) {
		err = robot_engine_open(&d->eng, d->o.models_dir, d->o.device,
					d->o.batch);
		if (err)
			return err;
	}
	d->ds.robust_ver = d->eng.version;
	d->ds.device = d->eng.device;
	return drop_caps(d);
}

void robot_daemon_teardown(struct robot_daemon *d)
{
	int i, err;

	for (i = d->st.n_ifaces - 1; i >= 0; i--) {
		struct robot_iface_state *s = &d->st.ifaces[i];

		if (!s->xdp_prog_id && !s->tc_ingress && !s->tc_egress &&
		    !s->clsact_created)
			continue;
		robot_iface_cleanup(d->nl, s, d->xdp_legacy ? d->xdp_fd : -1,
				    d->xdp_legacy);
		memset(&s->xdp_prog_id, 0,
		       sizeof(*s) - offsetof(struct robot_iface_state,
					     xdp_prog_id));
	}
	if (d->state_written)
		unlink(robot_state_path());
	robot_engine_close(&d->eng);
	if (d->dstats_fd >= 0)
		close(d->dstats_fd);
	if (d->xdp)
		xdp_program__close(d->xdp);
	if (d->skel)
		robot_bpf__destroy(d->skel);
	if (d->pinned || d->lock_fd >= 0) {
		err = robot_pins_remove(ROBOT_PIN_DIR);
		if (err < 0 && err != -ENOENT)
			pr_warn("Couldn't remove %s: %s\n", ROBOT_PIN_DIR,
				strerror(-err));
	}
	robot_pins_unlock(d->lock_fd);
	robot_tcnl_close(d->nl);
	d->skel = NULL;
	d->xdp = NULL;
	d->nl = NULL;
	d->lock_fd = -1;
}

/* ------------------------------------------------------------ options */

static const struct option attach_opts[] = {
	{ "models", required_argument, NULL, 'm' },
	{ "mode", required_argument, NULL, 'M' },
	{ "device", required_argument, NULL, 'd' },
	{ "json-log", no_argument, NULL, 'j' },
	{ "flows", required_argument, NULL, 'f' },
	{ "ringbuf", required_argument, NULL, 'r' },
	{ "idle-timeout", required_argument, NULL, 'i' },
	{ "batch", required_argument, NULL, 'b' },
	{ "batch-deadline", required_argument, NULL, 'D' },
	{ "max-pending", required_argument, NULL, 'p' },
	{ "budget", required_argument, NULL, 'B' },
	{ "htb", required_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static void attach_usage(FILE *f)
{
	fprintf(f,
		"usage: robot attach IFACE [IFACE...] [options]\n"
		"Load the datapath, attach XDP and tc to each interface, run the\n"
		"companion daemon in the foreground until SIGINT/SIGTERM\n"
		"(SIGHUP reloads the models).\n\n"
		"  --models DIR          fast.model + robust.model (default\n"
		"                        models/default if present, else count-only)\n"
		"  --mode native|skb     XDP attach mode (default native)\n"
		"  --device auto|cpu|gpu Robust model engine (default auto: GPU\n"
		"                        via build/librobot_gpu.so if usable, else CPU)\n"
		"  --json-log            log verdicts and events as JSON lines on stdout\n"
		"  --flows N             flow table entries (default %u)\n"
		"  --ringbuf BYTES       ringbuf size, power of 2 (default %u)\n"
		"  --idle-timeout MS     close short FDD windows after MS idle (default 2000)\n"
		"  --batch N             windows per inference batch (default 64)\n"
		"  --batch-deadline MS   oldest window waits at most MS (default 0:\n"
		"                        classify what each ringbuf drain completed)\n"
		"  --max-pending N       FDD flows assembled at once (default 16384)\n"
		"  --budget RATE[,BURST] Fast model runs per second per CPU, token\n"
		"                        bucket of BURST (default: no limit); new\n"
		"                        flows past it keep no verdict until tokens\n"
		"                        return (robot stats: budget_exhausted)\n"
		"  --htb MAJ:            skb->priority MAJ:(class id + 1) on every\n"
		"                        classified packet (hex major, as tc writes\n"
		"                        it): HTB classes MAJ:1..MAJ:%x get the\n"
		"                        classes (robot marks changes them live)\n"
		"  --help\n",
		ROBOT_FLOWS_DEFAULT, ROBOT_EVENTS_DEFAULT, ROBOT_CLASS_MAX);
}

/* An interface name the kernel could hold (its dev_valid_name()). */
static int ifname_ok(const char *s)
{
	size_t i, n = strnlen(s, IFNAMSIZ);

	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		goto bad;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			goto bad;
	return 1;
bad:
	fprintf(stderr, "robot: bad interface name '%s' (1..%d characters, "
		"no '/', ':' or spaces)\n", s, IFNAMSIZ - 1);
	return 0;
}

static int parse_u64(const char *s, const char *what, __u64 lo, __u64 hi,
		     __u64 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "robot: bad %s '%s' (want %llu..%llu)\n",
			what, s, (unsigned long long)lo,
			(unsigned long long)hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* RATE[,BURST] */
static int parse_budget(const char *arg, struct robot_attach_opts *o)
{
	char buf[64], *comma;
	__u64 v;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf)) {
		fprintf(stderr, "robot: bad --budget '%s'\n", arg);
		return -EINVAL;
	}
	comma = strchr(buf, ',');
	if (comma)
		*comma++ = '\0';
	if (parse_u64(buf, "--budget rate", 1, 100000000, &v))
		return -EINVAL;
	o->budget_rate = v;
	o->budget_burst = 0;
	if (comma) {
		if (parse_u64(comma, "--budget burst", 1, 100000000, &v))
			return -EINVAL;
		o->budget_burst = v;
	}
	return 0;
}

static int parse_attach(int argc, char **argv, struct robot_attach_opts *o)
{
	__u64 v;
	int c;

	memset(o, 0, sizeof(*o));
	o->mode = XDP_MODE_NATIVE;
	o->device = ROBOT_DEV_AUTO;
	o->flows = ROBOT_FLOWS_DEFAULT;
	o->ringbuf = ROBOT_EVENTS_DEFAULT;
	o->idle_timeout_ns = 2000ull * 1000000;
	o->batch = 64;
	o->batch_deadline_ns = 0;
	o->max_pending = 16384;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", attach_opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->models_dir = optarg;
			break;
		case 'M':
			if (!strcmp(optarg, "native"))
				o->mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "skb"))
				o->mode = XDP_MODE_SKB;
			else
				goto bad;
			break;
		case 'd':
			if (!strcmp(optarg, "auto"))
				o->device = ROBOT_DEV_AUTO;
			else if (!strcmp(optarg, "cpu"))
				o->device = ROBOT_DEV_CPU;
			else if (!strcmp(optarg, "gpu"))
				o->device = ROBOT_DEV_GPU;
			else
				goto bad;
			break;
		case 'j':
			o->json_log = 1;
			break;
		case 'f':
			if (parse_u64(optarg, "--flows", 1024, 1u << 26, &v))
				return -EINVAL;
			o->flows = v;
			break;
		case 'r':
			if (parse_u64(optarg, "--ringbuf", 4096, 1u << 30, &v))
				return -EINVAL;
			if (v & (v - 1) || v % getpagesize()) {
				fprintf(stderr, "robot: --ringbuf must be a power"
						" of 2 and a page multiple\n");
				return -EINVAL;
			}
			o->ringbuf = v;
			break;
		case 'i':
			if (parse_u64(optarg, "--idle-timeout", 1, 3600000, &v))
				return -EINVAL;
			o->idle_timeout_ns = v * 1000000;
			break;
		case 'b':
			if (parse_u64(optarg, "--batch", 1, 4096, &v))
				return -EINVAL;
			o->batch = v;
			break;
		case 'D':
			if (parse_u64(optarg, "--batch-deadline", 0, 60000, &v))
				return -EINVAL;
			o->batch_deadline_ns = v * 1000000;
			break;
		case 'p':
			if (parse_u64(optarg, "--max-pending", 1, 1u << 24, &v))
				return -EINVAL;
			o->max_pending = v;
			break;
		case 'B':
			if (parse_budget(optarg, o))
				return -EINVAL;
			break;
		case 'H':
			if (robot_tc_major_parse(optarg, &o->htb_major)) {
				fprintf(stderr, "robot: bad --htb '%s' (want an "
					"HTB handle MAJ:, hex 1..%x)\n", optarg,
					ROBOT_TC_MAJ_MAX);
				return -EINVAL;
			}
			break;
		case 'h':
			attach_usage(stdout);
			return 1;
		default:
			goto usage;
		}
	}
	for (; optind < argc; optind++) {
		if (!ifname_ok(argv[optind]))
			return -EINVAL;
		for (c = 0; c < o->n_ifaces; c++)
			if (!strcmp(o->ifnames[c], argv[optind]))
				break;
		if (c < o->n_ifaces) {
			fprintf(stderr, "robot: interface '%s' given twice\n",
				argv[optind]);
			return -EINVAL;
		}
		if (o->n_ifaces >= ROBOT_IFACES_MAX) {
			fprintf(stderr, "robot: at most %d interfaces\n",
				ROBOT_IFACES_MAX);
			return -EINVAL;
		}
		o->ifnames[o->n_ifaces++] = argv[optind];
	}
	if (!o->n_ifaces) {
		fprintf(stderr, "robot attach: no interface given\n");
		goto usage;
	}
	return 0;
bad:
	fprintf(stderr, "robot: bad value '%s'\n", optarg);
usage:
	attach_usage(stderr);
	return -EINVAL;
}

/* Without --models: models/default when it holds a Fast model. */
static void default_models(struct robot_attach_opts *o)
{
	static const char def[] = "models/default";
	char path[PATH_MAX];

	if (o->models_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", def, ROBOT_FAST_FILE);
	if (!access(path, R_OK)) {
		o->models_dir = def;
		pr_warn("Using the models in %s/\n", def);
		return;
	}
	pr_warn("No --models and no %s: count-only mode (flows are counted, "
		"not classified)\n", path);
}

/* libxdp's messages through robot_log, demoted one level (its dispatcher
 * probe warns on every attach where the dispatcher cannot load).
 */
static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	int ours = level == LIBXDP_WARN ? ROBOT_LOG_INFO : ROBOT_LOG_DEBUG;

	if (ours > robot_log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static pthread_t main_thread;

/* Threads created before main() (OpenBLAS starts its pool in a library
 * constructor) have SIGINT/SIGTERM/SIGHUP unblocked, so the kernel may
 * deliver them there; pass them on to the main thread, which blocks
 * them and reads them from its signalfd.
 */
static void forward_signal(int sig)
{
	if (!pthread_equal(pthread_self(), main_thread))
		pthread_kill(main_thread, sig);
}

static void signals_setup(void)
{
	struct sigaction sa = { .sa_handler = forward_signal };
	sigset_t mask;

	main_thread = pthread_self();
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sa.sa_mask = mask;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Blocked before anything is attached: a SIGTERM during setup
	 * waits for the loop, which then cleans up.
	 */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
}

int do_attach(int argc, char **argv)
{
	struct robot_daemon *d;
	int err, rc;

	d = calloc(1, sizeof(*d));
	if (!d)
		return ROBOT_EXIT_FAIL;
	err = parse_attach(argc, argv, &d->o);
	if (err) {
		free(d);
		return err > 0 ? ROBOT_EXIT_OK : ROBOT_EXIT_USAGE;
	}
	if (!robot_caps_have(CAP_NET_ADMIN) ||
	    (!robot_caps_have(CAP_BPF) && !robot_caps_have(CAP_SYS_ADMIN))) {
		pr_warn("robot attach needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN "
			"and CAP_SYS_ADMIN (run it as root)\n");
		free(d);
		return ROBOT_EXIT_FAIL;
	}
	default_models(&d->o);
	libxdp_set_print(libxdp_print);
	signals_setup();
	err = robot_daemon_setup(d);
	if (err) {
		robot_daemon_teardown(d);
		free(d);
		return err == -EBUSY || err == -ENODEV || err == -ENOENT ||
		       err == -EINVAL ? ROBOT_EXIT_FAIL : ROBOT_EXIT_BPF;
	}
	rc = robot_daemon_loop(d);
	robot_daemon_teardown(d);
	free(d);
	return rc;
}

/* ------------------------------------------------------------ detach */

static void detach_usage(FILE *f)
{
	fprintf(f,
		"usage: robot detach [IFACE...]\n"
		"Remove what a robot daemon that could not clean up (SIGKILL, crash)\n"
		"left behind: our XDP program and tc filters on each interface (all\n"
		"interfaces of the attach state without arguments), the clsact qdisc\n"
		"where the daemon created it, the pins and the state file. Refuses\n"
		"while a daemon runs (stop it instead).\n");
}

static int detach_one(struct nl_sock *nl, const struct robot_state *st,
		      const char *name)
{
	struct robot_iface_state s = {};
	int i;

	for (i = 0; i < st->n_ifaces; i++)
		if (!strcmp(st->ifaces[i].name, name))
			s = st->ifaces[i];
	if (!s.name[0]) {
		/* Not in the state: look for our program and filters by
		 * name; leave clsact (we cannot know who made it).
		 */
		snprintf(s.name, sizeof(s.name), "%s", name);
		s.mode = XDP_MODE_NATIVE;
		s.tc_ingress = s.tc_egress = 1;
	}
	s.ifindex = if_nametoindex(name);
	if (!s.ifindex) {
		pr_warn("No interface '%s'\n", name);
		return -ENODEV;
	}
	if (!s.xdp_prog_id)
		s.xdp_prog_id = (__u32)-1; /* match by name only */
	return robot_iface_cleanup(nl, &s, -1, 0);
}

int do_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct robot_state st = {};
	struct nl_sock *nl;
	int c, i, lock, err, rc = ROBOT_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			detach_usage(stdout);
			return ROBOT_EXIT_OK;
		}
		detach_usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	for (i = optind; i < argc; i++)
		if (!ifname_ok(argv[i]))
			return ROBOT_EXIT_USAGE;
	libxdp_set_print(libxdp_print);
	lock = robot_pins_lock(ROBOT_PIN_DIR);
	if (lock == -EBUSY) {
		pr_warn("A robot daemon is running (it holds %s): stop it with "
			"SIGTERM, it cleans up itself\n", ROBOT_PIN_DIR);
		return ROBOT_EXIT_FAIL;
	}
	nl = robot_tcnl_open();
	if (!nl) {
		pr_warn("Couldn't open a netlink socket: %s\n", strerror(errno));
		robot_pins_unlock(lock);
		return ROBOT_EXIT_FAIL;
	}
	err = robot_state_read(robot_state_path(), &st);
	if (err && err != -ENOENT)
		pr_warn("Ignoring %s\n", robot_state_path());
	if (optind == argc) {
		for (i = 0; i < st.n_ifaces; i++)
			if (detach_one(nl, &st, st.ifaces[i].name))
				rc = ROBOT_EXIT_FAIL;
	} else {
		for (i = optind; i < argc; i++)
			if (detach_one(nl, &st, argv[i]))
				rc = ROBOT_EXIT_FAIL;
	}
	unlink(robot_state_path());
	err = robot_pins_remove(ROBOT_PIN_DIR);
	if (err > 0)
		pr_info("Removed %d pins\n", err);
	else if (err < 0 && err != -ENOENT)
		rc = ROBOT_EXIT_FAIL;
	robot_tcnl_close(nl);
	robot_pins_unlock(lock);
	return rc;
}
