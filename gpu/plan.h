/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * plan.h - the GPU execution plan of the Robust model, shared by the CUDA
 * engine (gpu/engine.c, gpu/kernels.cu) and its CPU emulation
 * (tests/unit/test_gpu_emu.c). C and CUDA.
 *
 * Everything the engine passes to cuDNN and cuBLAS (tensor shapes,
 * convolution pads/strides, the column-major GEMM operands) and every
 * element operation its own kernels do (bias + ReLU, L2 normalization,
 * nearest center) is defined here once, so the emulation runs exactly
 * the same arithmetic on the CPU, with cuDNN's convolution and cuBLAS's
 * SGEMM replaced by their textbook definitions.
 *
 * Forward pass (user/robust.h), batch of n windows, NCHW float32:
 *   x   [n][1][20][68]  -- conv 0 (cuDNN) --> a1 [n][C1][20][34]
 *                        bias + ReLU (gpu_bias_act, per channel)
 *   a1                  -- conv 1 (cuDNN) --> a2 [n][C2][10][17]
 *                        bias + ReLU
 *   a2 = [n][C2*170]     -- fc 0 (cuBLAS)  --> h  [n][H], bias + ReLU
 *   h                   -- fc 1 (cuBLAS)  --> e  [n][E], bias
 *   e                   -- gpu_l2_nearest per window: normalize in place,
 *                        class of the nearest center
 */
#ifndef ROBOT_GPU_PLAN_H
#define ROBOT_GPU_PLAN_H

#ifdef __CUDACC__
#define GPU_HD __host__ __device__
#else
#define GPU_HD
#endif

/* Device code: double products and sums rounded separately, never
 * contracted into an FMA, the same rounding as the CPU (x86-64 gcc does
 * not contract).
 */
#ifdef __CUDA_ARCH__
#define GPU_DMUL(a, b) __dmul_rn(a, b)
#define GPU_DADD(a, b) __dadd_rn(a, b)
#else
#define GPU_DMUL(a, b) ((a) * (b))
#define GPU_DADD(a, b) ((a) + (b))
#endif

/* No robot_abi.h here: it is C only (nvcc compiles .cu as C++). */
#include <math.h>
#include <stddef.h>
#include <linux/types.h>

#define GPU_L2_EPS 1e-12f /* NN_L2_EPS */

/* One cuDNN convolution (cross-correlation, zero padding, dilation 1). */
struct gpu_conv {
	int cin, hin, win;    /* input, per window */
	int cout, kh, kw;     /* filter [cout][cin][kh][kw] */
	int ph, pw, sh, sw;   /* pad, stride (H, W) */
	int hout, wout;       /* 1 + (in + 2 pad - k) / stride */
};

/* One dense layer y[n][out] = x[n][in] W^T as a column-major cuBLAS
 * SGEMM: C (m x nb) = op(A) (m x k) * B (k x nb), nb = batch.
 *   A = W as stored ([out][in] row-major = in x out column-major, lda
 *       in), op(A) = A^T: transa = 1;
 *   B = x ([nb][in] row-major = in x nb column-major), ldb = in;
 *   C = y ([nb][out] row-major = out x nb column-major), ldc = out.
 */
struct gpu_gemm {
	int transa, transb;   /* 1: CUBLAS_OP_T */
	int m, k;             /* out, in */
	int lda, ldb, ldc;
};

struct gpu_plan {
	int in_c, in_h, in_w;  /* 1, ROBOT_WINDOW, features */
	struct gpu_conv conv[2];
	struct gpu_gemm fc[2];
	int emb;               /* E */
	int n_cent;
	size_t in_size;        /* floats per window at each stage */
	size_t a1_size, a2_size, h_size;
	size_t max_tensor;     /* largest of them */
};

