// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_dataset: packets per second of the dataset tool's hot path --
 * link-layer + robot_feat.h parsing and bidirectional flow assembly
 * (flowtab, first 64 feature records per flow) -- over the shared nDPI
 * captures ($ROBOT_DATA/pcap) loaded in memory first, so that file I/O
 * and libpcap are not timed. One core, repeated passes for >= 1 s.
 *
 * Prints the figures and writes {"dataset_parse_pps": N} to dataset.json
 * next to the binary (build/bench/). Without the data it says "skip" and
 * exits 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dsbuild.h"
#include "flowtab.h"
#include "pcapread.h"
#include "log.h"

struct mpkt {
	__u64 ts_ns;
	size_t off;   /* into the arena */
	__u32 caplen;
};

struct mfile {
	int dlt;
	__u32 first, n; /* packets [first, first + n) */
};

static __u8 *arena;
static size_t arena_len, arena_cap;
static struct mpkt *pkts;
static __u32 n_pkts, cap_pkts;
static struct mfile *files;
static __u32 n_files;

static int keep(const __u8 *d, __u32 caplen, __u64 ts)
{
	void *p;

	if (arena_len + caplen > arena_cap) {
		arena_cap = (arena_cap + caplen) * 2;
		p = realloc(arena, arena_cap);
		if (!p)
			return -ENOMEM;
		arena = p;
	}
	if (n_pkts == cap_pkts) {
		cap_pkts = cap_pkts ? cap_pkts * 2 : 4096;
		p = realloc(pkts, cap_pkts * sizeof(*pkts));
		if (!p)
			return -ENOMEM;
		pkts = p;
	}
	memcpy(arena + arena_len, d, caplen);
	pkts[n_pkts].ts_ns = ts;
	pkts[n_pkts].off = arena_len;
	pkts[n_pkts].caplen = caplen;
	arena_len += caplen;
	n_pkts++;
	return 0;
}

static int is_capture(const struct dirent *d)
{
	const char *e = strrchr(d->d_name, '.');

	return e && (!strcmp(e, ".pcap") || !strcmp(e, ".pcapng"));
}

static int load(const char *dir)
{
	struct dirent **ents;
	struct robot_pcap pc;
	const __u8 *d;
	__u32 caplen, len;
	char path[4096 + 512];
	__u64 ts;
	int n, i, ret = 0;

	n = scandir(dir, &ents, is_capture, alphasort);
	if (n <= 0)
		return -ENOENT;
	files = calloc(n, sizeof(*files));
	if (!files)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (ret || robot_pcap_open(&pc, path))
			continue;
		files[n_files].dlt = pc.dlt;
		files[n_files].first = n_pkts;
		while (robot_pcap_next(&pc, &ts, &d, &caplen, &len) > 0)
			if (keep(d, caplen, ts))
				ret = -ENOMEM;
		files[n_files].n = n_pkts - files[n_files].first;
		n_files++;
		robot_pcap_close(&pc);
	}
	free(ents);
	return ret;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* One pass over every capture; returns TCP/UDP packets assembled. */
static __u64 pass(struct flowtab *ft, int assemble)
{
	struct robot_parsed p;
	__u64 ok = 0;
	__u32 f, i;

	for (f = 0; f < n_files; f++) {
		flowtab_reset(ft);
		for (i = files[f].first; i < files[f].first + files[f].n; i++) {
			const __u8 *d = arena + pkts[i].off;

			robot_feat_zero(&p);
			if (robot_parse_link(files[f].dlt, d,
					     d + pkts[i].caplen, &p))
				continue;
			ok++;
			if (assemble && flowtab_add(ft, &p, pkts[i].ts_ns) < 0)
				return 0;
		}
	}
	return ok;
}

/* Packets per second over passes lasting >= 1 s in all. */
static double measure(struct flowtab *ft, int assemble, __u64 *flows)
{
	double t0, t;
	int passes = 0;

	pass(ft, assemble); /* warm up */
	t0 = now();
	do {
		if (!pass(ft, assemble))
			return 0;
		passes++;
		t = now() - t0;
	} while (t < 1.0 || passes < 3);
	if (flows)
		*flows = ft->n_flows;
	return (double)n_pkts * passes / t;
}

int main(int argc, char **argv)
{
	const char *data = getenv("ROBOT_DATA");
	char dir[4096], out[4096], *slash;
	double pps, parse_pps;
	struct flowtab ft;
	FILE *f;

	if (!data || !*data)
		data = "../shared/data/ndpi";
	snprintf(dir, sizeof(dir), "%s/pcap", data);
	if (access(dir, R_OK)) {
		printf("bench_dataset: skip: no captures in %s\n", dir);
		return 0;
	}
	if (load(dir) || !n_pkts) {
		printf("bench_dataset: skip: could not load %s\n", dir);
		return 0;
	}
	if (flowtab_init(&ft, ROBOT_DSB_IDLE_DEFAULT_NS, ROBOT_DATASET_PKTS))
		return 1;
	parse_pps = measure(&ft, 0, NULL);
	pps = measure(&ft, 1, NULL);
	flowtab_free(&ft);
	if (pps <= 0)
		return 1;
	printf("bench_dataset: %u captures, %u packets, %.1f MB in memory\n",
	       n_files, n_pkts, arena_len / 1e6);
	printf("bench_dataset: parse only          %12.0f packets/s\n",
	       parse_pps);
	printf("bench_dataset: parse + flow table  %12.0f packets/s\n", pps);

	snprintf(out, sizeof(out), "%s", argv[0]);
	slash = strrchr(out, '/');
	if (slash)
		slash[1] = 0;
	else
		out[0] = 0;
	strncat(out, "dataset.json", sizeof(out) - strlen(out) - 1);
	f = fopen(out, "w");
	if (!f) {
		perror(out);
		return 1;
	}
	fprintf(f, "{\"dataset_parse_pps\": %.0f, "
		   "\"dataset_parse_only_pps\": %.0f}\n", pps, parse_pps);
	fclose(f);
	free(arena);
	free(pkts);
	free(files);
	return 0;
}
