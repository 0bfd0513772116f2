// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_labels - the labels CSV reader (user/labels.c) on arbitrary text:
 * robot_labels_parse() on the whole input, then robot_csv_record() record
 * by record with a small buffer and few fields (the -E2BIG paths), and
 * robot_parse_ts_ns() on every field. Checks: every accepted row has a
 * canonical key, a line number inside the text, NUL-terminated names;
 * record reading always advances and terminates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "robot_feat.h"
#include "labels.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	robot_log_level = -1;
	return 0;
}

static void check_rows(const struct robot_labels *l, const char *text,
		       size_t len)
{
	__u32 i, lines = 1;
	size_t j;

	for (j = 0; j < len; j++)
		lines += text[j] == '\n';
	for (i = 0; i < l->n; i++) {
		const struct robot_label *r = &l->rows[i];
		const struct robot_flow_key *k = &r->key;

		if (!memchr(r->file, 0, sizeof(r->file)) ||
		    !memchr(r->app, 0, sizeof(r->app)) ||
		    !memchr(r->category, 0, sizeof(r->category)) ||
		    !memchr(r->ndpi_label, 0, sizeof(r->ndpi_label)))
			abort();
		if (!r->line || r->line > lines)
			abort();
		if (k->family != 4 && k->family != 6)
			abort();
		if (r->src_is_a > 1 || r->split_a > 1 || r->split_b > 1)
			abort();
		if (k->pad[0] || k->pad[1])
			abort();
		if (!robot_ep_le(k->addr_a, robot_get16((const __u8 *)&k->port_a),
				 k->addr_b, robot_get16((const __u8 *)&k->port_b),
				 k->family == 4 ? 4 : 16))
			abort();
		robot_label_is_dns(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *f[8], buf[64];
	const char *pos, *end, *err;
	struct robot_labels l;
	__u32 line = 1, prev;
	__u64 ns;
	int n, i, guard = 0;

	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	if (!robot_labels_parse("fuzz.csv", text, size, &l)) {
		check_rows(&l, text, size);
		robot_labels_free(&l);
	}
	pos = text;
	end = text + size;
	for (;;) {
		const char *before = pos;

		prev = line;
		n = robot_csv_record(&pos, end, &line, buf, sizeof(buf), f, 8,
				     &err);
		if (!n)
			break;
		if (pos <= before || pos > end || line < prev)
			abort();
		if (n > 8)
			abort();
		for (i = 0; i < n; i++) {
			if (f[i] < buf || f[i] >= buf + sizeof(buf))
				abort();
			robot_parse_ts_ns(f[i], &ns);
		}
		if (++guard > (int)size + 1)
			abort(); /* no progress */
	}
	free(text);
	return 0;
}
