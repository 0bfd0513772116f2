/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * robust.h - the Robust model: window featurization, float CPU inference
 * (batched, OpenBLAS sgemm), model file I/O.
 *
 * Input: one flow's window of ROBOT_WINDOW (20) packets starting at its
 * first payload packet (the FDD packet), as an image [1][20][68], row i =
 * packet i (robot_robust_featurize):
 *   col 0..63  hdr[j] / 255                  (masked header bytes)
 *   col 64     min(ip_len / 1500, 1)         (size)
 *   col 65     min(log1p(us) / log1p(1e7), 1), us = microseconds since the
 *              previous packet of the window (0 for row 0, and when time
 *              goes backwards)                (inter-arrival time)
 *   col 66     dir (0 forward, 1 reverse)
 *   col 67     1                             (presence mask)
 * Windows shorter than 20 packets (short flows, flows that stopped) are
 * padded with all-zero rows: mask 0 tells the network they are absent.
 *
 * Forward pass (exact layer list, for any other implementation, e.g.
 * cuDNN; NCHW, cross-correlation as in cuDNN/PyTorch, zero padding):
 *   0 conv2d   1 -> C1, kernel 3x4 (H x W), stride (1, 2), pad (1, 1)
 *              [C1][20][34]
 *   1 ReLU
 *   2 conv2d   C1 -> C2, kernel 3x3, stride (2, 2), pad (1, 1)
 *              [C2][10][17]
 *   3 ReLU
 *   4 dense    C2*10*17 -> H (flatten index c * 170 + h * 17 + w)
 *   5 ReLU
 *   6 dense    H -> E
 *   7 L2-normalize (y = x / max(||x||, 1e-12))
 * Defaults C1 = 16, C2 = 16, H = 64, E = 32: 0.70 M MACs per window.
 * Weights: conv [Cout][Cin][KH][KW], dense [Out][In], biases [Out].
 * Decision: the center (unit vectors, [n_cent][E]) with the largest dot
 * product with the embedding (lowest index on ties) gives the class;
 * distance = sqrt(max(0, 2 - 2 dot)).
 */
#ifndef ROBOT_ROBUST_H
#define ROBOT_ROBUST_H

#include <linux/types.h>
#include "robot_abi.h"
#include "model.h"
#include "nn.h"

#define ROBOT_ROBUST_FEAT (ROBOT_HDR_LEN + 4) /* columns per packet */
#define ROBOT_ROBUST_IN (ROBOT_WINDOW * ROBOT_ROBUST_FEAT)
#define ROBOT_ROBUST_CENT_MAX 256
#define ROBOT_ROBUST_BATCH 256 /* default inference batch */

#define ROBOT_ROBUST_DEF_C1 16
#define ROBOT_ROBUST_DEF_C2 16
#define ROBOT_ROBUST_DEF_HIDDEN 64
#define ROBOT_ROBUST_DEF_EMB 32

struct robot_robust_arch {
	__u32 c1, c2, hidden, emb;
};

struct robot_robust {
	struct robot_robust_arch arch;
	struct nn_net net;
	__u32 n_cent;
	float *cent;      /* [n_cent][emb], unit rows */
	__u8 *cent_class; /* [n_cent] enum robot_class */
	struct robot_model_meta meta;
};

/* Featurize up to ROBOT_WINDOW packets (n may be 0..ROBOT_WINDOW; more are
 * ignored) into out[ROBOT_ROBUST_IN]. Returns the rows used, -EINVAL for
 * n < 0.
 */
int robot_robust_featurize(const struct robot_pkt_feat *pkts, int n,
			   float *out);

/* Build the network (parameters zeroed); -EINVAL on a bad arch. */
int robot_robust_init(struct robot_robust *r,
		      const struct robot_robust_arch *arch, int max_batch,
		      int train);
void robot_robust_free(struct robot_robust *r);

/* Inference of n featurized windows x[n][ROBOT_ROBUST_IN]; any of emb
 * ([n][emb]), class ([n] enum robot_class) and dist ([n]) may be NULL.
 * Not thread-safe per model (uses the model's buffers).
 */
int robot_robust_infer(struct robot_robust *r, const float *x, int n,
		       float *emb, __u8 *class, float *dist);

/* Convenience for the daemon: pkts [n][ROBOT_WINDOW] raw windows, n_pkts
 * real packets in each; featurizes and classifies.
 */
int robot_robust_classify(struct robot_robust *r,
			  const struct robot_pkt_feat *pkts,
			  const __u8 *n_pkts, int n, __u8 *class);

/* Nearest center of one embedding. */
int robot_robust_nearest(const struct robot_robust *r, const float *emb,
			 float *dist);

int robot_robust_save(const char *path, const struct robot_robust *r);
/* r must be zeroed or freed; on success it holds the model (max batch
 * ROBOT_ROBUST_BATCH), on failure it is left empty.
 */
int robot_robust_load(const char *path, struct robot_robust *r);

#endif
