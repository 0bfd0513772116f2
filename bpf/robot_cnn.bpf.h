/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * robot_cnn.bpf.h - the int8 Fast model in BPF, bit-exact with
 * robot_fastq_infer() (user/fastq.c) for the default architecture.
 *
 * Used *ONLY* by BPF programs. One __noinline subprogram per layer, a
 * bounded loop over output positions, the dot products unrolled. Weights
 * come as "pair words" (struct robot_bpf_model in robot_abi.h): one 64-bit
 * multiply by an unsigned activation yields two MACs, the low 32 bits for
 * the even output channel, the high 32 bits for the odd one. Partial sums
 * are bounded by 256 * 128 * 255 < 2^31, so each half is exact and
 * lo = (s32)S, hi = (S - lo) >> 32 recovers both.
 *
 * Requantization folds the bias into the rounding constant: (acc + b) * m
 * + 2^(sh-1) = acc * m + brnd, exact in 64 bits because |b| <= 2^30 and
 * |acc * m| < 2^62. Clamps are branchless (BPF has no conditional move);
 * empty asm barriers keep clang from turning them back into branches.
 */
#ifndef ROBOT_CNN_BPF_H
#define ROBOT_CNN_BPF_H

#include <linux/types.h>
#include "robot_abi.h"
#include "robot_feat.h"
#include "../user/fastq.h"

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

#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define ROBOT_BARRIER(v) asm volatile("" : "+r"(v))
/* Order one multiply step after the previous one: the accumulators must
 * be final before, the weight pointer p is "new" after.
 */
#define ROBOT_STEP(p, a0, a1, a2, a3)                                      \
	asm volatile("" : "+r"(p), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3))

/* Row stride of the conv1 output in the scratch area. */
#define ROBOT_X1_STRIDE 40

/* Per-CPU state (value of ROBOT_MAP_PERCPU). Not ABI: only BPF reads it. */
struct robot_percpu {
	__u64 clk_jiffies; /* coarse clock cache: jiffies when read */
	__u64 clk_ns;      /* bpf_ktime_get_coarse_ns() then */
	__u64 tb_last_ns; /* token bucket: last refill, ns */
	__u64 tb_tokens;  /* token bucket: tokens * 1e9 */
	/* CNN input, zero padded: [7] = left pad, [8..71] = hdr, [72] pad */
	__u8 xin[80] __attribute__((aligned(8)));
	/* conv1 output, [c][0] = left pad, [c][1 + l] = x1[c][l] */
	__u8 x1[ROBOT_BPF_C1][ROBOT_X1_STRIDE];
	/* conv2 output, flattened c * L2 + l */
	__u8 x2[ROBOT_BPF_FLAT];
	__s64 emb[ROBOT_BPF_EMB]; /* embedding, -127..127 */
	/* decision */
	__s64 dot;   /* dot product with the nearest centroid */
	__u64 nrm2;  /* squared norm of the embedding */
	__u64 best;  /* index of the nearest centroid */
	__u32 class; /* cent_class[best] */
	__u32 fdd;   /* 1: FDD */
	/* the packet handed from the program to the slow path */
	struct robot_parsed pkt;
};

static __always_inline __s64 robot_requant(__s64 acc,
					   const struct robot_bpf_rq *r)
{
	__s64 v = acc * r->mult + r->brnd;

	return v >> r->shift;
}

/* max(0, min(v, 255)) as a byte: a value above 255 becomes all ones. */
static __always_inline __u64 robot_clamp_u8(__s64 v)
{
	__s64 t = v >> 63;

	ROBOT_BARRIER(t);
	v &= ~t;
	t = (255 - v) >> 63;
	ROBOT_BARRIER(t);
	return v | t;
}

/* max(-127, min(v, 127)) */
static __always_inline __s64 robot_clamp_s8(__s64 v)
{
	__s64 t, m;

	t = v + 127;
	m = t >> 63;
	ROBOT_BARRIER(m);
	t &= ~m;
	m = (254 - t) >> 63;
	ROBOT_BARRIER(m);
	t -= (t - 254) & m;
	return t - 127;
}

/* Split a pair accumulator into its two exact 32-bit sums. */
#define ROBOT_PAIR_LO(s) ((__s64)(__s32)(s))
#define ROBOT_PAIR_HI(s, lo) ((__s64)((s) - (__u64)(lo)) >> 32)

static __always_inline void robot_pair_u8(__u64 acc,
					  const struct robot_bpf_rq *r,
					  __u8 *y0, __u8 *y1)
{
	__s64 lo = ROBOT_PAIR_LO(acc);
	__s64 hi = ROBOT_PAIR_HI(acc, lo);

	*y0 = robot_clamp_u8(robot_requant(lo, r));
	*y1 = robot_clamp_u8(robot_requant(hi, r + 1));
}

