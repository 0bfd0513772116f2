// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Model files (safetensors layout) and the float Fast model (model.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "mjson.h"
#include "model.h"

/* ------------------------------------------------ safetensors container */

static const char *const st_dtype_names[] = {
	[ST_F32] = "F32", [ST_I8] = "I8", [ST_U8] = "U8", [ST_I32] = "I32",
	[ST_U64] = "U64",
};

size_t st_dtype_size(int dtype)
{
	switch (dtype) {
	case ST_F32:
	case ST_I32:
		return 4;
	case ST_I8:
	case ST_U8:
		return 1;
	case ST_U64:
		return 8;
	}
	return 0;
}

void st_init(struct st_file *f)
{
	memset(f, 0, sizeof(*f));
}

void st_free(struct st_file *f)
{
	int i;

	for (i = 0; i < f->n_meta; i++) {
		free(f->mk[i]);
		free(f->mv[i]);
	}
	free(f->data);
	memset(f, 0, sizeof(*f));
}

static int st_shape_bytes(int dtype, int ndim, const __u64 *shape, __u64 *out)
{
	__u64 n = st_dtype_size(dtype);
	int i;

	if (!n || ndim < 0 || ndim > ST_MAX_DIMS)
		return -EINVAL;
	for (i = 0; i < ndim; i++) {
		if (shape[i] > ST_FILE_MAX)
			return -EINVAL;
		n *= shape[i];
		if (n > ST_FILE_MAX)
			return -EINVAL;
	}
	*out = n;
	return 0;
}

int st_add(struct st_file *f, const char *name, int dtype, int ndim,
	   const __u64 *shape, const void *data)
{
	struct st_tensor *t;
	__u64 len;
	int i;

	if (f->n >= ST_MAX_TENSORS || strlen(name) >= ST_NAME_MAX ||
	    !strcmp(name, "__metadata__") ||
	    st_shape_bytes(dtype, ndim, shape, &len))
		return -EINVAL;
	for (i = 0; i < f->n; i++)
		if (!strcmp(f->t[i].name, name))
			return -EEXIST;
	t = &f->t[f->n++];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = ndim;
	memcpy(t->shape, shape, ndim * sizeof(__u64));
	t->len = len;
	t->off = f->n > 1 ? f->t[f->n - 2].off + f->t[f->n - 2].len : 0;
	t->src = data;
	return 0;
}

int st_meta_set(struct st_file *f, const char *key, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;
	int i, r;

	va_start(ap, fmt);
	r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	for (i = 0; i < f->n_meta; i++)
		if (!strcmp(f->mk[i], key)) {
			free(f->mv[i]);
			f->mv[i] = v;
			return 0;
		}
	if (f->n_meta >= ST_MAX_META) {
		free(v);
		return -E2BIG;
	}
	f->mk[f->n_meta] = strdup(key);
	if (!f->mk[f->n_meta]) {
		free(v);
		return -ENOMEM;
	}
	f->mv[f->n_meta++] = v;
	return 0;
}

const char *st_meta(const struct st_file *f, const char *key)
{
	int i;

	for (i = 0; i < f->n_meta; i++)
		if (!strcmp(f->mk[i], key))
			return f->mv[i];
	return NULL;
}

static void put_jstr(FILE *m, const char *s)
{
	fputc('"', m);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(m, "\\%c", c);
		else if (c < 0x20)
			fprintf(m, "\\u%04x", c);
		else
			fputc(c, m);
	}
	fputc('"', m);
}

static char *st_header(const struct st_file *f, size_t *len)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *m;
	int i, j;

	m = open_memstream(&buf, &sz);
	if (!m)
		return NULL;
	fputc('{', m);
	for (i = 0; i < f->n; i++) {
		const struct st_tensor *t = &f->t[i];

		put_jstr(m, t->name);
		fprintf(m, ":{\"dtype\":\"%s\",\"shape\":[",
			st_dtype_names[t->dtype]);
		for (j = 0; j < t->ndim; j++)
			fprintf(m, "%s%llu", j ? "," : "",
				(unsigned long long)t->shape[j]);
		fprintf(m, "],\"data_offsets\":[%llu,%llu]},",
			(unsigned long long)t->off,
			(unsigned long long)(t->off + t->len));
	}
	fputs("\"__metadata__\":{", m);
	for (i = 0; i < f->n_meta; i++) {
		if (i)
			fputc(',', m);
		put_jstr(m, f->mk[i]);
		fputc(':', m);
		put_jstr(m, f->mv[i]);
	}
	fputs("}}", m);
	/* pad to 8 bytes so that the data section is aligned */
	while ((ftell(m) & 7) != 0)
		fputc(' ', m);
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	*len = sz;
	return buf;
}

