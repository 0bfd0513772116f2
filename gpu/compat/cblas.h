/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fallback <cblas.h> for building librobot_gpu.so (and, from gpu/check.sh,
 * the GPU test) on a CUDA box without libopenblas-dev: found only through
 * -idirafter, after the system's own cblas.h. It declares just what
 * user/nn.c calls; the library never calls it (the CPU forward pass is
 * dropped by --gc-sections), the check.sh fallback test links
 * gpu/compat/sgemm.c.
 */
#ifndef ROBOT_COMPAT_CBLAS_H
#define ROBOT_COMPAT_CBLAS_H

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112,
		       CblasConjTrans = 113 };

void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta,
		 enum CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
		 const float *a, int lda, const float *b, int ldb, float beta,
		 float *c, int ldc);

#endif
