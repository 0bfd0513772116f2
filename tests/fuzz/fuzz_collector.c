// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_collector - the daemon's ringbuf record path: records of any size
 * and content (as ring_buffer__consume hands them to the daemon's
 * callback, which drops records shorter than struct robot_event) into the
 * window collector (user/collector.c), interleaved with idle expiry,
 * clock jumps and flushes, with a tiny table so that eviction and
 * tombstone reuse happen all the time.
 *
 * Input: byte 0 sets the table size (1..8 flows), the idle timeout and
 * whether the "already closed" callback answers; then operations:
 *   op % 8 in 0..3  a well-formed record in 4 bytes: flow (8 keys),
 *                   incarnation (4), seq (any byte: >= 20 is invalid),
 *                   model version / class / source; clock += op / 8 ms
 *   4               a raw record: length byte, then that many bytes
 *   5               robot_coll_expire(now)
 *   6               clock += byte * 100 ms
 *   7               robot_coll_flush()
 * Checks: every window holds 1..20 packets, as many as seq_mask bits, in
 * seq order; every accepted record leaves in exactly one window (after the
 * final flush nothing is pending and the packets of all windows add up to
 * the records counter); expire/flush return what they emitted; a pending
 * flow always has a deadline.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "collector.h"
#include "log.h"

#define MARK 0xab

struct run {
	__u64 emitted_pkts;
	__u64 windows;
	int closed_mode;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	robot_log_level = -1;
	return 0;
}

static void on_window(const struct robot_coll_window *w, void *ctx)
{
	struct run *r = ctx;
	int i, bit = -1;

	if (!w->n_pkts || w->n_pkts > ROBOT_WINDOW)
		abort();
	if (w->reason >= ROBOT_COLL_REASON_MAX)
		abort();
	if (w->seq_mask >> ROBOT_WINDOW ||
	    __builtin_popcount(w->seq_mask) != w->n_pkts)
		abort();
	for (i = 0; i < w->n_pkts; i++) {
		/* the i-th packet is the one of the i-th set bit */
		do
			bit++;
		while (!(w->seq_mask & (1u << bit)));
		if (w->pkts[i].hdr[ROBOT_HDR_LEN - 1] == MARK &&
		    w->pkts[i].ip_len != bit)
			abort();
	}
	r->emitted_pkts += w->n_pkts;
	r->windows++;
}

static int closed(const struct robot_event *ev, void *ctx)
{
	struct run *r = ctx;

	if (!r->closed_mode)
		return 0;
	return (ev->key.addr_b[0] + ev->flow_first_ns / 1000) % 3 == 0;
}

static void compact(struct robot_event *ev, const __u8 *b)
{
	memset(ev, 0, sizeof(*ev));
	ev->key.family = 4;
	ev->key.proto = 17;
	ev->key.addr_a[0] = 10;
	ev->key.addr_b[0] = b[0] & 7;
	ev->flow_first_ns = (__u64)(b[1] & 3) * 1000;
	ev->seq = b[2];
	ev->model_ver = b[3];
	ev->fast_class = b[3] & 7;
	ev->source = b[3] >> 7;
	ev->feat.ip_len = b[2];
	ev->feat.hdr[ROBOT_HDR_LEN - 1] = MARK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct robot_coll_stats st;
	struct robot_event ev;
	struct robot_coll *c;
	struct run r = {};
	size_t pos = 1, len;
	__u64 now = 1000000000ull, before;
	__u64 short_recs = 0;
	int n;

	if (size < 1)
		return 0;
	r.closed_mode = data[0] >> 7;
	c = robot_coll_new(1 + (data[0] & 7),
			   (1 + ((data[0] >> 3) & 15)) * 10000000ull,
			   on_window, &r);
	if (!c)
		abort();
	robot_coll_set_closed_fn(c, closed);
	while (pos < size) {
		__u8 op = data[pos++];

		switch (op % 8) {
		case 0: case 1: case 2: case 3:
			if (size - pos < 4)
				goto done;
			compact(&ev, data + pos);
			pos += 4;
			now += (op / 8) * 1000000ull;
			n = robot_coll_add(c, &ev, now);
			if (n && n != -EINVAL)
				abort();
			if ((n == -EINVAL) != (ev.seq >= ROBOT_WINDOW))
				abort();
			break;
		case 4:
			if (pos >= size)
				goto done;
			len = data[pos++];
			if (len > size - pos)
				len = size - pos;
			/* the daemon's ringbuf callback */
			if (len < sizeof(ev)) {
				short_recs++;
				pos += len;
				break;
			}
			memcpy(&ev, data + pos, sizeof(ev));
			ev.feat.hdr[ROBOT_HDR_LEN - 1] = 0;
			pos += len;
			robot_coll_add(c, &ev, now);
			break;
		case 5:
			before = r.windows;
			n = robot_coll_expire(c, now);
			if (n < 0 || (__u64)n != r.windows - before)
				abort();
			break;
		case 6:
			if (pos >= size)
				goto done;
			now += data[pos++] * 100000000ull;
			break;
		case 7:
			before = r.windows;
			n = robot_coll_flush(c);
			if (n < 0 || (__u64)n != r.windows - before)
				abort();
			break;
		}
		robot_coll_get_stats(c, &st);
		if (st.pending > 1 + (data[0] & 7u))
			abort();
		if (st.pending && !robot_coll_next_deadline(c))
			abort();
	}
done:
	robot_coll_flush(c);
	robot_coll_get_stats(c, &st);
	if (st.pending || st.records != r.emitted_pkts)
		abort();
	robot_coll_free(c);
	(void)short_recs;
	return 0;
}
