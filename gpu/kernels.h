/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kernels.h - the engine's own CUDA kernels (gpu/kernels.cu), callable
 * from C. Each enqueues on `stream` (a cudaStream_t) and returns 0 or
 * the cudaError_t of the launch; the element arithmetic is gpu/plan.h's.
 */
#ifndef ROBOT_GPU_KERNELS_H
#define ROBOT_GPU_KERNELS_H

#include <stddef.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* y[n][c][hw] += b[c], then ReLU when relu; total = n * c * hw. */
int gpu_launch_bias_act(void *stream, float *y, const float *b, size_t total,
			int c, int hw, int relu);

/* Per window i < n: normalize e[i][emb] in place, class[i] = class of the
 * nearest of n_cent centers cent[n_cent][emb] (gpu_l2_nearest).
 */
int gpu_launch_l2_nearest(void *stream, float *e, int n, int emb,
			  const float *cent, const __u8 *cent_class,
			  int n_cent, __u8 *cls);

#ifdef __cplusplus
}
#endif

#endif