static __always_inline void robot_pair_s8(__u64 acc,
					  const struct robot_bpf_rq *r,
					  __s64 *y0, __s64 *y1)
{
	__s64 lo = ROBOT_PAIR_LO(acc);
	__s64 hi = ROBOT_PAIR_HI(acc, lo);

	*y0 = robot_clamp_s8(robot_requant(lo, r));
	*y1 = robot_clamp_s8(robot_requant(hi, r + 1));
}

/* conv1: 1 -> 8 channels, k4 s2 p1, 64 -> 32 positions. */
static __noinline int robot_conv1(const struct robot_bpf_model *m,
				  struct robot_percpu *s)
{
	__u32 l;

	_Pragma("nounroll")
	for (l = 0; l < ROBOT_BPF_L1; l++) {
		const __u8 *x = s->xin + 7 + 2 * l;
		__u64 a0 = 0, a1 = 0, a2 = 0, a3 = 0, v;
		int k;

		/* The weights do not depend on l: keep clang from hoisting
		 * (and spilling) them out of the loop.
		 */
		ROBOT_BARRIER(m);

		_Pragma("unroll")
		for (k = 0; k < ROBOT_BPF_K1; k++) {
			ROBOT_STEP(m, a0, a1, a2, a3);
			v = x[k];
			a0 += m->w1[k][0] * v;
			a1 += m->w1[k][1] * v;
			a2 += m->w1[k][2] * v;
			a3 += m->w1[k][3] * v;
		}
		robot_pair_u8(a0, &m->rq1[0], &s->x1[0][1 + l],
			      &s->x1[1][1 + l]);
		robot_pair_u8(a1, &m->rq1[2], &s->x1[2][1 + l],
			      &s->x1[3][1 + l]);
		robot_pair_u8(a2, &m->rq1[4], &s->x1[4][1 + l],
			      &s->x1[5][1 + l]);
		robot_pair_u8(a3, &m->rq1[6], &s->x1[6][1 + l],
			      &s->x1[7][1 + l]);
	}
	return 0;
}

/* Eight of the 16 conv2 output channels (h = 0: 0..7, 1: 8..15) at
 * position l; x points at x1[0][2 l] (the padded row, so index k is
 * input position 2 l + k - 1).
 */
static __always_inline void robot_conv2_half(const struct robot_bpf_model *m,
					     struct robot_percpu *s,
					     const __u8 *x, __u32 l,
					     const int h)
{
	__u64 a0 = 0, a1 = 0, a2 = 0, a3 = 0, v;
	int c, k;

	_Pragma("unroll")
	for (c = 0; c < ROBOT_BPF_C1; c++) {
		_Pragma("unroll")
		for (k = 0; k < ROBOT_BPF_K2; k++) {
			ROBOT_STEP(m, a0, a1, a2, a3);
			v = x[c * ROBOT_X1_STRIDE + k];
			a0 += m->w2[c][k][4 * h + 0] * v;
			a1 += m->w2[c][k][4 * h + 1] * v;
			a2 += m->w2[c][k][4 * h + 2] * v;
			a3 += m->w2[c][k][4 * h + 3] * v;
		}
	}
	robot_pair_u8(a0, &m->rq2[8 * h + 0],
		      &s->x2[(8 * h + 0) * ROBOT_BPF_L2 + l],
		      &s->x2[(8 * h + 1) * ROBOT_BPF_L2 + l]);
	robot_pair_u8(a1, &m->rq2[8 * h + 2],
		      &s->x2[(8 * h + 2) * ROBOT_BPF_L2 + l],
		      &s->x2[(8 * h + 3) * ROBOT_BPF_L2 + l]);
	robot_pair_u8(a2, &m->rq2[8 * h + 4],
		      &s->x2[(8 * h + 4) * ROBOT_BPF_L2 + l],
		      &s->x2[(8 * h + 5) * ROBOT_BPF_L2 + l]);
	robot_pair_u8(a3, &m->rq2[8 * h + 6],
		      &s->x2[(8 * h + 6) * ROBOT_BPF_L2 + l],
		      &s->x2[(8 * h + 7) * ROBOT_BPF_L2 + l]);
}

/* conv2: 8 -> 16 channels, k3 s2 p1, 32 -> 16 positions. */
static __noinline int robot_conv2(const struct robot_bpf_model *m,
				  struct robot_percpu *s)
{
	__u32 l;

	_Pragma("nounroll")
	for (l = 0; l < ROBOT_BPF_L2; l++) {
		const __u8 *x = &s->x1[0][2 * l];

		ROBOT_BARRIER(m);
		robot_conv2_half(m, s, x, l, 0);
		/* Reload x and the weights for the second half rather than
		 * keeping 24 activations live across it.
		 */
		ROBOT_BARRIER(m);
		ROBOT_BARRIER(x);
		robot_conv2_half(m, s, x, l, 1);
	}
	return 0;
}

