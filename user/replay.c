// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * replay.c - `robot replay`: captures through the XDP program
 * (BPF_PROG_TEST_RUN) and the daemon's pipeline, offline (see replay.h).
 */
/* pcap/bpf.h and linux/bpf.h both define struct bpf_insn; we need
 * neither of pcap's filter types.
 */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "robot.skel.h"
#include "robot_feat.h"
#include "collector.h"
#include "commands.h"
#include "daemon.h"
#include "fastq.h"
#include "json.h"
#include "log.h"
#include "model.h"
#include "pcapread.h"
#include "replay.h"

#include "bpfmodel.h"

#include <pcap/dlt.h>
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

/* Largest frame BPF_PROG_TEST_RUN takes for XDP without frags (a page
 * less headroom and skb_shared_info), rounded down; longer frames are cut
 * (the headers are all the parser reads; only the byte counters differ).
 */
#define REPLAY_FRAME_MAX 3456
#define REPLAY_BATCH 256

/* Userspace flow table: the whole flow state when emulating, the first
 * capture time of each flow in BPF mode.
 */
struct emu_ent {
	struct robot_flow_key key;
	struct robot_flow f;
	__u64 first_ts;
	__u8 used;
};

struct emu_tab {
	struct emu_ent *e;
	__u32 mask;
	__u32 n, max;
};

struct replay {
	const struct robot_replay_opts *o;
	struct robot_replay_summary *sum;
	const char *file;
	__u64 cur_ts;           /* capture time of the packet being run */
	/* BPF */
	struct robot_bpf *skel;
	int xdp_fd, flows_fd, model_fd, active_fd;
	struct ring_buffer *rb;
	/* emulation */
	struct robot_fastq *q;
	struct emu_tab tab;
	/* pipeline */
	struct robot_engine eng;
	int have_robust;
	struct robot_coll *coll;
	struct robot_coll_window *batch;
	__u32 n_batch, max_batch;
	int err;
};

/* ------------------------------------------------------------ emu table */

static __u32 key_hash(const struct robot_flow_key *k)
{
	const __u8 *p = (const __u8 *)k;
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int emu_init(struct emu_tab *t, __u32 max)
{
	__u32 cap = 1;

	while (cap < 2 * max)
		cap <<= 1;
	t->e = calloc(cap, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	t->mask = cap - 1;
	t->n = 0;
	t->max = max;
	return 0;
}

static void emu_reset(struct emu_tab *t)
{
	memset(t->e, 0, ((size_t)t->mask + 1) * sizeof(*t->e));
	t->n = 0;
}

/* The entry of key; a new one when create (NULL when full). */
static struct emu_ent *emu_find(struct emu_tab *t,
				const struct robot_flow_key *k, int create,
				int *created)
{
	__u32 i = key_hash(k) & t->mask;

	*created = 0;
	for (;; i = (i + 1) & t->mask) {
		struct emu_ent *e = &t->e[i];

		if (!e->used) {
			if (!create || t->n >= t->max)
				return NULL;
			e->used = 1;
			e->key = *k;
			t->n++;
			*created = 1;
			return e;
		}
		if (!memcmp(&e->key, k, sizeof(*k)))
			return e;
	}
}

/* ------------------------------------------------------------ pipeline */

static int verdict_write(struct replay *r, const struct robot_coll_window *w,
			 __u8 cls)
{
	struct emu_ent *e;
	int created;

	if (r->skel)
		return robot_verdict_write(r->flows_fd, &w->key,
					   w->flow_first_ns, cls, NULL);
	e = emu_find(&r->tab, &w->key, 0, &created);
	if (!e || e->f.first_ns != w->flow_first_ns ||
	    (e->f.stage != ROBOT_STAGE_COLLECTING &&
	     e->f.stage != ROBOT_STAGE_COLLECTED))
		return -ESTALE; /* as robot_verdict_write() */
	e->f.robust_class = cls;
	e->f.class = cls;
	e->f.stage = ROBOT_STAGE_ROBUST;
	return 0;
}

static void batch_run(struct replay *r)
{
	__u8 cls[REPLAY_BATCH];
	__u32 i;
	int err;

	if (!r->n_batch)
		return;
	err = robot_engine_classify(&r->eng, r->batch, r->n_batch, cls);
	if (err) {
		pr_warn("Robust inference failed: %s\n", strerror(-err));
		r->err = err;
		r->n_batch = 0;
		return;
	}
	r->sum->windows += r->n_batch;
	for (i = 0; i < r->n_batch; i++)
		if (!verdict_write(r, &r->batch[i], cls[i]))
			r->sum->verdicts++;
	r->n_batch = 0;
}

static void on_window(const struct robot_coll_window *w, void *ctx)
{
	struct replay *r = ctx;

	if (!r->have_robust)
		return;
	r->batch[r->n_batch++] = *w;
	if (r->n_batch >= r->max_batch)
		batch_run(r);
}

/* Collector: does this flow already have its verdict (see collector.h)? */
static int flow_closed(const struct robot_event *ev, void *ctx)
{
	struct replay *r = ctx;
	struct robot_flow f;
	struct emu_ent *e;
	int created;
	__u32 i;

	if (r->skel) {
		if (bpf_map_lookup_elem(r->flows_fd, &ev->key, &f))
			return 0;
	} else {
		e = emu_find(&r->tab, &ev->key, 0, &created);
		if (!e)
			return 0;
		f = e->f;
	}
	if (f.first_ns != ev->flow_first_ns)
		return 0;
	if (f.stage == ROBOT_STAGE_ROBUST)
		return 1;
	/* Handed over, its verdict still queued in the batch. */
	for (i = 0; i < r->n_batch; i++)
		if (r->batch[i].flow_first_ns == ev->flow_first_ns &&
		    !memcmp(&r->batch[i].key, &ev->key, sizeof(ev->key)))
			return 1;
	return 0;
}

/* Ringbuf record of the test run: the capture time replaces the
 * kernel's timestamp.
 */
static int on_event(void *ctx, void *data, size_t size)
{
	struct replay *r = ctx;
	struct robot_event ev;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev)); /* ringbuf data is read-only */
	ev.feat.ts_ns = r->cur_ts;
	r->sum->records++;
	robot_coll_add(r->coll, &ev, r->cur_ts);
	return 0;
}

