// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * collector.c - FDD flow window assembly (see collector.h).
 *
 * Layout: a fixed table of 2 * max_flows entries (pending flows and
 * tombstones, at most max_flows of each), chained in a hash on (key,
 * flow_first_ns); pending entries sit on an LRU list ordered by last
 * record, tombstones on a FIFO ordered by hand-over time. Packet buffers
 * (ROBOT_WINDOW records) exist only for pending entries: a pool of
 * max_flows of them. Nothing is allocated after robot_coll_new().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collector.h"

#define NIL 0xffffffffu

enum coll_state {
	COLL_FREE = 0,
	COLL_PENDING = 1,
	COLL_DONE = 2,
};

struct coll_entry {
	struct robot_flow_key key;
	__u64 first_ns;
	__u64 last_ns;   /* pending: last record; done: hand-over time */
	__u32 hnext;     /* hash chain */
	__u32 prev, next; /* LRU (pending) or FIFO (done) list; free list */
	__u32 buf;       /* index into bufs (pending only) */
	__u32 seq_mask;
	__u32 model_ver;
	__u8 fast_class;
	__u8 state;      /* enum coll_state */
};

struct coll_list {
	__u32 head, tail; /* head: oldest */
	__u32 n;
};

struct robot_coll {
	__u32 max_flows;
	__u64 timeout;
	robot_coll_emit_fn emit;
	robot_coll_closed_fn closed;
	void *ctx;
	__u32 n_entries;
	struct coll_entry *e;
	__u32 hmask;
	__u32 *bucket;
	struct robot_pkt_feat (*bufs)[ROBOT_WINDOW];
	__u32 *buf_free;  /* stack of free buffer indices */
	__u32 n_buf_free;
	__u32 free_head;  /* free entries, linked by next */
	struct coll_list pending, done;
	struct robot_coll_stats st;
};

static __u32 coll_hash(const struct robot_flow_key *k, __u64 first_ns)
{
	const __u8 *p = (const __u8 *)k;
	__u64 h = 1469598103934665603ull; /* FNV-1a, 64 bit */
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	for (i = 0; i < 8; i++)
		h = (h ^ ((first_ns >> (8 * i)) & 0xff)) * 1099511628211ull;
	return (__u32)(h ^ (h >> 32));
}

struct robot_coll *robot_coll_new(__u32 max_flows, __u64 idle_timeout_ns,
				  robot_coll_emit_fn emit, void *ctx)
{
	struct robot_coll *c;
	__u32 i, nb = 1;

	if (!max_flows || max_flows > (1u << 24) || !idle_timeout_ns ||
	    !emit) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->max_flows = max_flows;
	c->timeout = idle_timeout_ns;
	c->emit = emit;
	c->ctx = ctx;
	c->n_entries = 2 * max_flows;
	while (nb < c->n_entries)
		nb <<= 1;
	c->hmask = nb - 1;
	c->e = calloc(c->n_entries, sizeof(*c->e));
	c->bucket = malloc(nb * sizeof(*c->bucket));
	c->bufs = malloc((size_t)max_flows * sizeof(*c->bufs));
	c->buf_free = malloc(max_flows * sizeof(*c->buf_free));
	if (!c->e || !c->bucket || !c->bufs || !c->buf_free) {
		robot_coll_free(c);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < nb; i++)
		c->bucket[i] = NIL;
	for (i = 0; i < max_flows; i++)
		c->buf_free[i] = max_flows - 1 - i;
	c->n_buf_free = max_flows;
	for (i = 0; i < c->n_entries; i++)
		c->e[i].next = i + 1 < c->n_entries ? i + 1 : NIL;
	c->free_head = 0;
	c->pending.head = c->pending.tail = NIL;
	c->done.head = c->done.tail = NIL;
	return c;
}

void robot_coll_set_closed_fn(struct robot_coll *c, robot_coll_closed_fn fn)
{
	c->closed = fn;
}

void robot_coll_free(struct robot_coll *c)
{
	if (!c)
		return;
	free(c->e);
	free(c->bucket);
	free(c->bufs);
	free(c->buf_free);
	free(c);
}

