// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <inttypes.h>
#include "json.h"

void json_init(struct json_w *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->count[0] = 0;
	w->pending_key = 0;
}

static void json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Separator and key before a value. */
static void json_pre(struct json_w *w, const char *key)
{
	if (w->count[w->depth]++)
		fputc(',', w->f);
	if (key) {
		json_escape(w->f, key);
		fputc(':', w->f);
	}
}

static void json_open(struct json_w *w, const char *key, char c)
{
	json_pre(w, key);
	fputc(c, w->f);
	if (w->depth < ROBOT_JSON_DEPTH - 1)
		w->depth++;
	w->count[w->depth] = 0;
}

static void json_close(struct json_w *w, char c)
{
	fputc(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void json_obj_open(struct json_w *w, const char *key) { json_open(w, key, '{'); }
void json_obj_close(struct json_w *w) { json_close(w, '}'); }
void json_arr_open(struct json_w *w, const char *key) { json_open(w, key, '['); }
void json_arr_close(struct json_w *w) { json_close(w, ']'); }

void json_str(struct json_w *w, const char *key, const char *v)
{
	json_pre(w, key);
	json_escape(w->f, v);
}

void json_u64(struct json_w *w, const char *key, uint64_t v)
{
	json_pre(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

void json_i64(struct json_w *w, const char *key, int64_t v)
{
	json_pre(w, key);
	fprintf(w->f, "%" PRId64, v);
}

void json_dbl(struct json_w *w, const char *key, double v)
{
	json_pre(w, key);
	if (isfinite(v))
		fprintf(w->f, "%.6g", v);
	else
		fputs("null", w->f);
}

void json_bool(struct json_w *w, const char *key, int v)
{
	json_pre(w, key);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json_w *w, const char *key)
{
	json_pre(w, key);
	fputs("null", w->f);
}

void json_end(struct json_w *w)
{
	fputc('\n', w->f);
	fflush(w->f);
}
