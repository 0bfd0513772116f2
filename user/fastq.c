// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The reference integer inference of the Fast model (see fastq.h). */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "fastq.h"

int robot_fastq_arch_check(struct robot_fastq_arch *a)
{
	if (!a->c1 || a->c1 > ROBOT_FASTQ_C1_MAX || !a->c2 ||
	    a->c2 > ROBOT_FASTQ_C2_MAX || !a->k1 || a->k1 > ROBOT_FASTQ_K_MAX ||
	    !a->k2 || a->k2 > ROBOT_FASTQ_K_MAX || !a->s1 || a->s1 > 4 ||
	    !a->s2 || a->s2 > 4 || a->p1 >= a->k1 || a->p2 >= a->k2 ||
	    !a->emb || a->emb > ROBOT_FASTQ_EMB_MAX)
		return -EINVAL;
	if (ROBOT_FASTQ_IN + 2 * a->p1 < a->k1)
		return -EINVAL;
	a->l1 = (ROBOT_FASTQ_IN + 2 * a->p1 - a->k1) / a->s1 + 1;
	if (a->l1 > ROBOT_FASTQ_L1_MAX || a->l1 + 2 * a->p2 < a->k2)
		return -EINVAL;
	a->l2 = (a->l1 + 2 * a->p2 - a->k2) / a->s2 + 1;
	if (a->l2 > ROBOT_FASTQ_L2_MAX || a->c2 * a->l2 > ROBOT_FASTQ_FLAT_MAX)
		return -EINVAL;
	return 0;
}

/* Requantize an accumulator: rounding multiply, arithmetic shift, clamp. */
static __s32 requant(__s32 acc, __s32 mult, __u8 shift, __s32 lo, __s32 hi)
{
	__s64 v = ((__s64)acc * mult + (1LL << (shift - 1))) >> shift;

	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return (__s32)v;
}

void robot_fastq_infer(const struct robot_fastq *m,
		       const __u8 hdr[ROBOT_HDR_LEN],
		       struct robot_fastq_out *out)
{
	const struct robot_fastq_arch *a = &m->arch;
	__u8 x1[ROBOT_FASTQ_C1_MAX][ROBOT_FASTQ_L1_MAX];
	__u8 x2[ROBOT_FASTQ_C2_MAX * ROBOT_FASTQ_L2_MAX];
	__u32 o, c, l, k, j, n = a->c2 * a->l2;
	__s32 acc, best_dot = 0;
	__u32 nrm2 = 0, best = 0;
	__s64 pos;

	for (o = 0; o < a->c1; o++)
		for (l = 0; l < a->l1; l++) {
			acc = m->b1[o];
			for (k = 0; k < a->k1; k++) {
				pos = (__s64)l * a->s1 + k - a->p1;
				if (pos >= 0 && pos < ROBOT_FASTQ_IN)
					acc += m->w1[o][k] * hdr[pos];
			}
			x1[o][l] = requant(acc, m->m1[o], m->sh1[o], 0, 255);
		}
	for (o = 0; o < a->c2; o++)
		for (l = 0; l < a->l2; l++) {
			acc = m->b2[o];
			for (c = 0; c < a->c1; c++)
				for (k = 0; k < a->k2; k++) {
					pos = (__s64)l * a->s2 + k - a->p2;
					if (pos >= 0 && pos < a->l1)
						acc += m->w2[o][c][k] * x1[c][pos];
				}
			x2[o * a->l2 + l] = requant(acc, m->m2[o], m->sh2[o], 0,
						    255);
		}
	memset(out, 0, sizeof(*out));
	for (o = 0; o < a->emb; o++) {
		acc = m->b3[o];
		for (j = 0; j < n; j++)
			acc += m->w3[o][j] * x2[j];
		out->emb[o] = requant(acc, m->m3[o], m->sh3[o], -127, 127);
		nrm2 += out->emb[o] * out->emb[o];
	}
	for (j = 0; j < m->n_cent; j++) {
		acc = 0;
		for (o = 0; o < a->emb; o++)
			acc += out->emb[o] * m->cent[j][o];
		if (j == 0 || acc > best_dot) {
			best_dot = acc;
			best = j;
		}
	}
	out->best = best;
	out->class = m->n_cent ? m->cent_class[best] : ROBOT_CLASS_NONE;
	out->dot = best_dot;
	out->nrm2 = nrm2;
	out->fdd = nrm2 == 0 || best_dot <= 0 ||
		   ((__u64)best_dot * (__u64)best_dot << ROBOT_FASTQ_TSHIFT) <
			   m->thresh * (__u64)nrm2;
}

double robot_fastq_distance(__s32 dot, __u32 nrm2)
{
	double cosv, d2;

	if (!nrm2)
		return sqrt(2.0);
	cosv = dot / (127.0 * sqrt((double)nrm2));
	d2 = 2.0 - 2.0 * cosv;
	return d2 > 0 ? sqrt(d2) : 0.0;
}

__u32 robot_fastq_macs(const struct robot_fastq *m)
{
	const struct robot_fastq_arch *a = &m->arch;

	return a->c1 * a->l1 * a->k1 + a->c2 * a->l2 * a->c1 * a->k2 +
	       a->emb * a->c2 * a->l2 + m->n_cent * a->emb;
}
