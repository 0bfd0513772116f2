// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* labels.c - labels_flows.csv reader, see labels.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "labels.h"
#include "robot_feat.h"
#include "log.h"

#define LABELS_FILE_MAX (1ull << 30) /* refuse larger label files */

int robot_csv_record(const char **pos, const char *end, __u32 *line,
		     char *buf, size_t bufsz, char **fields, int max_fields,
		     const char **err)
{
	const char *p = *pos, *start;
	__u32 start_line;
	size_t o = 0;
	int n = 0, ret;
	char c;

#define PUT(ch)                                  \
	do {                                     \
		if (o >= bufsz)                  \
			goto too_long;           \
		buf[o++] = (ch);                 \
	} while (0)

	while (p < end && (*p == '\n' || *p == '\r')) {
		if (*p == '\n')
			(*line)++;
		p++;
	}
	*pos = p;
	if (p >= end)
		return 0;
	start = p;
	start_line = *line;
	for (;;) {
		if (n >= max_fields) {
			*err = "too many fields";
			ret = -E2BIG;
			goto bad;
		}
		fields[n++] = buf + o;
		if (p < end && *p == '"') {
			for (p++;; ) {
				if (p >= end) {
					*err = "unterminated quoted field";
					ret = -EINVAL;
					goto bad;
				}
				c = *p++;
				if (c == '"') {
					if (p < end && *p == '"') {
						PUT('"');
						p++;
						continue;
					}
					break;
				}
				if (!c)
					goto nul;
				if (c == '\n')
					(*line)++;
				PUT(c);
			}
			if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				*err = "text after a closing quote";
				ret = -EINVAL;
				goto bad;
			}
		} else {
			while (p < end && *p != ',' && *p != '\n' &&
			       *p != '\r') {
				if (*p == '"') {
					*err = "quote inside an unquoted field";
					ret = -EINVAL;
					goto bad;
				}
				if (!*p)
					goto nul;
				PUT(*p++);
			}
		}
		PUT('\0');
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		break;
	}
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n') {
		p++;
		(*line)++;
	}
	*pos = p;
	return n;
#undef PUT

nul:
	*err = "NUL byte";
	ret = -EINVAL;
	goto bad;
too_long:
	*err = "record too long";
	ret = -E2BIG;
bad:
	/* Resume on the line after the one the record started on. */
	p = start;
	while (p < end && *p != '\n')
		p++;
	if (p < end)
		p++;
	*line = start_line + 1;
	*pos = p;
	return ret;
}

int robot_parse_ts_ns(const char *s, __u64 *ns)
{
	__u64 sec = 0, frac = 0;
	int digits = 0, n = 0;

	if (!*s)
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n >= 11) /* 2^64 ns is 18446744073 s */
			return -EINVAL;
		sec = sec * 10 + (*s - '0');
	}
	if (sec > 18446744072ull)
		return -EINVAL;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits >= 9)
				return -EINVAL;
			frac = frac * 10 + (*s - '0');
		}
		if (!digits && !n)
			return -EINVAL;
	}
	if (*s || (!n && !digits))
		return -EINVAL;
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = sec * 1000000000ull + frac;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &e, 10);
	if (errno || *e || *v > max)
		return -EINVAL;
	return 0;
}

static int parse_split(const char *s, __u8 *v)
{
	if (!strcasecmp(s, "known") || !*s)
		*v = ROBOT_DS_KNOWN;
	else if (!strcasecmp(s, "unseen"))
		*v = ROBOT_DS_UNSEEN;
	else
		return -EINVAL;
	return 0;
}

/* Address in text form; *family 4 or 6. */
static int parse_addr(const char *s, __u8 *a, __u8 *family)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

static int copy_name(char *dst, size_t sz, const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= sz)
		return -EINVAL;
	memcpy(dst, s, n + 1);
	return 0;
}

