// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * engine.c - the GPU Robust-model engine (include/robot_infer.h).
 *
 * robot_gpu_open loads the model with the CPU code (robot_robust_load),
 * uploads its weights and centers once, creates the cuDNN/cuBLAS handles
 * and sizes every buffer for max_batch windows. robot_gpu_infer
 * featurizes on the host (robot_robust_featurize, into pinned memory),
 * copies the batch up, runs gpu/plan.h's forward pass on one stream
 * (cuDNN convolutions, cuBLAS SGEMMs, gpu/kernels.cu), and copies the
 * classes back.
 *
 * Numerics: float32 everywhere, no TF32/tensor-core shortcuts (cuDNN
 * CUDNN_FMA_MATH, cuBLAS CUBLAS_PEDANTIC_MATH), deterministic convolution
 * algorithms only (implicit GEMM family); docs/gpu.md gives the
 * tolerance against the CPU.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <cublas_v2.h>
#include "log.h"
#include "robust.h"
#include "robot_infer.h"
#include "plan.h"
#include "kernels.h"

/* Parameter layers of the Robust net (robot_robust_init's layer list). */
static const int param_layer[4] = { 0, 2, 4, 6 };

struct robot_gpu {
	int cuda;      /* the CUDA runtime is up: release through it */
	int dev;
	char name[256];
	int max_batch;
	struct gpu_plan p;
	cudaStream_t stream;
	cudnnHandle_t dnn;
	cublasHandle_t blas;
	cudnnTensorDescriptor_t td[3]; /* x, a1, a2 (batch set per call) */
	cudnnFilterDescriptor_t wd[2];
	cudnnConvolutionDescriptor_t cd[2];
	cudnnConvolutionFwdAlgo_t algo[2];
	size_t ws_size;
	void *ws;
	/* device: parameters of conv1, conv2, fc1, fc2; centers */
	float *w[4], *b[4];
	float *cent;
	__u8 *cent_class;
	/* device activations: x, a1, a2, h, e; classes */
	float *act[5];
	__u8 *cls;
	/* pinned host staging */
	float *hx, *he;
	__u8 *hcls;
};

/* ------------------------------------------------------------ errors */

static int cuda_err(cudaError_t e, const char *what)
{
	if (e == cudaSuccess)
		return 0;
	pr_warn("gpu: %s: %s\n", what, cudaGetErrorString(e));
	return e == cudaErrorMemoryAllocation ? -ENOMEM : -EIO;
}

static int dnn_err(cudnnStatus_t s, const char *what)
{
	if (s == CUDNN_STATUS_SUCCESS)
		return 0;
	pr_warn("gpu: cuDNN %s: %s\n", what, cudnnGetErrorString(s));
	return s == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
			       s == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED ?
		       -ENOMEM :
		       -EIO;
}

static int blas_err(cublasStatus_t s, const char *what)
{
	if (s == CUBLAS_STATUS_SUCCESS)
		return 0;
	pr_warn("gpu: cuBLAS %s: %s\n", what, cublasGetStatusString(s));
	return s == CUBLAS_STATUS_ALLOC_FAILED ? -ENOMEM : -EIO;
}

/* ------------------------------------------------------------- setup */

/* Device ROBOT_GPU_DEVICE (default 0); -ENODEV without a usable one. */
static int gpu_pick(struct robot_gpu *g)
{
	struct cudaDeviceProp prop;
	const char *env = getenv("ROBOT_GPU_DEVICE");
	cudaError_t e;
	int n = 0;

	e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess || n <= 0) {
		pr_info("gpu: no CUDA device: %s\n",
			e != cudaSuccess ? cudaGetErrorString(e) : "none");
		return -ENODEV;
	}
	g->dev = env && *env ? atoi(env) : 0;
	if (g->dev < 0 || g->dev >= n) {
		pr_warn("gpu: ROBOT_GPU_DEVICE=%s: %d device(s)\n", env, n);
		return -ENODEV;
	}
	e = cudaSetDevice(g->dev);
	e = e ?: cudaGetDeviceProperties(&prop, g->dev);
	if (e != cudaSuccess) {
		pr_warn("gpu: device %d: %s\n", g->dev, cudaGetErrorString(e));
		return -ENODEV;
	}
	snprintf(g->name, sizeof(g->name), "%s", prop.name);
	g->cuda = 1;
	return 0;
}