static inline int gpu_conv_plan(struct gpu_conv *c, int cin, int hin,
				int win, int cout, int kh, int kw, int sh,
				int sw, int ph, int pw)
{
	c->cin = cin, c->hin = hin, c->win = win;
	c->cout = cout, c->kh = kh, c->kw = kw;
	c->sh = sh, c->sw = sw, c->ph = ph, c->pw = pw;
	if (hin + 2 * ph < kh || win + 2 * pw < kw)
		return -1;
	c->hout = 1 + (hin + 2 * ph - kh) / sh;
	c->wout = 1 + (win + 2 * pw - kw) / sw;
	return 0;
}

static inline void gpu_gemm_plan(struct gpu_gemm *g, int in, int out)
{
	g->transa = 1;
	g->transb = 0;
	g->m = out;
	g->k = in;
	g->lda = in;
	g->ldb = in;
	g->ldc = out;
}

/* The plan of arch (c1, c2, hidden, emb) over [1][window][feat] inputs:
 * the layer list of user/robust.h (robot_robust_init). 0 or -1.
 */
static inline int gpu_plan_init(struct gpu_plan *p, int window, int feat,
				int c1, int c2, int hidden, int emb,
				int n_cent)
{
	struct gpu_conv *a = &p->conv[0], *b = &p->conv[1];
	size_t m;

	if (c1 < 1 || c2 < 1 || hidden < 1 || emb < 1 || n_cent < 1)
		return -1;
	p->in_c = 1, p->in_h = window, p->in_w = feat;
	if (gpu_conv_plan(a, 1, window, feat, c1, 3, 4, 1, 2, 1, 1) ||
	    gpu_conv_plan(b, c1, a->hout, a->wout, c2, 3, 3, 2, 2, 1, 1))
		return -1;
	gpu_gemm_plan(&p->fc[0], c2 * b->hout * b->wout, hidden);
	gpu_gemm_plan(&p->fc[1], hidden, emb);
	p->emb = emb;
	p->n_cent = n_cent;
	p->in_size = (size_t)window * feat;
	p->a1_size = (size_t)c1 * a->hout * a->wout;
	p->a2_size = (size_t)c2 * b->hout * b->wout;
	p->h_size = hidden;
	m = p->in_size;
	m = p->a1_size > m ? p->a1_size : m;
	m = p->a2_size > m ? p->a2_size : m;
	m = p->h_size > m ? p->h_size : m;
	p->max_tensor = m > (size_t)emb ? m : (size_t)emb;
	return 0;
}

/* Element i of a [n][c][hw] tensor: y += b[channel], then ReLU (the CPU's
 * x > 0 ? x : 0, so a NaN becomes 0 on both). Dense layers: hw = 1.
 */
GPU_HD static inline void gpu_bias_act(float *y, const float *b, size_t i,
				       int c, int hw, int relu)
{
	float v = y[i] + b[(i / (size_t)hw) % (size_t)c];

	y[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
}

/* One window's embedding e[emb]: L2-normalize in place exactly as
 * nn.c's l2_forward (double sum of squares, float norm clamped to eps,
 * float division), then the nearest center as robot_robust_nearest
 * (double dot products, the largest wins, the lowest index on ties).
 * Returns that center's class.
 */
GPU_HD static inline __u8 gpu_l2_nearest(float *e, int emb,
					 const float *cent,
					 const __u8 *cent_class, int n_cent)
{
	double ss = 0, dot, best = -1e30;
	float nrm;
	int i, j, bi = 0;

	for (i = 0; i < emb; i++)
		ss = GPU_DADD(ss, GPU_DMUL((double)e[i], (double)e[i]));
	nrm = (float)sqrt(ss);
	if (nrm < GPU_L2_EPS)
		nrm = GPU_L2_EPS;
	for (i = 0; i < emb; i++)
		e[i] = e[i] / nrm;
	for (j = 0; j < n_cent; j++) {
		dot = 0;
		for (i = 0; i < emb; i++)
			dot = GPU_DADD(dot, GPU_DMUL((double)e[i],
					(double)cent[(size_t)j * emb + i]));
		if (dot > best) {
			best = dot;
			bi = j;
		}
	}
	return cent_class[bi];
}

#endif