enum {
	COL_FILE, COL_APP, COL_CATEGORY, COL_L4, COL_SRC, COL_SPORT, COL_DST,
	COL_DPORT, COL_FIRST_TS, COL_NDPI_LABEL, COL_SPLITA, COL_SPLITB,
	COL_PKTS, COL_MAX,
};

#define COL_REQUIRED COL_PKTS /* columns before this one are required */

static const char *const col_names[COL_MAX] = {
	"file", "app", "category", "l4", "src", "sport", "dst", "dport",
	"first_ts", "ndpi_label", "splitA", "splitB", "pkts",
};

/* Fill r from one record; on error *what names the bad field. */
static int label_from_fields(struct robot_label *r, char **f, int nf,
			     const int *col, const char **what,
			     const char **val)
{
	struct robot_parsed tmp;
	__u8 src[16], dst[16], fs, fd;
	unsigned long v;
	const char *s;
	int i;

	memset(r, 0, sizeof(*r));
	*val = "";
	for (i = 0; i < COL_MAX; i++) {
		if (col[i] >= nf && (i < COL_REQUIRED)) {
			*what = "missing fields";
			return -EINVAL;
		}
	}
#define F(c) (*val = f[col[c]])
	*what = "file";
	s = F(COL_FILE);
	if (copy_name(r->file, sizeof(r->file), s) || strchr(s, '/'))
		return -EINVAL;
	*what = "app";
	if (copy_name(r->app, sizeof(r->app), F(COL_APP)))
		return -EINVAL;
	*what = "category";
	if (copy_name(r->category, sizeof(r->category), F(COL_CATEGORY)))
		return -EINVAL;
	*what = "ndpi_label";
	s = F(COL_NDPI_LABEL);
	if (strlen(s) >= sizeof(r->ndpi_label))
		return -EINVAL;
	strcpy(r->ndpi_label, s);
	*what = "l4";
	s = F(COL_L4);
	if (!strcasecmp(s, "TCP") || !strcmp(s, "6"))
		r->key.proto = ROBOT_IPPROTO_TCP;
	else if (!strcasecmp(s, "UDP") || !strcmp(s, "17"))
		r->key.proto = ROBOT_IPPROTO_UDP;
	else
		return -EINVAL;
	*what = "src";
	if (parse_addr(F(COL_SRC), src, &fs))
		return -EINVAL;
	*what = "dst";
	if (parse_addr(F(COL_DST), dst, &fd))
		return -EINVAL;
	if (fs != fd) {
		*what = "dst (address family differs from src's)";
		return -EINVAL;
	}
	*what = "sport";
	if (parse_uint(F(COL_SPORT), 65535, &v))
		return -EINVAL;
	r->sport = v;
	*what = "dport";
	if (parse_uint(F(COL_DPORT), 65535, &v))
		return -EINVAL;
	r->dport = v;
	*what = "first_ts";
	if (robot_parse_ts_ns(F(COL_FIRST_TS), &r->first_ns))
		return -EINVAL;
	*what = "splitA";
	if (parse_split(F(COL_SPLITA), &r->split_a))
		return -EINVAL;
	*what = "splitB";
	if (parse_split(F(COL_SPLITB), &r->split_b))
		return -EINVAL;
	if (col[COL_PKTS] < nf && *F(COL_PKTS)) {
		*what = "pkts";
		if (parse_uint(F(COL_PKTS), 0xffffffffu, &v))
			return -EINVAL;
		r->pkts = v;
	}
#undef F
	memset(&tmp, 0, sizeof(tmp));
	robot_key_make(&tmp, src, dst, r->sport, r->dport, fs == 4 ? 4 : 16);
	tmp.key.proto = r->key.proto;
	tmp.key.family = fs;
	r->key = tmp.key;
	r->src_is_a = tmp.src_is_a;
	return 0;
}

