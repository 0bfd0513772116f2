// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_model - the model and dataset file readers on arbitrary bytes:
 * robot_fastq_load() (quantized only, and with the float model),
 * robot_robust_load() and robot_ds_load().
 *
 * Input: byte 0 selects the reader (% 4: fastq, fastq + float, robust,
 * dataset), the rest is the file, handed over as a memfd
 * (/proc/self/fd/N). Model files carry a crc32 over their data and
 * metadata, so a mutated file rarely gets past it: for model inputs whose
 * header parses, the harness also loads a copy with the crc32 recomputed
 * (as st_write() does), which takes the fuzzer into the checks behind it
 * (metadata, architecture, tensor shapes, value ranges).
 *
 * What a successful load promises is checked: the quantized model packs
 * for the datapath or is refused cleanly, inference runs; a Robust model
 * classifies a window; every index of a dataset is inside its tables.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <zlib.h>
#include "model.h"
#include "mjson.h"
#include "robust.h"
#include "dataset.h"
#include "bpfmodel.h"
#include "log.h"

static int mfd = -1;
static char mpath[64];

/* FUZZ_MKSEEDS=DIR: write small valid seeds (selector byte + file) of
 * every kind into DIR and exit; the trained models and datasets of build/
 * are added by tests/fuzz/seeds.sh when they exist.
 */