/* The CPU net's shapes must be the plan's (they are derived separately). */
static int gpu_check_net(const struct gpu_plan *p, const struct nn_net *net)
{
	const struct nn_layer *l;
	int i;

	if (net->n_layers != 8)
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		const struct gpu_conv *c = &p->conv[i];

		l = &net->l[param_layer[i]];
		if (l->kind != NN_CONV || l->cin != c->cin ||
		    l->hin != c->hin || l->win != c->win ||
		    l->cout != c->cout || l->kh != c->kh || l->kw != c->kw ||
		    l->sh != c->sh || l->sw != c->sw || l->ph != c->ph ||
		    l->pw != c->pw || l->hout != c->hout ||
		    l->wout != c->wout)
			return -EINVAL;
	}
	for (i = 0; i < 2; i++) {
		const struct gpu_gemm *f = &p->fc[i];

		l = &net->l[param_layer[2 + i]];
		if (l->kind != NN_DENSE || l->cout != f->m ||
		    l->nw != f->m * f->k)
			return -EINVAL;
	}
	return net->l[7].kind == NN_L2NORM ? 0 : -EINVAL;
}

static int upload(void **dst, const void *src, size_t len, const char *what)
{
	int err;

	err = cuda_err(cudaMalloc(dst, len), what);
	if (err)
		return err;
	return cuda_err(cudaMemcpy(*dst, src, len, cudaMemcpyHostToDevice),
			what);
}

static int gpu_upload_model(struct robot_gpu *g, const struct robot_robust *r)
{
	const struct nn_layer *l;
	int i, err = 0;

	for (i = 0; i < 4 && !err; i++) {
		l = &r->net.l[param_layer[i]];
		err = upload((void **)&g->w[i], l->w, l->nw * sizeof(float),
			     "weights");
		err = err ?: upload((void **)&g->b[i], l->b,
				    l->cout * sizeof(float), "biases");
	}
	err = err ?: upload((void **)&g->cent, r->cent,
			    (size_t)r->n_cent * r->arch.emb * sizeof(float),
			    "centers");
	err = err ?: upload((void **)&g->cent_class, r->cent_class, r->n_cent,
			    "center classes");
	/* A pageable cudaMemcpy may return before its DMA lands, and the
	 * engine's stream does not wait for the legacy default stream.
	 */
	return err ?: cuda_err(cudaDeviceSynchronize(), "upload");
}

static int gpu_alloc_acts(struct robot_gpu *g)
{
	const struct gpu_plan *p = &g->p;
	size_t nb = g->max_batch, sz[5] = {
		p->in_size, p->a1_size, p->a2_size, p->h_size, p->emb,
	};
	int i, err = 0;

	for (i = 0; i < 5 && !err; i++)
		err = cuda_err(cudaMalloc((void **)&g->act[i],
					  nb * sz[i] * sizeof(float)),
			       "activations");
	err = err ?: cuda_err(cudaMalloc((void **)&g->cls, nb), "classes");
	err = err ?: cuda_err(cudaMallocHost((void **)&g->hx,
					     nb * p->in_size * sizeof(float)),
			      "pinned input");
	err = err ?: cuda_err(cudaMallocHost((void **)&g->he,
					     nb * p->emb * sizeof(float)),
			      "pinned embeddings");
	err = err ?: cuda_err(cudaMallocHost((void **)&g->hcls, nb),
			      "pinned classes");
	return err;
}

/* Tensor descriptors x, a1, a2 for a batch of n; checks that cuDNN's
 * output shapes are the plan's.
 */
static int gpu_set_batch(struct robot_gpu *g, int n)
{
	const struct gpu_plan *p = &g->p;
	int i, on, oc, oh, ow, err;

	err = dnn_err(cudnnSetTensor4dDescriptor(g->td[0], CUDNN_TENSOR_NCHW,
						 CUDNN_DATA_FLOAT, n, p->in_c,
						 p->in_h, p->in_w),
		      "input descriptor");
	for (i = 0; i < 2 && !err; i++) {
		const struct gpu_conv *c = &p->conv[i];

		err = dnn_err(cudnnGetConvolution2dForwardOutputDim(
				      g->cd[i], g->td[i], g->wd[i], &on, &oc,
				      &oh, &ow),
			      "output shape");
		if (!err && (on != n || oc != c->cout || oh != c->hout ||
			     ow != c->wout)) {
			pr_warn("gpu: conv%d: cuDNN shape %dx%dx%dx%d\n", i + 1,
				on, oc, oh, ow);
			err = -EINVAL;
		}
		err = err ?: dnn_err(cudnnSetTensor4dDescriptor(
					     g->td[i + 1], CUDNN_TENSOR_NCHW,
					     CUDNN_DATA_FLOAT, n, c->cout,
					     c->hout, c->wout),
				     "activation descriptor");
	}
	return err;
}