static int parse_header(const char *path, char **f, int nf, int *col)
{
	int i, j, ret = 0;

	for (i = 0; i < COL_MAX; i++) {
		col[i] = ROBOT_CSV_FIELDS_MAX; /* absent */
		for (j = 0; j < nf; j++)
			if (!strcmp(f[j], col_names[i]))
				col[i] = j;
		if (col[i] == ROBOT_CSV_FIELDS_MAX && i < COL_REQUIRED) {
			pr_warn("%s:1: header lacks the column '%s'\n", path,
				col_names[i]);
			ret = -EINVAL;
		}
	}
	return ret;
}

static int labels_push(struct robot_labels *l, __u32 *cap,
		       const struct robot_label *r)
{
	struct robot_label *n;

	if (l->n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		n = realloc(l->rows, (size_t)*cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->rows = n;
	}
	l->rows[l->n++] = *r;
	return 0;
}

int robot_labels_parse(const char *path, const char *text, size_t len,
		       struct robot_labels *l)
{
	const char *pos = text, *end = text + len, *err, *what, *val;
	char *f[ROBOT_CSV_FIELDS_MAX], *buf;
	int col[COL_MAX], nf, ret = 0, hdr = 0, hdr_nf = 0;
	struct robot_label r;
	__u32 line = 1, rline, cap = 0;

	memset(l, 0, sizeof(*l));
	buf = malloc(ROBOT_CSV_RECORD_MAX);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		rline = line;
		err = NULL;
		nf = robot_csv_record(&pos, end, &line, buf,
				      ROBOT_CSV_RECORD_MAX, f,
				      ROBOT_CSV_FIELDS_MAX, &err);
		if (!nf)
			break;
		if (!hdr) {
			if (nf < 0) {
				pr_warn("%s:%u: bad header: %s\n", path, rline,
					err);
				ret = -EINVAL;
				break;
			}
			ret = parse_header(path, f, nf, col);
			if (ret)
				break;
			hdr = 1;
			hdr_nf = nf;
			continue;
		}
		if (nf < 0) {
			pr_warn("%s:%u: malformed row (%s), skipped\n", path,
				rline, err);
			l->n_bad++;
			continue;
		}
		if (nf != hdr_nf) {
			pr_warn("%s:%u: malformed row (%d fields, the header "
				"has %d), skipped\n", path, rline, nf, hdr_nf);
			l->n_bad++;
			continue;
		}
		if (label_from_fields(&r, f, nf, col, &what, &val)) {
			pr_warn("%s:%u: bad %s '%.64s', row skipped\n", path,
				rline, what, val);
			l->n_bad++;
			continue;
		}
		r.line = rline;
		ret = labels_push(l, &cap, &r);
		if (ret)
			break;
	}
	if (!ret && !hdr) {
		pr_warn("%s: empty file (no header row)\n", path);
		ret = -EINVAL;
	}
	free(buf);
	if (ret)
		robot_labels_free(l);
	return ret;
}

int robot_labels_load(const char *path, struct robot_labels *l)
{
	struct stat st;
	char *text;
	ssize_t got;
	size_t off = 0;
	int fd, ret;

	memset(l, 0, sizeof(*l));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_warn("%s: cannot open labels: %s\n", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > LABELS_FILE_MAX) {
		pr_warn("%s: not a regular file of at most 1 GiB\n", path);
		close(fd);
		return -EINVAL;
	}
	text = malloc(st.st_size + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, text + off, st.st_size - off);
		if (got <= 0) {
			ret = got ? -errno : -EIO;
			pr_warn("%s: read error: %s\n", path,
				got ? strerror(errno) : "short read");
			free(text);
			close(fd);
			return ret;
		}
		off += got;
	}
	close(fd);
	ret = robot_labels_parse(path, text, off, l);
	free(text);
	return ret;
}

void robot_labels_free(struct robot_labels *l)
{
	free(l->rows);
	memset(l, 0, sizeof(*l));
}

int robot_label_is_dns(const struct robot_label *r)
{
	return !strncmp(r->ndpi_label, "DNS.", 4);
}
