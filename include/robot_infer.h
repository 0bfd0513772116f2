/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * robot_infer.h - the GPU Robust-model engine as the daemon sees it.
 *
 * Implemented in gpu/ (CUDA/cuDNN) and built as build/librobot_gpu.so
 * only where nvcc and cuDNN exist. The daemon never links it: it
 * dlopen()s the library (`robot attach --device auto|gpu`) and resolves
 * the symbols below by name (ROBOT_GPU_SYM_*), so build/robot runs on
 * machines without CUDA. C only, no CUDA types.
 *
 * Input is the raw windows, exactly what the CPU path gets: per window,
 * ROBOT_WINDOW struct robot_pkt_feat records of which the first n_pkts
 * are real (ordered by seq) and the rest zero. The engine pads/featurizes
 * them exactly as robot_robust_featurize() (user/robust.h) does and must
 * return the class the CPU inference returns for the same model.
 *
 * Threading: one handle is used by one thread at a time.
 */
#ifndef ROBOT_INFER_H
#define ROBOT_INFER_H

#include <linux/types.h>
#include "robot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when a signature below changes; the daemon refuses a library
 * whose robot_gpu_abi() differs.
 */
#define ROBOT_GPU_ABI 1

#define ROBOT_GPU_LIB "librobot_gpu.so"

struct robot_gpu; /* opaque */

/* ROBOT_GPU_ABI of the library. */
int robot_gpu_abi(void);

/* Pick a GPU, load the Robust model file `model_path` (the same file the
 * CPU path loads with robot_robust_load()), size buffers for max_batch
 * windows. 0 and *out set, or -errno: -ENODEV no usable GPU, -EINVAL bad
 * model file, -ENOMEM.
 */
int robot_gpu_open(const char *model_path, __u32 max_batch,
		   struct robot_gpu **out);

/* Classify n <= max_batch windows. pkts: n * ROBOT_WINDOW records;
 * n_pkts[i]: real packets of window i (1..ROBOT_WINDOW). Writes
 * out_class[i] (enum robot_class). 0 or -errno.
 */
int robot_gpu_infer(struct robot_gpu *g, const struct robot_pkt_feat *pkts,
		    const __u8 *n_pkts, __u32 n, __u8 *out_class);

/* As robot_gpu_infer, and also writes the embeddings emb[n][E] (unit
 * rows, E = robot_gpu_emb_dim()); out_class may be NULL. For tests and
 * benchmarks (CPU/GPU equality). 0 or -errno.
 */
int robot_gpu_embed(struct robot_gpu *g, const struct robot_pkt_feat *pkts,
		    const __u8 *n_pkts, __u32 n, float *emb, __u8 *out_class);

/* Embedding size E of the loaded model. */
int robot_gpu_emb_dim(const struct robot_gpu *g);

/* Human-readable device name ("NVIDIA H200", ...), for logs. */
const char *robot_gpu_device(const struct robot_gpu *g);

void robot_gpu_close(struct robot_gpu *g);

/* Symbol names for dlsym(). */
#define ROBOT_GPU_SYM_ABI "robot_gpu_abi"
#define ROBOT_GPU_SYM_OPEN "robot_gpu_open"
#define ROBOT_GPU_SYM_INFER "robot_gpu_infer"
#define ROBOT_GPU_SYM_DEVICE "robot_gpu_device"
#define ROBOT_GPU_SYM_CLOSE "robot_gpu_close"
#define ROBOT_GPU_SYM_EMBED "robot_gpu_embed"
#define ROBOT_GPU_SYM_EMB_DIM "robot_gpu_emb_dim"

#ifdef __cplusplus
}
#endif

#endif
