// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pins.c - pin directory, lock, state file, latency histogram helpers
 * (see pins.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include "pins.h"
#include "log.h"

int robot_lat_bucket(__u64 us)
{
	int b;

	if (us < 1)
		return 0;
	/* 4 * log2(us), rounded down; 1 us -> 0, 2^23.75 us and more -> 95. */
	b = (int)floor(4.0 * log2((double)us));
	if (b < 0)
		b = 0;
	return b < ROBOT_LAT_BUCKETS ? b : ROBOT_LAT_BUCKETS - 1;
}

double robot_lat_lo(int b)
{
	return b <= 0 ? 0.0 : pow(2.0, b / 4.0);
}

double robot_lat_pct(const __u64 *lat, double p)
{
	__u64 total = 0, acc = 0, want;
	int b;

	for (b = 0; b < ROBOT_LAT_BUCKETS; b++)
		total += lat[b];
	if (!total)
		return 0;
	want = (__u64)ceil(p / 100.0 * (double)total);
	if (!want)
		want = 1;
	for (b = 0; b < ROBOT_LAT_BUCKETS; b++) {
		acc += lat[b];
		if (acc >= want)
			return robot_lat_lo(b + 1);
	}
	return robot_lat_lo(ROBOT_LAT_BUCKETS);
}

static int is_bpffs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf))
		return -errno;
	return sf.f_type == BPF_FS_MAGIC;
}

int robot_pins_prepare(const char *dir)
{
	char parent[PATH_MAX], *slash;
	int err;

	if (strlen(dir) >= sizeof(parent))
		return -ENAMETOOLONG;
	strcpy(parent, dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	err = is_bpffs(parent);
	if (err < 0) {
		pr_warn("%s: %s\n", parent, strerror(-err));
		return err;
	}
	if (!err) {
		pr_info("%s is not a bpffs, mounting one\n", parent);
		if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_warn("Couldn't mount bpffs on %s: %s\n", parent,
				strerror(-err));
			return err;
		}
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("Couldn't create %s: %s\n", dir, strerror(-err));
		return err;
	}
	if (chmod(dir, 0700)) {
		err = -errno;
		pr_warn("Couldn't chmod %s: %s\n", dir, strerror(-err));
		return err;
	}
	return 0;
}

int robot_pins_lock(const char *dir)
{
	int fd, err;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return err;
	}
	return fd;
}

void robot_pins_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

int robot_pin_path(char *buf, size_t sz, const char *dir, const char *name)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

int robot_pin_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	err = robot_pin_path(path, sizeof(path), dir, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int robot_pins_clear(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0, err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (robot_pin_path(path, sizeof(path), dir, de->d_name))
			continue;
		if (unlink(path)) {
			err = -errno;
			pr_warn("Couldn't remove %s: %s\n", path, strerror(-err));
			continue;
		}
		n++;
	}
	closedir(d);
	return err ? err : n;
}

int robot_pins_remove(const char *dir)
{
	int n = robot_pins_clear(dir);

	if (n < 0)
		return n;
	if (rmdir(dir))
		return -errno;
	return n;
}

const char *robot_state_path(void)
{
	static char path[PATH_MAX];
	struct stat sb;

	if (stat("/proc/self/ns/net", &sb))
		sb.st_ino = 0;
	snprintf(path, sizeof(path), ROBOT_STATE_FMT,
		 (unsigned long)sb.st_ino);
	return path;
}

int robot_state_write(const char *path, const struct robot_state *st)
{
	char tmp[PATH_MAX];
	const struct robot_iface_state *s;
	FILE *f;
	int i, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "# robot attach state: pid, models, then one line per "
		   "interface:\n# iface NAME IFINDEX MODE XDP_ID TC_ID "
		   "CLSACT_CREATED TC_INGRESS TC_EGRESS\n");
	fprintf(f, "pid %d\nmodels %s\n", st->pid,
		st->models[0] ? st->models : "-");
	for (i = 0; i < st->n_ifaces; i++) {
		s = &st->ifaces[i];
		fprintf(f, "iface %s %d %d %u %u %d %d %d\n", s->name,
			s->ifindex, s->mode, s->xdp_prog_id, s->tc_prog_id,
			s->clsact_created, s->tc_ingress, s->tc_egress);
	}
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int state_parse_line(const char *line, struct robot_state *st)
{
	struct robot_iface_state *s;
	char models[256];

	if (line[0] == '#' || line[0] == '\n')
		return 0;
	if (sscanf(line, "pid %d", &st->pid) == 1)
		return 0;
	if (sscanf(line, "models %255s", models) == 1) {
		snprintf(st->models, sizeof(st->models), "%s",
			 strcmp(models, "-") ? models : "");
		return 0;
	}
	if (strncmp(line, "iface ", 6) || st->n_ifaces >= ROBOT_IFACES_MAX)
		return -EINVAL;
	s = &st->ifaces[st->n_ifaces];
	if (sscanf(line, "iface %31s %d %d %u %u %d %d %d", s->name,
		   &s->ifindex, &s->mode, &s->xdp_prog_id, &s->tc_prog_id,
		   &s->clsact_created, &s->tc_ingress, &s->tc_egress) != 8)
		return -EINVAL;
	st->n_ifaces++;
	return 0;
}

int robot_state_read(const char *path, struct robot_state *st)
{
	char line[512];
	FILE *f;
	int err = 0;

	memset(st, 0, sizeof(*st));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f))
		err = state_parse_line(line, st);
	fclose(f);
	if (err)
		pr_warn("%s: malformed line: %s", path, line);
	return err;
}