/* ------------------------------------------------------------ emulation */

/* One record of a collecting flow (robot_record() in robot.bpf.c). */
static void emu_record(struct replay *r, const struct robot_parsed *p,
		       struct robot_flow *f)
{
	struct robot_event ev;
	__u32 seq = f->collected++;

	if (seq >= ROBOT_WINDOW)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.key = p->key;
	ev.feat = p->feat;
	ev.feat.ts_ns = r->cur_ts;
	ev.feat.dir = robot_pkt_dir(p->src_is_a, f->a_is_init);
	ev.flow_first_ns = f->first_ns;
	ev.model_ver = f->model_ver;
	ev.seq = seq;
	ev.fast_class = f->fast_class;
	r->sum->records++;
	robot_coll_add(r->coll, &ev, r->cur_ts);
	if (seq + 1 == ROBOT_WINDOW)
		f->stage = ROBOT_STAGE_COLLECTED;
}

/* robot_classify() + robot_flow_pending() of robot.bpf.c. */
static void emu_pending(struct replay *r, const struct robot_parsed *p,
			struct robot_flow *f)
{
	struct robot_fastq_out out;

	if (f->stage == ROBOT_STAGE_COLLECTING) {
		emu_record(r, p, f);
		return;
	}
	if (f->stage > ROBOT_STAGE_UNCLASSIFIED || !p->feat.payload_len ||
	    !r->q)
		return;
	robot_fastq_infer(r->q, p->feat.hdr, &out);
	f->fast_dot = out.dot;
	f->fast_nrm2 = out.nrm2;
	f->model_ver = r->q->version;
	f->fast_class = out.class;
	f->class = out.class;
	f->fdd = out.fdd;
	if (!out.fdd) {
		f->stage = ROBOT_STAGE_FAST;
		return;
	}
	f->collected = 0;
	f->stage = ROBOT_STAGE_COLLECTING;
	emu_record(r, p, f);
}

static void emu_packet(struct replay *r, const struct robot_parsed *p,
		       __u32 len)
{
	struct emu_ent *e;
	struct robot_flow *f;
	int created;

	e = emu_find(&r->tab, &p->key, 1, &created);
	if (!e)
		return; /* table full: ROBOT_STAT_FLOW_INSERT_FAIL */
	f = &e->f;
	if (created) {
		memset(f, 0, sizeof(*f));
		f->first_ns = r->cur_ts;
		f->stage = ROBOT_STAGE_WAIT;
		f->fast_class = ROBOT_CLASS_NONE;
		f->robust_class = ROBOT_CLASS_NONE;
		f->class = ROBOT_CLASS_NONE;
		f->a_is_init = p->src_is_a;
		e->first_ts = r->cur_ts;
	}
	f->packets++;
	f->bytes += len;
	f->last_ns = r->cur_ts;
	if (f->stage == ROBOT_STAGE_FAST || f->stage >= ROBOT_STAGE_COLLECTED)
		return;
	emu_pending(r, p, f);
}

