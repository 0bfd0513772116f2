/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * model.h - model files and the float Fast model.
 *
 * File format (both fast.model and robust.model): the safetensors layout.
 *   bytes 0..7    N, the header length, little-endian u64
 *   bytes 8..8+N  JSON header (UTF-8, padded with spaces to a multiple of 8):
 *     { "<tensor>": { "dtype": "F32"|"I8"|"U8"|"I32"|"U64",
 *                     "shape": [d0, ...], "data_offsets": [begin, end] },
 *       ...,
 *       "__metadata__": { "<key>": "<string value>", ... } }
 *   bytes 8+N..   the tensor data, little-endian, row-major; offsets are
 *                 relative to the start of this section, contiguous.
 * Metadata always holds "format" ("robot-fast" / "robot-robust"),
 * "format_version", "crc32" (decimal, zlib crc32 of the whole data
 * section continued over every other metadata key and value, each followed
 * by a NUL, in file order), class names and robot_class ids, the training seed, the
 * training data checksum, and the model's hyper-parameters (see docs/
 * models.md for every key). The model version used by the data path
 * (robot_fastq.version) is that crc32 (1 if it is 0).
 *
 * Loading validates everything before use: header length within the file
 * and ST_HDR_MAX before any allocation, the JSON well-formed, every tensor's
 * dtype known, shape matching its byte size, offsets inside the data
 * section, the crc32, and then every expected tensor's dtype and shape.
 * A bad file gives -EINVAL (-ENOENT/-EIO for I/O) and one pr_warn line
 * naming the file and the problem; never a crash.
 */
#ifndef ROBOT_MODEL_H
#define ROBOT_MODEL_H

#include <stddef.h>
#include <linux/types.h>
#include "robot_abi.h"
#include "fastq.h"
#include "nn.h"

/* ------------------------------------------------ safetensors container */

enum st_dtype {
	ST_F32 = 1,
	ST_I8,
	ST_U8,
	ST_I32,
	ST_U64,
};

#define ST_MAX_TENSORS 64
#define ST_MAX_META 64
#define ST_NAME_MAX 64
#define ST_MAX_DIMS 4
#define ST_HDR_MAX (1u << 20)    /* header bytes */
#define ST_FILE_MAX (256u << 20) /* whole file */

struct st_tensor {
	char name[ST_NAME_MAX];
	int dtype;   /* enum st_dtype */
	int ndim;
	__u64 shape[ST_MAX_DIMS];
	__u64 off, len;   /* in the data section */
	const void *src;  /* writer: the data */
};

struct st_file {
	int n;
	struct st_tensor t[ST_MAX_TENSORS];
	int n_meta;
	char *mk[ST_MAX_META], *mv[ST_MAX_META]; /* owned */
	__u8 *data;     /* reader: the data section (owned) */
	__u64 data_len;
	__u32 crc;      /* crc32 of the data section */
	char path[256]; /* for messages */
};

void st_init(struct st_file *f);
void st_free(struct st_file *f);
/* Writer: add a tensor (data referenced until st_write) or a string. */
int st_add(struct st_file *f, const char *name, int dtype, int ndim,
	   const __u64 *shape, const void *data);
int st_meta_set(struct st_file *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write atomically (temporary file + rename); sets "crc32". */
int st_write(struct st_file *f, const char *path);
/* Read and validate (see above). */
int st_read(const char *path, struct st_file *f);
const char *st_meta(const struct st_file *f, const char *key);
/* Copy tensor `name` into dst after checking dtype and shape. */
int st_get(const struct st_file *f, const char *name, int dtype, int ndim,
	   const __u64 *shape, void *dst);
size_t st_dtype_size(int dtype);

/* ------------------------------------------------------ shared metadata */

#define ROBOT_MODEL_FORMAT_VERSION 1
#define ROBOT_MODEL_NAME_MAX 48

struct robot_model_meta {
	__u32 n_classes;
	char class_names[ROBOT_CLASS_MAX][ROBOT_MODEL_NAME_MAX];
	__u8 class_ids[ROBOT_CLASS_MAX]; /* enum robot_class of each */
	float a, b, m;     /* loss margins (b: robust only) */
	float beta, D;     /* FDD: D = beta * a (fast only) */
	__u64 seed;
	__u32 data_checksum; /* robot_dataset.checksum of the training data */
	char split[8];     /* "A", "B", "none" */
	__u32 version;     /* set by the loader: data crc32 (never 0) */
};

int robot_meta_put(struct st_file *f, const struct robot_model_meta *m,
		   const char *format);
int robot_meta_get(const struct st_file *f, struct robot_model_meta *m,
		   const char *format);
/* Name of robot_class id c in this model ("?" if absent). */
const char *robot_meta_class_name(const struct robot_model_meta *m, int c);

/* ------------------------------------------------- the float Fast model */

/* Float twin of struct robot_fastq: x = hdr / 255 -> conv1d -> ReLU ->
 * conv1d -> ReLU -> dense -> L2-normalize; net layers 0..5 in that order.
 */
struct robot_fast {
	struct robot_fastq_arch arch;
	struct nn_net net;
	__u32 n_cent;
	float cent[ROBOT_FASTQ_CENT_MAX][ROBOT_FASTQ_EMB_MAX]; /* unit rows */
	__u8 cent_class[ROBOT_FASTQ_CENT_MAX]; /* enum robot_class */
	/* quantization scales (float value of one integer step) */
	float s1[ROBOT_FASTQ_C1_MAX]; /* conv1 output, per channel */
	float s2[ROBOT_FASTQ_C2_MAX]; /* conv2 output, per channel */
	float se;                     /* embedding (pre-normalization) */
	/* calibration choice, written to the metadata (quant.h) */
	float q_p_act, q_p_emb;       /* percentile, -1: MSE clip */
	int q_mode;                   /* 0 plain, 1 refit, 2 GPTQ, 3 both */
	float fdd_q;  /* > 0: D was calibrated at this quantile (train.h) */
	struct robot_model_meta meta;
};

struct robot_fast_out {
	__u8 class;  /* enum robot_class */
	__u8 fdd;    /* 1: every centroid farther than meta.D */
	__u8 best;   /* nearest centroid */
	float dist;  /* its Euclidean distance */
};

/* Build the network for arch (checked; l1/l2 filled). */
int robot_fast_init(struct robot_fast *f, const struct robot_fastq_arch *arch,
		    int max_batch, int train);
void robot_fast_free(struct robot_fast *f);
/* The model input of a header vector: hdr[i] / 255. */
void robot_fast_input(const __u8 hdr[ROBOT_HDR_LEN], float *x);
/* Embeddings ([n][emb], unit length) of n header vectors. */
int robot_fast_embed(struct robot_fast *f, const __u8 (*hdr)[ROBOT_HDR_LEN],
		     int n, float *emb);
/* Nearest centroid and FDD of one embedding. */
void robot_fast_decide(const struct robot_fast *f, const float *emb,
		       struct robot_fast_out *out);

/* Save the float model and its quantized twin q to one file. */
int robot_fast_save(const char *path, const struct robot_fast *f,
		    const struct robot_fastq *q);
/* Load the quantized model (q), and optionally the float model (f, which
 * must be zeroed or freed; it is initialized here) and the metadata.
 */
int robot_fastq_load(const char *path, struct robot_fastq *q,
		     struct robot_fast *f, struct robot_model_meta *meta);

#endif