/* crc32 of the data section, then of every metadata key and value (NUL
 * after each) except "crc32" itself, in file order: a flipped byte in the
 * metadata is caught too.
 */
static __u32 st_crc(const struct st_file *f, const __u8 *data, __u64 len,
		    int writer)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	int i;

	if (writer)
		for (i = 0; i < f->n; i++)
			crc = crc32(crc, f->t[i].src, f->t[i].len);
	else
		crc = crc32(crc, data, len);
	for (i = 0; i < f->n_meta; i++) {
		if (!strcmp(f->mk[i], "crc32"))
			continue;
		crc = crc32(crc, (const Bytef *)f->mk[i], strlen(f->mk[i]) + 1);
		crc = crc32(crc, (const Bytef *)f->mv[i], strlen(f->mv[i]) + 1);
	}
	return crc;
}

int st_write(struct st_file *f, const char *path)
{
	char tmp[4096], *hdr = NULL;
	__u8 lenb[8];
	size_t hl = 0;
	FILE *o;
	int i, err;

	f->crc = st_crc(f, NULL, 0, 1);
	err = st_meta_set(f, "crc32", "%u", f->crc);
	if (err)
		return err;
	hdr = st_header(f, &hl);
	if (!hdr)
		return -ENOMEM;
	if (hl > ST_HDR_MAX) {
		free(hdr);
		return -E2BIG;
	}
	for (i = 0; i < 8; i++)
		lenb[i] = (__u64)hl >> (8 * i);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		free(hdr);
		return -ENAMETOOLONG;
	}
	o = fopen(tmp, "wb");
	if (!o) {
		err = -errno;
		pr_warn("%s: cannot create: %s\n", tmp, strerror(errno));
		free(hdr);
		return err;
	}
	err = 0;
	if (fwrite(lenb, 8, 1, o) != 1 || fwrite(hdr, hl, 1, o) != 1)
		err = -EIO;
	for (i = 0; i < f->n && !err; i++)
		if (f->t[i].len && fwrite(f->t[i].src, f->t[i].len, 1, o) != 1)
			err = -EIO;
	if (fclose(o) && !err)
		err = -EIO;
	free(hdr);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		pr_warn("%s: write failed: %s\n", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}

static int st_bad(const struct st_file *f, const char *what)
{
	pr_warn("%s: bad model file: %s\n", f->path, what);
	return -EINVAL;
}

static int st_dtype_parse(const char *s, const struct mjson_tok *t, int i)
{
	int d;

	for (d = ST_F32; d <= ST_U64; d++)
		if (mjson_streq(s, t, i, st_dtype_names[d]))
			return d;
	return 0;
}

static int st_parse_tensor(struct st_file *f, const char *h,
			   const struct mjson_tok *t, int key, int val)
{
	struct st_tensor *x;
	int i, sh, off, e;
	__u64 b, en, len;

	if (f->n >= ST_MAX_TENSORS)
		return st_bad(f, "too many tensors");
	x = &f->t[f->n];
	memset(x, 0, sizeof(*x));
	if (mjson_str(h, t, key, x->name, sizeof(x->name)))
		return st_bad(f, "tensor name too long");
	if (t[val].type != MJSON_OBJ)
		return st_bad(f, "tensor entry not an object");
	x->dtype = st_dtype_parse(h, t, mjson_get(h, t, val, "dtype"));
	if (!x->dtype)
		return st_bad(f, "unknown or missing dtype");
	sh = mjson_get(h, t, val, "shape");
	if (sh < 0 || t[sh].type != MJSON_ARR || t[sh].size > ST_MAX_DIMS)
		return st_bad(f, "bad shape");
	x->ndim = t[sh].size;
	for (i = 0; i < x->ndim; i++)
		if (mjson_u64(h, t, mjson_at(t, sh, i), &x->shape[i]))
			return st_bad(f, "bad shape value");
	off = mjson_get(h, t, val, "data_offsets");
	if (off < 0 || t[off].type != MJSON_ARR || t[off].size != 2 ||
	    mjson_u64(h, t, mjson_at(t, off, 0), &b) ||
	    mjson_u64(h, t, mjson_at(t, off, 1), &en))
		return st_bad(f, "bad data_offsets");
	if (b > en || en > f->data_len)
		return st_bad(f, "tensor data outside the file");
	if (st_shape_bytes(x->dtype, x->ndim, x->shape, &len) ||
	    len != en - b)
		return st_bad(f, "tensor shape does not match its size");
	x->off = b;
	x->len = len;
	for (e = 0; e < f->n; e++)
		if (!strcmp(f->t[e].name, x->name))
			return st_bad(f, "duplicate tensor");
	f->n++;
	return 0;
}

