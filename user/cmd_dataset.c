// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_dataset.c - `robot dataset`: labeled captures -> flow dataset file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "dataset.h"
#include "dsbuild.h"
#include "json.h"
#include "labels.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: robot dataset --pcap-dir DIR --labels FILE.csv --out FILE\n"
"                     [--classes LIST] [--idle-timeout SEC] [--json]\n"
"\n"
"Build a flow dataset from labeled captures. Every pcap/pcapng file in DIR\n"
"(*.pcap, *.pcapng, *.cap; link types Ethernet, Linux cooked SLL/SLL2, raw\n"
"IP) is parsed with the XDP program's feature extractor and assembled into\n"
"bidirectional TCP/UDP flows; the rows of FILE.csv (labels_flows.csv\n"
"format) are joined to flows by capture file and 5-tuple (either\n"
"direction), the nearest first_ts deciding when a 5-tuple repeats. Rows\n"
"whose ndpi_label starts with \"DNS.\" are dropped. The first %d packets\n"
"of each joined flow are written to FILE (docs/dataset-format.md).\n"
"\n"
"  --pcap-dir DIR       directory of captures\n"
"  --labels FILE.csv    label rows\n"
"  --out FILE           dataset file to write\n"
"  --classes LIST       comma-separated classes, in class-index order\n"
"                       (default VoIP,Chat,Streaming,FileTransfer,P2P,\n"
"                       Browsing); rows of other categories are left out\n"
"  --idle-timeout SEC   a packet after SEC idle seconds starts a new flow\n"
"                       (default 120)\n"
"  --json               print the summary as one JSON object\n"
"  -h, --help           this text\n"
"\n"
"Exit status: 0 success; 1 when anything was skipped for an error (a\n"
"damaged or missing capture, an unknown link type, a malformed label\n"
"row: each is reported on stderr with its file and line or packet\n"
"number, the rest is still processed and the dataset written) or when\n"
"the dataset cannot be built or written; 2 wrong arguments.\n",
		ROBOT_DATASET_PKTS);
}

static int parse_classes(char *list, struct robot_dsb_opts *o)
{
	char *save = NULL, *tok;

	o->n_classes = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->n_classes >= ROBOT_CLASS_MAX) {
			pr_warn("dataset: --classes: more than %d classes\n",
				ROBOT_CLASS_MAX);
			return -1;
		}
		if (robot_class_id(tok) < 0) {
			pr_warn("dataset: --classes: unknown class '%s'\n",
				tok);
			return -1;
		}
		o->classes[o->n_classes++] = tok;
	}
	if (!o->n_classes) {
		pr_warn("dataset: --classes: empty list\n");
		return -1;
	}
	return 0;
}

static double pct(__u64 a, __u64 b)
{
	return b ? 100.0 * a / b : 0.0;
}

static void count_flows(const struct robot_dataset *ds, __u32 *per_class,
			__u32 *per_app)
{
	__u32 i;

	for (i = 0; i < ds->n_flows; i++) {
		per_class[ds->flows[i].class_idx]++;
		per_app[ds->flows[i].app_idx]++;
	}
}

static void print_text(const char *out, const struct robot_dataset *ds,
		       const struct robot_dsb_stats *st,
		       const struct robot_labels *lab, const __u32 *per_class,
		       const __u32 *per_app)
{
	__u32 i;

	printf("dataset %s: %u flows, %u classes, %u apps, %u captures\n",
	       out, ds->n_flows, ds->n_classes, ds->n_apps, ds->n_files);
	printf("label rows: %u read, %u malformed, %u DNS dropped, "
	       "%u considered, %u matched (%.2f%%), %u matched in classes "
	       "not listed\n", st->labels_rows, st->labels_bad,
	       st->labels_dns, st->labels_considered, st->labels_matched,
	       pct(st->labels_matched, st->labels_considered),
	       st->labels_other_class);
	printf("matched flows: %u started from the row's dst side, "
	       "%u have the row's packet count, largest first_ts gap "
	       "%.6f s\n", st->init_differs, st->pkts_equal,
	       st->max_dt_ns / 1e9);
	for (i = 0; i < st->n_missed; i++) {
		const struct robot_label *r = &lab->rows[st->missed[i].label];

		printf("  unmatched line %u: %s %s %s %u-%u (%s)\n",
		       st->missed[i].line, r->file, r->app, r->category,
		       r->sport, r->dport,
		       robot_dsb_miss_names[st->missed[i].reason]);
	}
	printf("captures: %u read, %u with errors; packets %llu, TCP/UDP "
	       "%llu, skipped:", st->files, st->files_failed,
	       (unsigned long long)st->packets,
	       (unsigned long long)st->parsed);
	for (i = 1; i < ROBOT_PARSE_MAX; i++)
		printf(" %s %llu", robot_parse_res_names[i],
		       (unsigned long long)st->skipped[i]);
	printf("\nflows: %llu assembled, %u in the dataset (%llu packets, "
	       "%llu stored)\n", (unsigned long long)st->flows_assembled,
	       ds->n_flows, (unsigned long long)st->ds_packets,
	       (unsigned long long)st->ds_stored);
	printf("flows per class:");
	for (i = 0; i < ds->n_classes; i++)
		printf(" %s %u", ds->classes[i], per_class[i]);
	printf("\nflows per app:");
	for (i = 0; i < ds->n_apps; i++)
		printf(" %s %u", ds->apps[i], per_app[i]);
	printf("\n");
}