static void list_del(struct robot_coll *c, struct coll_list *l, __u32 i)
{
	struct coll_entry *e = &c->e[i];

	if (e->prev != NIL)
		c->e[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != NIL)
		c->e[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NIL;
	l->n--;
}

static void list_add_tail(struct robot_coll *c, struct coll_list *l, __u32 i)
{
	struct coll_entry *e = &c->e[i];

	e->next = NIL;
	e->prev = l->tail;
	if (l->tail != NIL)
		c->e[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->n++;
}

static __u32 hash_find(const struct robot_coll *c,
		       const struct robot_flow_key *k, __u64 first_ns)
{
	__u32 i = c->bucket[coll_hash(k, first_ns) & c->hmask];

	for (; i != NIL; i = c->e[i].hnext)
		if (c->e[i].first_ns == first_ns &&
		    !memcmp(&c->e[i].key, k, sizeof(*k)))
			return i;
	return NIL;
}

static void hash_del(struct robot_coll *c, __u32 i)
{
	struct coll_entry *e = &c->e[i];
	__u32 *pp = &c->bucket[coll_hash(&e->key, e->first_ns) & c->hmask];

	while (*pp != NIL && *pp != i)
		pp = &c->e[*pp].hnext;
	if (*pp == i)
		*pp = e->hnext;
	e->hnext = NIL;
}

/* Forget an entry entirely (tombstone expiry). */
static void entry_release(struct robot_coll *c, __u32 i)
{
	struct coll_entry *e = &c->e[i];

	hash_del(c, i);
	list_del(c, &c->done, i);
	e->state = COLL_FREE;
	e->next = c->free_head;
	c->free_head = i;
}

/* Hand a pending flow over and turn it into a tombstone at now_ns. */
static void entry_emit(struct robot_coll *c, __u32 i, __u8 reason,
		       __u64 now_ns)
{
	struct coll_entry *e = &c->e[i];
	struct robot_coll_window w;
	__u32 s;

	memset(&w, 0, sizeof(w));
	w.key = e->key;
	w.flow_first_ns = e->first_ns;
	w.last_ns = e->last_ns;
	w.model_ver = e->model_ver;
	w.fast_class = e->fast_class;
	w.reason = reason;
	w.seq_mask = e->seq_mask;
	for (s = 0; s < ROBOT_WINDOW; s++)
		if (e->seq_mask & (1u << s))
			w.pkts[w.n_pkts++] = c->bufs[e->buf][s];

	list_del(c, &c->pending, i);
	c->buf_free[c->n_buf_free++] = e->buf;
	e->buf = NIL;
	e->state = COLL_DONE;
	e->last_ns = now_ns > e->last_ns ? now_ns : e->last_ns;
	list_add_tail(c, &c->done, i);
	c->st.windows[reason]++;
	c->emit(&w, c->ctx);
}

/* A free entry for a new pending flow: reuse the oldest tombstone when
 * max_flows are remembered, evict the least recently active pending flow
 * when max_flows are pending.
 */
static __u32 entry_alloc(struct robot_coll *c, __u64 now_ns)
{
	__u32 i;

	if (c->pending.n >= c->max_flows)
		entry_emit(c, c->pending.head, ROBOT_COLL_EVICTED, now_ns);
	if (c->done.n >= c->max_flows || c->free_head == NIL)
		entry_release(c, c->done.head);
	i = c->free_head;
	c->free_head = c->e[i].next;
	return i;
}

int robot_coll_add(struct robot_coll *c, const struct robot_event *ev,
		   __u64 now_ns)
{
	struct coll_entry *e;
	__u32 i, h;

	if (ev->seq >= ROBOT_WINDOW) {
		c->st.invalid++;
		return -EINVAL;
	}
	i = hash_find(c, &ev->key, ev->flow_first_ns);
	if (i != NIL && c->e[i].state == COLL_DONE) {
		c->st.late++;
		return 0;
	}
	if (i == NIL && c->closed && c->closed(ev, c->ctx)) {
		c->st.late++;
		return 0;
	}
	if (i == NIL) {
		i = entry_alloc(c, now_ns);
		e = &c->e[i];
		memset(e, 0, sizeof(*e));
		e->key = ev->key;
		e->first_ns = ev->flow_first_ns;
		e->model_ver = ev->model_ver;
		e->fast_class = ev->fast_class;
		e->state = COLL_PENDING;
		e->buf = c->buf_free[--c->n_buf_free];
		e->prev = e->next = NIL;
		h = coll_hash(&e->key, e->first_ns) & c->hmask;
		e->hnext = c->bucket[h];
		c->bucket[h] = i;
		list_add_tail(c, &c->pending, i);
	} else {
		e = &c->e[i];
		list_del(c, &c->pending, i);
		list_add_tail(c, &c->pending, i);
	}
	if (now_ns > e->last_ns)
		e->last_ns = now_ns;
	if (e->seq_mask & (1u << ev->seq)) {
		c->st.dups++;
		return 0;
	}
	e->seq_mask |= 1u << ev->seq;
	c->bufs[e->buf][ev->seq] = ev->feat;
	c->st.records++;
	if (e->seq_mask == (1u << ROBOT_WINDOW) - 1)
		entry_emit(c, i, ROBOT_COLL_COMPLETE, now_ns);
	return 0;
}

int robot_coll_expire(struct robot_coll *c, __u64 now_ns)
{
	int n = 0;

	while (c->pending.head != NIL &&
	       c->e[c->pending.head].last_ns + c->timeout <= now_ns) {
		entry_emit(c, c->pending.head, ROBOT_COLL_IDLE, now_ns);
		n++;
	}
	while (c->done.head != NIL &&
	       c->e[c->done.head].last_ns + c->timeout <= now_ns)
		entry_release(c, c->done.head);
	return n;
}

int robot_coll_flush(struct robot_coll *c)
{
	int n = 0;

	while (c->pending.head != NIL) {
		entry_emit(c, c->pending.head, ROBOT_COLL_FLUSH,
			   c->e[c->pending.head].last_ns);
		n++;
	}
	return n;
}

__u64 robot_coll_next_deadline(const struct robot_coll *c)
{
	__u64 d = 0, t;

	if (c->pending.head != NIL)
		d = c->e[c->pending.head].last_ns + c->timeout;
	if (c->done.head != NIL) {
		t = c->e[c->done.head].last_ns + c->timeout;
		if (!d || t < d)
			d = t;
	}
	return d;
}

void robot_coll_get_stats(const struct robot_coll *c,
			  struct robot_coll_stats *st)
{
	*st = c->st;
	st->pending = c->pending.n;
	st->tombstones = c->done.n;
}
