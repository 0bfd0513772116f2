// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * daemon.c - the companion daemon's event loop: ringbuf records ->
 * collector (windows) -> batches -> Robust model -> verdicts in the flow
 * map.
 *
 * One poll() over a signalfd (SIGINT/SIGTERM: exit, SIGHUP: reload the
 * models), the ringbuf's epoll fd and a timerfd armed for the earliest of:
 * the batch deadline, the collector's idle deadline, the next stats write
 * (1 s). A batch runs when it holds --batch windows or when its oldest
 * window waited --batch-deadline, whichever comes first.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "robot_infer.h"
#include "robust.h"
#include "daemon.h"
#include "json.h"
#include "log.h"

#define NSEC_PER_SEC 1000000000ull
#define STATS_PERIOD_NS NSEC_PER_SEC

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* ------------------------------------------------------------ engine */

typedef int (*gpu_abi_fn)(void);
typedef int (*gpu_open_fn)(const char *, __u32, struct robot_gpu **);
typedef int (*gpu_infer_fn)(struct robot_gpu *, const struct robot_pkt_feat *,
			    const __u8 *, __u32, __u8 *);
typedef const char *(*gpu_device_fn)(const struct robot_gpu *);
typedef void (*gpu_close_fn)(struct robot_gpu *);

/* Where librobot_gpu.so is: $ROBOT_GPU_LIB, else next to the running
 * binary (build/ holds both), else the library search path.
 */
static void gpu_lib_path(char *buf, size_t sz)
{
	const char *env = getenv("ROBOT_GPU_LIB");
	char exe[PATH_MAX - 32];
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(buf, sz, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, sz, "%s/%s", exe, ROBOT_GPU_LIB);
			if (!access(buf, F_OK))
				return;
		}
	}
	snprintf(buf, sz, "%s", ROBOT_GPU_LIB);
}

static int engine_open_gpu(struct robot_engine *e, const char *path,
			   __u32 max_batch)
{
	gpu_abi_fn abi;
	gpu_open_fn open_fn;
	gpu_device_fn dev;
	char lib[PATH_MAX];
	int err;

	gpu_lib_path(lib, sizeof(lib));
	e->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!e->dl) {
		pr_info("%s\n", dlerror());
		return -ENOENT;
	}
	abi = (gpu_abi_fn)dlsym(e->dl, ROBOT_GPU_SYM_ABI);
	open_fn = (gpu_open_fn)dlsym(e->dl, ROBOT_GPU_SYM_OPEN);
	dev = (gpu_device_fn)dlsym(e->dl, ROBOT_GPU_SYM_DEVICE);
	e->gpu_infer = dlsym(e->dl, ROBOT_GPU_SYM_INFER);
	e->gpu_close = dlsym(e->dl, ROBOT_GPU_SYM_CLOSE);
	if (!abi || !open_fn || !dev || !e->gpu_infer || !e->gpu_close) {
		pr_warn("%s lacks the robot_infer.h symbols\n", lib);
		err = -ENOENT;
		goto out_close;
	}
	if (abi() != ROBOT_GPU_ABI) {
		pr_warn("%s has ABI %d, want %d\n", lib, abi(), ROBOT_GPU_ABI);
		err = -EPROTO;
		goto out_close;
	}
	err = open_fn(path, max_batch, (struct robot_gpu **)&e->gpu);
	if (err) {
		pr_info("GPU engine unavailable: %s\n", strerror(-err));
		goto out_close;
	}
	pr_info("Robust model on %s\n", dev(e->gpu));
	e->device = ROBOT_DEV_GPU;
	return 0;
out_close:
	if (e->gpu)
		((gpu_close_fn)e->gpu_close)(e->gpu);
	e->gpu = NULL;
	dlclose(e->dl);
	e->dl = NULL;
	return err;
}