static int algo_ok(cudnnConvolutionFwdAlgo_t a)
{
	return a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM ||
	       a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
	       a == CUDNN_CONVOLUTION_FWD_ALGO_GEMM;
}

/* The heuristics' best deterministic FMA implicit-GEMM-family algorithm
 * for conv i at the current batch (max_batch), else IMPLICIT_GEMM.
 */
static int gpu_pick_algo(struct robot_gpu *g, int i, size_t *ws)
{
	cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
	int k, got = 0, err;

	g->algo[i] = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
	err = dnn_err(cudnnGetConvolutionForwardAlgorithm_v7(
			      g->dnn, g->td[i], g->wd[i], g->cd[i],
			      g->td[i + 1], CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
			      &got, perf),
		      "algorithm heuristics");
	for (k = 0; !err && k < got; k++)
		if (perf[k].status == CUDNN_STATUS_SUCCESS &&
		    perf[k].determinism == CUDNN_DETERMINISTIC &&
		    perf[k].mathType == CUDNN_FMA_MATH &&
		    algo_ok(perf[k].algo)) {
			g->algo[i] = perf[k].algo;
			break;
		}
	err = err ?: dnn_err(cudnnGetConvolutionForwardWorkspaceSize(
				     g->dnn, g->td[i], g->wd[i], g->cd[i],
				     g->td[i + 1], g->algo[i], ws),
			     "workspace size");
	pr_info("gpu: conv%d algorithm %d, workspace %zu\n", i + 1,
		(int)g->algo[i], *ws);
	return err;
}

static int gpu_setup_dnn(struct robot_gpu *g)
{
	size_t ws[2] = { 0, 0 };
	int i, err;

	err = dnn_err(cudnnCreate(&g->dnn), "create");
	err = err ?: dnn_err(cudnnSetStream(g->dnn, g->stream), "stream");
	for (i = 0; i < 3 && !err; i++)
		err = dnn_err(cudnnCreateTensorDescriptor(&g->td[i]),
			      "tensor descriptor");
	for (i = 0; i < 2 && !err; i++) {
		const struct gpu_conv *c = &g->p.conv[i];

		err = dnn_err(cudnnCreateFilterDescriptor(&g->wd[i]),
			      "filter descriptor");
		err = err ?: dnn_err(cudnnSetFilter4dDescriptor(
					     g->wd[i], CUDNN_DATA_FLOAT,
					     CUDNN_TENSOR_NCHW, c->cout,
					     c->cin, c->kh, c->kw),
				     "filter descriptor");
		err = err ?: dnn_err(cudnnCreateConvolutionDescriptor(&g->cd[i]),
				     "convolution descriptor");
		err = err ?: dnn_err(cudnnSetConvolution2dDescriptor(
					     g->cd[i], c->ph, c->pw, c->sh,
					     c->sw, 1, 1,
					     CUDNN_CROSS_CORRELATION,
					     CUDNN_DATA_FLOAT),
				     "convolution descriptor");
		err = err ?: dnn_err(cudnnSetConvolutionMathType(g->cd[i],
								 CUDNN_FMA_MATH),
				     "math type");
	}
	err = err ?: gpu_set_batch(g, g->max_batch);
	for (i = 0; i < 2 && !err; i++)
		err = gpu_pick_algo(g, i, &ws[i]);
	if (err)
		return err;
	g->ws_size = ws[0] > ws[1] ? ws[0] : ws[1];
	if (g->ws_size)
		err = cuda_err(cudaMalloc(&g->ws, g->ws_size), "workspace");
	return err;
}

static int gpu_setup_blas(struct robot_gpu *g)
{
	int err;

	err = blas_err(cublasCreate(&g->blas), "create");
	err = err ?: blas_err(cublasSetStream(g->blas, g->stream), "stream");
	/* Strict float32: no TF32/BF16 emulation whatever the environment. */
	err = err ?: blas_err(cublasSetMathMode(g->blas, CUBLAS_PEDANTIC_MATH),
			      "math mode");
	return err;
}

