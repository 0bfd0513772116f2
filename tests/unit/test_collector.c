// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the FDD window collector (user/collector.c): in-order and
 * out-of-order assembly, duplicates, late records, short flows closed by
 * the idle timeout, eviction under memory pressure, flush, flow
 * incarnations, the "already has a verdict" hook, and the padding of
 * short windows for the Robust model (robot_robust_featurize).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "collector.h"
#include "robust.h"

#define MS 1000000ull
#define MAX_OUT 64

struct sink {
	int n;
	struct robot_coll_window w[MAX_OUT];
};

static void sink_emit(const struct robot_coll_window *w, void *ctx)
{
	struct sink *s = ctx;

	if (s->n < MAX_OUT)
		s->w[s->n] = *w;
	s->n++;
}

/* A record of flow `flow` (distinct keys), incarnation first_ns, at seq;
 * the packet's ip_len encodes (flow, seq) so the test can check order.
 */
static struct robot_event mkev(int flow, __u64 first_ns, int seq)
{
	struct robot_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.key.addr_a[0] = 10;
	ev.key.addr_a[3] = 1;
	ev.key.addr_b[0] = 10;
	ev.key.addr_b[3] = 2;
	ev.key.port_a = (__be16)(1000 + flow);
	ev.key.port_b = 443;
	ev.key.proto = 6;
	ev.key.family = 4;
	ev.flow_first_ns = first_ns;
	ev.model_ver = 7;
	ev.seq = seq;
	ev.fast_class = 2;
	ev.feat.ip_len = flow * 100 + seq;
	ev.feat.ts_ns = first_ns + seq;
	ev.feat.l4_proto = 6;
	ev.feat.ip_ver = 4;
	return ev;
}

static struct robot_coll *mk(__u32 max, __u64 timeout, struct sink *s)
{
	struct robot_coll *c = robot_coll_new(max, timeout, sink_emit, s);

	assert_non_null(c);
	memset(s, 0, sizeof(*s));
	return c;
}

static void add(struct robot_coll *c, int flow, __u64 first, int seq,
		__u64 now)
{
	struct robot_event ev = mkev(flow, first, seq);

	assert_int_equal(robot_coll_add(c, &ev, now), 0);
}

static void check_window(const struct robot_coll_window *w, int flow,
			 int n, __u8 reason)
{
	int i;

	assert_int_equal(w->n_pkts, n);
	assert_int_equal(w->reason, reason);
	assert_int_equal(w->key.port_a, 1000 + flow);
	assert_int_equal(w->model_ver, 7);
	assert_int_equal(w->fast_class, 2);
	for (i = 1; i < n; i++)
		assert_true(w->pkts[i - 1].ip_len < w->pkts[i].ip_len);
}

static void test_in_order(void **state)
{
	struct robot_coll_stats st;
	struct sink s;
	struct robot_coll *c = mk(8, 100 * MS, &s);
	int i;

	for (i = 0; i < ROBOT_WINDOW - 1; i++)
		add(c, 1, 5000, i, 10 * MS + i);
	assert_int_equal(s.n, 0);
	add(c, 1, 5000, ROBOT_WINDOW - 1, 11 * MS);
	assert_int_equal(s.n, 1);
	check_window(&s.w[0], 1, ROBOT_WINDOW, ROBOT_COLL_COMPLETE);
	for (i = 0; i < ROBOT_WINDOW; i++)
		assert_int_equal(s.w[0].pkts[i].ip_len, 100 + i);
	assert_int_equal(s.w[0].seq_mask, (1u << ROBOT_WINDOW) - 1);
	assert_int_equal(s.w[0].flow_first_ns, 5000);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.records, ROBOT_WINDOW);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.tombstones, 1);
	robot_coll_free(c);
}

static void test_out_of_order(void **state)
{
	/* A fixed shuffle of 0..19, two flows interleaved. */
	static const int perm[ROBOT_WINDOW] = { 7, 0, 19, 3, 12, 1, 18, 2, 5,
						4, 11, 6, 17, 8, 9, 16, 10,
						13, 15, 14 };
	struct sink s;
	struct robot_coll *c = mk(8, 100 * MS, &s);
	int i, f;

	for (i = 0; i < ROBOT_WINDOW; i++) {
		add(c, 1, 100, perm[i], MS + i);
		add(c, 2, 200, perm[ROBOT_WINDOW - 1 - i], MS + i);
	}
	assert_int_equal(s.n, 2);
	for (f = 0; f < 2; f++) {
		int flow = s.w[f].key.port_a - 1000;

		check_window(&s.w[f], flow, ROBOT_WINDOW, ROBOT_COLL_COMPLETE);
		for (i = 0; i < ROBOT_WINDOW; i++)
			assert_int_equal(s.w[f].pkts[i].ip_len,
					 flow * 100 + i);
	}
	assert_int_not_equal(s.w[0].key.port_a, s.w[1].key.port_a);
	robot_coll_free(c);
}