/* Eight of the 16 embedding outputs (h = 0: 0..7, 1: 8..15). */
static __always_inline void robot_dense_half(const struct robot_bpf_model *m,
					     struct robot_percpu *s,
					     const int h)
{
	__u64 a0 = 0, a1 = 0, a2 = 0, a3 = 0, v;
	__u32 j;
	int i;

	_Pragma("nounroll")
	for (j = 0; j < ROBOT_BPF_FLAT; j += 16) {
		const __u8 *x = s->x2 + j;
		const __u64 (*w)[ROBOT_BPF_EMB / 2] = &m->w3[j];

		_Pragma("unroll")
		for (i = 0; i < 16; i++) {
			ROBOT_STEP(w, a0, a1, a2, a3);
			v = x[i];
			a0 += w[i][4 * h + 0] * v;
			a1 += w[i][4 * h + 1] * v;
			a2 += w[i][4 * h + 2] * v;
			a3 += w[i][4 * h + 3] * v;
		}
	}
	robot_pair_s8(a0, &m->rq3[8 * h + 0], &s->emb[8 * h + 0],
		      &s->emb[8 * h + 1]);
	robot_pair_s8(a1, &m->rq3[8 * h + 2], &s->emb[8 * h + 2],
		      &s->emb[8 * h + 3]);
	robot_pair_s8(a2, &m->rq3[8 * h + 4], &s->emb[8 * h + 4],
		      &s->emb[8 * h + 5]);
	robot_pair_s8(a3, &m->rq3[8 * h + 6], &s->emb[8 * h + 6],
		      &s->emb[8 * h + 7]);
}

/* dense: flatten(x2) (256) -> 16, int8 embedding. */
static __noinline int robot_dense(const struct robot_bpf_model *m,
				  struct robot_percpu *s)
{
	robot_dense_half(m, s, 0);
	robot_dense_half(m, s, 1);
	return 0;
}

/* Nearest centroid by dot product, lowest index on ties; norm. */
static __noinline int robot_decide(const struct robot_bpf_model *m,
				   struct robot_percpu *s)
{
	__u32 n = m->n_cent, q;
	__s64 lo, hi, best_dot = 0;
	__u64 nrm2 = 0, acc, best = 0;
	int i;

	_Pragma("nounroll")
	for (q = 0; q < ROBOT_BPF_CENT / 2; q++) {
		if (2 * q >= n)
			break;
		/* reload the embedding rather than spill it */
		ROBOT_BARRIER(s);
		acc = 0;
		_Pragma("unroll")
		for (i = 0; i < ROBOT_BPF_EMB; i++)
			acc += m->cent[i][q] * (__u64)s->emb[i];
		lo = ROBOT_PAIR_LO(acc);
		hi = ROBOT_PAIR_HI(acc, lo);
		if (q == 0 || lo > best_dot) {
			best_dot = lo;
			best = 2 * q;
		}
		if (2 * q + 1 < n && hi > best_dot) {
			best_dot = hi;
			best = 2 * q + 1;
		}
	}
	ROBOT_BARRIER(s);
	_Pragma("unroll")
	for (i = 0; i < ROBOT_BPF_EMB; i++)
		nrm2 += s->emb[i] * s->emb[i];
	s->dot = best_dot;
	s->nrm2 = nrm2;
	s->best = best;
	return 0;
}

/* Put a 64-byte header vector (8-byte aligned) into the model input. */
static __always_inline void robot_cnn_input(struct robot_percpu *s,
					    const __u8 *hdr)
{
	const __u64 *src = (const __u64 *)hdr;
	__u64 *dst = (__u64 *)s->xin;
	int c;

	/* 8-byte words: a byte-wise memcpy would spill. */
	dst[0] = 0;
	_Pragma("unroll")
	for (c = 0; c < ROBOT_HDR_LEN / 8; c++)
		dst[1 + c] = src[c];
	dst[9] = 0;
	_Pragma("unroll")
	for (c = 0; c < ROBOT_BPF_C1; c++)
		s->x1[c][0] = 0;
}

/* FDD decision, exactly as robot_fastq_infer(). */
static __always_inline int robot_cnn_fdd(const struct robot_bpf_model *m,
					 __s64 dot, __u64 nrm2)
{
	if (nrm2 == 0 || dot <= 0)
		return 1;
	return ((__u64)dot * (__u64)dot << ROBOT_FASTQ_TSHIFT) <
	       m->thresh * nrm2;
}

#endif /* ROBOT_CNN_BPF_H */
