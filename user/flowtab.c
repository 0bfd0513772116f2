// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flowtab.c - bidirectional flow assembly, see flowtab.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flowtab.h"

#define FT_MIN_SLOTS 1024
#define FT_FIRST_PKTS 4 /* records allocated at a flow's first packet */

/* 64-bit mix (splitmix64 finalizer) over the five words of the key. */
static __u32 ft_hash(const struct robot_flow_key *k)
{
	__u64 w[5], h = 0x9e3779b97f4a7c15ull;
	int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 32;
	return (__u32)h ? (__u32)h : 1;
}

_Static_assert(sizeof(struct robot_flow_key) == 40, "ft_hash reads 5 words");

int flowtab_init(struct flowtab *ft, __u64 idle_ns, __u16 max_pkts)
{
	memset(ft, 0, sizeof(*ft));
	ft->slots = calloc(FT_MIN_SLOTS, sizeof(*ft->slots));
	if (!ft->slots)
		return -ENOMEM;
	ft->mask = FT_MIN_SLOTS - 1;
	ft->idle_ns = idle_ns;
	ft->max_pkts = max_pkts;
	return 0;
}

static void ft_free_flows(struct flowtab *ft)
{
	__u32 i;

	for (i = 0; i < ft->n_flows; i++)
		free(ft->flows[i].pkts);
	ft->n_flows = 0;
}

void flowtab_reset(struct flowtab *ft)
{
	ft_free_flows(ft);
	if (ft->slots)
		memset(ft->slots, 0, (ft->mask + 1) * sizeof(*ft->slots));
	ft->n_keys = 0;
}

void flowtab_free(struct flowtab *ft)
{
	ft_free_flows(ft);
	free(ft->flows);
	free(ft->slots);
	memset(ft, 0, sizeof(*ft));
}

/* Slot of key (hash h): the occupied one, or the empty one to fill. */
static struct ft_slot *ft_find(const struct flowtab *ft, __u32 h,
			       const struct robot_flow_key *key)
{
	__u32 i = h & ft->mask;
	struct ft_slot *s;

	for (;;) {
		s = &ft->slots[i];
		if (!s->hash)
			return s;
		if (s->hash == h &&
		    !memcmp(&ft->flows[s->flow].key, key, sizeof(*key)))
			return s;
		i = (i + 1) & ft->mask;
	}
}

/* Double the slot array (load factor kept <= 1/2). */
static int ft_grow(struct flowtab *ft)
{
	__u32 n = (ft->mask + 1) * 2, i, j;
	struct ft_slot *ns;

	ns = calloc(n, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (i = 0; i <= ft->mask; i++) {
		if (!ft->slots[i].hash)
			continue;
		j = ft->slots[i].hash & (n - 1);
		while (ns[j].hash)
			j = (j + 1) & (n - 1);
		ns[j] = ft->slots[i];
	}
	free(ft->slots);
	ft->slots = ns;
	ft->mask = n - 1;
	return 0;
}

/* Append a new flow for p's key; returns its index or -ENOMEM. */
static int ft_new_flow(struct flowtab *ft, const struct robot_parsed *p,
		       __u64 ts_ns, __u32 prev)
{
	struct ft_flow *f;
	__u32 cap;

	if (ft->n_flows == ft->cap_flows) {
		cap = ft->cap_flows ? ft->cap_flows * 2 : 1024;
		if (cap <= ft->cap_flows || cap > (1u << 30))
			return -ENOMEM;
		f = realloc(ft->flows, (size_t)cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		ft->flows = f;
		ft->cap_flows = cap;
	}
	f = &ft->flows[ft->n_flows];
	memset(f, 0, sizeof(*f));
	f->key = p->key;
	f->first_ns = ts_ns;
	f->last_ns = ts_ns;
	f->prev = prev;
	f->a_is_init = p->src_is_a;
	return ft->n_flows++;
}

/* Keep p's feature record if the flow has room left. */
static int ft_store(struct flowtab *ft, struct ft_flow *f,
		    const struct robot_parsed *p, __u64 ts_ns)
{
	struct robot_pkt_feat *r;
	__u32 cap;

	if (f->n_pkts >= ft->max_pkts)
		return 0;
	if (f->n_pkts == f->cap_pkts) {
		cap = f->cap_pkts ? f->cap_pkts * 4 : FT_FIRST_PKTS;
		if (cap > ft->max_pkts)
			cap = ft->max_pkts;
		r = realloc(f->pkts, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		f->pkts = r;
		f->cap_pkts = cap;
	}
	r = &f->pkts[f->n_pkts++];
	*r = p->feat;
	r->ts_ns = ts_ns;
	r->dir = robot_pkt_dir(p->src_is_a, f->a_is_init);
	return 0;
}

int flowtab_add(struct flowtab *ft, const struct robot_parsed *p,
		__u64 ts_ns)
{
	__u32 h = ft_hash(&p->key), prev = FT_NONE;
	struct ft_slot *s;
	struct ft_flow *f;
	int idx, err;

	s = ft_find(ft, h, &p->key);
	if (s->hash) {
		f = &ft->flows[s->flow];
		/* Out-of-order timestamps count as no idle time. */
		if (ts_ns <= f->last_ns || ts_ns - f->last_ns <= ft->idle_ns)
			goto account;
		prev = s->flow;
	} else if ((ft->n_keys + 1) * 2 > ft->mask + 1) {
		err = ft_grow(ft);
		if (err)
			return err;
		s = ft_find(ft, h, &p->key);
	}
	idx = ft_new_flow(ft, p, ts_ns, prev);
	if (idx < 0)
		return idx;
	if (!s->hash)
		ft->n_keys++;
	s->hash = h;
	s->flow = idx;
	f = &ft->flows[idx];
account:
	if (ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	f->total_pkts++;
	f->bytes += p->feat.ip_len;
	err = ft_store(ft, f, p, ts_ns);
	if (err)
		return err;
	return s->flow;
}

__u32 flowtab_lookup(const struct flowtab *ft,
		     const struct robot_flow_key *key)
{
	struct ft_slot *s;

	if (!ft->slots)
		return FT_NONE;
	s = ft_find(ft, ft_hash(key), key);
	return s->hash ? s->flow : FT_NONE;
}

