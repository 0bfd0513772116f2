/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fallback <zlib.h> for building librobot_gpu.so on a CUDA box without
 * zlib1g-dev (found only through -idirafter): what user/model.c uses.
 * The library links the runtime libz.so.1, present on any distribution.
 */
#ifndef ROBOT_COMPAT_ZLIB_H
#define ROBOT_COMPAT_ZLIB_H

typedef unsigned long uLong;
typedef unsigned int uInt;
typedef unsigned char Bytef;
#define Z_NULL 0

uLong crc32(uLong crc, const Bytef *buf, uInt len);

#endif
