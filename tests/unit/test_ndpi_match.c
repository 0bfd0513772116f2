// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The dataset built from the shared nDPI captures ($ROBOT_DATA, see
 * ../shared/data/ndpi/README.md): at least 98% of the non-DNS label rows
 * join a flow, every capture reads without error, and the flows per class
 * and their packets look like the labels say. Skips when $ROBOT_DATA is
 * not set or does not hold the data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "dataset.h"
#include "dsbuild.h"
#include "labels.h"

static char pcap_dir[4096], labels[4096];

static void test_match(void **state)
{
	struct robot_dsb_opts o = {};
	struct robot_dsb_stats st;
	struct robot_dataset ds, back;
	struct robot_labels lab;
	__u32 per_class[ROBOT_CLASS_MAX] = {}, per_row_class[ROBOT_CLASS_MAX] = {};
	char out[] = "/tmp/robot_ndpi_ds.XXXXXX";
	__u32 i, j;
	int ret, fd, c;

	o.pcap_dir = pcap_dir;
	o.labels = labels;
	ret = robot_dsb_build(&o, &ds, &st, &lab);
	assert_int_equal(ret, 0); /* no capture or row skipped for errors */
	assert_int_equal(st.files_failed, 0);
	assert_int_equal(st.labels_bad, 0);
	assert_true(st.labels_dns > 0);
	assert_int_equal(st.labels_considered, st.labels_rows - st.labels_dns);
	printf("labels: %u rows, %u DNS, %u matched of %u (%.2f%%)\n",
	       st.labels_rows, st.labels_dns, st.labels_matched,
	       st.labels_considered,
	       100.0 * st.labels_matched / st.labels_considered);
	assert_true(st.labels_matched * 100 >= st.labels_considered * 98);
	assert_int_equal(st.n_missed, st.labels_considered - st.labels_matched);

	/* every default class is there, with what its matched rows say */
	assert_int_equal(ds.n_classes, 6);
	for (i = 0; i < lab.n; i++) {
		c = robot_ds_class_idx(&ds, lab.rows[i].category);
		if (c >= 0 && !robot_label_is_dns(&lab.rows[i]))
			per_row_class[c]++;
	}
	for (i = 0; i < ds.n_flows; i++)
		per_class[ds.flows[i].class_idx]++;
	for (i = 0; i < ds.n_classes; i++) {
		printf("%-12s %4u flows (%u rows)\n", ds.classes[i],
		       per_class[i], per_row_class[i]);
		assert_true(per_class[i] >= 20);
		assert_true(per_class[i] <= per_row_class[i]);
		assert_true(per_class[i] * 100 >= per_row_class[i] * 95);
	}
	assert_int_equal(ds.n_flows + st.labels_other_class,
			 st.labels_matched);

	/* flows: packets in order, directions from the first packet, and
	 * the label row's first_ts is the flow's first packet
	 */
	for (i = 0; i < ds.n_flows; i++) {
		const struct robot_ds_flow *f = &ds.flows[i];

		assert_true(f->n_pkts >= 1);
		assert_int_equal(f->pkts[0].dir, ROBOT_DIR_FWD);
		for (j = 0; j < f->n_pkts; j++) {
			assert_int_equal(f->pkts[j].ip_ver, f->key.family);
			assert_int_equal(f->pkts[j].l4_proto, f->key.proto);
		}
	}
	assert_true(st.max_dt_ns < 1000000); /* < 1 ms */
	assert_true(st.init_differs * 50 <= st.labels_matched);
	assert_true(st.packets > 50000);
	assert_true(st.ds_packets > 30000);

	/* the file round-trips */
	fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(robot_ds_save(&ds, out), 0);
	assert_int_equal(robot_ds_load(out, &back), 0);
	assert_int_equal(back.n_flows, ds.n_flows);
	for (i = 0; i < ds.n_flows; i++)
		assert_memory_equal(&back.flows[i], &ds.flows[i],
				    sizeof(ds.flows[i]) -
					    sizeof(ds.flows[i].pkts) +
					    ds.flows[i].n_pkts *
						    sizeof(ds.flows[i].pkts[0]));
	unlink(out);
	robot_ds_free(&back);
	robot_ds_free(&ds);
	robot_dsb_stats_free(&st);
	robot_labels_free(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
	};
	const char *d = getenv("ROBOT_DATA");

	if (!d || !*d) {
		printf("skip: ROBOT_DATA is not set (the nDPI captures)\n");
		return 77;
	}
	snprintf(pcap_dir, sizeof(pcap_dir), "%s/pcap", d);
	snprintf(labels, sizeof(labels), "%s/labels_flows.csv", d);
	if (access(pcap_dir, R_OK) || access(labels, R_OK)) {
		printf("skip: %s lacks pcap/ or labels_flows.csv\n", d);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
