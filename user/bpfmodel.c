// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Fast model in the datapath maps (see bpfmodel.h, docs/datapath.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "bpfmodel.h"
#include "marks.h"
#include "log.h"

_Static_assert(ROBOT_BPF_C1 == ROBOT_FASTQ_DEF_C1 &&
		       ROBOT_BPF_K1 == ROBOT_FASTQ_DEF_K1 &&
		       ROBOT_BPF_S1 == ROBOT_FASTQ_DEF_S1 &&
		       ROBOT_BPF_P1 == ROBOT_FASTQ_DEF_P1 &&
		       ROBOT_BPF_C2 == ROBOT_FASTQ_DEF_C2 &&
		       ROBOT_BPF_K2 == ROBOT_FASTQ_DEF_K2 &&
		       ROBOT_BPF_S2 == ROBOT_FASTQ_DEF_S2 &&
		       ROBOT_BPF_P2 == ROBOT_FASTQ_DEF_P2 &&
		       ROBOT_BPF_EMB == ROBOT_FASTQ_DEF_EMB &&
		       ROBOT_BPF_CENT <= ROBOT_FASTQ_CENT_MAX,
	       "the BPF Fast model is the default architecture of fastq.h");

/* Two int8 weights in one 64-bit word: even channel low, odd high. */
static __u64 pair(__s8 even, __s8 odd)
{
	return (__u64)(__s64)even + ((__u64)(__s64)odd << 32);
}

static int check_arch(const struct robot_fastq_arch *a)
{
	if (a->c1 == ROBOT_BPF_C1 && a->k1 == ROBOT_BPF_K1 &&
	    a->s1 == ROBOT_BPF_S1 && a->p1 == ROBOT_BPF_P1 &&
	    a->c2 == ROBOT_BPF_C2 && a->k2 == ROBOT_BPF_K2 &&
	    a->s2 == ROBOT_BPF_S2 && a->p2 == ROBOT_BPF_P2 &&
	    a->emb == ROBOT_BPF_EMB && a->l1 == ROBOT_BPF_L1 &&
	    a->l2 == ROBOT_BPF_L2)
		return 0;
	pr_warn("Fast model architecture conv1 %u ch k%u s%u p%u, conv2 %u ch k%u s%u p%u, emb %u (L1 %u L2 %u) is not the one compiled into the XDP program (conv1 %u ch k%u s%u p%u, conv2 %u ch k%u s%u p%u, emb %u): retrain with the default architecture\n",
		a->c1, a->k1, a->s1, a->p1, a->c2, a->k2, a->s2, a->p2, a->emb,
		a->l1, a->l2, ROBOT_BPF_C1, ROBOT_BPF_K1, ROBOT_BPF_S1,
		ROBOT_BPF_P1, ROBOT_BPF_C2, ROBOT_BPF_K2, ROBOT_BPF_S2,
		ROBOT_BPF_P2, ROBOT_BPF_EMB);
	return -EINVAL;
}

/* One output channel's requantization; -EINVAL when out of range. */
static int pack_rq(struct robot_bpf_rq *r, __s32 bias, __s32 mult,
		   __u8 shift, const char *layer, __u32 o)
{
	if (shift < 1 || shift > 62 || mult < 0 || bias > ROBOT_BPF_BIAS_MAX ||
	    bias < -ROBOT_BPF_BIAS_MAX) {
		pr_warn("Fast model %s channel %u: bias %d, mult %d, shift %u out of range (|bias| <= 2^30, mult >= 0, shift 1..62)\n",
			layer, o, bias, mult, shift);
		return -EINVAL;
	}
	r->mult = mult;
	r->brnd = (__s64)bias * mult + (1LL << (shift - 1));
	r->shift = shift;
	return 0;
}

static int pack_layers(const struct robot_fastq *q,
		       struct robot_bpf_model *v)
{
	__u32 o, c, k, j;
	int err = 0;

	for (k = 0; k < ROBOT_BPF_K1; k++)
		for (o = 0; o < ROBOT_BPF_C1; o += 2)
			v->w1[k][o / 2] = pair(q->w1[o][k], q->w1[o + 1][k]);
	for (o = 0; o < ROBOT_BPF_C1 && !err; o++)
		err = pack_rq(&v->rq1[o], q->b1[o], q->m1[o], q->sh1[o],
			      "conv1", o);
	for (c = 0; c < ROBOT_BPF_C1; c++)
		for (k = 0; k < ROBOT_BPF_K2; k++)
			for (o = 0; o < ROBOT_BPF_C2; o += 2)
				v->w2[c][k][o / 2] = pair(q->w2[o][c][k],
							  q->w2[o + 1][c][k]);
	for (o = 0; o < ROBOT_BPF_C2 && !err; o++)
		err = pack_rq(&v->rq2[o], q->b2[o], q->m2[o], q->sh2[o],
			      "conv2", o);
	for (j = 0; j < ROBOT_BPF_FLAT; j++)
		for (o = 0; o < ROBOT_BPF_EMB; o += 2)
			v->w3[j][o / 2] = pair(q->w3[o][j], q->w3[o + 1][j]);
	for (o = 0; o < ROBOT_BPF_EMB && !err; o++)
		err = pack_rq(&v->rq3[o], q->b3[o], q->m3[o], q->sh3[o],
			      "dense", o);
	return err;
}