/* ------------------------------------------------------------ BPF */

/* An Ethernet frame for the XDP program from any supported link type:
 * non-Ethernet captures get a zero-MAC header with the EtherType.
 */
static int make_frame(int dlt, const __u8 *data, __u32 caplen, __u8 *out,
		      __u32 *out_len)
{
	__u32 l3 = 0, n;
	__u16 type;

	switch (dlt) {
	case DLT_EN10MB:
		n = caplen < REPLAY_FRAME_MAX ? caplen : REPLAY_FRAME_MAX;
		memcpy(out, data, n);
		*out_len = n;
		return 0;
	case DLT_LINUX_SLL:
		if (caplen < ROBOT_SLL_HLEN)
			return -EINVAL;
		type = robot_get16(data + 14);
		l3 = ROBOT_SLL_HLEN;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < ROBOT_SLL2_HLEN)
			return -EINVAL;
		type = robot_get16(data);
		l3 = ROBOT_SLL2_HLEN;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (!caplen)
			return -EINVAL;
		type = (data[0] >> 4) == 6 ? ROBOT_ETH_P_IPV6 : ROBOT_ETH_P_IP;
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	memset(out, 0, ROBOT_ETH_HLEN);
	robot_put16(out + 12, type);
	n = caplen - l3;
	if (n > REPLAY_FRAME_MAX - ROBOT_ETH_HLEN)
		n = REPLAY_FRAME_MAX - ROBOT_ETH_HLEN;
	memcpy(out + ROBOT_ETH_HLEN, data + l3, n);
	*out_len = n + ROBOT_ETH_HLEN;
	return 0;
}

static int bpf_packet(struct replay *r, const __u8 *frame, __u32 len)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
		    .data_size_in = len, .repeat = 1);
	int err;

	if (len < ROBOT_ETH_HLEN)
		return 0; /* the program would not see it either */
	err = bpf_prog_test_run_opts(r->xdp_fd, &t);
	if (err)
		return -errno;
	ring_buffer__consume(r->rb);
	return 0;
}

static void bpf_close(struct replay *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
	robot_bpf__destroy(r->skel);
	r->skel = NULL;
}

static int bpf_open(struct replay *r)
{
	struct bpf_map *m;
	int err, events_fd;

	r->skel = robot_bpf__open();
	if (!r->skel)
		return -errno;
	/* Private maps: never pin, never reuse a running daemon's pins. */
	bpf_object__for_each_map(m, r->skel->obj)
		bpf_map__set_pin_path(m, NULL);
	m = bpf_object__find_map_by_name(r->skel->obj,
					 ROBOT_STR(ROBOT_MAP_FLOWS));
	if (m)
		bpf_map__set_max_entries(m, r->o->flows);
	err = robot_bpf__load(r->skel);
	if (err)
		goto out_close;
	r->xdp_fd = bpf_program__fd(r->skel->progs.robot_xdp);
	r->flows_fd = bpf_map__fd(r->skel->maps.ROBOT_MAP_FLOWS);
	r->model_fd = bpf_map__fd(r->skel->maps.ROBOT_MAP_MODEL);
	r->active_fd = bpf_map__fd(r->skel->maps.ROBOT_MAP_ACTIVE);
	events_fd = bpf_map__fd(r->skel->maps.ROBOT_MAP_EVENTS);
	err = robot_bpfmodel_load(r->model_fd, r->active_fd, r->q);
	if (err) {
		pr_warn("Couldn't load the Fast model into the maps: %s\n",
			strerror(-err));
		goto out_close;
	}
	r->rb = ring_buffer__new(events_fd, on_event, r, NULL);
	if (!r->rb) {
		err = -errno;
		goto out_close;
	}
	return 0;
out_close:
	bpf_close(r);
	return err;
}