static int st_parse_meta(struct st_file *f, const char *h,
			 const struct mjson_tok *t, int val)
{
	int i, k, v, len;

	if (t[val].type != MJSON_OBJ)
		return st_bad(f, "__metadata__ not an object");
	k = val + 1;
	for (i = 0; i < t[val].size; i++, k = t[v].next) {
		v = k + 1;
		if (t[v].type != MJSON_STR)
			return st_bad(f, "metadata value not a string");
		if (f->n_meta >= ST_MAX_META)
			return st_bad(f, "too many metadata entries");
		len = t[k].end - t[k].start + 1;
		f->mk[f->n_meta] = malloc(len);
		f->mv[f->n_meta] = malloc(t[v].end - t[v].start + 1);
		if (!f->mk[f->n_meta] || !f->mv[f->n_meta]) {
			free(f->mk[f->n_meta]);
			free(f->mv[f->n_meta]);
			return -ENOMEM;
		}
		f->n_meta++;
		/* decoding never grows a string */
		if (mjson_str(h, t, k, f->mk[f->n_meta - 1], len) ||
		    mjson_str(h, t, v, f->mv[f->n_meta - 1],
			      t[v].end - t[v].start + 1))
			return st_bad(f, "bad metadata string");
	}
	return 0;
}

static int st_parse_header(struct st_file *f, const char *h, size_t hl)
{
	struct mjson_tok *t;
	int n, i, k, v, err = 0, seen_meta = 0;

	/* a token takes at least one character */
	t = malloc((hl + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	n = mjson_parse(h, hl, t, hl + 1);
	if (n < 0) {
		err = st_bad(f, "header is not valid JSON");
		goto out;
	}
	if (t[0].type != MJSON_OBJ) {
		err = st_bad(f, "header is not a JSON object");
		goto out;
	}
	k = 1;
	for (i = 0; i < t[0].size && !err; i++, k = t[v].next) {
		v = k + 1;
		if (mjson_streq(h, t, k, "__metadata__")) {
			if (seen_meta++)
				err = st_bad(f, "two __metadata__");
			else
				err = st_parse_meta(f, h, t, v);
		} else {
			err = st_parse_tensor(f, h, t, k, v);
		}
	}
out:
	free(t);
	return err;
}

int st_read(const char *path, struct st_file *f)
{
	__u8 lenb[8];
	char *hdr = NULL;
	struct stat sb;
	__u64 hl = 0;
	const char *crc_s;
	char *end;
	FILE *in;
	int i, err;

	st_init(f);
	snprintf(f->path, sizeof(f->path), "%s", path);
	in = fopen(path, "rb");
	if (!in) {
		err = -errno;
		pr_warn("%s: cannot open: %s\n", path, strerror(errno));
		return err;
	}
	if (fstat(fileno(in), &sb) || !S_ISREG(sb.st_mode)) {
		err = st_bad(f, "not a regular file");
		goto out;
	}
	if ((__u64)sb.st_size > ST_FILE_MAX) {
		err = st_bad(f, "file too large");
		goto out;
	}
	if (sb.st_size < 8 || fread(lenb, 8, 1, in) != 1) {
		err = st_bad(f, "truncated (no header length)");
		goto out;
	}
	for (i = 0; i < 8; i++)
		hl |= (__u64)lenb[i] << (8 * i);
	if (hl < 2 || hl > ST_HDR_MAX || hl > (__u64)sb.st_size - 8) {
		err = st_bad(f, "header length out of bounds (truncated?)");
		goto out;
	}
	f->data_len = sb.st_size - 8 - hl;
	hdr = malloc(hl);
	f->data = malloc(f->data_len ? f->data_len : 1);
	if (!hdr || !f->data) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(hdr, hl, 1, in) != 1 ||
	    (f->data_len && fread(f->data, f->data_len, 1, in) != 1)) {
		err = -EIO;
		pr_warn("%s: read error\n", path);
		goto out;
	}
	err = st_parse_header(f, hdr, hl);
	if (err)
		goto out;
	crc_s = st_meta(f, "crc32");
	if (!crc_s) {
		err = st_bad(f, "no crc32 in metadata");
		goto out;
	}
	f->crc = st_crc(f, f->data, f->data_len, 0);
	errno = 0;
	if (strtoul(crc_s, &end, 10) != f->crc || *end || errno) {
		err = st_bad(f, "data checksum mismatch (corrupt file)");
		goto out;
	}
out:
	free(hdr);
	fclose(in);
	if (err) {
		char p[sizeof(f->path)];

		memcpy(p, f->path, sizeof(p));
		st_free(f);
		memcpy(f->path, p, sizeof(p));
	}
	return err;
}

int st_get(const struct st_file *f, const char *name, int dtype, int ndim,
	   const __u64 *shape, void *dst)
{
	const struct st_tensor *t = NULL;
	char msg[ST_NAME_MAX + 64];
	int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->t[i].name, name))
			t = &f->t[i];
	if (!t) {
		snprintf(msg, sizeof(msg), "missing tensor %s", name);
		return st_bad(f, msg);
	}
	if (t->dtype != dtype || t->ndim != ndim ||
	    memcmp(t->shape, shape, ndim * sizeof(__u64))) {
		snprintf(msg, sizeof(msg), "tensor %s: wrong dtype or shape",
			 name);
		return st_bad(f, msg);
	}
	memcpy(dst, f->data + t->off, t->len);
	return 0;
}

