// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The engine's own kernels: bias + ReLU, L2 norm + nearest center. The
 * arithmetic is gpu/plan.h's (shared with the CPU emulation); these only
 * map it onto threads.
 */
#include <cuda_runtime.h>
#include "plan.h"
#include "kernels.h"

#define GPU_THREADS 256
#define GPU_MAX_BLOCKS 4096

/* Grid-stride loop over the elements of the tensor. */
__global__ static void bias_act_kernel(float *y, const float *b,
				       size_t total, int c, int hw, int relu)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	size_t step = (size_t)gridDim.x * blockDim.x;

	for (; i < total; i += step)
		gpu_bias_act(y, b, i, c, hw, relu);
}

/* One thread per window. */
__global__ static void l2_nearest_kernel(float *e, int n, int emb,
					 const float *cent,
					 const __u8 *cent_class, int n_cent,
					 __u8 *cls)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		cls[i] = gpu_l2_nearest(e + (size_t)i * emb, emb, cent,
					cent_class, n_cent);
}

static unsigned int blocks_for(size_t total)
{
	size_t b = (total + GPU_THREADS - 1) / GPU_THREADS;

	return b > GPU_MAX_BLOCKS ? GPU_MAX_BLOCKS : (b ? (unsigned int)b : 1);
}

extern "C" int gpu_launch_bias_act(void *stream, float *y, const float *b,
				   size_t total, int c, int hw, int relu)
{
	if (!total)
		return 0;
	bias_act_kernel<<<blocks_for(total), GPU_THREADS, 0,
			  (cudaStream_t)stream>>>(y, b, total, c, hw, relu);
	return (int)cudaGetLastError();
}

extern "C" int gpu_launch_l2_nearest(void *stream, float *e, int n, int emb,
				     const float *cent,
				     const __u8 *cent_class, int n_cent,
				     __u8 *cls)
{
	if (n <= 0)
		return 0;
	l2_nearest_kernel<<<(n + GPU_THREADS - 1) / GPU_THREADS, GPU_THREADS, 0,
			    (cudaStream_t)stream>>>(e, n, emb, cent, cent_class,
						    n_cent, cls);
	return (int)cudaGetLastError();
}