/* Empty the flow map between captures. */
static void bpf_flows_clear(struct replay *r)
{
	struct robot_flow_key k;

	while (!bpf_map_get_next_key(r->flows_fd, NULL, &k))
		if (bpf_map_delete_elem(r->flows_fd, &k))
			break;
}

/* ------------------------------------------------------------ per file */

static void account(struct robot_replay_summary *s, const struct robot_flow *f)
{
	s->flows++;
	if (f->stage < ROBOT_STAGE_MAX)
		s->stage[f->stage]++;
	s->class[f->class < ROBOT_CLASS_MAX ? f->class : ROBOT_CLASS_MAX]++;
	s->fdd += f->fdd;
}

static int report_flows(struct replay *r, robot_replay_flow_fn cb, void *ctx)
{
	struct robot_replay_flow rf;
	struct robot_flow_key key, next;
	struct emu_ent *e;
	void *prev = NULL;
	__u32 i;
	int created, stop = 0;

	memset(&rf, 0, sizeof(rf));
	rf.file = r->file;
	if (!r->skel) {
		for (i = 0; i <= r->tab.mask && !stop; i++) {
			if (!r->tab.e[i].used)
				continue;
			rf.key = r->tab.e[i].key;
			rf.flow = r->tab.e[i].f;
			rf.first_ts_ns = r->tab.e[i].first_ts;
			account(r->sum, &rf.flow);
			stop = cb ? cb(&rf, ctx) : 0;
		}
		return stop;
	}
	while (!stop && !bpf_map_get_next_key(r->flows_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(r->flows_fd, &key, &rf.flow))
			continue;
		rf.key = key;
		e = emu_find(&r->tab, &key, 0, &created);
		rf.first_ts_ns = e ? e->first_ts : 0;
		account(r->sum, &rf.flow);
		stop = cb ? cb(&rf, ctx) : 0;
	}
	return stop;
}

/* Side table in BPF mode: the capture time of each flow's first packet. */
static void note_first(struct replay *r, const struct robot_parsed *p)
{
	struct emu_ent *e;
	int created;

	e = emu_find(&r->tab, &p->key, 1, &created);
	if (e && created)
		e->first_ts = r->cur_ts;
}

static int replay_file(struct replay *r, const char *path)
{
	static __u8 frame[REPLAY_FRAME_MAX];
	struct robot_pcap pc;
	struct robot_parsed p;
	const __u8 *data;
	__u32 caplen, len, flen;
	__u64 ts;
	int err, perr;

	err = robot_pcap_open(&pc, path);
	if (err)
		return err;
	r->file = path;
	while ((err = robot_pcap_next(&pc, &ts, &data, &caplen, &len)) > 0) {
		r->cur_ts = ts;
		r->sum->packets++;
		/* Idle windows close before this packet is run, as the
		 * daemon's timer closes them at their deadline: a packet
		 * idle_timeout or more after its window's last one does not
		 * join it, whatever other traffic came in between.
		 */
		robot_coll_expire(r->coll, ts);
		robot_feat_zero(&p);
		perr = robot_parse_link(pc.dlt, data, data + caplen, &p);
		if (!r->skel) {
			if (!perr)
				emu_packet(r, &p, caplen);
		} else {
			if (!perr)
				note_first(r, &p);
			if (make_frame(pc.dlt, data, caplen, frame, &flen))
				continue;
			if (flen < caplen)
				r->sum->truncated++;
			err = bpf_packet(r, frame, flen);
			if (err) {
				pr_warn("%s: packet %llu: test run failed: %s\n",
					path, (unsigned long long)pc.pkt_no,
					strerror(-err));
				break;
			}
		}
	}
	robot_pcap_close(&pc);
	robot_coll_flush(r->coll);
	batch_run(r);
	return err < 0 ? err : r->err;
}

static int replay_setup(struct replay *r)
{
	char path[PATH_MAX];
	int err;

	r->q = calloc(1, sizeof(*r->q));
	if (!r->q)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", r->o->models_dir,
		 ROBOT_FAST_FILE);
	err = robot_fastq_load(path, r->q, NULL, NULL);
	if (err)
		return err;
	err = robot_engine_open(&r->eng, r->o->models_dir, ROBOT_DEV_CPU,
				REPLAY_BATCH);
	if (err)
		return err;
	r->have_robust = r->eng.cpu != NULL;
	r->max_batch = REPLAY_BATCH;
	r->batch = calloc(r->max_batch, sizeof(*r->batch));
	if (!r->batch)
		return -ENOMEM;
	err = emu_init(&r->tab, r->o->flows);
	if (err)
		return err;
	if (!r->o->emulate) {
		err = bpf_open(r);
		if (err)
			pr_warn("BPF unavailable (%s): emulating the datapath "
				"in userspace (robot_fastq_infer + flow table)\n",
				strerror(-err));
	} else {
		pr_info("Emulating the datapath (--emulate)\n");
	}
	r->sum->bpf = r->skel != NULL;
	return 0;
}

