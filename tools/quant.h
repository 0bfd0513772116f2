/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * quant.h - post-training int8 quantization of the float Fast model into
 * struct robot_fastq (user/fastq.h), and float/int8 agreement.
 *
 * Scales (float value of one integer step):
 *   input      1/255 (the raw header byte)
 *   conv1 out  s1[c] = P_p(act1[c]) / 255, per channel (P_p: the p-th
 *              percentile of the channel's post-ReLU float activations on
 *              the calibration set)
 *   conv2 out  s2[c] = P_p(act2[c]) / 255, per channel
 *   embedding  se = P_pe(|e|) / 127, one scale for all dims (a per-dim
 *              scale would change the embedding's direction)
 * A layer folds its input channels' scales into the weights
 * (w'[o][i][k] = w[o][i][k] * s_in[i]), quantizes w' per output channel
 * (sw[o] = max|w'[o]| / 127, int8), the bias to int32 (b / sw[o]), and
 * requantizes with mult/shift = sw[o] / s_out[o] (mult in [2^30, 2^31)).
 * Instead of a percentile, a clip may minimize the squared error
 * (clipping + rounding) per channel. Optionally ("refit") the dense layer
 * is refitted before its quantization: ridge least squares of the float
 * pre-embedding on the dequantized outputs of the integer conv layers, so
 * that it compensates their rounding (the conv rounding errors are
 * amplified by the dense layer's cancellations), and/or ("GPTQ", Frantar
 * et al. 2022) its weights are rounded one input at a time, each rounding
 * error compensated on the inputs not yet rounded through the inverse
 * Hessian of the layer's integer inputs. p, pe (over 99, 99.9, 99.99,
 * 100, MSE) and the mode (none, refit, GPTQ, both) are searched, keeping the choice
 * with the highest float/int8 agreement (class + FDD) on the calibration
 * set. Centroids round(127 c); thresh = round(t^2 127^2 2^16),
 * t = 1 - D^2 / 2.
 */
#ifndef ROBOT_QUANT_H
#define ROBOT_QUANT_H

#include "model.h"

struct quant_report {
	double p_act, p_emb;    /* chosen percentiles (-1: MSE clip) */
	int refit;              /* mode: 1 dense refitted, 2 GPTQ, 3 both */
	double class_agree;     /* fraction of samples */
	double fdd_agree;
	double emb_err;         /* mean |e_float - e_int8 * se| / |e_float| */
	int n;                  /* calibration samples */
};

/* Quantize f (trained, centroids and meta.D set) into q, calibrating on
 * the n header vectors hdr. Stores the chosen scales in f. 0 or -errno.
 */
int quant_fast(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN], int n,
	       struct robot_fastq *q, struct quant_report *rep);

/* Quantize with given percentiles (no search); p < 0 selects the
 * least-squared-error clip. refit: mode, 0..3, see above.
 */
int quant_fast_with(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
		    int n, double p_act, double p_emb, int refit,
		    struct robot_fastq *q);

/* Float vs int8 decisions on n samples: fractions that agree. */
int quant_agreement(struct robot_fast *f, const struct robot_fastq *q,
		    const __u8 (*hdr)[ROBOT_HDR_LEN], int n,
		    struct quant_report *rep);

/* mult/shift for a positive real multiplier M: mult * 2^-shift ~ M,
 * shift in 1..62, mult in [0, 2^31).
 */
void quant_multiplier(double M, __s32 *mult, __u8 *shift);

/* thresh for distance D (0 < D < sqrt 2); 0 when D is out of range. */
__u64 quant_thresh(double D);

#endif
