// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A plain reference cblas_sgemm (row-major and column-major, float
 * accumulation), for gpu/check.sh when OpenBLAS is absent: it links the
 * GPU test's CPU reference (user/nn.c) against this. Never part of
 * librobot_gpu.so or build/robot.
 */
#include <stddef.h>
#include "cblas.h"

static float at(const float *a, int ld, int trans, int row_major, int i,
		int j)
{
	/* element (i, j) of op(A) */
	if (trans)
		return row_major ? a[(size_t)j * ld + i] : a[(size_t)i * ld + j];
	return row_major ? a[(size_t)i * ld + j] : a[(size_t)j * ld + i];
}

void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta,
		 enum CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
		 const float *a, int lda, const float *b, int ldb, float beta,
		 float *c, int ldc)
{
	int rm = order == CblasRowMajor, i, j, p;
	float s, *cij;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			s = 0.0f;
			for (p = 0; p < k; p++)
				s += at(a, lda, ta != CblasNoTrans, rm, i, p) *
				     at(b, ldb, tb != CblasNoTrans, rm, p, j);
			cij = rm ? &c[(size_t)i * ldc + j] :
				   &c[(size_t)j * ldc + i];
			*cij = alpha * s + (beta == 0.0f ? 0.0f : beta * *cij);
		}
}
