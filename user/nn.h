/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nn.h - a small sequential float32 network: 2D convolution (1D is the
 * H = 1 case), dense, ReLU, L2 normalization; forward, backward, Adam.
 * Convolutions run as im2col + cblas_sgemm (OpenBLAS) over the whole batch.
 *
 * Tensor layout: a batch of N samples, each [C][H][W] row-major (NCHW).
 * Dense layers see each sample flattened in that order (c * H * W + h * W
 * + w), so a conv output [C][1][L] flattens as c * L + l.
 * Weights: conv [Cout][Cin][KH][KW], dense [Out][In], bias [Cout]/[Out].
 *
 * Also: the project's deterministic PRNG (splitmix64-seeded xoshiro256**);
 * training never calls rand().
 */
#ifndef ROBOT_NN_H
#define ROBOT_NN_H

#include <stddef.h>
#include <linux/types.h>

/* ------------------------------------------------------------- PRNG */

struct nn_rng {
	__u64 s[4];
};

void nn_rng_seed(struct nn_rng *r, __u64 seed);
/* splitmix64's finalizer: a 64-bit hash of z (stateless). */
__u64 nn_mix64(__u64 z);
__u64 nn_rng_next(struct nn_rng *r);
double nn_rng_uniform(struct nn_rng *r);   /* [0, 1) */
double nn_rng_normal(struct nn_rng *r);    /* N(0, 1), Box-Muller */
__u32 nn_rng_below(struct nn_rng *r, __u32 n); /* [0, n), n > 0 */
void nn_rng_shuffle(struct nn_rng *r, int *v, int n);

/* ------------------------------------------------------------ layers */

enum nn_kind {
	NN_CONV = 1,   /* 2D convolution, zero padding */
	NN_DENSE = 2,  /* fully connected on the flattened sample */
	NN_RELU = 3,
	NN_L2NORM = 4, /* y = x / max(||x||, NN_L2_EPS), per sample */
};

#define NN_MAX_LAYERS 12
#define NN_L2_EPS 1e-12f

/* gcc: vectorize the hot loops fully (-O3 for that function); clang
 * (fuzz builds) has no optimize attribute.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define NN_HOT __attribute__((optimize("O3")))
#else
#define NN_HOT
#endif

/* y = x / max(||x||, NN_L2_EPS) for each of n rows of d floats; norms
 * (NULL: not kept) gets each row's divisor.
 */
void nn_l2_rows(const float *x, int n, int d, float *y, float *norms);

struct nn_layer {
	int kind;
	int cin, hin, win;    /* input shape of one sample */
	int cout, hout, wout; /* output shape */
	int kh, kw, sh, sw, ph, pw; /* conv only */
	int nw;               /* weights: conv cout*cin*kh*kw, dense out*in */
	float *w, *b;         /* parameters (b: cout) */
	float *gw, *gb;       /* gradients (training only) */
	float *mw, *vw, *mb, *vb; /* Adam moments (training only) */
	float *out;           /* [max_batch][out size] activations */
	float *aux;           /* L2NORM: [max_batch] norms */
};

struct nn_net {
	int n_layers;
	struct nn_layer l[NN_MAX_LAYERS];
	int in_c, in_h, in_w;
	int max_batch;   /* activation buffers hold this many samples */
	const float *in; /* input of the last forward (not owned) */
	float *col;      /* im2col scratch */
	float *tmp;      /* conv GEMM output before the NCHW transpose */
	float *g[2];     /* gradient ping-pong buffers */
	float *dx;       /* gradient w.r.t. the input (need_dx) */
	int need_dx;     /* backward also computes dx (gradient checks) */
	int inject_at;   /* > 0: nn_backward adds inject [n][out size of
			  * layer inject_at] to the gradient of that layer's
			  * output (an extra loss on an inner activation);
			  * must be below the last layer */
	const float *inject;
	int adam_t;      /* Adam step count */
	int trainable;   /* gradient buffers allocated */
};

/* Building: init, then add layers in order, then nn_alloc. Return 0 or
 * -errno (-EINVAL for a shape that does not fit).
 */
void nn_init(struct nn_net *net, int c, int h, int w);
int nn_add_conv(struct nn_net *net, int cout, int kh, int kw, int sh, int sw,
		int ph, int pw);
int nn_add_dense(struct nn_net *net, int out);
int nn_add_relu(struct nn_net *net);
int nn_add_l2norm(struct nn_net *net);
/* Allocate parameters (zeroed, once), gradients when train, and the
 * activation buffers for max_batch samples (reallocated when it grows).
 */
int nn_alloc(struct nn_net *net, int max_batch, int train);
void nn_free(struct nn_net *net);

int nn_in_size(const struct nn_net *net);  /* floats per input sample */
int nn_out_size(const struct nn_net *net); /* floats per output sample */
long nn_macs(const struct nn_net *net);    /* per sample */
size_t nn_n_params(const struct nn_net *net);

/* He-normal weights for layers followed by ReLU, Glorot-like (1/fan_in)
 * otherwise; zero biases.
 */
void nn_init_params(struct nn_net *net, struct nn_rng *rng);

/* Forward n <= max_batch samples; returns the last layer's output
 * ([n][out size], valid until the next call). x must stay valid until
 * nn_backward.
 */
const float *nn_forward(struct nn_net *net, const float *x, int n);
/* Output of layer i after the last forward. */
const float *nn_layer_out(const struct nn_net *net, int i);

/* Backward from dy = dLoss/dOutput ([n][out size]) of the last forward;
 * adds to the parameter gradients (nn_zero_grad first). With need_dx set,
 * net->dx receives dLoss/dInput.
 */
void nn_zero_grad(struct nn_net *net);
void nn_backward(struct nn_net *net, const float *dy, int n);

/* One Adam step (beta1 0.9, beta2 0.999, eps 1e-8) on the gradients,
 * optionally with decoupled weight decay wd on the weights.
 */
int nn_adam_step(struct nn_net *net, float lr, float wd);

/* Forward any number of samples in chunks of max_batch; out: [n][out]. */
void nn_infer(struct nn_net *net, const float *x, int n, float *out);

/* Copy parameters between two nets of the same shape. */
int nn_copy_params(struct nn_net *dst, const struct nn_net *src);

#endif