static void test_duplicates_and_late(void **state)
{
	struct robot_coll_stats st;
	struct robot_event ev;
	struct sink s;
	struct robot_coll *c = mk(8, 100 * MS, &s);
	int i;

	for (i = 0; i < ROBOT_WINDOW; i++) {
		add(c, 3, 300, i, MS);
		if (i % 4 == 0 && i < ROBOT_WINDOW - 1) {
			/* Duplicate with different content: the first copy
			 * wins.
			 */
			ev = mkev(3, 300, i);
			ev.feat.ip_len = 9999;
			assert_int_equal(robot_coll_add(c, &ev, MS), 0);
		}
	}
	assert_int_equal(s.n, 1);
	check_window(&s.w[0], 3, ROBOT_WINDOW, ROBOT_COLL_COMPLETE);
	for (i = 0; i < ROBOT_WINDOW; i++)
		assert_int_equal(s.w[0].pkts[i].ip_len, 300 + i);
	/* Late copies after hand-over do not reopen the flow. */
	add(c, 3, 300, 5, 2 * MS);
	add(c, 3, 300, 19, 2 * MS);
	robot_coll_expire(c, 50 * MS);
	assert_int_equal(s.n, 1);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.dups, 5);
	assert_int_equal(st.late, 2);
	assert_int_equal(st.records, ROBOT_WINDOW);
	assert_int_equal(st.pending, 0);
	/* Bad seq is refused and counted. */
	ev = mkev(3, 300, ROBOT_WINDOW);
	assert_int_equal(robot_coll_add(c, &ev, 3 * MS), -EINVAL);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.invalid, 1);
	robot_coll_free(c);
}

static void test_idle_timeout(void **state)
{
	struct robot_coll_stats st;
	struct sink s;
	struct robot_coll *c = mk(8, 100 * MS, &s);

	/* Flow 4 stops after 5 packets, with a gap (seq 2 lost). */
	add(c, 4, 400, 0, 10 * MS);
	add(c, 4, 400, 1, 11 * MS);
	add(c, 4, 400, 4, 12 * MS);
	add(c, 4, 400, 3, 20 * MS);
	/* Flow 5 starts later. */
	add(c, 5, 500, 0, 60 * MS);
	assert_int_equal(robot_coll_next_deadline(c), 120 * MS);
	assert_int_equal(robot_coll_expire(c, 119 * MS), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(robot_coll_expire(c, 120 * MS), 1);
	assert_int_equal(s.n, 1);
	check_window(&s.w[0], 4, 4, ROBOT_COLL_IDLE);
	assert_int_equal(s.w[0].pkts[0].ip_len, 400);
	assert_int_equal(s.w[0].pkts[1].ip_len, 401);
	assert_int_equal(s.w[0].pkts[2].ip_len, 403);
	assert_int_equal(s.w[0].pkts[3].ip_len, 404);
	assert_int_equal(s.w[0].seq_mask, 0x1b);
	assert_int_equal(s.w[0].last_ns, 20 * MS);
	/* Flow 5 follows 40 ms later. */
	assert_int_equal(robot_coll_next_deadline(c), 160 * MS);
	assert_int_equal(robot_coll_expire(c, 160 * MS), 1);
	check_window(&s.w[1], 5, 1, ROBOT_COLL_IDLE);
	/* Tombstones are forgotten one timeout after the hand-over. */
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.tombstones, 2);
	assert_int_equal(st.windows[ROBOT_COLL_IDLE], 2);
	robot_coll_expire(c, 400 * MS);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.tombstones, 0);
	assert_int_equal(robot_coll_next_deadline(c), 0);
	/* ... after which a record of the same incarnation opens it again. */
	add(c, 4, 400, 7, 401 * MS);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.pending, 1);
	robot_coll_free(c);
}

static void test_eviction(void **state)
{
	struct robot_coll_stats st;
	struct sink s;
	struct robot_coll *c = mk(4, 1000 * MS, &s);
	int f;

	/* 4 pending flows; touching flow 0 again makes flow 1 the oldest. */
	for (f = 0; f < 4; f++)
		add(c, f, 1, 0, (f + 1) * MS);
	add(c, 0, 1, 1, 10 * MS);
	add(c, 4, 1, 0, 11 * MS);
	assert_int_equal(s.n, 1);
	check_window(&s.w[0], 1, 1, ROBOT_COLL_EVICTED);
	add(c, 5, 1, 0, 12 * MS);
	assert_int_equal(s.n, 2);
	check_window(&s.w[1], 2, 1, ROBOT_COLL_EVICTED);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.pending, 4);
	assert_true(st.tombstones <= 4);
	assert_int_equal(st.windows[ROBOT_COLL_EVICTED], 2);

	/* Many more flows than slots: memory stays bounded, every flow is
	 * handed over exactly once.
	 */
	for (f = 6; f < 200; f++)
		add(c, f, 1, 0, (20 + f) * MS);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.pending, 4);
	assert_true(st.tombstones <= 4);
	assert_int_equal(st.windows[ROBOT_COLL_EVICTED], 196);
	assert_int_equal(robot_coll_flush(c), 4);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.windows[ROBOT_COLL_FLUSH], 4);
	assert_int_equal(st.pending, 0);
	robot_coll_free(c);
}

static int count_sink;
static void count_emit(const struct robot_coll_window *w, void *ctx)
{
	count_sink++;
}