/* Frees whatever g holds (any prefix of robot_gpu_open), then g. */
static void gpu_release(struct robot_gpu *g)
{
	int i;

	if (!g->cuda)
		goto out;
	cudaSetDevice(g->dev);
	if (g->stream)
		cudaStreamSynchronize(g->stream);
	for (i = 0; i < 2; i++) {
		if (g->cd[i])
			cudnnDestroyConvolutionDescriptor(g->cd[i]);
		if (g->wd[i])
			cudnnDestroyFilterDescriptor(g->wd[i]);
	}
	for (i = 0; i < 3; i++)
		if (g->td[i])
			cudnnDestroyTensorDescriptor(g->td[i]);
	if (g->dnn)
		cudnnDestroy(g->dnn);
	if (g->blas)
		cublasDestroy(g->blas);
	for (i = 0; i < 4; i++) {
		cudaFree(g->w[i]);
		cudaFree(g->b[i]);
	}
	for (i = 0; i < 5; i++)
		cudaFree(g->act[i]);
	cudaFree(g->cent);
	cudaFree(g->cent_class);
	cudaFree(g->cls);
	cudaFree(g->ws);
	cudaFreeHost(g->hx);
	cudaFreeHost(g->he);
	cudaFreeHost(g->hcls);
	if (g->stream)
		cudaStreamDestroy(g->stream);
out:
	free(g);
}

/* ---------------------------------------------------------- forward */

static int gpu_conv(struct robot_gpu *g, int i, int n)
{
	const struct gpu_conv *c = &g->p.conv[i];
	cudnnConvolutionFwdAlgo_t algo = g->algo[i];
	const float one = 1.0f, zero = 0.0f;
	size_t ws = 0;
	int err;

	/* A batch smaller than max_batch never needs more workspace in
	 * practice; if it does, fall back to IMPLICIT_GEMM (none needed).
	 */
	err = dnn_err(cudnnGetConvolutionForwardWorkspaceSize(
			      g->dnn, g->td[i], g->wd[i], g->cd[i],
			      g->td[i + 1], algo, &ws),
		      "workspace size");
	if (!err && ws > g->ws_size)
		algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
	err = err ?: dnn_err(cudnnConvolutionForward(
				     g->dnn, &one, g->td[i], g->act[i],
				     g->wd[i], g->w[i], g->cd[i], algo, g->ws,
				     g->ws_size, &zero, g->td[i + 1],
				     g->act[i + 1]),
			     "convolution");
	err = err ?: cuda_err(gpu_launch_bias_act(g->stream, g->act[i + 1],
						  g->b[i],
						  (size_t)n * c->cout *
							  c->hout * c->wout,
						  c->cout, c->hout * c->wout,
						  1),
			      "bias + ReLU");
	return err;
}

static int gpu_dense(struct robot_gpu *g, int i, int n, int relu)
{
	const struct gpu_gemm *f = &g->p.fc[i];
	const float one = 1.0f, zero = 0.0f;
	int err;

	err = blas_err(cublasSgemm(g->blas,
				   f->transa ? CUBLAS_OP_T : CUBLAS_OP_N,
				   f->transb ? CUBLAS_OP_T : CUBLAS_OP_N, f->m,
				   n, f->k, &one, g->w[2 + i], f->lda,
				   g->act[2 + i], f->ldb, &zero,
				   g->act[3 + i], f->ldc),
		       "SGEMM");
	err = err ?: cuda_err(gpu_launch_bias_act(g->stream, g->act[3 + i],
						  g->b[2 + i],
						  (size_t)n * f->m, f->m, 1,
						  relu),
			      "bias");
	return err;
}

/* The whole pipeline for n (1..max_batch) windows; emb and cls may each
 * be NULL.
 */
static int gpu_run(struct robot_gpu *g, const struct robot_pkt_feat *pkts,
		   const __u8 *n_pkts, int n, float *emb, __u8 *cls)
{
	const struct gpu_plan *p = &g->p;
	int i, err;

	for (i = 0; i < n; i++)
		robot_robust_featurize(pkts + (size_t)i * ROBOT_WINDOW,
				       n_pkts[i], g->hx + (size_t)i * p->in_size);
	err = cuda_err(cudaSetDevice(g->dev), "set device");
	err = err ?: cuda_err(cudaMemcpyAsync(g->act[0], g->hx,
					      (size_t)n * p->in_size *
						      sizeof(float),
					      cudaMemcpyHostToDevice,
					      g->stream),
			      "copy in");
	err = err ?: gpu_set_batch(g, n);
	err = err ?: gpu_conv(g, 0, n);
	err = err ?: gpu_conv(g, 1, n);
	err = err ?: gpu_dense(g, 0, n, 1);
	err = err ?: gpu_dense(g, 1, n, 0);
	err = err ?: cuda_err(gpu_launch_l2_nearest(g->stream, g->act[4], n,
						    p->emb, g->cent,
						    g->cent_class, p->n_cent,
						    g->cls),
			      "L2 norm + nearest center");
	err = err ?: cuda_err(cudaMemcpyAsync(g->hcls, g->cls, n,
					      cudaMemcpyDeviceToHost,
					      g->stream),
			      "copy out");
	if (!err && emb)
		err = cuda_err(cudaMemcpyAsync(g->he, g->act[4],
					       (size_t)n * p->emb *
						       sizeof(float),
					       cudaMemcpyDeviceToHost,
					       g->stream),
			       "copy out");
	/* Always wait: the stream must not outlive the staging buffers'
	 * contents, even after an error.
	 */
	err = cuda_err(cudaStreamSynchronize(g->stream), "synchronize") ?: err;
	if (err)
		return err;
	if (cls)
		memcpy(cls, g->hcls, n);
	if (emb)
		memcpy(emb, g->he, (size_t)n * p->emb * sizeof(float));
	return 0;
}

