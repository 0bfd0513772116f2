/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * mjson.h - a tiny validating JSON parser (jsmn-like): the text is
 * tokenized into a flat array, each token spanning its raw text, with the
 * index of the token after its subtree for skipping. Used for model file
 * headers; rejects anything not well-formed (RFC 8259 grammar, nesting up
 * to MJSON_DEPTH, no trailing garbage). Numbers are validated but kept as
 * text; strings are decoded on demand.
 */
#ifndef ROBOT_MJSON_H
#define ROBOT_MJSON_H

#include <stddef.h>
#include <linux/types.h>

#define MJSON_DEPTH 32

enum mjson_type {
	MJSON_NULL = 1,
	MJSON_BOOL,
	MJSON_NUM,
	MJSON_STR,
	MJSON_ARR,
	MJSON_OBJ,
};

struct mjson_tok {
	int type;  /* enum mjson_type */
	int start; /* first char (strings: after the quote) */
	int end;   /* one past the last char (strings: at the quote) */
	int size;  /* arrays: elements, objects: key/value pairs */
	int next;  /* index of the token after this one's subtree */
};

/* Parse s[0..len) into at most max tokens. Returns the number of tokens,
 * -EINVAL on malformed text, -E2BIG when max is too small.
 */
int mjson_parse(const char *s, size_t len, struct mjson_tok *t, int max);

/* Value token of key in object token obj; -1 if absent or not an object. */
int mjson_get(const char *s, const struct mjson_tok *t, int obj,
	      const char *key);
/* i-th element of array token arr; -1 if out of range. */
int mjson_at(const struct mjson_tok *t, int arr, int i);
/* Decode string token i into buf (NUL-terminated). -EINVAL if not a
 * string, -E2BIG if it does not fit.
 */
int mjson_str(const char *s, const struct mjson_tok *t, int i, char *buf,
	      size_t n);
/* Compare string token i with a plain (escape-free) C string. */
int mjson_streq(const char *s, const struct mjson_tok *t, int i,
		const char *str);
/* Number token i as an unsigned integer (no sign, fraction or exponent),
 * -EINVAL otherwise or on overflow.
 */
int mjson_u64(const char *s, const struct mjson_tok *t, int i, __u64 *v);

#endif