static int seed_write(const char *dir, const char *name, int sel,
		      const char *tmp)
{
	char path[512], buf[65536];
	FILE *in, *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(tmp, "rb");
	out = fopen(path, "wb");
	if (!in || !out)
		return -1;
	fputc(sel, out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	unlink(tmp);
	return 0;
}

static void meta_fill(struct robot_model_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->n_classes = 2;
	strcpy(m->class_names[0], "VoIP");
	strcpy(m->class_names[1], "Chat");
	m->class_ids[0] = ROBOT_CLASS_VOIP;
	m->class_ids[1] = ROBOT_CLASS_CHAT;
	m->a = 0.5f, m->b = 0.5f, m->m = 0.2f, m->beta = 1.0f, m->D = 0.5f;
	m->seed = 1;
	strcpy(m->split, "A");
}

static void mkseeds(const char *dir)
{
	struct robot_robust_arch ra = { 2, 2, 4, 2 };
	static struct robot_robust r;
	static struct robot_fastq q;
	static struct robot_fast f;
	static struct robot_ds_flow flows[2];
	struct robot_dataset ds = {};
	char cls[2][ROBOT_DS_NAME_MAX] = { "VoIP", "Chat" };
	char apps[1][ROBOT_DS_NAME_MAX] = { "skype" };
	char files[1][ROBOT_DS_NAME_MAX * 2] = { "x.pcap" };
	__u8 ids[2] = { 0, 1 };
	__u16 app_class[1] = { 0 };
	char tmp[512];
	int i;

	snprintf(tmp, sizeof(tmp), "%s/.tmp", dir);
	if (robot_robust_init(&r, &ra, 1, 0))
		abort();
	r.n_cent = 2;
	r.cent = calloc(2 * ra.emb, sizeof(float));
	r.cent_class = calloc(2, 1);
	r.cent[0] = 1, r.cent[3] = 1, r.cent_class[1] = 1;
	meta_fill(&r.meta);
	if (robot_robust_save(tmp, &r) || seed_write(dir, "robust", 2, tmp))
		abort();
	robot_robust_free(&r);

	memset(&q, 0, sizeof(q));
	q.arch = (struct robot_fastq_arch){
		.c1 = 8, .k1 = 4, .s1 = 2, .p1 = 1,
		.c2 = 16, .k2 = 3, .s2 = 2, .p2 = 1, .emb = 16,
	};
	if (robot_fastq_arch_check(&q.arch) ||
	    robot_fast_init(&f, &q.arch, 1, 0))
		abort();
	for (i = 0; i < 16; i++) {
		q.m1[i] = q.m2[i] = q.m3[i] = 1;
		q.sh1[i] = q.sh2[i] = q.sh3[i] = 1;
	}
	q.n_cent = f.n_cent = 2;
	q.cent[0][0] = 127, q.cent[1][1] = 127, q.cent_class[1] = 1;
	f.cent[0][0] = 1, f.cent[1][1] = 1, f.cent_class[1] = 1;
	q.thresh = 1ull << 30;
	meta_fill(&f.meta);
	if (robot_fast_save(tmp, &f, &q) || seed_write(dir, "fast", 0, tmp) ||
	    robot_fast_save(tmp, &f, &q) || seed_write(dir, "fast_f", 1, tmp))
		abort();
	robot_fast_free(&f);

	ds.n_classes = 2, ds.classes = cls, ds.class_ids = ids;
	ds.n_apps = 1, ds.apps = apps, ds.app_class = app_class;
	ds.n_files = 1, ds.files = files;
	ds.n_flows = 2, ds.flows = flows;
	for (i = 0; i < 2; i++) {
		flows[i].key.family = 4;
		flows[i].key.proto = 6;
		flows[i].key.addr_a[0] = 10;
		flows[i].key.addr_b[0] = 11 + i;
		flows[i].class_idx = i;
		flows[i].n_pkts = 3;
		flows[i].total_pkts = 5;
		flows[i].pkts[0].ip_ver = flows[i].pkts[1].ip_ver = 4;
		flows[i].pkts[2].ip_ver = 4;
		flows[i].pkts[0].l4_proto = flows[i].pkts[1].l4_proto = 6;
		flows[i].pkts[2].l4_proto = 6;
		flows[i].pkts[0].ip_len = 40, flows[i].pkts[1].ip_len = 50;
		flows[i].pkts[2].ip_len = 40;
		flows[i].pkts[1].payload_len = 10;
		flows[i].pkts[2].dir = 1;
	}
	if (robot_ds_save(&ds, tmp) || seed_write(dir, "dataset", 3, tmp))
		abort();
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("FUZZ_MKSEEDS");

	if (seeds)
		mkseeds(seeds);
	robot_log_level = -1;
	mfd = memfd_create("fuzz_model", 0);
	if (mfd < 0)
		abort();
	snprintf(mpath, sizeof(mpath), "/proc/self/fd/%d", mfd);
	return 0;
}

static int put_file(const __u8 *d, size_t n)
{
	if (ftruncate(mfd, 0) || pwrite(mfd, d, n, 0) != (ssize_t)n)
		return -1;
	return 0;
}

static void check_fastq(const struct robot_fastq *q)
{
	static struct robot_bpf_model bm;
	struct robot_fastq_out out;
	__u8 hdr[ROBOT_HDR_LEN];
	int i;

	if (!q->version || !q->n_cent || q->n_cent > ROBOT_FASTQ_CENT_MAX)
		abort();
	for (i = 0; i < ROBOT_HDR_LEN; i++)
		hdr[i] = i * 37;
	robot_fastq_infer(q, hdr, &out);
	if (out.best >= q->n_cent || out.class >= ROBOT_CLASS_MAX)
		abort();
	robot_bpfmodel_pack(q, &bm); /* 0 or -EINVAL, never a crash */
}

static void check_robust(struct robot_robust *r)
{
	struct robot_pkt_feat pkts[ROBOT_WINDOW];
	__u8 n = 7, class;
	int i;

	memset(pkts, 0, sizeof(pkts));
	for (i = 0; i < ROBOT_WINDOW; i++) {
		pkts[i].ip_len = 60 + i;
		pkts[i].ts_ns = i * 1000;
		pkts[i].hdr[i] = 0x45;
	}
	if (robot_robust_classify(r, pkts, &n, 1, &class))
		abort();
	if (class >= ROBOT_CLASS_MAX)
		abort();
}

static void check_ds(const struct robot_dataset *ds)
{
	__u32 i, j;

	for (i = 0; i < ds->n_classes; i++) {
		if (!memchr(ds->classes[i], 0, ROBOT_DS_NAME_MAX))
			abort();
		if (ds->class_ids[i] >= ROBOT_CLASS_MAX)
			abort();
	}
	for (i = 0; i < ds->n_apps; i++)
		if (ds->app_class[i] >= ds->n_classes ||
		    !memchr(ds->apps[i], 0, ROBOT_DS_NAME_MAX))
			abort();
	for (i = 0; i < ds->n_files; i++)
		if (!memchr(ds->files[i], 0, ROBOT_DS_NAME_MAX * 2))
			abort();
	for (i = 0; i < ds->n_flows; i++) {
		const struct robot_ds_flow *f = &ds->flows[i];

		if (f->class_idx >= ds->n_classes || f->app_idx >= ds->n_apps ||
		    f->file_idx >= ds->n_files ||
		    f->n_pkts > ROBOT_DATASET_PKTS)
			abort();
		for (j = 0; j < f->n_pkts; j++)
			if (f->pkts[j].dir > 1)
				abort();
		robot_ds_first_payload(f, 0);
	}
}

static void load(int sel)
{
	struct robot_model_meta meta;
	static struct robot_fastq q;
	static struct robot_fast f;
	static struct robot_robust r;
	struct robot_dataset ds;

	switch (sel) {
	case 0:
		if (!robot_fastq_load(mpath, &q, NULL, NULL))
			check_fastq(&q);
		break;
	case 1:
		memset(&f, 0, sizeof(f));
		if (!robot_fastq_load(mpath, &q, &f, &meta)) {
			check_fastq(&q);
			if (meta.n_classes > ROBOT_CLASS_MAX)
				abort();
			robot_fast_free(&f);
		}
		break;
	case 2:
		if (!robot_robust_load(mpath, &r)) {
			check_robust(&r);
			robot_robust_free(&r);
		}
		break;
	default:
		if (!robot_ds_load(mpath, &ds)) {
			check_ds(&ds);
			robot_ds_free(&ds);
		}
	}
}

/* Recompute the "crc32" metadata value of a safetensors file as
 * st_write() does (crc32 of the data section, then of every other
 * metadata key and value, NUL after each, in file order). Returns a new
 * buffer (*out_n bytes) or NULL when the header does not parse.
 */
static __u8 *fix_crc(const __u8 *d, size_t n, size_t *out_n)
{
	struct mjson_tok *t = NULL;
	int nt, meta, i, k, v, crc_v = -1;
	char *key = NULL, *val = NULL, num[16];
	const char *h;
	__u64 hl = 0;
	__u8 *o = NULL;
	size_t nl, nh;
	uLong crc;

	if (n < 8)
		return NULL;
	for (i = 0; i < 8; i++)
		hl |= (__u64)d[i] << (8 * i);
	if (hl < 2 || hl > n - 8 || hl > ST_HDR_MAX)
		return NULL;
	h = (const char *)d + 8;
	t = malloc((hl + 1) * sizeof(*t));
	key = malloc(hl + 1);
	val = malloc(hl + 1);
	if (!t || !key || !val)
		goto out;
	nt = mjson_parse(h, hl, t, hl + 1);
	if (nt < 1 || t[0].type != MJSON_OBJ)
		goto out;
	meta = mjson_get(h, t, 0, "__metadata__");
	if (meta < 0 || t[meta].type != MJSON_OBJ)
		goto out;
	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, d + 8 + hl, n - 8 - hl);
	k = meta + 1;
	for (i = 0; i < t[meta].size; i++, k = t[v].next) {
		v = k + 1;
		if (t[v].type != MJSON_STR ||
		    mjson_str(h, t, k, key, hl + 1) ||
		    mjson_str(h, t, v, val, hl + 1))
			goto out;
		if (!strcmp(key, "crc32")) {
			if (crc_v < 0)
				crc_v = v;
			continue;
		}
		crc = crc32(crc, (const Bytef *)key, strlen(key) + 1);
		crc = crc32(crc, (const Bytef *)val, strlen(val) + 1);
	}
	if (crc_v < 0)
		goto out;
	nl = snprintf(num, sizeof(num), "%lu", (unsigned long)crc);
	nh = hl - (t[crc_v].end - t[crc_v].start) + nl;
	o = malloc(8 + nh + (n - 8 - hl));
	if (!o)
		goto out;
	for (i = 0; i < 8; i++)
		o[i] = (__u64)nh >> (8 * i);
	memcpy(o + 8, h, t[crc_v].start);
	memcpy(o + 8 + t[crc_v].start, num, nl);
	memcpy(o + 8 + t[crc_v].start + nl, h + t[crc_v].end,
	       hl - t[crc_v].end);
	memcpy(o + 8 + nh, d + 8 + hl, n - 8 - hl);
	*out_n = 8 + nh + (n - 8 - hl);
out:
	free(t);
	free(key);
	free(val);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n2;
	__u8 *fixed;
	int sel;

	if (size < 1)
		return 0;
	sel = data[0] % 4;
	if (put_file(data + 1, size - 1))
		return 0;
	load(sel);
	if (sel == 3)
		return 0;
	fixed = fix_crc(data + 1, size - 1, &n2);
	if (fixed) {
		if (!put_file(fixed, n2))
			load(sel);
		free(fixed);
	}
	return 0;
}