int robot_replay_run(const struct robot_replay_opts *o, char *const *files,
		     int n_files, robot_replay_flow_fn cb, void *ctx,
		     struct robot_replay_summary *sum)
{
	struct replay *r;
	int i, err;

	memset(sum, 0, sizeof(*sum));
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = o;
	r->sum = sum;
	r->xdp_fd = r->flows_fd = -1;
	err = replay_setup(r);
	if (err)
		goto out;
	for (i = 0; i < n_files; i++) {
		/* Each capture alone: fresh collector and flow table. */
		r->coll = robot_coll_new(o->flows, o->idle_timeout_ns,
					 on_window, r);
		if (!r->coll) {
			err = -errno;
			break;
		}
		robot_coll_set_closed_fn(r->coll, flow_closed);
		err = replay_file(r, files[i]);
		if (err == -EINVAL || err == -EPROTONOSUPPORT) {
			sum->file_errors++; /* not a capture we read */
			err = 0;
		} else if (err && err != -EIO) {
			break;
		} else {
			/* A damaged capture (-EIO): its flows up to the
			 * damage are reported, the file counts as an error.
			 */
			if (err)
				sum->file_errors++;
			else
				sum->files++;
			err = 0;
			if (report_flows(r, cb, ctx))
				i = n_files; /* the callback asked to stop */
		}
		robot_coll_free(r->coll);
		r->coll = NULL;
		emu_reset(&r->tab);
		if (r->skel)
			bpf_flows_clear(r);
	}
out:
	robot_coll_free(r->coll);
	if (r->skel)
		bpf_close(r);
	robot_engine_close(&r->eng);
	free(r->tab.e);
	free(r->batch);
	free(r->q);
	free(r);
	return err;
}

/* ------------------------------------------------------------ command */

struct replay_out {
	int json;
};

static int print_flow(const struct robot_replay_flow *rf, void *ctx)
{
	const struct replay_out *out = ctx;
	const struct robot_flow *f = &rf->flow;
	char a[48], b[48];
	int init_b = !f->a_is_init;
	__u16 sport = ntohs(init_b ? rf->key.port_b : rf->key.port_a);
	__u16 dport = ntohs(init_b ? rf->key.port_a : rf->key.port_b);
	struct json_w j;

	robot_key_addr(&rf->key, init_b, a, sizeof(a));
	robot_key_addr(&rf->key, !init_b, b, sizeof(b));
	if (!out->json) {
		printf("%s %s:%u -> %s:%u proto %u packets %llu fast %s fdd %s "
		       "class %s stage %s\n", rf->file, a, sport, b, dport,
		       rf->key.proto, (unsigned long long)f->packets,
		       robot_class_name(f->fast_class), f->fdd ? "yes" : "no",
		       robot_class_name(f->class), robot_stage_name(f->stage));
		return 0;
	}
	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_str(&j, "file", rf->file);
	json_str(&j, "src", a);
	json_u64(&j, "sport", sport);
	json_str(&j, "dst", b);
	json_u64(&j, "dport", dport);
	json_u64(&j, "proto", rf->key.proto);
	json_u64(&j, "packets", f->packets);
	json_u64(&j, "first_ts_ns", rf->first_ts_ns);
	json_str(&j, "fast_class", robot_class_name(f->fast_class));
	json_bool(&j, "fdd", f->fdd);
	if (f->fast_class != ROBOT_CLASS_NONE)
		json_dbl(&j, "distance",
			 robot_fastq_distance(f->fast_dot, f->fast_nrm2));
	else
		json_null(&j, "distance");
	json_str(&j, "robust_class", robot_class_name(f->robust_class));
	json_str(&j, "class", robot_class_name(f->class));
	json_str(&j, "stage", robot_stage_name(f->stage));
	json_obj_close(&j);
	json_end(&j);
	return 0;
}

