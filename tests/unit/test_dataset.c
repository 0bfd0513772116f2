// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the dataset pipeline: the flow table (user/flowtab.c), the
 * dataset file (user/dataset.c: round trip, every truncation, every
 * flipped byte, inconsistent content behind a valid checksum), and an
 * end-to-end build (user/dsbuild.c) over captures written here: Ethernet
 * pcap, Linux cooked SLL pcap, raw-IP pcapng, a truncated capture, a
 * non-capture, an unsupported link type, and a labels CSV with DNS,
 * excluded-class, malformed, unmatched and missing-capture rows.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "dataset.h"
#include "dsbuild.h"
#include "flowtab.h"
#include "labels.h"
#include "pcapread.h"

#define SEC 1000000000ull

/* ---------------------------------------------------------------- helpers */

static char tmpdir[64];

static int setup_dir(void **state)
{
	strcpy(tmpdir, "/tmp/robot_test_ds.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

static char *tpath(const char *name)
{
	static char p[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static void write_file(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static __u8 *read_file(const char *path, size_t *n)
{
	struct stat st;
	__u8 *b;
	FILE *f;

	assert_int_equal(stat(path, &st), 0);
	b = malloc(st.st_size);
	assert_non_null(b);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(b, 1, st.st_size, f), st.st_size);
	fclose(f);
	*n = st.st_size;
	return b;
}

/* An IPv4 (or IPv6) + TCP/UDP packet without link header into b. */
static int ip_pkt(__u8 *b, int v6, __u8 proto, __u32 src, __u16 sport,
		  __u32 dst, __u16 dport, int payload, __u8 flags)
{
	int l4 = v6 ? 40 : 20, hl = proto == 6 ? 20 : 8, n = l4 + hl + payload;

	memset(b, 0, n);
	if (v6) {
		b[0] = 0x60;
		robot_put16(b + 4, hl + payload);
		b[6] = proto;
		b[7] = 64;
		b[8] = 0x20;
		b[9] = 0x01;
		memcpy(b + 20, &src, 4);
		b[24] = 0x20;
		b[25] = 0x01;
		memcpy(b + 36, &dst, 4);
	} else {
		b[0] = 0x45;
		robot_put16(b + 2, n);
		b[8] = 64;
		b[9] = proto;
		memcpy(b + 12, &src, 4);
		memcpy(b + 16, &dst, 4);
	}
	robot_put16(b + l4, sport);
	robot_put16(b + l4 + 2, dport);
	if (proto == 6) {
		b[l4 + 12] = 5 << 4;
		b[l4 + 13] = flags;
	} else {
		robot_put16(b + l4 + 4, 8 + payload);
	}
	return n;
}

static __u32 ip4(int a, int b, int c, int d)
{
	__u8 x[4] = { a, b, c, d };
	__u32 v;

	memcpy(&v, x, 4);
	return v;
}

/* ---------------------------------------------------------------- flowtab */

static void mkparsed(struct robot_parsed *p, int flow, int from_a)
{
	__u8 a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 1, 0, 0 };

	memset(p, 0, sizeof(*p));
	b[2] = flow >> 8;
	b[3] = flow;
	if (from_a)
		robot_key_make(p, a, b, 1000, 80, 4);
	else
		robot_key_make(p, b, a, 80, 1000, 4);
	p->key.proto = 6;
	p->key.family = 4;
	p->feat.ip_ver = 4;
	p->feat.l4_proto = 6;
	p->feat.ip_len = 40 + flow;
}

static void test_flowtab_many(void **state)
{
	struct robot_parsed p;
	struct flowtab ft;
	int i, idx;

	assert_int_equal(flowtab_init(&ft, 120 * SEC, ROBOT_DATASET_PKTS), 0);
	for (i = 0; i < 5000; i++) {
		mkparsed(&p, i, i & 1);
		idx = flowtab_add(&ft, &p, 1000 + i);
		assert_int_equal(idx, i);
	}
	for (i = 0; i < 5000; i++) { /* answers, from the other side */
		mkparsed(&p, i, !(i & 1));
		assert_int_equal(flowtab_add(&ft, &p, 9000 + i), i);
	}
	assert_int_equal(ft.n_flows, 5000);
	for (i = 0; i < 5000; i++) {
		struct ft_flow *f = &ft.flows[i];

		mkparsed(&p, i, 1);
		assert_int_equal(flowtab_lookup(&ft, &p.key), i);
		assert_int_equal(f->total_pkts, 2);
		assert_int_equal(f->n_pkts, 2);
		assert_int_equal(f->a_is_init, i & 1);
		assert_int_equal(f->pkts[0].dir, ROBOT_DIR_FWD);
		assert_int_equal(f->pkts[1].dir, ROBOT_DIR_REV);
		assert_true(f->pkts[0].ts_ns == 1000u + i);
		assert_true(f->first_ns == 1000u + i && f->last_ns == 9000u + i);
		assert_int_equal(f->pkts[1].ip_len, 40 + i);
		assert_int_equal(f->prev, FT_NONE);
	}
	mkparsed(&p, 6000, 1);
	assert_int_equal(flowtab_lookup(&ft, &p.key), FT_NONE);
	flowtab_reset(&ft);
	assert_int_equal(ft.n_flows, 0);
	mkparsed(&p, 7, 1);
	assert_int_equal(flowtab_lookup(&ft, &p.key), FT_NONE);
	assert_int_equal(flowtab_add(&ft, &p, 5), 0);
	flowtab_free(&ft);
}

static void test_flowtab_idle_and_cap(void **state)
{
	struct robot_parsed p;
	struct flowtab ft;
	struct ft_flow *f;
	int i;

	assert_int_equal(flowtab_init(&ft, 120 * SEC, ROBOT_DATASET_PKTS), 0);
	/* 70 packets, 1 s apart, alternating, started by side b */
	for (i = 0; i < 70; i++) {
		mkparsed(&p, 3, i & 1);
		assert_int_equal(flowtab_add(&ft, &p, i * SEC), 0);
	}
	/* a late, out-of-order packet stays in the flow */
	assert_int_equal(flowtab_add(&ft, &p, 10 * SEC), 0);
	/* 120 s idle is still the same flow, 120 s + 1 ns is not */
	assert_int_equal(flowtab_add(&ft, &p, 189 * SEC), 0);
	assert_int_equal(flowtab_add(&ft, &p, 309 * SEC + 1), 1);
	f = &ft.flows[0];
	assert_int_equal(f->total_pkts, 72);
	assert_int_equal(f->n_pkts, ROBOT_DATASET_PKTS);
	assert_int_equal(f->a_is_init, 0);
	for (i = 0; i < ROBOT_DATASET_PKTS; i++) {
		assert_true(f->pkts[i].ts_ns == i * SEC);
		assert_int_equal(f->pkts[i].dir, i & 1);
	}
	f = &ft.flows[1];
	assert_int_equal(f->prev, 0);
	assert_int_equal(f->total_pkts, 1);
	assert_int_equal(f->a_is_init, 1); /* this one started from a */
	assert_int_equal(f->pkts[0].dir, ROBOT_DIR_FWD);
	assert_int_equal(flowtab_lookup(&ft, &p.key), 1);
	flowtab_free(&ft);
}

/* ---------------------------------------------------------------- file */

static void fill_flow(struct robot_ds_flow *f, int n, int seed, int v6)
{
	int i, j;

	memset(f, 0, sizeof(*f));
	f->key.family = v6 ? 6 : 4;
	f->key.proto = seed & 1 ? 17 : 6;
	for (j = 0; j < (v6 ? 16 : 4); j++) {
		f->key.addr_a[j] = seed + j;
		f->key.addr_b[j] = 200 - j;
	}
	f->key.port_a = seed * 7;
	f->key.port_b = 443;
	f->n_pkts = n;
	f->total_pkts = n + seed;
	f->a_is_init = seed & 1;
	f->split_b = ROBOT_DS_UNSEEN;
	f->label_row = 10 + seed;
	for (i = 0; i < n; i++) {
		struct robot_pkt_feat *p = &f->pkts[i];

		p->ts_ns = 1470104377000000000ull + i * 1234567ull + seed;
		p->ip_len = 60 + i;
		p->dir = (i + seed) & 1;
		p->tcp_flags = f->key.proto == 6 ? 0x10 : 0;
		p->l4_proto = f->key.proto;
		p->ip_ver = f->key.family;
		p->payload_len = i % 3 ? 0 : 20 + i;
		for (j = 0; j < ROBOT_HDR_LEN; j++)
			p->hdr[j] = (i * 31 + j * 7 + seed) & 0xff;
	}
}

static void make_ds(struct robot_dataset *ds)
{
	static const char *cls[] = { "VoIP", "Chat", "P2P" };
	static const __u8 ids[] = { ROBOT_CLASS_VOIP, ROBOT_CLASS_CHAT,
				    ROBOT_CLASS_P2P };
	int i;

	memset(ds, 0, sizeof(*ds));
	ds->n_classes = 3;
	ds->classes = calloc(3, sizeof(*ds->classes));
	ds->class_ids = calloc(3, 1);
	for (i = 0; i < 3; i++) {
		strcpy(ds->classes[i], cls[i]);
		ds->class_ids[i] = ids[i];
	}
	ds->n_apps = 2;
	ds->apps = calloc(2, sizeof(*ds->apps));
	ds->app_class = calloc(2, sizeof(*ds->app_class));
	strcpy(ds->apps[0], "Skype");
	strcpy(ds->apps[1], "Gnutella");
	ds->app_class[1] = 2;
	ds->n_files = 2;
	ds->files = calloc(2, sizeof(*ds->files));
	strcpy(ds->files[0], "skype.pcap");
	strcpy(ds->files[1], "gnutella.pcapng");
	ds->n_flows = 3;
	ds->flows = calloc(3, sizeof(*ds->flows));
	fill_flow(&ds->flows[0], 1, 1, 0);
	fill_flow(&ds->flows[1], 5, 2, 1);
	fill_flow(&ds->flows[2], ROBOT_DATASET_PKTS, 3, 0);
	ds->flows[1].class_idx = 2;
	ds->flows[1].app_idx = 1;
	ds->flows[1].file_idx = 1;
	ds->flows[2].class_idx = 1;
}

static void assert_ds_equal(const struct robot_dataset *a,
			    const struct robot_dataset *b)
{
	__u32 i;
	int j;

	assert_int_equal(a->n_classes, b->n_classes);
	assert_memory_equal(a->classes, b->classes,
			    a->n_classes * sizeof(*a->classes));
	assert_memory_equal(a->class_ids, b->class_ids, a->n_classes);
	assert_int_equal(a->n_apps, b->n_apps);
	assert_memory_equal(a->apps, b->apps, a->n_apps * sizeof(*a->apps));
	assert_memory_equal(a->app_class, b->app_class,
			    a->n_apps * sizeof(*a->app_class));
	assert_int_equal(a->n_files, b->n_files);
	for (i = 0; i < a->n_files; i++)
		assert_string_equal(a->files[i], b->files[i]);
	assert_int_equal(a->n_flows, b->n_flows);
	for (i = 0; i < a->n_flows; i++) {
		const struct robot_ds_flow *x = &a->flows[i], *y = &b->flows[i];

		assert_memory_equal(&x->key, &y->key, sizeof(x->key));
		assert_int_equal(x->class_idx, y->class_idx);
		assert_int_equal(x->app_idx, y->app_idx);
		assert_int_equal(x->split_a, y->split_a);
		assert_int_equal(x->split_b, y->split_b);
		assert_int_equal(x->a_is_init, y->a_is_init);
		assert_int_equal(x->n_pkts, y->n_pkts);
		assert_int_equal(x->file_idx, y->file_idx);
		assert_int_equal(x->total_pkts, y->total_pkts);
		assert_int_equal(x->label_row, y->label_row);
		for (j = 0; j < x->n_pkts; j++)
			assert_memory_equal(&x->pkts[j], &y->pkts[j],
					    sizeof(x->pkts[j]));
	}
}

static void assert_ds_empty(const struct robot_dataset *ds)
{
	assert_int_equal(ds->n_classes | ds->n_apps | ds->n_files |
				 ds->n_flows, 0);
	assert_null(ds->classes);
	assert_null(ds->flows);
}

static void test_file_round_trip(void **state)
{
	struct robot_dataset a, b;
	size_t n;
	__u8 *buf;

	make_ds(&a);
	assert_int_equal(robot_ds_save(&a, tpath("rt.ds")), 0);
	assert_int_equal(robot_ds_load(tpath("rt.ds"), &b), 0);
	assert_ds_equal(&a, &b);
	buf = read_file(tpath("rt.ds"), &n);
	/* the documented layout: header 64, 3 classes, 2 apps, 2 files,
	 * 3 flows, 70 packet records, crc
	 */
	assert_int_equal(n, 64 + 3 * 52 + 2 * 52 + 2 * 96 + 3 * 60 +
				    70 * 80 + 4);
	assert_memory_equal(buf, "RobotDS\0", 8);
	assert_int_equal(buf[8], 1);
	assert_int_equal(b.checksum, crc32(0, buf, n - 4));
	free(buf);
	assert_int_equal(robot_ds_class_idx(&b, "P2P"), 2);
	assert_int_equal(robot_ds_class_idx(&b, "Email"), -1);
	/* packets 0, 3 carry payload in fill_flow() */
	assert_int_equal(robot_ds_first_payload(&b.flows[2], 0), 0);
	assert_int_equal(robot_ds_first_payload(&b.flows[2], 1), 3);
	assert_int_equal(robot_ds_first_payload(&b.flows[2], 63), 63);
	assert_int_equal(robot_ds_first_payload(&b.flows[0], 1), -1);
	assert_int_equal(robot_ds_first_payload(&b.flows[1], 4), -1);
	/* saving again gives the same bytes */
	assert_int_equal(robot_ds_save(&b, tpath("rt2.ds")), 0);
	robot_ds_free(&b);
	assert_int_equal(robot_ds_load(tpath("rt2.ds"), &b), 0);
	assert_ds_equal(&a, &b);
	robot_ds_free(&a);
	robot_ds_free(&b);
	assert_ds_empty(&b);
}

static void test_file_truncated_and_flipped(void **state)
{
	struct robot_dataset a, b;
	const char *p = tpath("cut.ds");
	size_t n, i;
	__u8 *buf;

	make_ds(&a);
	/* fewer packets keep the byte loop short */
	a.flows[2].n_pkts = 3;
	assert_int_equal(robot_ds_save(&a, tpath("full.ds")), 0);
	robot_ds_free(&a);
	buf = read_file(tpath("full.ds"), &n);
	for (i = 0; i < n; i++) {
		write_file(p, buf, i);
		assert_int_equal(robot_ds_load(p, &b), -EINVAL);
		assert_ds_empty(&b);
	}
	for (i = 0; i < n; i++) {
		buf[i] ^= 1 << (i % 8);
		write_file(p, buf, n);
		assert_int_equal(robot_ds_load(p, &b), -EINVAL);
		assert_ds_empty(&b);
		buf[i] ^= 0xff;
		write_file(p, buf, n);
		assert_int_equal(robot_ds_load(p, &b), -EINVAL);
		buf[i] ^= 0xff ^ (1 << (i % 8));
	}
	/* one byte more is an error too */
	buf = realloc(buf, n + 1);
	buf[n] = 0;
	write_file(p, buf, n + 1);
	assert_int_equal(robot_ds_load(p, &b), -EINVAL);
	free(buf);
	assert_int_equal(robot_ds_load(tpath("missing.ds"), &b), -ENOENT);
	assert_int_equal(robot_ds_load(tmpdir, &b), -EINVAL);
	assert_ds_empty(&b);
}

/* Damage the content, then fix the checksum: validation must catch it. */
static void corrupt_case(const __u8 *orig, size_t n, size_t off,
			 const void *val, size_t len)
{
	const char *p = tpath("bad.ds");
	struct robot_dataset b;
	__u8 *buf = malloc(n);
	__u32 crc;

	memcpy(buf, orig, n);
	memcpy(buf + off, val, len);
	crc = crc32(0, buf, n - 4);
	buf[n - 4] = crc;
	buf[n - 3] = crc >> 8;
	buf[n - 2] = crc >> 16;
	buf[n - 1] = crc >> 24;
	write_file(p, buf, n);
	assert_int_equal(robot_ds_load(p, &b), -EINVAL);
	assert_ds_empty(&b);
	free(buf);
}

static void test_file_bad_content(void **state)
{
	const size_t classes = 64, apps = classes + 3 * 52,
		     files = apps + 2 * 52, flows = files + 2 * 96;
	const size_t pkt0 = flows + 60; /* first packet of flow 0 */
	static const __u8 ff4[4] = { 0xff, 0xff, 0xff, 0xff };
	static const __u8 two[4] = { 2, 0, 0, 0 };
	static const __u8 big[2] = { 99, 0 };
	__u8 name[48];
	struct robot_dataset a;
	size_t n;
	__u8 *buf, v;

	make_ds(&a);
	assert_int_equal(robot_ds_save(&a, tpath("ok.ds")), 0);
	robot_ds_free(&a);
	buf = read_file(tpath("ok.ds"), &n);
	corrupt_case(buf, n, 0, "RobotDX", 7);          /* magic */
	corrupt_case(buf, n, 8, two, 4);                /* version 2 */
	corrupt_case(buf, n, 16, ff4, 4);               /* n_classes */
	corrupt_case(buf, n, 20, ff4, 4);               /* n_apps */
	corrupt_case(buf, n, 28, ff4, 4);               /* n_flows */
	corrupt_case(buf, n, 28, two, 4);               /* n_flows 2 */
	corrupt_case(buf, n, 48, ff4, 4);               /* file size */
	corrupt_case(buf, n, 56, ff4, 4);               /* packet records */
	v = ROBOT_CLASS_MAX;
	corrupt_case(buf, n, classes + 48, &v, 1);      /* class id */
	memset(name, 'x', sizeof(name));
	corrupt_case(buf, n, classes, name, 48);        /* unterminated */
	corrupt_case(buf, n, classes + 52, "VoIP", 5);  /* duplicate */
	corrupt_case(buf, n, apps + 48, big, 2);        /* app class */
	corrupt_case(buf, n, files, "", 1);             /* empty name */
	corrupt_case(buf, n, flows + 40, big, 2);       /* class_idx */
	corrupt_case(buf, n, flows + 42, big, 2);       /* app_idx */
	corrupt_case(buf, n, flows + 50, big, 2);       /* file_idx */
	corrupt_case(buf, n, flows + 44, two, 1);       /* split_a */
	corrupt_case(buf, n, flows + 46, two, 1);       /* a_is_init */
	corrupt_case(buf, n, flows + 48, two, 2);       /* n_pkts 2 */
	corrupt_case(buf, n, flows + 48, "\0", 2);      /* n_pkts 0 */
	corrupt_case(buf, n, flows + 52, "\0\0\0", 4);  /* total < n */
	corrupt_case(buf, n, flows + 39, two, 1);       /* key family */
	v = 1;
	corrupt_case(buf, n, flows + 36, &v, 1);        /* key proto */
	corrupt_case(buf, n, flows + 38, &v, 1);        /* key pad */
	corrupt_case(buf, n, flows + 10, &v, 1);        /* v4 addr tail */
	corrupt_case(buf, n, pkt0 + 10, two, 1);        /* dir */
	corrupt_case(buf, n, pkt0 + 13, two, 1);        /* ip_ver */
	corrupt_case(buf, n, pkt0 + 12, two, 1);        /* l4_proto */
	free(buf);
}

static void test_save_refuses_inconsistent(void **state)
{
	struct robot_dataset a;
	struct stat st;

	make_ds(&a);
	a.flows[1].class_idx = 3;
	assert_int_equal(robot_ds_save(&a, tpath("no.ds")), -EINVAL);
	assert_int_equal(stat(tpath("no.ds"), &st), -1);
	a.flows[1].class_idx = 0;
	a.flows[1].pkts[2].ip_ver = 4; /* key is IPv6 */
	assert_int_equal(robot_ds_save(&a, tpath("no.ds")), -EINVAL);
	a.flows[1].pkts[2].ip_ver = 6;
	assert_int_equal(robot_ds_save(&a, "/nonexistent/dir/x.ds"), -ENOENT);
	robot_ds_free(&a);
}

/* ---------------------------------------------------------------- build */

struct cap {
	pcap_t *pd;
	pcap_dumper_t *d;
};

static void cap_open(struct cap *c, const char *name, int dlt)
{
	c->pd = pcap_open_dead(dlt, 65535);
	assert_non_null(c->pd);
	c->d = pcap_dump_open(c->pd, tpath(name));
	assert_non_null(c->d);
}

static void cap_put(struct cap *c, __u64 ts_ns, const __u8 *b, int n)
{
	struct pcap_pkthdr h = {};

	h.ts.tv_sec = ts_ns / SEC;
	h.ts.tv_usec = ts_ns % SEC / 1000;
	h.caplen = n;
	h.len = n;
	pcap_dump((u_char *)c->d, &h, b);
}

static void cap_close(struct cap *c)
{
	pcap_dump_close(c->d);
	pcap_close(c->pd);
}

static int eth_hdr(__u8 *b, __u16 type)
{
	memset(b, 0, 12);
	b[0] = 2;
	b[6] = 2;
	robot_put16(b + 12, type);
	return 14;
}

static const __u64 T0 = 1600000000ull * SEC;

/* eth.pcap: flow A (TCP 10.0.0.1:1000 - 10.0.0.2:80, 70 packets, started
 * by 10.0.0.1), flow B (UDP 10.0.0.4:5000 - 10.0.0.3:53) in two
 * incarnations 1000 s apart, an ICMP packet, an ARP frame.
 */
static void write_eth(void)
{
	__u32 a1 = ip4(10, 0, 0, 1), a2 = ip4(10, 0, 0, 2);
	__u32 b1 = ip4(10, 0, 0, 3), b2 = ip4(10, 0, 0, 4);
	__u8 f[256];
	struct cap c;
	int i, n;

	cap_open(&c, "eth.pcap", DLT_EN10MB);
	for (i = 0; i < 70; i++) {
		n = eth_hdr(f, ROBOT_ETH_P_IP);
		if (i & 1)
			n += ip_pkt(f + n, 0, 6, a2, 80, a1, 1000, i, 0x18);
		else
			n += ip_pkt(f + n, 0, 6, a1, 1000, a2, 80, i, 0x10);
		cap_put(&c, T0 + i * 1000000ull, f, n);
	}
	for (i = 0; i < 6; i++) {
		n = eth_hdr(f, ROBOT_ETH_P_IP);
		n += ip_pkt(f + n, 0, 17, i & 1 ? b1 : b2, i & 1 ? 53 : 5000,
			    i & 1 ? b2 : b1, i & 1 ? 5000 : 53, 10 + i, 0);
		cap_put(&c, T0 + (i < 3 ? i : 1000 + i) * SEC, f, n);
	}
	n = eth_hdr(f, ROBOT_ETH_P_IP);
	n += ip_pkt(f + n, 0, 1, a1, 0, a2, 0, 8, 0); /* ICMP */
	cap_put(&c, T0 + 5 * SEC, f, n);
	n = eth_hdr(f, 0x0806);
	memset(f + n, 0, 28);
	cap_put(&c, T0 + 6 * SEC, f, n + 28);
	cap_close(&c);
}

/* sll.pcap: flow C, UDP 192.168.0.9:4000 -> 8.8.4.4:3478, 4 packets. */
static void write_sll(void)
{
	__u8 f[256];
	struct cap c;
	int i, n;

	cap_open(&c, "sll.pcap", DLT_LINUX_SLL);
	for (i = 0; i < 4; i++) {
		memset(f, 0, 16);
		robot_put16(f + 14, ROBOT_ETH_P_IP);
		n = 16 + ip_pkt(f + 16, 0, 17, ip4(192, 168, 0, 9), 4000,
				ip4(8, 8, 4, 4), 3478, 100, 0);
		cap_put(&c, T0 + i * SEC, f, n);
	}
	cap_close(&c);
}

/* raw.pcapng written by hand (libpcap does not write pcapng): SHB, IDB
 * with LINKTYPE_RAW, EPBs; flow D, TCP over IPv6, 3 packets.
 */
static void pcapng_block(FILE *f, __u32 type, const __u8 *body, __u32 n)
{
	__u32 len = 12 + ((n + 3) & ~3u), zero = 0;

	fwrite(&type, 4, 1, f);
	fwrite(&len, 4, 1, f);
	fwrite(body, 1, n, f);
	fwrite(&zero, 1, ((n + 3) & ~3u) - n, f);
	fwrite(&len, 4, 1, f);
}

static void write_raw_pcapng(void)
{
	__u8 shb[16] = { 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
			 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	__u8 idb[8] = { 101, 0, 0, 0, 0, 0, 1, 0 };
	__u8 epb[20 + 256];
	__u64 us;
	__u32 v;
	FILE *f;
	int i, n;

	f = fopen(tpath("raw.pcapng"), "wb");
	assert_non_null(f);
	pcapng_block(f, 0x0a0d0d0a, shb, sizeof(shb));
	pcapng_block(f, 1, idb, sizeof(idb));
	for (i = 0; i < 3; i++) {
		n = ip_pkt(epb + 20, 1, 6, ip4(0, 0, 0, 5), i ? 443 : 50000,
			   ip4(0, 0, 0, 6), i ? 50000 : 443, 0, 0x02);
		if (i) { /* answers come from ::6 */
			n = ip_pkt(epb + 20, 1, 6, ip4(0, 0, 0, 6), 443,
				   ip4(0, 0, 0, 5), 50000, 4, 0x12);
		}
		us = (T0 + 20 * SEC + i * 1000000ull) / 1000;
		memset(epb, 0, 4); /* interface 0 */
		v = us >> 32;
		memcpy(epb + 4, &v, 4);
		v = (__u32)us;
		memcpy(epb + 8, &v, 4);
		v = n;
		memcpy(epb + 12, &v, 4);
		memcpy(epb + 16, &v, 4);
		pcapng_block(f, 6, epb, 20 + n);
	}
	assert_int_equal(fclose(f), 0);
}

/* trunc.pcap: flow E, 3 packets, then a record cut short. */
static void write_truncated(void)
{
	__u8 f[256], *buf;
	struct cap c;
	size_t sz;
	int i, n;

	cap_open(&c, "trunc.pcap", DLT_EN10MB);
	for (i = 0; i < 4; i++) {
		n = eth_hdr(f, ROBOT_ETH_P_IP);
		n += ip_pkt(f + n, 0, 6, ip4(172, 16, 0, 1), 2000,
			    ip4(172, 16, 0, 2), 22, 30, 0x18);
		cap_put(&c, T0 + i * SEC, f, n);
	}
	cap_close(&c);
	buf = read_file(tpath("trunc.pcap"), &sz);
	write_file(tpath("trunc.pcap"), buf, sz - 20);
	free(buf);
}

static void write_others(void)
{
	struct cap c;
	__u8 f[64] = {};

	write_file(tpath("garbage.pcap"), "this is not a capture\n", 22);
	cap_open(&c, "null.pcap", DLT_NULL);
	cap_put(&c, T0, f, 40);
	cap_close(&c);
	write_file(tpath("notes.txt"), "ignored\n", 8); /* not a capture */
}

#define CSV_HDR "file,source,app,category,encrypted,l4,src,sport,dst,dport," \
		"pkts,bytes,first_ts,ndpi_label,ndpi_cat,sni,splitA,splitB\n"

static const char labels_csv[] =
	CSV_HDR
	/* 2 */ "eth.pcap,t,AppA,Chat,no,TCP,10.0.0.1,1000,10.0.0.2,80,70,1,"
		"1600000000.000000,TLS.AppA,x,,known,known\n"
	/* 3: second incarnation of B (first_ts nearest T0+1003 s) */
		"eth.pcap,t,AppB,\"VoIP\",no,UDP,10.0.0.4,5000,10.0.0.3,53,3,1,"
		"1600001003.0,STUN,x,,known,unseen\n"
	/* 4: first incarnation of B */
		"eth.pcap,t,AppB,VoIP,no,UDP,10.0.0.4,5000,10.0.0.3,53,3,1,"
		"1600000000.0,STUN,x,,unseen,known\n"
	/* 5: DNS look-up row */
		"eth.pcap,t,AppB,VoIP,no,UDP,10.0.0.4,5000,10.0.0.3,53,3,1,"
		"1600000000.0,DNS.AppB,x,,known,known\n"
	/* 6: no flow with this 5-tuple */
		"eth.pcap,t,AppA,Chat,no,TCP,10.0.0.1,1001,10.0.0.2,80,1,1,"
		"1600000000.0,TLS,x,,known,known\n"
	/* 7: Email: matched, not in the default classes */
		"sll.pcap,t,Mail,Email,no,UDP,8.8.4.4,3478,192.168.0.9,4000,4,"
		"1,1600000000.0,IMAP,x,,known,known\n"
	/* 8 */ "raw.pcapng,t,AppD,Browsing,yes,TCP,2001::5,50000,2001::6,443,3,1,"
		"1600000020.0,TLS,x,,known,known\n"
	/* 9 */ "trunc.pcap,t,AppE,FileTransfer,no,TCP,172.16.0.1,2000,"
		"172.16.0.2,22,4,1,1600000000.0,SSH,x,,known,known\n"
	/* 10: malformed */
		"eth.pcap,t,AppA,Chat,no,TCP,10.0.0.1,1000\n"
	/* 11 */ "missing.pcap,t,AppA,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,"
		"1600000000.0,TLS,x,,known,known\n"
	/* 12 */ "garbage.pcap,t,AppA,Chat,no,TCP,10.0.0.1,1,10.0.0.2,2,1,1,"
		"1600000000.0,TLS,x,,known,known\n"
	/* 13: a second row for flow A's 5-tuple: A is taken */
		"eth.pcap,t,AppA,Chat,no,TCP,10.0.0.2,80,10.0.0.1,1000,70,1,"
		"1600000001.000000,TLS.AppA,x,,known,known\n";

static void test_build(void **state)
{
	struct robot_dsb_opts o = {};
	struct robot_dsb_stats st;
	struct robot_dataset ds, back;
	struct robot_labels lab;
	const struct robot_ds_flow *f;
	int i, ret;

	write_eth();
	write_sll();
	write_raw_pcapng();
	write_truncated();
	write_others();
	write_file(tpath("labels.csv"), labels_csv, sizeof(labels_csv) - 1);
	o.pcap_dir = tmpdir;
	o.labels = tpath("labels.csv");
	ret = robot_dsb_build(&o, &ds, &st, &lab);
	assert_int_equal(ret, 1); /* errors: skipped, rest built */
	assert_int_equal(st.files, 6);
	assert_int_equal(st.files_failed, 3); /* garbage, null, trunc */
	/* malformed row, missing capture, 3 capture errors */
	assert_int_equal(st.errors, 5);
	assert_int_equal(st.labels_rows, 11);
	assert_int_equal(st.labels_bad, 1);
	assert_int_equal(st.labels_dns, 1);
	assert_int_equal(st.labels_considered, 10);
	assert_int_equal(st.labels_matched, 6);
	assert_int_equal(st.labels_other_class, 1);
	assert_int_equal(st.miss[ROBOT_DSB_MISS_NO_FILE], 1);
	assert_int_equal(st.miss[ROBOT_DSB_MISS_BAD_FILE], 1);
	assert_int_equal(st.miss[ROBOT_DSB_MISS_NO_FLOW], 1);
	assert_int_equal(st.miss[ROBOT_DSB_MISS_TAKEN], 1);
	assert_int_equal(st.n_missed, 4);
	assert_int_equal(st.missed[0].line, 6);
	assert_int_equal(st.missed[0].reason, ROBOT_DSB_MISS_NO_FLOW);
	assert_string_equal(lab.rows[st.missed[0].label].file, "eth.pcap");
	/* eth 70 + 6 + ICMP + ARP, sll 4, raw 3, trunc 3 before the cut;
	 * null.pcap is refused before reading
	 */
	assert_int_equal(st.packets, 78 + 4 + 3 + 3);
	assert_int_equal(st.skipped[ROBOT_PARSE_PROTO], 1);
	assert_int_equal(st.skipped[ROBOT_PARSE_NOT_IP], 1);
	assert_int_equal(st.parsed, 76 + 4 + 3 + 3);
	/* B's second incarnation starts from 10.0.0.3:53, the Email flow
	 * from 192.168.0.9: both from the row's dst side
	 */
	assert_int_equal(st.init_differs, 2);
	assert_true(st.max_dt_ns == 0);

	assert_int_equal(ds.n_classes, 6);
	assert_string_equal(ds.classes[0], "VoIP");
	assert_string_equal(ds.classes[5], "Browsing");
	assert_int_equal(ds.class_ids[4], ROBOT_CLASS_P2P);
	assert_int_equal(ds.n_flows, 5);
	assert_int_equal(ds.n_files, 6);
	/* captures in name order, flows by label line within a capture */
	f = &ds.flows[0];
	assert_int_equal(f->label_row, 2);
	assert_string_equal(ds.files[f->file_idx], "eth.pcap");
	assert_string_equal(ds.apps[f->app_idx], "AppA");
	assert_int_equal(f->class_idx, robot_ds_class_idx(&ds, "Chat"));
	assert_int_equal(f->n_pkts, ROBOT_DATASET_PKTS);
	assert_int_equal(f->total_pkts, 70);
	assert_int_equal(f->a_is_init, 1); /* 10.0.0.1:1000 is side a */
	for (i = 0; i < ROBOT_DATASET_PKTS; i++) {
		assert_int_equal(f->pkts[i].dir, i & 1);
		assert_int_equal(f->pkts[i].payload_len, i);
		assert_true(f->pkts[i].ts_ns == T0 + i * 1000000ull);
		assert_int_equal(f->pkts[i].tcp_flags, i & 1 ? 0x18 : 0x10);
	}
	assert_int_equal(robot_ds_first_payload(f, 0), 1);
	/* B's incarnations went to the rows of the nearest first_ts */
	f = &ds.flows[1];
	assert_int_equal(f->label_row, 3);
	assert_true(f->pkts[0].ts_ns == T0 + 1003 * SEC);
	assert_int_equal(f->split_b, ROBOT_DS_UNSEEN);
	assert_int_equal(f->a_is_init, 1); /* 10.0.0.3:53 (side a) began */
	assert_int_equal(f->pkts[0].dir, ROBOT_DIR_FWD);
	assert_int_equal(f->pkts[1].dir, ROBOT_DIR_REV);
	f = &ds.flows[2];
	assert_int_equal(f->label_row, 4);
	assert_true(f->pkts[0].ts_ns == T0);
	assert_int_equal(f->split_a, ROBOT_DS_UNSEEN);
	assert_int_equal(f->a_is_init, 0); /* 10.0.0.4:5000 (side b) began */
	assert_int_equal(f->n_pkts, 3);
	assert_int_equal(f->class_idx, 0);
	/* the pcapng raw-IP IPv6 flow */
	f = &ds.flows[3];
	assert_int_equal(f->label_row, 8);
	assert_string_equal(ds.files[f->file_idx], "raw.pcapng");
	assert_int_equal(f->key.family, 6);
	assert_int_equal(f->n_pkts, 3);
	assert_int_equal(f->pkts[1].dir, ROBOT_DIR_REV);
	assert_int_equal(f->pkts[1].payload_len, 4);
	assert_true(f->pkts[2].ts_ns == T0 + 20 * SEC + 2000000ull);
	/* the packets before the damage */
	f = &ds.flows[4];
	assert_int_equal(f->label_row, 9);
	assert_int_equal(f->total_pkts, 3);

	assert_int_equal(robot_ds_save(&ds, tpath("built.ds")), 0);
	assert_int_equal(robot_ds_load(tpath("built.ds"), &back), 0);
	assert_ds_equal(&ds, &back);
	robot_ds_free(&back);
	robot_ds_free(&ds);
	robot_dsb_stats_free(&st);
	robot_labels_free(&lab);

	/* --classes Email,Chat: a different list, order kept */
	o.classes[0] = "email";
	o.classes[1] = "Chat";
	o.n_classes = 2;
	assert_int_equal(robot_dsb_build(&o, &ds, &st, NULL), 1);
	assert_int_equal(ds.n_classes, 2);
	assert_string_equal(ds.classes[0], "Email");
	assert_int_equal(ds.class_ids[0], ROBOT_CLASS_EMAIL);
	assert_int_equal(ds.n_flows, 2);
	assert_int_equal(ds.flows[0].class_idx, 1);
	assert_int_equal(ds.flows[1].class_idx, 0);
	robot_ds_free(&ds);
	robot_dsb_stats_free(&st);

	/* unknown class, missing labels, missing directory: nothing built */
	o.classes[1] = "Gaming";
	assert_int_equal(robot_dsb_build(&o, &ds, &st, NULL), -EINVAL);
	assert_ds_empty(&ds);
	o.n_classes = 0;
	o.labels = tpath("nolabels.csv");
	assert_int_equal(robot_dsb_build(&o, &ds, &st, NULL), -ENOENT);
	o.labels = tpath("labels.csv");
	o.pcap_dir = tpath("nodir");
	assert_true(robot_dsb_build(&o, &ds, &st, NULL) < 0);
	assert_ds_empty(&ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flowtab_many),
		cmocka_unit_test(test_flowtab_idle_and_cap),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_file_truncated_and_flipped),
		cmocka_unit_test(test_file_bad_content),
		cmocka_unit_test(test_save_refuses_inconsistent),
		cmocka_unit_test(test_build),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