/* ------------------------------------------------------ shared metadata */

int robot_meta_put(struct st_file *f, const struct robot_model_meta *m,
		   const char *format)
{
	char names[ROBOT_CLASS_MAX * (ROBOT_MODEL_NAME_MAX + 1)] = "";
	char ids[ROBOT_CLASS_MAX * 4] = "";
	__u32 i;
	int err = 0;

	if (m->n_classes < 1 || m->n_classes > ROBOT_CLASS_MAX)
		return -EINVAL;
	for (i = 0; i < m->n_classes; i++) {
		if (strchr(m->class_names[i], ',') || !m->class_names[i][0] ||
		    m->class_ids[i] >= ROBOT_CLASS_MAX)
			return -EINVAL;
		if (i) {
			strcat(names, ",");
			strcat(ids, ",");
		}
		strcat(names, m->class_names[i]);
		sprintf(ids + strlen(ids), "%u", m->class_ids[i]);
	}
	err |= st_meta_set(f, "format", "%s", format);
	err |= st_meta_set(f, "format_version", "%d",
			   ROBOT_MODEL_FORMAT_VERSION);
	err |= st_meta_set(f, "classes", "%s", names);
	err |= st_meta_set(f, "class_ids", "%s", ids);
	err |= st_meta_set(f, "a", "%.9g", m->a);
	err |= st_meta_set(f, "b", "%.9g", m->b);
	err |= st_meta_set(f, "m", "%.9g", m->m);
	err |= st_meta_set(f, "beta", "%.9g", m->beta);
	err |= st_meta_set(f, "D", "%.9g", m->D);
	err |= st_meta_set(f, "seed", "%llu", (unsigned long long)m->seed);
	err |= st_meta_set(f, "data_checksum", "%u", m->data_checksum);
	err |= st_meta_set(f, "split", "%s", m->split[0] ? m->split : "none");
	return err ? -ENOMEM : 0;
}

static int meta_float(const struct st_file *f, const char *key, float *v)
{
	const char *s = st_meta(f, key);
	char *end;
	double d;

	if (!s)
		return st_bad(f, "missing metadata value");
	d = strtod(s, &end);
	if (end == s || *end || !isfinite(d))
		return st_bad(f, "bad metadata number");
	*v = (float)d;
	return 0;
}

static int meta_u64(const struct st_file *f, const char *key, __u64 *v)
{
	const char *s = st_meta(f, key);
	char *end;

	if (!s || !*s || *s == '-')
		return st_bad(f, "missing or bad metadata integer");
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end || errno)
		return st_bad(f, "bad metadata integer");
	return 0;
}

int robot_meta_get(const struct st_file *f, struct robot_model_meta *m,
		   const char *format)
{
	const char *fmt = st_meta(f, "format"), *names, *ids, *p;
	__u64 v;
	char *end;
	size_t l;
	__u32 n = 0;

	memset(m, 0, sizeof(*m));
	if (!fmt || strcmp(fmt, format))
		return st_bad(f, "wrong model kind (format)");
	if (meta_u64(f, "format_version", &v))
		return -EINVAL;
	if (v != ROBOT_MODEL_FORMAT_VERSION)
		return st_bad(f, "unsupported format_version");
	names = st_meta(f, "classes");
	ids = st_meta(f, "class_ids");
	if (!names || !ids)
		return st_bad(f, "missing class list");
	for (p = names; *p; n++) {
		if (n >= ROBOT_CLASS_MAX)
			return st_bad(f, "too many classes");
		l = strcspn(p, ",");
		if (!l || l >= ROBOT_MODEL_NAME_MAX)
			return st_bad(f, "bad class name");
		memcpy(m->class_names[n], p, l);
		p += l;
		if (*p && !*++p)
			return st_bad(f, "bad class list");
	}
	if (!n)
		return st_bad(f, "no classes");
	m->n_classes = n;
	for (n = 0, p = ids; n < m->n_classes; n++) {
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || errno || v >= ROBOT_CLASS_MAX ||
		    (*end != ',' && *end) || (n + 1 < m->n_classes && !*end) ||
		    (n + 1 == m->n_classes && *end))
			return st_bad(f, "bad class_ids");
		m->class_ids[n] = v;
		p = *end ? end + 1 : end;
	}
	if (meta_float(f, "a", &m->a) || meta_float(f, "b", &m->b) ||
	    meta_float(f, "m", &m->m) || meta_float(f, "beta", &m->beta) ||
	    meta_float(f, "D", &m->D) || meta_u64(f, "seed", &m->seed) ||
	    meta_u64(f, "data_checksum", &v))
		return -EINVAL;
	m->data_checksum = v;
	p = st_meta(f, "split");
	snprintf(m->split, sizeof(m->split), "%s", p ? p : "none");
	m->version = f->crc ? f->crc : 1;
	return 0;
}