static void print_json(const char *out, const struct robot_dataset *ds,
		       const struct robot_dsb_stats *st,
		       const struct robot_labels *lab, const __u32 *per_class,
		       const __u32 *per_app, int status)
{
	struct json_w w;
	__u32 i;

	json_init(&w, stdout);
	json_obj_open(&w, NULL);
	json_str(&w, "out", out);
	json_u64(&w, "labels_rows", st->labels_rows);
	json_u64(&w, "labels_bad", st->labels_bad);
	json_u64(&w, "labels_dns", st->labels_dns);
	json_u64(&w, "labels_considered", st->labels_considered);
	json_u64(&w, "labels_matched", st->labels_matched);
	json_dbl(&w, "match_rate", st->labels_considered ?
		 (double)st->labels_matched / st->labels_considered : 0);
	json_u64(&w, "labels_other_class", st->labels_other_class);
	json_u64(&w, "init_differs", st->init_differs);
	json_u64(&w, "pkts_equal", st->pkts_equal);
	json_dbl(&w, "max_first_ts_gap_s", st->max_dt_ns / 1e9);
	json_obj_open(&w, "unmatched_by_reason");
	for (i = 0; i < ROBOT_DSB_MISS_MAX; i++)
		json_u64(&w, robot_dsb_miss_names[i], st->miss[i]);
	json_obj_close(&w);
	json_arr_open(&w, "unmatched");
	for (i = 0; i < st->n_missed; i++) {
		const struct robot_label *r = &lab->rows[st->missed[i].label];

		json_obj_open(&w, NULL);
		json_u64(&w, "line", r->line);
		json_str(&w, "file", r->file);
		json_str(&w, "app", r->app);
		json_str(&w, "category", r->category);
		json_str(&w, "reason",
			 robot_dsb_miss_names[st->missed[i].reason]);
		json_obj_close(&w);
	}
	json_arr_close(&w);
	json_u64(&w, "captures", st->files);
	json_u64(&w, "captures_failed", st->files_failed);
	json_u64(&w, "errors", st->errors);
	json_u64(&w, "packets", st->packets);
	json_u64(&w, "packets_parsed", st->parsed);
	json_obj_open(&w, "packets_skipped");
	for (i = 1; i < ROBOT_PARSE_MAX; i++)
		json_u64(&w, robot_parse_res_names[i], st->skipped[i]);
	json_obj_close(&w);
	json_u64(&w, "flows_assembled", st->flows_assembled);
	json_u64(&w, "flows", ds->n_flows);
	json_u64(&w, "flow_packets", st->ds_packets);
	json_u64(&w, "flow_packets_stored", st->ds_stored);
	json_obj_open(&w, "per_class");
	for (i = 0; i < ds->n_classes; i++)
		json_u64(&w, ds->classes[i], per_class[i]);
	json_obj_close(&w);
	json_obj_open(&w, "per_app");
	for (i = 0; i < ds->n_apps; i++)
		json_u64(&w, ds->apps[i], per_app[i]);
	json_obj_close(&w);
	json_i64(&w, "exit", status);
	json_obj_close(&w);
	json_end(&w);
}

int do_dataset(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pcap-dir", required_argument, NULL, 'd' },
		{ "labels", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ "classes", required_argument, NULL, 'c' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct robot_dsb_opts o = {};
	struct robot_dsb_stats st;
	struct robot_labels lab;
	struct robot_dataset ds;
	const char *out = NULL;
	__u32 *per_class = NULL, *per_app = NULL;
	int c, json = 0, ret, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.pcap_dir = optarg;
			break;
		case 'l':
			o.labels = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'c':
			if (parse_classes(optarg, &o))
				return ROBOT_EXIT_USAGE;
			break;
		case 't':
			if (robot_parse_ts_ns(optarg, &o.idle_ns) ||
			    !o.idle_ns) {
				pr_warn("dataset: --idle-timeout: '%s' is not "
					"a positive number of seconds\n",
					optarg);
				return ROBOT_EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return ROBOT_EXIT_OK;
		default:
			usage(stderr);
			return ROBOT_EXIT_USAGE;
		}
	}
	if (optind != argc || !o.pcap_dir || !o.labels || !out) {
		pr_warn("dataset: --pcap-dir, --labels and --out are "
			"required\n");
		usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	ret = robot_dsb_build(&o, &ds, &st, &lab);
	if (ret < 0) {
		pr_warn("dataset: no dataset built\n");
		return ROBOT_EXIT_FAIL;
	}
	status = ret ? ROBOT_EXIT_FAIL : ROBOT_EXIT_OK;
	if (!ds.n_flows)
		pr_warn("dataset: no label row matched a flow of the listed "
			"classes; writing an empty dataset\n");
	if (robot_ds_save(&ds, out))
		status = ROBOT_EXIT_FAIL;
	per_class = calloc(ds.n_classes + 1, sizeof(*per_class));
	per_app = calloc(ds.n_apps + 1, sizeof(*per_app));
	if (!per_class || !per_app) {
		status = ROBOT_EXIT_FAIL;
		goto out;
	}
	count_flows(&ds, per_class, per_app);
	if (json)
		print_json(out, &ds, &st, &lab, per_class, per_app, status);
	else
		print_text(out, &ds, &st, &lab, per_class, per_app);
out:
	free(per_class);
	free(per_app);
	robot_dsb_stats_free(&st);
	robot_labels_free(&lab);
	robot_ds_free(&ds);
	return status;
}