static void test_eviction_many(void **state)
{
	struct robot_coll_stats st;
	struct robot_coll *c = robot_coll_new(4, 1000 * MS, count_emit, NULL);
	struct robot_event ev;
	int f;

	assert_non_null(c);
	count_sink = 0;
	for (f = 0; f < 200; f++) {
		ev = mkev(f, 1, 0);
		assert_int_equal(robot_coll_add(c, &ev, f * MS), 0);
	}
	robot_coll_flush(c);
	robot_coll_get_stats(c, &st);
	assert_int_equal(count_sink, 200);
	robot_coll_free(c);
}

static void test_incarnations(void **state)
{
	struct sink s;
	struct robot_coll *c = mk(8, 100 * MS, &s);

	/* Same key, two incarnations (LRU slot reused by the kernel). */
	add(c, 6, 600, 0, MS);
	add(c, 6, 601, 0, MS);
	add(c, 6, 600, 1, 2 * MS);
	assert_int_equal(robot_coll_flush(c), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.w[0].flow_first_ns + s.w[1].flow_first_ns, 1201);
	assert_int_equal(s.w[0].flow_first_ns == 600 ? s.w[0].n_pkts :
						    s.w[1].n_pkts, 2);
	robot_coll_free(c);
}

/* The flow of port 1007 "has its verdict" already. */
static int closed_7(const struct robot_event *ev, void *ctx)
{
	return ev->key.port_a == 1007;
}

static void test_closed_fn(void **state)
{
	struct robot_coll_stats st;
	struct sink s;
	struct robot_coll *c = mk(8, 100 * MS, &s);

	robot_coll_set_closed_fn(c, closed_7);
	/* Flow 7 resumes long after its window was closed: dropped. */
	add(c, 7, 700, 12, MS);
	add(c, 7, 700, 13, 2 * MS);
	add(c, 8, 800, 0, 2 * MS);
	robot_coll_get_stats(c, &st);
	assert_int_equal(st.late, 2);
	assert_int_equal(st.pending, 1);
	assert_int_equal(robot_coll_flush(c), 1);
	check_window(&s.w[0], 8, 1, ROBOT_COLL_FLUSH);
	robot_coll_free(c);
}

/* A short window (idle timeout, a lost packet) is padded for the Robust
 * model as the trainer pads short flows: real rows first in seq order,
 * then all-zero rows (presence mask 0).
 */
static void test_window_padding(void **state)
{
	float x[ROBOT_ROBUST_IN], y[ROBOT_ROBUST_IN];
	struct sink s;
	struct robot_coll *c = mk(8, 100 * MS, &s);
	int i, j, rows;

	add(c, 9, 900, 0, 10 * MS);
	add(c, 9, 900, 2, 11 * MS);
	add(c, 9, 900, 1, 12 * MS);
	add(c, 9, 900, 4, 13 * MS);
	robot_coll_expire(c, 200 * MS);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.w[0].n_pkts, 4);
	/* Beyond n_pkts the window holds zeros. */
	for (i = 4; i < ROBOT_WINDOW; i++)
		assert_int_equal(s.w[0].pkts[i].ip_len, 0);
	rows = robot_robust_featurize(s.w[0].pkts, s.w[0].n_pkts, x);
	assert_int_equal(rows, 4);
	for (i = 0; i < ROBOT_WINDOW; i++) {
		const float *r = x + i * ROBOT_ROBUST_FEAT;

		if (i < 4) {
			assert_true(r[ROBOT_HDR_LEN + 3] == 1.0f); /* mask */
			assert_true(r[ROBOT_HDR_LEN] > 0.0f); /* ip_len */
			continue;
		}
		for (j = 0; j < ROBOT_ROBUST_FEAT; j++)
			assert_true(r[j] == 0.0f);
	}
	/* Packet sizes in seq order: 900, 901, 902, 904. */
	assert_true(x[ROBOT_HDR_LEN] < x[ROBOT_ROBUST_FEAT + ROBOT_HDR_LEN]);
	assert_true(x[2 * ROBOT_ROBUST_FEAT + ROBOT_HDR_LEN] <
		    x[3 * ROBOT_ROBUST_FEAT + ROBOT_HDR_LEN]);
	/* Same input as the trainer's: the flow's packets in order. */
	{
		struct robot_pkt_feat ref[4];
		static const int seqs[4] = { 0, 1, 2, 4 };

		for (i = 0; i < 4; i++)
			ref[i] = mkev(9, 900, seqs[i]).feat;
		robot_robust_featurize(ref, 4, y);
		assert_memory_equal(x, y, sizeof(x));
	}
	robot_coll_free(c);
}

static void test_bad_args(void **state)
{
	assert_null(robot_coll_new(0, 1, count_emit, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(robot_coll_new(4, 0, count_emit, NULL));
	assert_null(robot_coll_new(4, 1, NULL, NULL));
	robot_coll_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_duplicates_and_late),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_eviction_many),
		cmocka_unit_test(test_incarnations),
		cmocka_unit_test(test_closed_fn),
		cmocka_unit_test(test_window_padding),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