static void print_summary(const struct robot_replay_summary *s, int json)
{
	struct json_w j;
	int i;

	if (!json) {
		printf("summary: %s, %u captures (+%u unreadable or damaged), %llu packets "
		       "(%llu cut), %llu flows, %llu FDD, %llu records, %llu "
		       "windows, %llu robust verdicts\n",
		       s->bpf ? "BPF_PROG_TEST_RUN" : "emulated", s->files,
		       s->file_errors, (unsigned long long)s->packets,
		       (unsigned long long)s->truncated,
		       (unsigned long long)s->flows,
		       (unsigned long long)s->fdd,
		       (unsigned long long)s->records,
		       (unsigned long long)s->windows,
		       (unsigned long long)s->verdicts);
		printf("  stages:");
		for (i = 0; i < ROBOT_STAGE_MAX; i++)
			printf(" %s %llu", robot_stage_name(i),
			       (unsigned long long)s->stage[i]);
		printf("\n  classes:");
		for (i = 0; i <= ROBOT_CLASS_MAX; i++)
			printf(" %s %llu", robot_class_name(i),
			       (unsigned long long)s->class[i]);
		printf("\n");
		return;
	}
	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_obj_open(&j, "summary");
	json_str(&j, "mode", s->bpf ? "bpf" : "emulated");
	json_u64(&j, "captures", s->files);
	json_u64(&j, "unreadable_or_damaged", s->file_errors);
	json_u64(&j, "packets", s->packets);
	json_u64(&j, "truncated", s->truncated);
	json_u64(&j, "flows", s->flows);
	json_u64(&j, "fdd", s->fdd);
	json_u64(&j, "records", s->records);
	json_u64(&j, "windows", s->windows);
	json_u64(&j, "robust_verdicts", s->verdicts);
	json_obj_open(&j, "stages");
	for (i = 0; i < ROBOT_STAGE_MAX; i++)
		json_u64(&j, robot_stage_name(i), s->stage[i]);
	json_obj_close(&j);
	json_obj_open(&j, "classes");
	for (i = 0; i <= ROBOT_CLASS_MAX; i++)
		json_u64(&j, robot_class_name(i), s->class[i]);
	json_obj_close(&j);
	json_obj_close(&j);
	json_obj_close(&j);
	json_end(&j);
}

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: robot replay --models DIR [--json] [--emulate] [--flows N]\n"
		"                    [--idle-timeout MS] FILE.pcap...\n"
		"Run the captures, each on its own, through the XDP program\n"
		"(BPF_PROG_TEST_RUN, no interface needed) and the daemon's pipeline\n"
		"(windows, Robust model, verdicts), timed by the capture timestamps.\n"
		"Prints one line per flow, then a summary; --json: one object per\n"
		"line, the summary last. Without BPF (not root...), or with\n"
		"--emulate, the datapath is emulated in userspace (and says so).\n");
}

int do_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "emulate", no_argument, NULL, 'e' },
		{ "flows", required_argument, NULL, 'f' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct robot_replay_opts o = {
		.flows = 1u << 16,
		.idle_timeout_ns = 2000ull * 1000000,
	};
	struct robot_replay_summary sum;
	struct replay_out out = {};
	unsigned long v;
	char *end;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.models_dir = optarg;
			break;
		case 'j':
			out.json = 1;
			break;
		case 'e':
			o.emulate = 1;
			break;
		case 'f':
		case 'i':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || !v ||
			    optarg[0] == '-' || v > (1ul << 24)) {
				fprintf(stderr, "robot replay: bad value '%s'\n",
					optarg);
				return ROBOT_EXIT_USAGE;
			}
			if (c == 'f')
				o.flows = v;
			else
				o.idle_timeout_ns = v * 1000000ull;
			break;
		case 'h':
			replay_usage(stdout);
			return ROBOT_EXIT_OK;
		default:
			replay_usage(stderr);
			return ROBOT_EXIT_USAGE;
		}
	}
	if (!o.models_dir || optind >= argc) {
		fprintf(stderr, "robot replay: --models DIR and at least one "
				"capture are required\n");
		replay_usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	err = robot_replay_run(&o, argv + optind, argc - optind, print_flow,
			       &out, &sum);
	if (err) {
		pr_warn("robot replay: %s\n", strerror(-err));
		return ROBOT_EXIT_FAIL;
	}
	print_summary(&sum, out.json);
	return sum.file_errors ? ROBOT_EXIT_FAIL : ROBOT_EXIT_OK;
}