int robot_bpfmodel_pack(const struct robot_fastq *q,
			struct robot_bpf_model *v)
{
	__u32 i, j, n = q->n_cent;
	int err;

	memset(v, 0, sizeof(*v));
	err = check_arch(&q->arch);
	if (err)
		return err;
	if (!q->version) {
		pr_warn("Fast model has version 0 (reserved for \"no model\")\n");
		return -EINVAL;
	}
	if (!n || n > ROBOT_BPF_CENT) {
		pr_warn("Fast model has %u centroids; the XDP program takes 1..%u\n",
			n, ROBOT_BPF_CENT);
		return -EINVAL;
	}
	for (j = 0; j < n; j++) {
		if (q->cent_class[j] >= ROBOT_CLASS_MAX) {
			pr_warn("Fast model centroid %u has class %u (max %u)\n",
				j, q->cent_class[j], ROBOT_CLASS_MAX - 1);
			return -EINVAL;
		}
	}
	err = pack_layers(q, v);
	if (err)
		return err;
	for (i = 0; i < ROBOT_BPF_EMB; i++)
		for (j = 0; j < n; j += 2)
			v->cent[i][j / 2] = pair(q->cent[j][i],
						 j + 1 < n ? q->cent[j + 1][i] : 0);
	memcpy(v->cent_class, q->cent_class, n);
	v->version = q->version;
	v->n_cent = n;
	v->thresh = q->thresh;
	v->arch[0] = q->arch.c1;
	v->arch[1] = q->arch.k1;
	v->arch[2] = q->arch.s1;
	v->arch[3] = q->arch.p1;
	v->arch[4] = q->arch.c2;
	v->arch[5] = q->arch.k2;
	v->arch[6] = q->arch.s2;
	v->arch[7] = q->arch.p2;
	v->arch[8] = q->arch.emb;
	v->arch[9] = q->arch.l1;
	v->arch[10] = q->arch.l2;
	return 0;
}

/* Wait until no BPF program can still be reading a slot it found active
 * before the last flip: XDP and tc run inside RCU read-side sections, and
 * MEMBARRIER_CMD_GLOBAL is synchronize_rcu().
 */
static void wait_readers(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return;
	/* nohz_full kernels refuse it; programs run for microseconds */
	pr_debug("membarrier: %s; sleeping 50 ms instead\n", strerror(errno));
	usleep(50000);
}

int robot_bpfmodel_load(int model_fd, int active_fd,
			const struct robot_fastq *q)
{
	struct robot_bpf_model *v;
	__u32 zero = 0, cur, next;
	int err;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (q) {
		err = robot_bpfmodel_pack(q, v);
		if (err)
			goto out_free;
	}
	if (bpf_map_lookup_elem(active_fd, &zero, &cur)) {
		err = -errno;
		pr_warn("Couldn't read the active model slot: %s\n",
			strerror(-err));
		goto out_free;
	}
	next = (cur & 1) ^ 1;
	wait_readers();
	if (bpf_map_update_elem(model_fd, &next, v, BPF_ANY)) {
		err = -errno;
		pr_warn("Couldn't write model slot %u: %s\n", next,
			strerror(-err));
		goto out_free;
	}
	if (bpf_map_update_elem(active_fd, &zero, &next, BPF_ANY)) {
		err = -errno;
		pr_warn("Couldn't activate model slot %u: %s\n", next,
			strerror(-err));
		goto out_free;
	}
	pr_debug("Fast model version %u active in slot %u\n", v->version,
		 next);
	err = 0;
out_free:
	free(v);
	return err;
}

int robot_bpfmodel_active(int model_fd, int active_fd, __u32 *ver)
{
	struct robot_bpf_model *v;
	__u32 zero = 0, cur;
	int err = 0;

	v = malloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(active_fd, &zero, &cur) ||
	    bpf_map_lookup_elem(model_fd, &cur, v))
		err = -errno;
	else
		*ver = v->version;
	free(v);
	return err;
}

int robot_bpf_marks_default(int marks_fd, __u32 htb_major)
{
	struct robot_mark mk = { .mask = 0xff };
	__u32 c;

	for (c = 0; c < ROBOT_CLASS_MAX; c++) {
		mk.mark = c + 1;
		mk.priority = htb_major ? robot_htb_prio(htb_major, c) : 0;
		if (bpf_map_update_elem(marks_fd, &c, &mk, BPF_ANY))
			return -errno;
	}
	return 0;
}

int robot_bpf_config_set(int config_fd, __u32 rate, __u32 burst)
{
	struct robot_config cfg = { .rate = rate, .burst = burst };
	__u32 zero = 0;

	if (bpf_map_update_elem(config_fd, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}
