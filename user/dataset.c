// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dataset.c - the binary flow dataset file (docs/dataset-format.md).
 *
 * Version 1, all integers little-endian, no implicit padding:
 *
 *   header (64 bytes)
 *     0  magic "RobotDS\0"            8
 *     8  u32 version (1)              12 u32 header size (64)
 *     16 u32 n_classes                20 u32 n_apps
 *     24 u32 n_files                  28 u32 n_flows
 *     32 u32 packets per flow max (64) 36 u32 packet record size (80)
 *     40 u32 flow record size (60)    44 u32 name size (48)
 *     48 u64 file size, bytes, trailer included
 *     56 u32 packet records in the file  60 u32 reserved (0)
 *   classes  n_classes x 52: name[48] (NUL-padded), u8 enum robot_class,
 *            3 zero bytes
 *   apps     n_apps x 52: name[48], u16 class index, 2 zero bytes
 *   files    n_files x 96: capture file name (NUL-padded)
 *   flows    n_flows x (60-byte flow record + n_pkts x 80-byte packet
 *            record), see write_flow()/write_pkt()
 *   trailer  u32 zlib crc32 of every byte before it
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "dataset.h"
#include "log.h"

#define DS_MAGIC "RobotDS"  /* + its NUL: 8 bytes */
#define DS_VERSION 1
#define DS_HDR_SIZE 64
#define DS_CLASS_REC 52
#define DS_APP_REC 52
#define DS_FILE_REC (ROBOT_DS_NAME_MAX * 2)
#define DS_FLOW_REC 60
#define DS_PKT_REC 80
#define DS_TRAILER 4
#define DS_MAX_CLASSES 256
#define DS_MAX_APPS 65535
#define DS_MAX_FILES 65535
#define DS_FILE_MAX (8ull << 30) /* refuse files larger than 8 GiB */

_Static_assert(ROBOT_DS_NAME_MAX == 48, "format v1 stores 48-byte names");
_Static_assert(ROBOT_HDR_LEN == 64, "format v1 stores 64 header bytes");
_Static_assert(sizeof(struct robot_flow_key) == 40, "format v1 key");

/* ---------------------------------------------------------------- LE */