const char *robot_meta_class_name(const struct robot_model_meta *m, int c)
{
	__u32 i;

	for (i = 0; i < m->n_classes; i++)
		if (m->class_ids[i] == c)
			return m->class_names[i];
	return "?";
}

/* ------------------------------------------------- the float Fast model */

int robot_fast_init(struct robot_fast *f, const struct robot_fastq_arch *arch,
		    int max_batch, int train)
{
	struct robot_fastq_arch a = *arch;
	struct nn_net *n = &f->net;
	int err;

	memset(f, 0, sizeof(*f));
	if (robot_fastq_arch_check(&a))
		return -EINVAL;
	f->arch = a;
	nn_init(n, 1, 1, ROBOT_FASTQ_IN);
	err = nn_add_conv(n, a.c1, 1, a.k1, 1, a.s1, 0, a.p1);
	err = err ?: nn_add_relu(n);
	err = err ?: nn_add_conv(n, a.c2, 1, a.k2, 1, a.s2, 0, a.p2);
	err = err ?: nn_add_relu(n);
	err = err ?: nn_add_dense(n, a.emb);
	err = err ?: nn_add_l2norm(n);
	err = err ?: nn_alloc(n, max_batch, train);
	if (err)
		nn_free(n);
	return err;
}

void robot_fast_free(struct robot_fast *f)
{
	nn_free(&f->net);
}

void robot_fast_input(const __u8 hdr[ROBOT_HDR_LEN], float *x)
{
	int i;

	for (i = 0; i < ROBOT_HDR_LEN; i++)
		x[i] = hdr[i] / 255.0f;
}

int robot_fast_embed(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
		     int n, float *emb)
{
	float *x;
	int i;

	x = malloc((size_t)n * ROBOT_HDR_LEN * sizeof(float) + 1);
	if (!x)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		robot_fast_input(hdr[i], x + (size_t)i * ROBOT_HDR_LEN);
	nn_infer(&f->net, x, n, emb);
	free(x);
	return 0;
}

void robot_fast_decide(const struct robot_fast *f, const float *emb,
		       struct robot_fast_out *out)
{
	double best = -1e30, dot, d2;
	__u32 j, i;

	memset(out, 0, sizeof(*out));
	out->class = ROBOT_CLASS_NONE;
	out->fdd = 1;
	out->dist = sqrtf(2.0f);
	for (j = 0; j < f->n_cent; j++) {
		dot = 0;
		for (i = 0; i < f->arch.emb; i++)
			dot += (double)emb[i] * f->cent[j][i];
		if (dot > best) {
			best = dot;
			out->best = j;
		}
	}
	if (!f->n_cent)
		return;
	out->class = f->cent_class[out->best];
	d2 = 2.0 - 2.0 * best; /* unit vectors */
	out->dist = d2 > 0 ? (float)sqrt(d2) : 0.0f;
	out->fdd = out->dist > f->meta.D;
}

/* Tensor names and shapes of the Fast model file. */
#define FAST_FORMAT "robot-fast"