/* ---------------------------------------------------------------- API */

int robot_gpu_abi(void)
{
	return ROBOT_GPU_ABI;
}

int robot_gpu_open(const char *model_path, __u32 max_batch,
		   struct robot_gpu **out)
{
	struct robot_pkt_feat w[ROBOT_WINDOW];
	struct robot_robust r;
	struct robot_gpu *g;
	__u8 zero_n = 1, cls;
	int err;

	if (!model_path || !out || !max_batch || max_batch > INT_MAX)
		return -EINVAL;
	*out = NULL;
	err = robot_robust_load(model_path, &r);
	if (err)
		return err;
	g = calloc(1, sizeof(*g));
	if (!g) {
		err = -ENOMEM;
		goto out_model;
	}
	g->max_batch = max_batch;
	if (gpu_plan_init(&g->p, ROBOT_WINDOW, ROBOT_ROBUST_FEAT, r.arch.c1,
			  r.arch.c2, r.arch.hidden, r.arch.emb, r.n_cent) ||
	    gpu_check_net(&g->p, &r.net)) {
		pr_warn("%s: the GPU plan does not fit the model\n",
			model_path);
		err = -EINVAL;
		goto out_free;
	}
	/* cuDNN descriptors and cuBLAS sizes are ints. */
	if (g->p.max_tensor * max_batch > INT_MAX) {
		pr_warn("gpu: max batch %u too large for this model\n",
			max_batch);
		err = -EINVAL;
		goto out_free;
	}
	err = gpu_pick(g);
	if (err)
		goto out_free;
	err = cuda_err(cudaStreamCreateWithFlags(&g->stream,
						 cudaStreamNonBlocking),
		       "stream");
	err = err ?: gpu_upload_model(g, &r);
	err = err ?: gpu_alloc_acts(g);
	err = err ?: gpu_setup_blas(g);
	err = err ?: gpu_setup_dnn(g);
	if (err)
		goto out_free;
	/* One all-zero window end to end: a device without a kernel image
	 * for it, or a broken cuDNN install, fails here (-EIO), not per
	 * batch.
	 */
	memset(w, 0, sizeof(w));
	err = gpu_run(g, w, &zero_n, 1, NULL, &cls);
	if (err)
		goto out_free;
	robot_robust_free(&r);
	*out = g;
	return 0;
out_free:
	gpu_release(g);
out_model:
	robot_robust_free(&r);
	return err;
}

int robot_gpu_infer(struct robot_gpu *g, const struct robot_pkt_feat *pkts,
		    const __u8 *n_pkts, __u32 n, __u8 *out_class)
{
	if (!g || !n)
		return g ? 0 : -EINVAL;
	if (!pkts || !n_pkts || !out_class || n > (__u32)g->max_batch)
		return -EINVAL;
	return gpu_run(g, pkts, n_pkts, n, NULL, out_class);
}

int robot_gpu_embed(struct robot_gpu *g, const struct robot_pkt_feat *pkts,
		    const __u8 *n_pkts, __u32 n, float *emb, __u8 *out_class)
{
	if (!g || !n)
		return g ? 0 : -EINVAL;
	if (!pkts || !n_pkts || !emb || n > (__u32)g->max_batch)
		return -EINVAL;
	return gpu_run(g, pkts, n_pkts, n, emb, out_class);
}

int robot_gpu_emb_dim(const struct robot_gpu *g)
{
	return g ? g->p.emb : -EINVAL;
}

const char *robot_gpu_device(const struct robot_gpu *g)
{
	return g ? g->name : "none";
}

void robot_gpu_close(struct robot_gpu *g)
{
	if (g)
		gpu_release(g);
}