static void put16(__u8 *p, __u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(__u8 *p, __u64 v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static __u16 get16(const __u8 *p)
{
	return p[0] | (__u16)p[1] << 8;
}

static __u32 get32(const __u8 *p)
{
	return get16(p) | (__u32)get16(p + 2) << 16;
}

static __u64 get64(const __u8 *p)
{
	return get32(p) | (__u64)get32(p + 4) << 32;
}

/* ---------------------------------------------------------------- size */

static __u64 ds_size(__u64 nc, __u64 na, __u64 nf, __u64 nflows,
		     __u64 npkts)
{
	return DS_HDR_SIZE + nc * DS_CLASS_REC + na * DS_APP_REC +
	       nf * DS_FILE_REC + nflows * DS_FLOW_REC + npkts * DS_PKT_REC +
	       DS_TRAILER;
}

/* A name field holds a NUL within its size. */
static int name_ok(const char *s, size_t sz)
{
	return memchr(s, 0, sz) && s[0];
}

static int key_ok(const struct robot_flow_key *k)
{
	int i;

	if (k->family != 4 && k->family != 6)
		return 0;
	if (k->proto != 6 && k->proto != 17)
		return 0;
	if (k->pad[0] || k->pad[1])
		return 0;
	if (k->family == 4)
		for (i = 4; i < 16; i++)
			if (k->addr_a[i] || k->addr_b[i])
				return 0;
	return 1;
}

/* Check one flow against the dataset; NULL or what is wrong. */
static const char *flow_bad(const struct robot_dataset *ds,
			    const struct robot_ds_flow *f)
{
	int i;

	if (!key_ok(&f->key))
		return "bad flow key";
	if (f->class_idx >= ds->n_classes)
		return "class index out of range";
	if (f->app_idx >= ds->n_apps)
		return "app index out of range";
	if (f->file_idx >= ds->n_files)
		return "file index out of range";
	if (f->split_a > ROBOT_DS_UNSEEN || f->split_b > ROBOT_DS_UNSEEN)
		return "bad split value";
	if (f->a_is_init > 1 || f->pad)
		return "bad a_is_init/pad";
	if (!f->n_pkts || f->n_pkts > ROBOT_DATASET_PKTS)
		return "packet count out of range";
	if (f->total_pkts < f->n_pkts)
		return "total packets below stored packets";
	for (i = 0; i < f->n_pkts; i++) {
		const struct robot_pkt_feat *p = &f->pkts[i];

		if (p->dir > ROBOT_DIR_REV)
			return "bad packet direction";
		if (p->ip_ver != f->key.family)
			return "packet IP version differs from the key's";
		if (p->l4_proto != f->key.proto)
			return "packet protocol differs from the key's";
	}
	return NULL;
}

/* Check the whole in-memory dataset; NULL or what is wrong. */
static const char *ds_bad(const struct robot_dataset *ds, __u32 *where)
{
	const char *why;
	__u32 i, j;

	*where = 0;
	if (!ds->n_classes || ds->n_classes > DS_MAX_CLASSES)
		return "class count out of range";
	if (ds->n_apps > DS_MAX_APPS)
		return "app count out of range";
	if (ds->n_files > DS_MAX_FILES)
		return "file count out of range";
	for (i = 0; i < ds->n_classes; i++) {
		*where = i;
		if (!name_ok(ds->classes[i], ROBOT_DS_NAME_MAX))
			return "class name empty or not terminated";
		if (ds->class_ids[i] >= ROBOT_CLASS_MAX)
			return "class id out of range";
		for (j = 0; j < i; j++)
			if (!strcmp(ds->classes[i], ds->classes[j]))
				return "duplicate class name";
	}
	for (i = 0; i < ds->n_apps; i++) {
		*where = i;
		if (!name_ok(ds->apps[i], ROBOT_DS_NAME_MAX))
			return "app name empty or not terminated";
		if (ds->app_class[i] >= ds->n_classes)
			return "app class index out of range";
	}
	for (i = 0; i < ds->n_files; i++) {
		*where = i;
		if (!name_ok(ds->files[i], DS_FILE_REC))
			return "file name empty or not terminated";
	}
	for (i = 0; i < ds->n_flows; i++) {
		*where = i;
		why = flow_bad(ds, &ds->flows[i]);
		if (why)
			return why;
	}
	return NULL;
}

/* ---------------------------------------------------------------- write */

static __u8 *write_name(__u8 *p, const char *s, size_t sz)
{
	size_t n = strnlen(s, sz - 1);

	memset(p, 0, sz);
	memcpy(p, s, n);
	return p + sz;
}

/* Packet record: u64 ts_ns, u16 ip_len, u8 dir, u8 tcp_flags,
 * u8 l4_proto, u8 ip_ver, u16 payload_len, u8 hdr[64].
 */
static __u8 *write_pkt(__u8 *p, const struct robot_pkt_feat *f)
{
	put64(p, f->ts_ns);
	put16(p + 8, f->ip_len);
	p[10] = f->dir;
	p[11] = f->tcp_flags;
	p[12] = f->l4_proto;
	p[13] = f->ip_ver;
	put16(p + 14, f->payload_len);
	memcpy(p + 16, f->hdr, ROBOT_HDR_LEN);
	return p + DS_PKT_REC;
}

static void read_pkt(const __u8 *p, struct robot_pkt_feat *f)
{
	f->ts_ns = get64(p);
	f->ip_len = get16(p + 8);
	f->dir = p[10];
	f->tcp_flags = p[11];
	f->l4_proto = p[12];
	f->ip_ver = p[13];
	f->payload_len = get16(p + 14);
	memcpy(f->hdr, p + 16, ROBOT_HDR_LEN);
}

/* Flow record: the 40-byte key as in memory (addresses and ports in
 * network order, proto, family, 2 zero bytes), u16 class_idx, u16 app_idx,
 * u8 split_a, u8 split_b, u8 a_is_init, u8 0, u16 n_pkts, u16 file_idx,
 * u32 total_pkts, u32 label_row.
 */
static __u8 *write_flow(__u8 *p, const struct robot_ds_flow *f)
{
	int i;

	memcpy(p, &f->key, 40);
	put16(p + 40, f->class_idx);
	put16(p + 42, f->app_idx);
	p[44] = f->split_a;
	p[45] = f->split_b;
	p[46] = f->a_is_init;
	p[47] = 0;
	put16(p + 48, f->n_pkts);
	put16(p + 50, f->file_idx);
	put32(p + 52, f->total_pkts);
	put32(p + 56, f->label_row);
	p += DS_FLOW_REC;
	for (i = 0; i < f->n_pkts; i++)
		p = write_pkt(p, &f->pkts[i]);
	return p;
}

static void read_flow_hdr(const __u8 *p, struct robot_ds_flow *f)
{
	memcpy(&f->key, p, 40);
	f->class_idx = get16(p + 40);
	f->app_idx = get16(p + 42);
	f->split_a = p[44];
	f->split_b = p[45];
	f->a_is_init = p[46];
	f->pad = p[47];
	f->n_pkts = get16(p + 48);
	f->file_idx = get16(p + 50);
	f->total_pkts = get32(p + 52);
	f->label_row = get32(p + 56);
}

static __u64 ds_pkt_records(const struct robot_dataset *ds)
{
	__u64 n = 0;
	__u32 i;

	for (i = 0; i < ds->n_flows; i++)
		n += ds->flows[i].n_pkts;
	return n;
}

/* Serialize ds into a new buffer of *size bytes. */
static __u8 *ds_serialize(const struct robot_dataset *ds, __u64 npkts,
			  size_t *size)
{
	__u8 *buf, *p;
	__u64 sz;
	__u32 i;

	sz = ds_size(ds->n_classes, ds->n_apps, ds->n_files, ds->n_flows,
		     npkts);
	buf = calloc(1, sz);
	if (!buf)
		return NULL;
	memcpy(buf, DS_MAGIC, sizeof(DS_MAGIC));
	put32(buf + 8, DS_VERSION);
	put32(buf + 12, DS_HDR_SIZE);
	put32(buf + 16, ds->n_classes);
	put32(buf + 20, ds->n_apps);
	put32(buf + 24, ds->n_files);
	put32(buf + 28, ds->n_flows);
	put32(buf + 32, ROBOT_DATASET_PKTS);
	put32(buf + 36, DS_PKT_REC);
	put32(buf + 40, DS_FLOW_REC);
	put32(buf + 44, ROBOT_DS_NAME_MAX);
	put64(buf + 48, sz);
	put32(buf + 56, npkts);
	p = buf + DS_HDR_SIZE;
	for (i = 0; i < ds->n_classes; i++) {
		p = write_name(p, ds->classes[i], ROBOT_DS_NAME_MAX);
		p[0] = ds->class_ids[i];
		p += DS_CLASS_REC - ROBOT_DS_NAME_MAX;
	}
	for (i = 0; i < ds->n_apps; i++) {
		p = write_name(p, ds->apps[i], ROBOT_DS_NAME_MAX);
		put16(p, ds->app_class[i]);
		p += DS_APP_REC - ROBOT_DS_NAME_MAX;
	}
	for (i = 0; i < ds->n_files; i++)
		p = write_name(p, ds->files[i], DS_FILE_REC);
	for (i = 0; i < ds->n_flows; i++)
		p = write_flow(p, &ds->flows[i]);
	put32(p, crc32(0L, buf, p - buf));
	*size = sz;
	return buf;
}

int robot_ds_save(const struct robot_dataset *ds, const char *path)
{
	char tmp[4096];
	const char *why;
	__u64 npkts;
	size_t size;
	__u32 where;
	__u8 *buf;
	FILE *f;
	int ret = 0;

	why = ds_bad(ds, &where);
	if (why) {
		pr_warn("%s: refusing to write an inconsistent dataset: %s "
			"(item %u)\n", path, why, where);
		return -EINVAL;
	}
	npkts = ds_pkt_records(ds);
	if (ds_size(ds->n_classes, ds->n_apps, ds->n_files, ds->n_flows,
		    npkts) > DS_FILE_MAX) {
		pr_warn("%s: dataset too large\n", path);
		return -EFBIG;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	buf = ds_serialize(ds, npkts, &size);
	if (!buf)
		return -ENOMEM;
	f = fopen(tmp, "wb");
	if (!f) {
		ret = -errno;
		pr_warn("%s: cannot create %s: %s\n", path, tmp,
			strerror(errno));
		goto out_free;
	}
	if (fwrite(buf, 1, size, f) != size)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		pr_warn("%s: write failed: %s\n", path, strerror(-ret));
		unlink(tmp);
	}
out_free:
	free(buf);
	return ret;
}

/* ---------------------------------------------------------------- read */

static int read_all(const char *path, __u8 **out, size_t *size)
{
	struct stat st;
	size_t off = 0;
	ssize_t got;
	__u8 *buf;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_warn("%s: cannot open dataset: %s\n", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		pr_warn("%s: not a regular file\n", path);
		close(fd);
		return -EINVAL;
	}
	if ((__u64)st.st_size < DS_HDR_SIZE + DS_TRAILER ||
	    (__u64)st.st_size > DS_FILE_MAX) {
		pr_warn("%s: not a dataset: size %lld bytes is out of range\n",
			path, (long long)st.st_size);
		close(fd);
		return -EINVAL;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, buf + off, st.st_size - off);
		if (got <= 0) {
			ret = got ? -errno : -EIO;
			pr_warn("%s: read error: %s\n", path,
				got ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return ret;
		}
		off += got;
	}
	close(fd);
	*out = buf;
	*size = off;
	return 0;
}

/* Validate the header against the file size; NULL or what is wrong. */
static const char *check_header(const __u8 *b, size_t size)
{
	__u64 nc, na, nf, nflows, npkts;

	if (memcmp(b, DS_MAGIC, sizeof(DS_MAGIC)))
		return "bad magic (not a robot dataset)";
	if (get32(b + 8) != DS_VERSION)
		return "unsupported version (this build reads version 1)";
	if (get32(b + 12) != DS_HDR_SIZE || get32(b + 32) != ROBOT_DATASET_PKTS ||
	    get32(b + 36) != DS_PKT_REC || get32(b + 40) != DS_FLOW_REC ||
	    get32(b + 44) != ROBOT_DS_NAME_MAX || get32(b + 60))
		return "record sizes differ from version 1";
	if (get64(b + 48) != size)
		return "file size differs from the header's (truncated?)";
	nc = get32(b + 16);
	na = get32(b + 20);
	nf = get32(b + 24);
	nflows = get32(b + 28);
	npkts = get32(b + 56);
	if (!nc || nc > DS_MAX_CLASSES || na > DS_MAX_APPS ||
	    nf > DS_MAX_FILES)
		return "class/app/file count out of range";
	if (npkts > nflows * ROBOT_DATASET_PKTS || npkts < nflows)
		return "packet record count inconsistent with the flow count";
	if (ds_size(nc, na, nf, nflows, npkts) != size)
		return "counts do not add up to the file size";
	return NULL;
}

static int ds_alloc(struct robot_dataset *ds, __u32 nc, __u32 na, __u32 nf,
		    __u32 nflows)
{
	ds->classes = calloc(nc ? nc : 1, sizeof(*ds->classes));
	ds->class_ids = calloc(nc ? nc : 1, sizeof(*ds->class_ids));
	ds->apps = calloc(na ? na : 1, sizeof(*ds->apps));
	ds->app_class = calloc(na ? na : 1, sizeof(*ds->app_class));
	ds->files = calloc(nf ? nf : 1, sizeof(*ds->files));
	ds->flows = calloc(nflows ? nflows : 1, sizeof(*ds->flows));
	if (!ds->classes || !ds->class_ids || !ds->apps || !ds->app_class ||
	    !ds->files || !ds->flows)
		return -ENOMEM;
	ds->n_classes = nc;
	ds->n_apps = na;
	ds->n_files = nf;
	ds->n_flows = nflows;
	return 0;
}

/* Decode the body (sizes already checked); NULL or what is wrong. */
static const char *ds_decode(const __u8 *b, size_t size,
			     struct robot_dataset *ds, __u32 *where)
{
	const __u8 *p = b + DS_HDR_SIZE, *end = b + size - DS_TRAILER;
	struct robot_ds_flow *f;
	__u32 i, j;

	for (i = 0; i < ds->n_classes; i++, p += DS_CLASS_REC) {
		memcpy(ds->classes[i], p, ROBOT_DS_NAME_MAX);
		ds->class_ids[i] = p[ROBOT_DS_NAME_MAX];
	}
	for (i = 0; i < ds->n_apps; i++, p += DS_APP_REC) {
		memcpy(ds->apps[i], p, ROBOT_DS_NAME_MAX);
		ds->app_class[i] = get16(p + ROBOT_DS_NAME_MAX);
	}
	for (i = 0; i < ds->n_files; i++, p += DS_FILE_REC)
		memcpy(ds->files[i], p, DS_FILE_REC);
	for (i = 0; i < ds->n_flows; i++) {
		*where = i;
		f = &ds->flows[i];
		if (p + DS_FLOW_REC > end)
			return "flow records run past the end";
		read_flow_hdr(p, f);
		p += DS_FLOW_REC;
		if (f->n_pkts > ROBOT_DATASET_PKTS)
			return "packet count out of range";
		if ((size_t)(end - p) < (size_t)f->n_pkts * DS_PKT_REC)
			return "packet records run past the end";
		for (j = 0; j < f->n_pkts; j++, p += DS_PKT_REC)
			read_pkt(p, &f->pkts[j]);
	}
	if (p != end)
		return "packet records do not fill the file";
	return NULL;
}

int robot_ds_load(const char *path, struct robot_dataset *ds)
{
	const char *why;
	__u32 crc, where = 0;
	size_t size = 0;
	__u8 *buf = NULL;
	int ret;

	memset(ds, 0, sizeof(*ds));
	ret = read_all(path, &buf, &size);
	if (ret)
		return ret;
	why = check_header(buf, size);
	if (why)
		goto bad;
	crc = crc32(0L, buf, size - DS_TRAILER);
	if (crc != get32(buf + size - DS_TRAILER)) {
		why = "checksum mismatch (corrupt file)";
		goto bad;
	}
	ret = ds_alloc(ds, get32(buf + 16), get32(buf + 20), get32(buf + 24),
		       get32(buf + 28));
	if (ret)
		goto out;
	why = ds_decode(buf, size, ds, &where);
	if (!why)
		why = ds_bad(ds, &where);
	if (why) {
		pr_warn("%s: corrupt dataset: %s (item %u)\n", path, why,
			where);
		ret = -EINVAL;
		goto out;
	}
	ds->checksum = crc;
	free(buf);
	return 0;
bad:
	pr_warn("%s: %s\n", path, why);
	ret = -EINVAL;
out:
	free(buf);
	robot_ds_free(ds);
	return ret;
}

void robot_ds_free(struct robot_dataset *ds)
{
	free(ds->classes);
	free(ds->class_ids);
	free(ds->apps);
	free(ds->app_class);
	free(ds->files);
	free(ds->flows);
	memset(ds, 0, sizeof(*ds));
}

int robot_ds_first_payload(const struct robot_ds_flow *f, int from)
{
	int i;

	if (from < 0)
		from = 0;
	for (i = from; i < f->n_pkts && i < ROBOT_DATASET_PKTS; i++)
		if (f->pkts[i].payload_len)
			return i;
	return -1;
}

int robot_ds_class_idx(const struct robot_dataset *ds, const char *name)
{
	__u32 i;

	for (i = 0; i < ds->n_classes; i++)
		if (!strcmp(ds->classes[i], name))
			return i;
	return -1;
}