int robot_engine_open(struct robot_engine *e, const char *models_dir,
		      int device, __u32 max_batch)
{
	struct robot_robust *r;
	char path[PATH_MAX];
	int err;

	memset(e, 0, sizeof(*e));
	if (snprintf(path, sizeof(path), "%s/%s", models_dir,
		     ROBOT_ROBUST_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, F_OK) && errno == ENOENT) {
		/* A Fast-only model directory (robot train --fast-only). */
		pr_warn("%s: absent, FDD flows keep their fast verdict "
			"(stage collected)\n", path);
		return 0;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* The CPU model is always loaded: it validates the file, gives the
	 * version, and is the fallback.
	 */
	err = robot_robust_load(path, r);
	if (err) {
		free(r);
		return err;
	}
	e->cpu = r;
	e->version = r->meta.version;
	e->max_batch = max_batch;
	e->device = ROBOT_DEV_CPU;
	e->pkts = calloc((size_t)max_batch * ROBOT_WINDOW, sizeof(*e->pkts));
	e->n_pkts = calloc(max_batch, 1);
	if (!e->pkts || !e->n_pkts) {
		robot_engine_close(e);
		return -ENOMEM;
	}
	if (device == ROBOT_DEV_GPU || device == ROBOT_DEV_AUTO) {
		err = engine_open_gpu(e, path, max_batch);
		if (err)
			pr_warn("--device %s: no usable GPU engine (%s), the "
				"Robust model runs on the CPU\n",
				device == ROBOT_DEV_GPU ? "gpu" : "auto",
				strerror(-err));
	}
	pr_info("Robust model %s version %u on %s\n", path, e->version,
		e->device == ROBOT_DEV_GPU ? "GPU" : "CPU");
	return 0;
}

/* Both engines take the raw windows back to back, zero beyond n_pkts. */
static void engine_pack(struct robot_engine *e,
			const struct robot_coll_window *w, __u32 n)
{
	__u32 i;

	memset(e->pkts, 0, (size_t)n * ROBOT_WINDOW * sizeof(*e->pkts));
	for (i = 0; i < n; i++) {
		memcpy(e->pkts + (size_t)i * ROBOT_WINDOW, w[i].pkts,
		       w[i].n_pkts * sizeof(*e->pkts));
		e->n_pkts[i] = w[i].n_pkts;
	}
}

static int engine_cpu(struct robot_engine *e, __u32 n, __u8 *out)
{
	__u32 i, k;
	int err;

	/* robot_robust_load() sizes the model's buffers for
	 * ROBOT_ROBUST_BATCH windows.
	 */
	for (i = 0; i < n; i += k) {
		k = n - i < ROBOT_ROBUST_BATCH ? n - i : ROBOT_ROBUST_BATCH;
		err = robot_robust_classify(e->cpu,
					    e->pkts + (size_t)i * ROBOT_WINDOW,
					    e->n_pkts + i, k, out + i);
		if (err)
			return err;
	}
	return 0;
}

int robot_engine_classify(struct robot_engine *e,
			  const struct robot_coll_window *w, __u32 n,
			  __u8 *out_class)
{
	int err;

	if (!n)
		return 0;
	if (n > e->max_batch)
		return -E2BIG;
	engine_pack(e, w, n);
	if (e->device == ROBOT_DEV_GPU) {
		err = ((gpu_infer_fn)e->gpu_infer)(e->gpu, e->pkts, e->n_pkts,
						   n, out_class);
		if (!err)
			return 0;
		pr_warn("GPU inference failed (%s): using the CPU from now on\n",
			strerror(-err));
		e->device = ROBOT_DEV_CPU;
	}
	return engine_cpu(e, n, out_class);
}

void robot_engine_close(struct robot_engine *e)
{
	if (e->gpu)
		((gpu_close_fn)e->gpu_close)(e->gpu);
	if (e->dl)
		dlclose(e->dl);
	if (e->cpu) {
		robot_robust_free(e->cpu);
		free(e->cpu);
	}
	free(e->pkts);
	free(e->n_pkts);
	memset(e, 0, sizeof(*e));
}

/* ------------------------------------------------------------ verdicts */

int robot_verdict_write(int flows_fd, const struct robot_flow_key *key,
			__u64 flow_first_ns, __u8 robust_class,
			struct robot_flow *out)
{
	struct robot_flow f;

	if (bpf_map_lookup_elem(flows_fd, key, &f))
		return errno == ENOENT ? -ESTALE : -errno;
	if (f.first_ns != flow_first_ns)
		return -ESTALE; /* the LRU slot holds a newer flow */
	/* Only a flow still waiting for its window's verdict: FALLBACK
	 * (the ringbuf overflowed) keeps its fast verdict by contract.
	 */
	if (f.stage != ROBOT_STAGE_COLLECTING &&
	    f.stage != ROBOT_STAGE_COLLECTED)
		return -ESTALE;
	f.robust_class = robust_class;
	f.class = robust_class;
	f.stage = ROBOT_STAGE_ROBUST;
	if (bpf_map_update_elem(flows_fd, key, &f, BPF_EXIST))
		return errno == ENOENT ? -ESTALE : -errno;
	if (out)
		*out = f;
	return 0;
}

static void log_verdict(struct robot_daemon *d,
			const struct robot_coll_window *w,
			const struct robot_flow *f, __u8 cls, __u64 lat_us)
{
	static const char *const reasons[] = ROBOT_COLL_REASON_NAMES;
	char a[48], b[48];
	struct json_w j;
	int init_b = !f->a_is_init;

	robot_key_addr(&w->key, init_b, a, sizeof(a));
	robot_key_addr(&w->key, !init_b, b, sizeof(b));
	if (!d->o.json_log) {
		pr_info("verdict %s:%u -> %s:%u proto %u: fast %s -> robust %s "
			"(%u pkts, %s, %llu us)\n", a,
			ntohs(init_b ? w->key.port_b : w->key.port_a), b,
			ntohs(init_b ? w->key.port_a : w->key.port_b),
			w->key.proto, robot_class_name(w->fast_class),
			robot_class_name(cls), w->n_pkts, reasons[w->reason],
			(unsigned long long)lat_us);
		return;
	}
	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_str(&j, "event", "verdict");
	json_str(&j, "src", a);
	json_u64(&j, "sport", ntohs(init_b ? w->key.port_b : w->key.port_a));
	json_str(&j, "dst", b);
	json_u64(&j, "dport", ntohs(init_b ? w->key.port_a : w->key.port_b));
	json_u64(&j, "proto", w->key.proto);
	json_str(&j, "fast_class", robot_class_name(w->fast_class));
	json_str(&j, "class", robot_class_name(cls));
	json_u64(&j, "window_pkts", w->n_pkts);
	json_str(&j, "closed", reasons[w->reason]);
	json_u64(&j, "flow_packets", f->packets);
	json_u64(&j, "latency_us", lat_us);
	json_obj_close(&j);
	json_end(&j);
	fflush(stdout);
}

static void log_event(struct robot_daemon *d, const char *event,
		      const char *detail)
{
	struct json_w j;

	if (!d->o.json_log) {
		pr_warn("%s%s%s\n", event, detail ? ": " : "",
			detail ? detail : "");
		return;
	}
	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_str(&j, "event", event);
	if (detail)
		json_str(&j, "detail", detail);
	json_obj_close(&j);
	json_end(&j);
	fflush(stdout);
}

static void batch_run(struct robot_daemon *d)
{
	__u8 cls[d->o.batch];
	struct robot_flow f;
	__u64 t0, t1, lat;
	__u32 i;
	int err;

	if (!d->n_batch)
		return;
	t0 = now_ns();
	err = robot_engine_classify(&d->eng, d->batch, d->n_batch, cls);
	t1 = now_ns();
	d->ds.batches++;
	d->ds.infer_ns += t1 - t0;
	if (err) {
		pr_warn("Robust inference failed: %s (%u windows dropped)\n",
			strerror(-err), d->n_batch);
		d->ds.infer_errors += d->n_batch;
		d->n_batch = 0;
		return;
	}
	d->ds.batch_items += d->n_batch;
	for (i = 0; i < d->n_batch; i++) {
		const struct robot_coll_window *w = &d->batch[i];

		err = robot_verdict_write(d->flows_fd, &w->key,
					  w->flow_first_ns, cls[i], &f);
		if (err == -ESTALE) {
			d->ds.stale++;
			continue;
		}
		if (err) {
			d->ds.write_errors++;
			pr_debug("flow map update: %s\n", strerror(-err));
			continue;
		}
		d->ds.verdicts++;
		t1 = now_ns();
		lat = t1 > d->batch_ready_ns[i] ?
			      (t1 - d->batch_ready_ns[i]) / 1000 : 0;
		d->ds.lat[robot_lat_bucket(lat)]++;
		log_verdict(d, w, &f, cls[i], lat);
	}
	d->n_batch = 0;
}

/* Where the verdict latency starts: a complete window's last packet's
 * arrival (bpf_ktime_get_ns(), CLOCK_MONOTONIC as now_ns()), so that the
 * latency covers the ringbuf, the collector, the batch wait and the
 * inference; a window closed short (idle, evicted, flushed) starts when
 * it was closed, the idle wait being policy, not latency.
 */
static __u64 window_ready_ns(const struct robot_coll_window *w, __u64 now)
{
	__u64 last = 0;
	int i;

	if (w->reason != ROBOT_COLL_COMPLETE)
		return now;
	for (i = 0; i < w->n_pkts; i++)
		if (w->pkts[i].ts_ns > last)
			last = w->pkts[i].ts_ns;
	/* a replayed capture's timestamps are not this clock */
	if (!last || last > now || now - last > 10 * NSEC_PER_SEC)
		return now;
	return last;
}

/* Collector callback: queue a window; a full batch runs at once. */
static void on_window(const struct robot_coll_window *w, void *ctx)
{
	struct robot_daemon *d = ctx;
	__u64 now;

	if (!d->eng.cpu && !d->eng.gpu)
		return; /* count-only */
	now = now_ns();
	if (!d->n_batch)
		d->batch_first_ns = now;
	d->batch_ready_ns[d->n_batch] = window_ready_ns(w, now);
	d->batch[d->n_batch++] = *w;
	if (d->n_batch >= d->o.batch)
		batch_run(d);
}

/* Collector: does this flow incarnation already have its verdict? */
static int flow_closed(const struct robot_event *ev, void *ctx)
{
	struct robot_daemon *d = ctx;
	struct robot_flow f;
	__u32 i;

	if (bpf_map_lookup_elem(d->flows_fd, &ev->key, &f))
		return 0;
	if (f.first_ns != ev->flow_first_ns)
		return 0;
	if (f.stage == ROBOT_STAGE_ROBUST)
		return 1;
	/* Handed over, its verdict still queued in the batch. */
	for (i = 0; i < d->n_batch; i++)
		if (d->batch[i].flow_first_ns == ev->flow_first_ns &&
		    !memcmp(&d->batch[i].key, &ev->key, sizeof(ev->key)))
			return 1;
	return 0;
}

/* Ringbuf callback: one struct robot_event. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct robot_daemon *d = ctx;

	if (size < sizeof(struct robot_event)) {
		d->rb_short++;
		return 0;
	}
	robot_coll_add(d->coll, data, now_ns());
	return 0;
}

static void stats_write(struct robot_daemon *d)
{
	struct robot_coll_stats cs;
	__u32 zero = 0;
	int i;

	robot_coll_get_stats(d->coll, &cs);
	d->ds.records = cs.records;
	d->ds.dups = cs.dups;
	d->ds.late = cs.late;
	d->ds.invalid = cs.invalid + d->rb_short;
	for (i = 0; i < ROBOT_COLL_REASON_MAX; i++)
		d->ds.windows[i] = cs.windows[i];
	d->ds.pending = cs.pending;
	d->ds.updated_ns = now_ns();
	d->ds.fast_ver = d->fast_ver;
	d->ds.robust_ver = d->eng.version;
	d->ds.device = d->eng.device;
	if (d->dstats_fd >= 0)
		bpf_map_update_elem(d->dstats_fd, &zero, &d->ds, BPF_ANY);
}

/* SIGHUP: both models from the model directory; on any error the
 * running ones stay.
 */
static void reload(struct robot_daemon *d)
{
	struct robot_engine ne;
	char msg[128];
	int err;

	if (!d->o.models_dir) {
		log_event(d, "reload", "count-only mode, no model directory");
		return;
	}
	batch_run(d); /* classify what the old model has queued */
	err = robot_engine_open(&ne, d->o.models_dir, d->o.device,
				d->o.batch);
	if (!err) {
		err = robot_daemon_load_fast(d, d->o.models_dir);
		if (err)
			robot_engine_close(&ne);
	}
	if (err) {
		d->ds.reload_errors++;
		stats_write(d);
		snprintf(msg, sizeof(msg), "refused (%s), models unchanged",
			 strerror(-err));
		log_event(d, "reload", msg);
		return;
	}
	robot_engine_close(&d->eng);
	d->eng = ne;
	d->ds.reloads++;
	snprintf(msg, sizeof(msg), "fast version %u, robust version %u",
		 d->fast_ver, d->eng.version);
	stats_write(d); /* `robot status` shows the new versions now */
	log_event(d, "reload", msg);
}

static void timer_arm(struct robot_daemon *d, int tfd, __u64 next_stats)
{
	struct itimerspec its = {};
	__u64 t = next_stats, c;

	if (d->n_batch && d->batch_first_ns + d->o.batch_deadline_ns < t)
		t = d->batch_first_ns + d->o.batch_deadline_ns;
	c = robot_coll_next_deadline(d->coll);
	if (c && c < t)
		t = c;
	if (!t)
		t = 1;
	its.it_value.tv_sec = t / NSEC_PER_SEC;
	its.it_value.tv_nsec = t % NSEC_PER_SEC;
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int loop_init(struct robot_daemon *d, int *sfd, int *tfd)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*sfd < 0 || *tfd < 0)
		return -errno;
	d->coll = robot_coll_new(d->o.max_pending, d->o.idle_timeout_ns,
				 on_window, d);
	d->batch = calloc(d->o.batch, sizeof(*d->batch));
	d->batch_ready_ns = calloc(d->o.batch, sizeof(*d->batch_ready_ns));
	if (!d->coll || !d->batch || !d->batch_ready_ns)
		return -ENOMEM;
	robot_coll_set_closed_fn(d->coll, flow_closed);
	d->rb = ring_buffer__new(d->events_fd, on_event, d, NULL);
	if (!d->rb)
		return -errno;
	return 0;
}

