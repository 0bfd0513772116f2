/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * daemon.h - internals shared by the companion's files: attach.c
 * (load/attach/detach), daemon.c (event loop, verdicts), caps.c,
 * stats.c, flows.c, replay.c. Not an API for other components.
 */
#ifndef ROBOT_DAEMON_H
#define ROBOT_DAEMON_H

#include <stdio.h>
#include <linux/types.h>
#include "robot_abi.h"
#include "collector.h"
#include "pins.h"

enum robot_device {
	ROBOT_DEV_NONE = 0, /* count-only: no Robust model */
	ROBOT_DEV_CPU = 1,
	ROBOT_DEV_GPU = 2,
	ROBOT_DEV_AUTO = 3, /* option value only */
};

/* The Robust-model engine (CPU: user/robust.h, GPU: librobot_gpu.so).
 * classify(): n windows -> out_class[n] (enum robot_class). 0 or -errno.
 */
struct robot_engine {
	int device;        /* enum robot_device actually in use */
	__u32 version;     /* Robust model version */
	__u32 max_batch;
	void *cpu;         /* struct robot_robust * */
	void *gpu;         /* struct robot_gpu * */
	void *dl;          /* dlopen() handle */
	void *gpu_infer;   /* resolved symbols */
	void *gpu_close;
	/* Scratch for the GPU call. */
	struct robot_pkt_feat *pkts;
	__u8 *n_pkts;
};

/* `robot attach` options. */
struct robot_attach_opts {
	char *ifnames[ROBOT_IFACES_MAX];
	int n_ifaces;
	const char *models_dir;  /* NULL: count-only */
	int mode;                /* enum xdp_attach_mode */
	int device;              /* enum robot_device */
	int json_log;
	__u32 flows;             /* flow table entries */
	__u32 ringbuf;           /* ringbuf bytes (power of 2) */
	__u64 idle_timeout_ns;   /* collector idle timeout */
	__u32 batch;             /* windows per inference batch */
	__u64 batch_deadline_ns; /* oldest queued window waits at most */
	__u32 max_pending;       /* flows assembled at once */
	__u32 budget_rate;       /* Fast classifications /s per CPU, 0: no limit */
	__u32 budget_burst;      /* token bucket depth, 0: = rate */
	__u32 htb_major;         /* class c gets priority MAJ:(c+1), 0: none */
};

struct bpf_object;
struct xdp_program;
struct ring_buffer;
struct nl_sock;

/* A running daemon: what it loaded and attached (teardown undoes exactly
 * that, as in bootstrap's tc.c hook_created).
 */
struct robot_daemon {
	struct robot_attach_opts o;
	void *skel;                /* struct robot_bpf * */
	struct bpf_object *obj;
	struct xdp_program *xdp;
	int xdp_legacy;            /* libxdp fell back to a single program */
	int xdp_fd, tc_fd;
	int flows_fd, stats_fd, events_fd, model_fd, active_fd, dstats_fd;
	struct ring_buffer *rb;
	struct nl_sock *nl;
	int lock_fd;
	int pinned;                /* pins exist (remove at exit) */
	struct robot_state st;     /* attached interfaces */
	int state_written;
	struct robot_engine eng;
	struct robot_coll *coll;
	struct robot_coll_window *batch; /* queued windows */
	__u64 *batch_ready_ns;    /* when each was handed over */
	__u32 n_batch;
	__u64 batch_first_ns;     /* when the oldest queued window came */
	struct robot_dstats ds;
	__u64 rb_short;           /* ringbuf records of the wrong size */
	__u32 fast_ver;
};

/* attach.c: load + attach everything / undo it. */
int robot_daemon_setup(struct robot_daemon *d);
void robot_daemon_teardown(struct robot_daemon *d);
/* attach.c: (re)load the Fast model of models_dir into the maps (atomic
 * slot swap). 0 or -errno.
 */
int robot_daemon_load_fast(struct robot_daemon *d, const char *models_dir);
/* daemon.c: the event loop. Returns an enum robot_exit. */
int robot_daemon_loop(struct robot_daemon *d);

/* Detach XDP and our tc filters from one interface per its state entry,
 * remove the clsact qdisc if we created it. 0 or -errno (first error).
 */
int robot_iface_cleanup(struct nl_sock *nl, const struct robot_iface_state *s,
			int xdp_fd, int legacy);

/* Paths of the model files inside a model directory. */
#define ROBOT_FAST_FILE "fast.model"
#define ROBOT_ROBUST_FILE "robust.model"

/* 0 with e->device ROBOT_DEV_NONE when models_dir has no robust.model. */
int robot_engine_open(struct robot_engine *e, const char *models_dir,
		      int device, __u32 max_batch);
int robot_engine_classify(struct robot_engine *e,
			  const struct robot_coll_window *w, __u32 n,
			  __u8 *out_class);
void robot_engine_close(struct robot_engine *e);

/* Verdict write-back: read-modify-write of the flow map value (only when
 * the entry is still the same incarnation, in stage collecting or
 * collected); *out (may be NULL) gets the
 * value written. 0, -ESTALE (flow gone or
 * reused), -errno.
 */
int robot_verdict_write(int flows_fd, const struct robot_flow_key *key,
			__u64 flow_first_ns, __u8 robust_class,
			struct robot_flow *out);

/* Capabilities: keep only `keep` (a CAP_* list) in the permitted and
 * effective sets of every thread of the process, clear the inheritable
 * set, set no_new_privs. 0 or -errno (-ETIMEDOUT: a thread did not
 * answer; the calling thread is reduced in any case).
 */
int robot_caps_keep(const int *keep, int n);
/* Whether the effective set has cap (1/0). */
int robot_caps_have(int cap);
/* The effective set as text, for logs ("cap_net_admin=ep"...). */
void robot_caps_describe(char *buf, size_t sz);

/* Sum one per-CPU __u64 counter slot over the possible CPUs. */
int robot_stats_read(int stats_fd, __u64 out[ROBOT_STAT_MAX]);

/* Names */
extern const char *const robot_class_names[ROBOT_CLASS_MAX];
extern const char *const robot_stage_names[ROBOT_STAGE_MAX];
const char *robot_class_name(__u8 c); /* "-" for ROBOT_CLASS_NONE */
const char *robot_stage_name(__u8 s);
/* "10.0.0.1" / "2001:db8::1" of a key side, into buf (>= 48 bytes). */
void robot_key_addr(const struct robot_flow_key *k, int side_b, char *buf,
		    size_t sz);

#endif
