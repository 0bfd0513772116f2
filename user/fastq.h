/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fastq.h - the quantized (int8) Fast model and its reference integer
 * inference. robot_fastq_infer() is THE specification: the XDP program
 * must produce bit-identical class, dot, nrm2 and fdd on every packet.
 *
 * Architecture (fixed shape family, dimensions in struct robot_fastq):
 *   x0[1][64]  = masked header bytes (uint8, 0..255)         (input)
 *   x1[C1][L1] = relu(conv1d(x0; K1, stride S1, zero pad P1)) (uint8)
 *   x2[C2][L2] = relu(conv1d(x1; K2, stride S2, zero pad P2)) (uint8)
 *   e[E]       = dense(flatten(x2))   flatten index = c * L2 + l (int8)
 *   L_out = (L_in + 2 P - K) / S + 1.
 *
 * Each layer: acc (int32) = bias[o] + sum w[o][i][k] (int8) * x (uint8/
 *   padded zero); y = (int32)(((int64)acc * mult[o] + (1LL << (shift[o]-1)))
 *   >> shift[o]) (arithmetic shift), then clamp to 0..255 for the two conv
 *   layers (ReLU + uint8) and to -127..127 for the embedding (int8).
 *   shift[o] is in 1..62; mult[o] in 0..2^31-1.
 *
 * Decision: centroids are unit vectors quantized as round(127 * c) (int8).
 *   dot_j = sum_i e[i] * cent[j][i] (int32), nrm2 = sum_i e[i]^2 (int32).
 *   best = argmax_j dot_j (lowest j on ties); class = cent_class[best].
 *   With t = 1 - D^2 / 2 (cosine equivalent of distance D = beta * a on the
 *   unit sphere): FDD iff nrm2 == 0 or dot_best <= 0 or
 *   (uint64)dot_best^2 << ROBOT_FASTQ_TSHIFT < thresh * (uint64)nrm2,
 *   where thresh = round(t^2 * 127^2 * 2^ROBOT_FASTQ_TSHIFT) (uint64).
 *   D must stay below sqrt(2) (t > 0); the trainer and loader reject more.
 *   Euclidean distance, for display: d = sqrt(2 - 2 dot/(127 sqrt(nrm2))).
 */
#ifndef ROBOT_FASTQ_H
#define ROBOT_FASTQ_H

#include <linux/types.h>
#include "robot_abi.h"

/* Upper bounds of every dimension (the BPF map value is sized by them). */
#define ROBOT_FASTQ_IN ROBOT_HDR_LEN
#define ROBOT_FASTQ_C1_MAX 16
#define ROBOT_FASTQ_C2_MAX 32
#define ROBOT_FASTQ_K_MAX 5
#define ROBOT_FASTQ_L1_MAX 64
#define ROBOT_FASTQ_L2_MAX 32
#define ROBOT_FASTQ_FLAT_MAX 512 /* C2 * L2 */
#define ROBOT_FASTQ_EMB_MAX 32
#define ROBOT_FASTQ_CENT_MAX 32
#define ROBOT_FASTQ_TSHIFT 16

/* Default architecture: 1->8 (k4,s2,p1) -> L1 = 32; 8->16 (k3,s2,p1) ->
 * L2 = 16; dense 256 -> 16. MACs: 1024 + 6144 + 4096 = 11264, plus
 * 16 per centroid.
 */
#define ROBOT_FASTQ_DEF_C1 8
#define ROBOT_FASTQ_DEF_K1 4
#define ROBOT_FASTQ_DEF_S1 2
#define ROBOT_FASTQ_DEF_P1 1
#define ROBOT_FASTQ_DEF_C2 16
#define ROBOT_FASTQ_DEF_K2 3
#define ROBOT_FASTQ_DEF_S2 2
#define ROBOT_FASTQ_DEF_P2 1
#define ROBOT_FASTQ_DEF_EMB 16

struct robot_fastq_arch {
	__u32 c1, k1, s1, p1; /* conv1: out channels, kernel, stride, pad */
	__u32 c2, k2, s2, p2; /* conv2 */
	__u32 emb;            /* embedding dims */
	__u32 l1, l2;         /* derived output lengths */
};

/* A quantized Fast model as userspace holds it (not the map layout). */
struct robot_fastq {
	struct robot_fastq_arch arch;
	__s8 w1[ROBOT_FASTQ_C1_MAX][ROBOT_FASTQ_K_MAX];      /* [o][k], cin=1 */
	__s32 b1[ROBOT_FASTQ_C1_MAX];
	__s32 m1[ROBOT_FASTQ_C1_MAX];
	__u8 sh1[ROBOT_FASTQ_C1_MAX];
	__s8 w2[ROBOT_FASTQ_C2_MAX][ROBOT_FASTQ_C1_MAX][ROBOT_FASTQ_K_MAX];
	__s32 b2[ROBOT_FASTQ_C2_MAX];
	__s32 m2[ROBOT_FASTQ_C2_MAX];
	__u8 sh2[ROBOT_FASTQ_C2_MAX];
	__s8 w3[ROBOT_FASTQ_EMB_MAX][ROBOT_FASTQ_FLAT_MAX];  /* [o][c*L2+l] */
	__s32 b3[ROBOT_FASTQ_EMB_MAX];
	__s32 m3[ROBOT_FASTQ_EMB_MAX];
	__u8 sh3[ROBOT_FASTQ_EMB_MAX];
	__u32 n_cent;
	__s8 cent[ROBOT_FASTQ_CENT_MAX][ROBOT_FASTQ_EMB_MAX];
	__u8 cent_class[ROBOT_FASTQ_CENT_MAX]; /* enum robot_class */
	__u64 thresh; /* see above */
	__u32 version; /* model version (from the file; > 0) */
};

struct robot_fastq_out {
	__u8 class;   /* enum robot_class of the nearest centroid */
	__u8 fdd;     /* 1: FDD */
	__u8 best;    /* index of the nearest centroid */
	__s32 dot;    /* dot_best */
	__u32 nrm2;   /* squared norm of the embedding */
	__s8 emb[ROBOT_FASTQ_EMB_MAX]; /* the int8 embedding */
};

/* Fill l1/l2 from the rest; -EINVAL when a dimension exceeds its bound. */
int robot_fastq_arch_check(struct robot_fastq_arch *a);

/* The reference integer inference (the specification). */
void robot_fastq_infer(const struct robot_fastq *m,
		       const __u8 hdr[ROBOT_HDR_LEN],
		       struct robot_fastq_out *out);

/* Euclidean distance on the unit sphere from dot/nrm2 (display only). */
double robot_fastq_distance(__s32 dot, __u32 nrm2);

/* Number of multiply-accumulates of one inference (with centroids). */
__u32 robot_fastq_macs(const struct robot_fastq *m);

#endif