/* Drain: what is in the ringbuf, every pending window, the last batch. */
static void loop_drain(struct robot_daemon *d)
{
	if (d->rb)
		ring_buffer__consume(d->rb);
	if (d->coll)
		robot_coll_flush(d->coll);
	batch_run(d);
	if (d->coll)
		stats_write(d);
}

int robot_daemon_loop(struct robot_daemon *d)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[3];
	__u64 now, next_stats;
	int sfd = -1, tfd = -1, err, rc = ROBOT_EXIT_OK, run = 1;
	char msg[160];

	err = loop_init(d, &sfd, &tfd);
	if (err) {
		pr_warn("Couldn't set up the event loop: %s\n", strerror(-err));
		rc = ROBOT_EXIT_FAIL;
		goto out;
	}
	d->ds.started_ns = now_ns();
	snprintf(msg, sizeof(msg), "%d interface(s), %s, robust on %s",
		 d->st.n_ifaces, d->o.models_dir ? d->o.models_dir : "count-only",
		 d->eng.device == ROBOT_DEV_GPU ? "GPU" :
		 d->eng.device == ROBOT_DEV_CPU ? "CPU" : "nothing");
	log_event(d, "started", msg);
	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = ring_buffer__epoll_fd(d->rb),
				  .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	next_stats = now_ns();
	while (run) {
		timer_arm(d, tfd, next_stats);
		if (poll(pfd, 3, -1) < 0 && errno != EINTR) {
			pr_warn("poll: %s\n", strerror(errno));
			rc = ROBOT_EXIT_FAIL;
			break;
		}
		if (pfd[1].revents & POLLIN)
			ring_buffer__consume(d->rb);
		if (pfd[2].revents & POLLIN) {
			__u64 exp;

			if (read(tfd, &exp, sizeof(exp)) < 0)
				exp = 0;
		}
		now = now_ns();
		robot_coll_expire(d->coll, now);
		if (d->n_batch &&
		    now >= d->batch_first_ns + d->o.batch_deadline_ns)
			batch_run(d);
		if (now >= next_stats) {
			stats_write(d);
			next_stats = now + STATS_PERIOD_NS;
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				reload(d);
				continue;
			}
			snprintf(msg, sizeof(msg), "signal %d", si.ssi_signo);
			log_event(d, "stopping", msg);
			run = 0;
		}
	}
out:
	loop_drain(d);
	if (d->rb)
		ring_buffer__free(d->rb);
	d->rb = NULL;
	robot_coll_free(d->coll);
	d->coll = NULL;
	free(d->batch);
	free(d->batch_ready_ns);
	d->batch = NULL;
	d->batch_ready_ns = NULL;
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return rc;
}