static int fast_put_tensors(struct st_file *s, const struct robot_fast *f,
			    const struct robot_fastq *q, __u8 *tmp)
{
	const struct robot_fastq_arch *a = &f->arch;
	const struct nn_net *n = &f->net;
	__u64 sh[3];
	__u32 o;
	int err = 0;

	/* float */
	sh[0] = a->c1, sh[1] = 1, sh[2] = a->k1;
	err |= st_add(s, "conv1.weight", ST_F32, 3, sh, n->l[0].w);
	err |= st_add(s, "conv1.bias", ST_F32, 1, sh, n->l[0].b);
	sh[0] = a->c2, sh[1] = a->c1, sh[2] = a->k2;
	err |= st_add(s, "conv2.weight", ST_F32, 3, sh, n->l[2].w);
	err |= st_add(s, "conv2.bias", ST_F32, 1, sh, n->l[2].b);
	sh[0] = a->emb, sh[1] = a->c2 * a->l2;
	err |= st_add(s, "dense.weight", ST_F32, 2, sh, n->l[4].w);
	err |= st_add(s, "dense.bias", ST_F32, 1, sh, n->l[4].b);
	sh[0] = f->n_cent, sh[1] = a->emb;
	err |= st_add(s, "centroids", ST_F32, 2, sh, f->cent[0]);
	err |= st_add(s, "centroid_class", ST_U8, 1, sh, f->cent_class);
	sh[0] = a->c1;
	err |= st_add(s, "scale.act1", ST_F32, 1, sh, f->s1);
	sh[0] = a->c2;
	err |= st_add(s, "scale.act2", ST_F32, 1, sh, f->s2);
	sh[0] = 1;
	err |= st_add(s, "scale.emb", ST_F32, 1, sh, &f->se);
	if (err)
		return -EINVAL;
	/* int8: the robot_fastq arrays are padded to their MAX bounds;
	 * pack them densely into tmp (size: see robot_fast_save).
	 */
	sh[0] = a->c1, sh[1] = 1, sh[2] = a->k1;
	for (o = 0; o < a->c1; o++)
		memcpy(tmp + o * a->k1, q->w1[o], a->k1);
	err |= st_add(s, "q.conv1.weight", ST_I8, 3, sh, tmp);
	tmp += a->c1 * a->k1;
	err |= st_add(s, "q.conv1.bias", ST_I32, 1, sh, q->b1);
	err |= st_add(s, "q.conv1.mult", ST_I32, 1, sh, q->m1);
	err |= st_add(s, "q.conv1.shift", ST_U8, 1, sh, q->sh1);
	sh[0] = a->c2, sh[1] = a->c1, sh[2] = a->k2;
	for (o = 0; o < a->c2 * a->c1; o++)
		memcpy(tmp + o * a->k2, q->w2[o / a->c1][o % a->c1], a->k2);
	err |= st_add(s, "q.conv2.weight", ST_I8, 3, sh, tmp);
	tmp += a->c2 * a->c1 * a->k2;
	err |= st_add(s, "q.conv2.bias", ST_I32, 1, sh, q->b2);
	err |= st_add(s, "q.conv2.mult", ST_I32, 1, sh, q->m2);
	err |= st_add(s, "q.conv2.shift", ST_U8, 1, sh, q->sh2);
	sh[0] = a->emb, sh[1] = a->c2 * a->l2;
	for (o = 0; o < a->emb; o++)
		memcpy(tmp + o * sh[1], q->w3[o], sh[1]);
	err |= st_add(s, "q.dense.weight", ST_I8, 2, sh, tmp);
	tmp += a->emb * sh[1];
	err |= st_add(s, "q.dense.bias", ST_I32, 1, sh, q->b3);
	err |= st_add(s, "q.dense.mult", ST_I32, 1, sh, q->m3);
	err |= st_add(s, "q.dense.shift", ST_U8, 1, sh, q->sh3);
	sh[0] = q->n_cent, sh[1] = a->emb;
	for (o = 0; o < q->n_cent; o++)
		memcpy(tmp + o * a->emb, q->cent[o], a->emb);
	err |= st_add(s, "q.centroids", ST_I8, 2, sh, tmp);
	err |= st_add(s, "q.centroid_class", ST_U8, 1, sh, q->cent_class);
	sh[0] = 1;
	err |= st_add(s, "q.thresh", ST_U64, 1, sh, &q->thresh);
	return err ? -EINVAL : 0;
}

int robot_fast_save(const char *path, const struct robot_fast *f,
		    const struct robot_fastq *q)
{
	const struct robot_fastq_arch *a = &f->arch;
	struct st_file s;
	__u8 *tmp;
	int err;

	if (!f->n_cent || f->n_cent > ROBOT_FASTQ_CENT_MAX ||
	    q->n_cent != f->n_cent || memcmp(&q->arch, a, sizeof(*a)) ||
	    !(f->meta.D > 0 && f->meta.D < sqrtf(2.0f)))
		return -EINVAL;
	tmp = malloc(ROBOT_FASTQ_C1_MAX * ROBOT_FASTQ_K_MAX +
		     sizeof(q->w2) + sizeof(q->w3) + sizeof(q->cent));
	if (!tmp)
		return -ENOMEM;
	st_init(&s);
	err = fast_put_tensors(&s, f, q, tmp);
	err = err ?: robot_meta_put(&s, &f->meta, FAST_FORMAT);
	err = err ?: st_meta_set(&s, "arch", "%u,%u,%u,%u,%u,%u,%u,%u,%u",
				 a->c1, a->k1, a->s1, a->p1, a->c2, a->k2,
				 a->s2, a->p2, a->emb);
	err = err ?: st_meta_set(&s, "macs", "%u", robot_fastq_macs(q));
	err = err ?: st_meta_set(&s, "scale.emb", "%.9g", f->se);
	err = err ?: st_meta_set(&s, "quant.p_act", "%g", f->q_p_act);
	err = err ?: st_meta_set(&s, "quant.p_emb", "%g", f->q_p_emb);
	err = err ?: st_meta_set(&s, "quant.mode", "%d", f->q_mode);
	if (f->fdd_q > 0)
		err = err ?: st_meta_set(&s, "fdd.quantile", "%g", f->fdd_q);
	err = err ?: st_write(&s, path);
	st_free(&s);
	free(tmp);
	return err;
}

