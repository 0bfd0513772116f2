// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A tiny validating JSON tokenizer (see mjson.h). */
#include <errno.h>
#include <string.h>
#include "mjson.h"

struct mj {
	const char *s;
	int len, pos, n, max;
	struct mjson_tok *t;
};

static void ws(struct mj *p)
{
	while (p->pos < p->len &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int tok(struct mj *p, int type, int start)
{
	if (p->n >= p->max)
		return -E2BIG;
	p->t[p->n] = (struct mjson_tok){ .type = type, .start = start };
	return p->n++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_str(struct mj *p)
{
	int k, j;

	p->pos++; /* opening quote */
	k = tok(p, MJSON_STR, p->pos);
	if (k < 0)
		return k;
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];

		if (c == '"') {
			p->t[k].end = p->pos++;
			p->t[k].next = p->n;
			return 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			if (++p->pos >= p->len)
				return -EINVAL;
			c = p->s[p->pos];
			if (c == 'u') {
				for (j = 1; j <= 4; j++)
					if (p->pos + j >= p->len ||
					    hexval(p->s[p->pos + j]) < 0)
						return -EINVAL;
				p->pos += 4;
			} else if (!strchr("\"\\/bfnrt", c)) {
				return -EINVAL;
			}
		}
		p->pos++;
	}
	return -EINVAL;
}

static int digits(struct mj *p)
{
	int n = 0;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		p->pos++;
		n++;
	}
	return n;
}

static int parse_num(struct mj *p)
{
	int k = tok(p, MJSON_NUM, p->pos);

	if (k < 0)
		return k;
	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (!digits(p))
		return -EINVAL;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	p->t[k].end = p->pos;
	p->t[k].next = p->n;
	return 0;
}

static int parse_lit(struct mj *p, const char *lit, int type)
{
	int l = strlen(lit), k;

	if (p->len - p->pos < l || memcmp(p->s + p->pos, lit, l))
		return -EINVAL;
	k = tok(p, type, p->pos);
	if (k < 0)
		return k;
	p->pos += l;
	p->t[k].end = p->pos;
	p->t[k].next = p->n;
	return 0;
}

static int parse_val(struct mj *p, int depth);

static int parse_container(struct mj *p, int depth, int obj)
{
	char close = obj ? '}' : ']';
	int k, err;

	if (depth >= MJSON_DEPTH)
		return -EINVAL;
	k = tok(p, obj ? MJSON_OBJ : MJSON_ARR, p->pos);
	if (k < 0)
		return k;
	p->pos++;
	ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		goto done;
	}
	for (;;) {
		ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return -EINVAL;
			err = parse_str(p);
			if (err)
				return err;
			ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return -EINVAL;
			p->pos++;
		}
		err = parse_val(p, depth + 1);
		if (err)
			return err;
		p->t[k].size++;
		ws(p);
		if (p->pos >= p->len)
			return -EINVAL;
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != close)
			return -EINVAL;
		p->pos++;
		break;
	}
done:
	p->t[k].end = p->pos;
	p->t[k].next = p->n;
	return 0;
}

static int parse_val(struct mj *p, int depth)
{
	char c;

	ws(p);
	if (p->pos >= p->len)
		return -EINVAL;
	c = p->s[p->pos];
	if (c == '{' || c == '[')
		return parse_container(p, depth, c == '{');
	if (c == '"')
		return parse_str(p);
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_num(p);
	if (c == 't')
		return parse_lit(p, "true", MJSON_BOOL);
	if (c == 'f')
		return parse_lit(p, "false", MJSON_BOOL);
	if (c == 'n')
		return parse_lit(p, "null", MJSON_NULL);
	return -EINVAL;
}

int mjson_parse(const char *s, size_t len, struct mjson_tok *t, int max)
{
	struct mj p = { .s = s, .len = (int)len, .t = t, .max = max };
	int err;

	if (len > 0x7fffffff || max <= 0)
		return -EINVAL;
	err = parse_val(&p, 0);
	if (err)
		return err;
	ws(&p);
	if (p.pos != p.len)
		return -EINVAL;
	return p.n;
}

int mjson_get(const char *s, const struct mjson_tok *t, int obj,
	      const char *key)
{
	int i, k, v;

	if (obj < 0 || t[obj].type != MJSON_OBJ)
		return -1;
	k = obj + 1;
	for (i = 0; i < t[obj].size; i++) {
		v = k + 1;
		if (mjson_streq(s, t, k, key))
			return v;
		k = t[v].next;
	}
	return -1;
}

int mjson_at(const struct mjson_tok *t, int arr, int i)
{
	int k, j;

	if (arr < 0 || t[arr].type != MJSON_ARR || i < 0 || i >= t[arr].size)
		return -1;
	k = arr + 1;
	for (j = 0; j < i; j++)
		k = t[k].next;
	return k;
}

static void put_utf8(char *buf, size_t *o, unsigned cp)
{
	if (cp < 0x80) {
		buf[(*o)++] = cp;
	} else if (cp < 0x800) {
		buf[(*o)++] = 0xc0 | (cp >> 6);
		buf[(*o)++] = 0x80 | (cp & 0x3f);
	} else {
		buf[(*o)++] = 0xe0 | (cp >> 12);
		buf[(*o)++] = 0x80 | ((cp >> 6) & 0x3f);
		buf[(*o)++] = 0x80 | (cp & 0x3f);
	}
}

int mjson_str(const char *s, const struct mjson_tok *t, int i, char *buf,
	      size_t n)
{
	size_t o = 0;
	unsigned cp;
	int p, j;
	char c;

	if (i < 0 || t[i].type != MJSON_STR || !n)
		return -EINVAL;
	for (p = t[i].start; p < t[i].end; p++) {
		/* room for this character (up to 3 bytes) and the NUL */
		if (o + 1 >= n || (s[p] == '\\' && s[p + 1] == 'u' &&
				   o + 3 >= n))
			return -E2BIG;
		c = s[p];
		if (c != '\\') {
			buf[o++] = c;
			continue;
		}
		c = s[++p];
		switch (c) {
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'u':
			cp = 0;
			for (j = 1; j <= 4; j++)
				cp = cp * 16 + hexval(s[p + j]);
			p += 4;
			/* surrogates are kept as-is (CESU-8); never in ours */
			put_utf8(buf, &o, cp);
			break;
		default: buf[o++] = c; break;
		}
	}
	buf[o] = 0;
	return 0;
}

int mjson_streq(const char *s, const struct mjson_tok *t, int i,
		const char *str)
{
	size_t l = strlen(str);

	return i >= 0 && t[i].type == MJSON_STR &&
	       (size_t)(t[i].end - t[i].start) == l &&
	       !memcmp(s + t[i].start, str, l);
}

int mjson_u64(const char *s, const struct mjson_tok *t, int i, __u64 *v)
{
	__u64 x = 0;
	int p;

	if (i < 0 || t[i].type != MJSON_NUM)
		return -EINVAL;
	for (p = t[i].start; p < t[i].end; p++) {
		if (s[p] < '0' || s[p] > '9')
			return -EINVAL;
		if (x > ~0ULL / 10 ||
		    (x == ~0ULL / 10 && (__u64)(s[p] - '0') > ~0ULL % 10))
			return -EINVAL;
		x = x * 10 + (s[p] - '0');
	}
	*v = x;
	return 0;
}
