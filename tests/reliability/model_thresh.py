#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Copy a fast.model with another FDD threshold (tensor q.thresh).

    model_thresh.py IN OUT THRESH|all-fdd|no-fdd

all-fdd: t = 1 (thresh = 127^2 * 2^16): every flow whose embedding is not
exactly on a centroid is FDD. no-fdd: thresh 1, the smallest the loader
takes (0 is rejected): FDD only when dot^2 * 2^16 < nrm2, i.e. for zero,
orthogonal or opposite embeddings. The crc32 metadata is recomputed as
st_write() does (user/model.c): zlib crc32 of the data section, then of
every other metadata key and value, each followed by a NUL, in file order.
"""
import json
import struct
import sys
import zlib


def main():
    src, dst, th = sys.argv[1:4]
    th = {"all-fdd": 127 * 127 * 65536, "no-fdd": 1}.get(th) if not \
        th.isdigit() else int(th)
    b = open(src, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    hdr = json.loads(b[8:8 + n])
    data = bytearray(b[8 + n:])
    beg, end = hdr["q.thresh"]["data_offsets"]
    assert end - beg == 8
    data[beg:end] = struct.pack("<Q", th)
    meta = hdr["__metadata__"]
    crc = zlib.crc32(bytes(data))
    for k, v in meta.items():
        if k != "crc32":
            crc = zlib.crc32(k.encode() + b"\0" + v.encode() + b"\0", crc)
    meta["crc32"] = str(crc)
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + bytes(data))


if __name__ == "__main__":
    main()