static int fast_get_arch(const struct st_file *s, struct robot_fastq_arch *a)
{
	const char *v = st_meta(s, "arch");
	unsigned x[9];
	char end;

	memset(a, 0, sizeof(*a));
	if (!v || sscanf(v, "%u,%u,%u,%u,%u,%u,%u,%u,%u%c", &x[0], &x[1],
			 &x[2], &x[3], &x[4], &x[5], &x[6], &x[7], &x[8],
			 &end) != 9)
		return st_bad(s, "bad arch");
	a->c1 = x[0], a->k1 = x[1], a->s1 = x[2], a->p1 = x[3];
	a->c2 = x[4], a->k2 = x[5], a->s2 = x[6], a->p2 = x[7];
	a->emb = x[8];
	if (robot_fastq_arch_check(a))
		return st_bad(s, "arch out of bounds");
	return 0;
}

static int fast_get_q(const struct st_file *s, struct robot_fastq *q,
		      __u8 *tmp)
{
	const struct robot_fastq_arch *a = &q->arch;
	__u64 sh[3], nc = 0;
	__u32 o, flat = a->c2 * a->l2;
	int i, err = 0;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->t[i].name, "q.centroids") && s->t[i].ndim == 2)
			nc = s->t[i].shape[0];
	if (nc < 1 || nc > ROBOT_FASTQ_CENT_MAX)
		return st_bad(s, "bad centroid count");
	q->n_cent = nc;
	sh[0] = a->c1, sh[1] = 1, sh[2] = a->k1;
	err = err ?: st_get(s, "q.conv1.weight", ST_I8, 3, sh, tmp);
	for (o = 0; !err && o < a->c1; o++)
		memcpy(q->w1[o], tmp + o * a->k1, a->k1);
	err = err ?: st_get(s, "q.conv1.bias", ST_I32, 1, sh, q->b1);
	err = err ?: st_get(s, "q.conv1.mult", ST_I32, 1, sh, q->m1);
	err = err ?: st_get(s, "q.conv1.shift", ST_U8, 1, sh, q->sh1);
	sh[0] = a->c2, sh[1] = a->c1, sh[2] = a->k2;
	err = err ?: st_get(s, "q.conv2.weight", ST_I8, 3, sh, tmp);
	for (o = 0; !err && o < a->c2 * a->c1; o++)
		memcpy(q->w2[o / a->c1][o % a->c1], tmp + o * a->k2, a->k2);
	err = err ?: st_get(s, "q.conv2.bias", ST_I32, 1, sh, q->b2);
	err = err ?: st_get(s, "q.conv2.mult", ST_I32, 1, sh, q->m2);
	err = err ?: st_get(s, "q.conv2.shift", ST_U8, 1, sh, q->sh2);
	sh[0] = a->emb, sh[1] = flat;
	err = err ?: st_get(s, "q.dense.weight", ST_I8, 2, sh, tmp);
	for (o = 0; !err && o < a->emb; o++)
		memcpy(q->w3[o], tmp + o * flat, flat);
	err = err ?: st_get(s, "q.dense.bias", ST_I32, 1, sh, q->b3);
	err = err ?: st_get(s, "q.dense.mult", ST_I32, 1, sh, q->m3);
	err = err ?: st_get(s, "q.dense.shift", ST_U8, 1, sh, q->sh3);
	sh[0] = nc, sh[1] = a->emb;
	err = err ?: st_get(s, "q.centroids", ST_I8, 2, sh, tmp);
	for (o = 0; !err && o < nc; o++)
		memcpy(q->cent[o], tmp + o * a->emb, a->emb);
	err = err ?: st_get(s, "q.centroid_class", ST_U8, 1, sh, q->cent_class);
	sh[0] = 1;
	err = err ?: st_get(s, "q.thresh", ST_U64, 1, sh, &q->thresh);
	if (err)
		return err;
	for (o = 0; o < a->c1; o++)
		if (q->sh1[o] < 1 || q->sh1[o] > 62 || q->m1[o] < 0)
			return st_bad(s, "conv1 requantization out of range");
	for (o = 0; o < a->c2; o++)
		if (q->sh2[o] < 1 || q->sh2[o] > 62 || q->m2[o] < 0)
			return st_bad(s, "conv2 requantization out of range");
	for (o = 0; o < a->emb; o++)
		if (q->sh3[o] < 1 || q->sh3[o] > 62 || q->m3[o] < 0)
			return st_bad(s, "dense requantization out of range");
	for (o = 0; o < nc; o++)
		if (q->cent_class[o] >= ROBOT_CLASS_MAX)
			return st_bad(s, "bad centroid class");
	/* thresh = t^2 * 127^2 * 2^16 with 0 < t <= 1 */
	if (!q->thresh || q->thresh > (127ULL * 127) << ROBOT_FASTQ_TSHIFT)
		return st_bad(s, "FDD threshold out of range");
	return 0;
}

