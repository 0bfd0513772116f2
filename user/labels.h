/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * labels.h - per-flow label rows (labels_flows.csv) and a small RFC 4180
 * CSV reader (quoted fields, "" escapes, CRLF, newlines inside quotes).
 *
 * Columns are found by name in the header row, so their order is free;
 * required: file, app, category, l4, src, sport, dst, dport, first_ts,
 * ndpi_label, splitA, splitB (pkts optional). `src,sport` sent the
 * flow's first packet; first_ts is that packet's capture time (seconds
 * with up to 9 decimals).
 */
#ifndef ROBOT_LABELS_H
#define ROBOT_LABELS_H

#include <stddef.h>
#include <linux/types.h>
#include "robot_abi.h"
#include "dataset.h"

#define ROBOT_CSV_FIELDS_MAX 64
#define ROBOT_CSV_RECORD_MAX 8192

struct robot_label {
	char file[ROBOT_DS_NAME_MAX * 2]; /* capture file name (no dirs) */
	char app[ROBOT_DS_NAME_MAX];
	char category[ROBOT_DS_NAME_MAX];
	char ndpi_label[96];
	struct robot_flow_key key; /* canonical key of the 5-tuple */
	__u8 src_is_a;  /* 1: src,sport is the key's side "a" */
	__u8 split_a;   /* enum robot_ds_split */
	__u8 split_b;   /* enum robot_ds_split */
	__u8 pad;
	__u16 sport;    /* host order */
	__u16 dport;    /* host order */
	__u32 pkts;     /* nDPI's packet count, 0 when absent */
	__u32 line;     /* 1-based line where the row starts */
	__u64 first_ns; /* first_ts, ns */
};

struct robot_labels {
	struct robot_label *rows;
	__u32 n;       /* valid rows */
	__u32 n_bad;   /* malformed rows, skipped with a message */
};

/* One CSV record from [*pos, end): fields are copied, unquoted and
 * NUL-terminated, into buf (size bufsz) and pointed to by fields[]. Blank
 * lines are skipped. *line is the 1-based line number at *pos and is
 * advanced past the record. Returns the number of fields, 0 at the end of
 * the data, or -EINVAL (unterminated quote, text after a closing quote, a
 * quote inside an unquoted field, NUL byte), -E2BIG (record longer than
 * bufsz or more than max_fields fields); *err names the problem. After an
 * error *pos is past the offending line, so reading can go on.
 */
int robot_csv_record(const char **pos, const char *end, __u32 *line,
		     char *buf, size_t bufsz, char **fields, int max_fields,
		     const char **err);

/* Parse CSV text (path is only used in messages). Malformed rows are
 * reported with their line number, counted in n_bad and skipped. Returns
 * 0, or -EINVAL when the header lacks a required column, -ENOMEM.
 */
int robot_labels_parse(const char *path, const char *text, size_t len,
		       struct robot_labels *l);
/* Read and parse a labels file; -errno when it cannot be read. */
int robot_labels_load(const char *path, struct robot_labels *l);
void robot_labels_free(struct robot_labels *l);

/* 1: a DNS look-up row (ndpi_label starts with "DNS."), not app traffic. */
int robot_label_is_dns(const struct robot_label *r);

/* Parse "sec[.frac]" (frac up to 9 digits) into ns; 0 or -EINVAL. */
int robot_parse_ts_ns(const char *s, __u64 *ns);

#endif
