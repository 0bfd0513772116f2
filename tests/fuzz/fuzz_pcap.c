// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_pcap - the capture reader (user/pcapread.c on libpcap, pcap and
 * pcapng) and the dataset build path (user/dsbuild.c, flowtab.c,
 * dataset.c) on arbitrary capture files.
 *
 * Each input is written as x.pcap into a private directory (under
 * $TMPDIR, /dev/shm when it exists) next to a fixed labels.csv whose rows
 * name 5-tuples of x.pcap (the synthetic seeds of seeds.py hold them), then
 *   1. robot_pcap_open/next over every packet, each copied into a buffer
 *      of exactly caplen bytes and parsed by robot_parse_link() into a
 *      flow table (flowtab_add/lookup);
 *   2. robot_dsb_build() on the directory, then the dataset saved and
 *      loaded back (robot_ds_save/load): the round trip must give the same
 *      flows.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pcapread.h"
#include "flowtab.h"
#include "dsbuild.h"
#include "dataset.h"
#include "labels.h"
#include "log.h"

static char dir[256], cap[300], lab[300], dsf[300];

static const char labels_csv[] =
	"file,source,app,category,encrypted,l4,src,sport,dst,dport,pkts,"
	"bytes,first_ts,ndpi_label,ndpi_cat,sni,splitA,splitB\n"
	"x.pcap,ndpi,Skype,VoIP,1,UDP,10.0.0.1,5000,10.0.0.2,6000,3,300,"
	"1.000000000,Skype,VoIP,,known,unseen\n"
	"x.pcap,ndpi,Google,Browsing,1,TCP,10.0.0.1,40000,10.0.0.2,443,4,"
	"400,1.5,TLS.Google,Web,www.google.com,known,known\n"
	"x.pcap,ndpi,Signal,Chat,1,TCP,fd00::1,40001,fd00::2,443,3,300,"
	"2,TLS.Signal,Chat,,unseen,known\n"
	"x.pcap,ndpi,BitTorrent,P2P,0,UDP,10.0.0.3,6881,10.0.0.4,6881,3,"
	"300,2.5,BitTorrent,Download,,known,known\n"
	"x.pcap,ndpi,Skype,VoIP,0,UDP,10.0.0.1,53,10.0.0.9,53,2,100,1,"
	"DNS.Skype,Network,,known,known\n";

static void rm_dir(void)
{
	unlink(cap);
	unlink(lab);
	unlink(dsf);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;

	robot_log_level = -1;
	if (!tmp)
		tmp = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/fuzz_pcap.XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(cap, sizeof(cap), "%s/x.pcap", dir);
	snprintf(lab, sizeof(lab), "%s/labels.csv", dir);
	snprintf(dsf, sizeof(dsf), "%s/x.ds", dir);
	f = fopen(lab, "w");
	if (!f || fputs(labels_csv, f) < 0 || fclose(f))
		abort();
	atexit(rm_dir);
	return 0;
}

static void read_capture(void)
{
	struct robot_parsed p;
	struct robot_pcap r;
	struct flowtab ft;
	const __u8 *d;
	__u32 caplen, len, n = 0;
	__u64 ts;
	__u8 *buf;
	int ret, idx;

	if (robot_pcap_open(&r, cap))
		return;
	if (flowtab_init(&ft, ROBOT_DSB_IDLE_DEFAULT_NS, 8))
		abort();
	while (n++ < 100000 && (ret = robot_pcap_next(&r, &ts, &d, &caplen,
						      &len)) == 1) {
		buf = malloc(caplen ? caplen : 1);
		if (!buf)
			break;
		memcpy(buf, d, caplen);
		robot_feat_zero(&p);
		ret = robot_parse_link(r.dlt, buf, buf + caplen, &p);
		if (ret < 0 || ret >= ROBOT_PARSE_MAX)
			abort();
		if (ret == ROBOT_PARSE_OK) {
			idx = flowtab_add(&ft, &p, ts);
			if (idx < 0 || (__u32)idx >= ft.n_flows)
				abort();
			if (flowtab_lookup(&ft, &p.key) != (__u32)idx)
				abort();
			if (ft.flows[idx].n_pkts > 8)
				abort();
		}
		free(buf);
	}
	flowtab_free(&ft);
	robot_pcap_close(&r);
}

static void build_dataset(void)
{
	struct robot_dsb_opts o = { .pcap_dir = dir, .labels = lab };
	struct robot_dataset ds, back;
	struct robot_dsb_stats st;
	__u32 i;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = robot_dsb_build(&o, &ds, &st, NULL);
	if (ret < 0) {
		robot_dsb_stats_free(&st);
		return;
	}
	if (st.labels_matched > st.labels_considered)
		abort();
	if (!robot_ds_save(&ds, dsf)) {
		if (robot_ds_load(dsf, &back))
			abort(); /* what we wrote must read back */
		if (back.n_flows != ds.n_flows || back.n_classes != ds.n_classes)
			abort();
		for (i = 0; i < ds.n_flows; i++)
			if (memcmp(&back.flows[i], &ds.flows[i],
				   sizeof(ds.flows[i])))
				abort();
		robot_ds_free(&back);
	}
	robot_ds_free(&ds);
	robot_dsb_stats_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(cap, "wb");

	if (!f)
		abort();
	if (size && fwrite(data, size, 1, f) != 1)
		abort();
	fclose(f);
	read_capture();
	build_dataset();
	return 0;
}
