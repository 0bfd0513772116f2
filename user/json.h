/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A minimal streaming JSON writer: objects, arrays, strings, numbers. */
#ifndef ROBOT_JSON_H
#define ROBOT_JSON_H

#include <stdio.h>
#include <stdint.h>

#define ROBOT_JSON_DEPTH 16

struct json_w {
	FILE *f;
	int depth;
	int count[ROBOT_JSON_DEPTH]; /* items written at each depth */
	int pending_key;             /* a key was written, value next */
};

void json_init(struct json_w *w, FILE *f);
void json_obj_open(struct json_w *w, const char *key);   /* key NULL in arrays */
void json_obj_close(struct json_w *w);
void json_arr_open(struct json_w *w, const char *key);
void json_arr_close(struct json_w *w);
void json_str(struct json_w *w, const char *key, const char *v);
void json_u64(struct json_w *w, const char *key, uint64_t v);
void json_i64(struct json_w *w, const char *key, int64_t v);
void json_dbl(struct json_w *w, const char *key, double v); /* NaN/inf: null */
void json_bool(struct json_w *w, const char *key, int v);
void json_null(struct json_w *w, const char *key);
/* Ends the top-level value with a newline. */
void json_end(struct json_w *w);

#endif