static int fast_get_float(const struct st_file *s, struct robot_fast *f,
			  const struct robot_fastq_arch *a, __u32 nc)
{
	struct nn_net *n;
	__u64 sh[3];
	__u32 j;
	int err;

	err = robot_fast_init(f, a, 64, 0);
	if (err)
		return err;
	n = &f->net;
	f->n_cent = nc;
	sh[0] = a->c1, sh[1] = 1, sh[2] = a->k1;
	err = err ?: st_get(s, "conv1.weight", ST_F32, 3, sh, n->l[0].w);
	err = err ?: st_get(s, "conv1.bias", ST_F32, 1, sh, n->l[0].b);
	err = err ?: st_get(s, "scale.act1", ST_F32, 1, sh, f->s1);
	sh[0] = a->c2, sh[1] = a->c1, sh[2] = a->k2;
	err = err ?: st_get(s, "conv2.weight", ST_F32, 3, sh, n->l[2].w);
	err = err ?: st_get(s, "conv2.bias", ST_F32, 1, sh, n->l[2].b);
	err = err ?: st_get(s, "scale.act2", ST_F32, 1, sh, f->s2);
	sh[0] = a->emb, sh[1] = a->c2 * a->l2;
	err = err ?: st_get(s, "dense.weight", ST_F32, 2, sh, n->l[4].w);
	err = err ?: st_get(s, "dense.bias", ST_F32, 1, sh, n->l[4].b);
	sh[0] = 1;
	err = err ?: st_get(s, "scale.emb", ST_F32, 1, sh, &f->se);
	sh[0] = nc;
	err = err ?: st_get(s, "centroid_class", ST_U8, 1, sh, f->cent_class);
	sh[1] = a->emb;
	if (!err) {
		float *c = malloc(nc * a->emb * sizeof(float));

		err = c ? st_get(s, "centroids", ST_F32, 2, sh, c) : -ENOMEM;
		for (j = 0; !err && j < nc; j++)
			memcpy(f->cent[j], c + j * a->emb,
			       a->emb * sizeof(float));
		free(c);
	}
	for (j = 0; !err && j < nc; j++)
		if (f->cent_class[j] >= ROBOT_CLASS_MAX)
			err = st_bad(s, "bad centroid class");
	if (err)
		robot_fast_free(f);
	return err;
}

int robot_fastq_load(const char *path, struct robot_fastq *q,
		     struct robot_fast *f, struct robot_model_meta *meta)
{
	struct robot_model_meta m;
	struct robot_fastq_arch a;
	struct st_file s;
	__u8 *tmp = NULL;
	int err;

	memset(q, 0, sizeof(*q));
	err = st_read(path, &s);
	if (err)
		return err;
	err = robot_meta_get(&s, &m, FAST_FORMAT);
	err = err ?: fast_get_arch(&s, &a);
	if (!err && !(m.D > 0 && m.D < sqrtf(2.0f)))
		err = st_bad(&s, "D out of range");
	if (err)
		goto out;
	tmp = malloc(sizeof(q->w2) + sizeof(q->w3) + sizeof(q->cent));
	if (!tmp) {
		err = -ENOMEM;
		goto out;
	}
	q->arch = a;
	err = fast_get_q(&s, q, tmp);
	if (!err && f) {
		err = fast_get_float(&s, f, &a, q->n_cent);
		if (!err)
			f->meta = m;
	}
	if (err)
		goto out;
	q->version = m.version;
	if (meta)
		*meta = m;
out:
	if (err)
		memset(q, 0, sizeof(*q));
	free(tmp);
	st_free(&s);
	return err;
}
