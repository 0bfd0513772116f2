#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Seed corpora for the fuzzers, generated at run time into OUT/<fuzzer>/.

    seeds.py OUT [DATA]

DATA (../shared/data/ndpi) adds pieces of the real captures and labels:
single packets (fuzz_feat), the first records/blocks of every capture
(fuzz_pcap), slices of labels_flows.csv (fuzz_labels). Without it only
the synthetic seeds are written. Never copies the data into the repo.
"""
import os
import random
import struct
import sys

LINK_SEL = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3, 14: 3, 228: 6, 229: 7}


def read_capture(path, max_pkts):
    """(linktype, [(ts_ns, bytes)]) of a pcap/pcapng file, or None."""
    with open(path, "rb") as f:
        b = f.read(1 << 20)
    if len(b) < 24:
        return None
    magic = struct.unpack("<I", b[:4])[0]
    pkts = []
    if magic in (0xA1B2C3D4, 0xA1B23C4D, 0xD4C3B2A1, 0x4D3CB2A1):
        e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        link = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
        off = 24
        while off + 16 <= len(b) and len(pkts) < max_pkts:
            sec, frac, cap, _ = struct.unpack(e + "IIII", b[off:off + 16])
            if off + 16 + cap > len(b):
                break
            pkts.append((sec, b[off + 16:off + 16 + cap]))
            off += 16 + cap
        return link, pkts, b[:off]
    if magic == 0x0A0D0D0A:
        e = "<" if b[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off, link, end_ok = 0, None, 0
        while off + 12 <= len(b) and len(pkts) < max_pkts:
            btype, blen = struct.unpack(e + "II", b[off:off + 8])
            if blen < 12 or off + blen > len(b):
                break
            if btype == 1 and link is None:
                link = struct.unpack(e + "H", b[off + 8:off + 10])[0]
            elif btype == 6:
                cap = struct.unpack(e + "I", b[off + 20:off + 24])[0]
                pkts.append((0, b[off + 28:off + 28 + cap]))
            off += blen
            end_ok = off
        return link, pkts, b[:end_ok]
    return None


def pcap_file(pkts, link=1):
    """A classic pcap (ns timestamps) of [(ts_ns, frame)]."""
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, link)]
    for ts, fr in pkts:
        out.append(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(fr),
                               len(fr)))
        out.append(fr)
    return b"".join(out)


def csum(_):
    return 0


def ipv4(src, dst, proto, l4):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000,
                       64, proto, 0, bytes(src), bytes(dst)) + l4


def ipv6(src, dst, proto, l4):
    return struct.pack(">IHBB16s16s", 0x60000000, len(l4), proto, 64,
                       bytes(src), bytes(dst)) + l4


def udp(sp, dp, payload):
    return struct.pack(">HHHH", sp, dp, 8 + len(payload), 0) + payload


def tcp(sp, dp, flags, payload):
    return struct.pack(">HHIIBBHHH", sp, dp, 1, 0, 0x50, flags, 512, 0,
                       0) + payload


def eth(l3, v6=False):
    return b"\x02\0\0\0\0\2\x02\0\0\0\0\1" + (b"\x86\xdd" if v6 else
                                              b"\x08\x00") + l3


def a4(s):
    return [int(x) for x in s.split(".")]


def a6(last):
    return [0xFD] + [0] * 14 + [last]


def synthetic_pcap():
    """Packets of the flows named by fuzz_pcap.c's labels.csv."""
    s = 10**9
    p = []
    for i in range(4):  # VoIP UDP 10.0.0.1:5000 <-> 10.0.0.2:6000
        src, dst = ("10.0.0.1", "10.0.0.2") if i % 2 == 0 else \
            ("10.0.0.2", "10.0.0.1")
        sp, dp = (5000, 6000) if i % 2 == 0 else (6000, 5000)
        p.append((s + i * 1000, eth(ipv4(a4(src), a4(dst), 17,
                                        udp(sp, dp, b"v" * (40 + i))))))
    for i, fl in enumerate((2, 0x12, 0x10, 0x18)):  # TCP 443
        fwd = i != 1
        src, dst = ("10.0.0.1", "10.0.0.2") if fwd else ("10.0.0.2",
                                                       "10.0.0.1")
        sp, dp = (40000, 443) if fwd else (443, 40000)
        p.append((s + s // 2 + i * 1000, eth(ipv4(
            a4(src), a4(dst), 6, tcp(sp, dp, fl, b"x" * (10 * i))))))
    for i in range(3):  # IPv6 TCP
        p.append((2 * s + i, eth(ipv6(a6(1), a6(2), 6,
                                      tcp(40001, 443, 0x18, b"y" * 20)),
                                 v6=True)))
    for i in range(3):  # P2P, the same timestamps
        p.append((2 * s + s // 2, eth(ipv4(a4("10.0.0.3"), a4("10.0.0.4"),
                                           17, udp(6881, 6881, b"d1:a")))))
    return p


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else ""
    rnd = random.Random(1)
    syn = synthetic_pcap()
    # fuzz_pcap: synthetic capture, its pieces, pcapng-like junk
    write(out + "/fuzz_pcap", "syn.pcap", pcap_file(syn))
    write(out + "/fuzz_pcap", "syn_raw.pcap",
          pcap_file([(t, f[14:]) for t, f in syn], link=101))
    write(out + "/fuzz_pcap", "syn_short.pcap", pcap_file(syn[:3])[:-7])
    # fuzz_feat: every synthetic packet with each selector
    for i, (_, fr) in enumerate(syn):
        write(out + "/fuzz_feat", "syn%d_eth" % i, b"\0" + fr)
        write(out + "/fuzz_feat", "syn%d_l3" % i,
              (b"\7" if fr[12:14] == b"\x86\xdd" else b"\6") + fr[14:])
        write(out + "/fuzz_feat", "syn%d_sll" % i,
              b"\1" + b"\0\0\0\1\0\6" + fr[6:12] + b"\0\0" + fr[12:])
    # fuzz_collector: a complete window, a short one, junk records
    seq = bytes([0x03])
    for s in range(20):
        seq += bytes([0, 1, 0, s, 5])
    write(out + "/fuzz_collector", "window", seq + b"\x07")
    write(out + "/fuzz_collector", "idle",
          b"\x0a" + b"".join(bytes([8, 2, 1, s, 3]) for s in range(5)) +
          b"\x06\x10\x05\x04\x10" + bytes(16) + b"\x04\x88" + bytes(136))
    write(out + "/fuzz_collector", "evict",
          b"\x80" + b"".join(bytes([0, k, k, s, 1]) for k in range(8)
                             for s in range(3)) + b"\x05\x07")
    # fuzz_labels: a synthetic file (quotes, CRLF, IPv6, DNS rows)
    write(out + "/fuzz_labels", "syn.csv",
          b"file,source,app,category,encrypted,l4,src,sport,dst,dport,pkts,"
          b"bytes,first_ts,ndpi_label,ndpi_cat,sni,splitA,splitB\r\n"
          b"a.pcap,ndpi,\"Sky,pe\",VoIP,1,UDP,10.0.0.1,5000,10.0.0.2,6000,3,"
          b"300,1.000000001,Skype,VoIP,\"a \"\"b\"\"\",known,unseen\r\n"
          b"b.pcap,ndpi,x,Chat,1,TCP,fd00::1,1,fd00::2,2,3,3,2,DNS.x,c,,"
          b"unseen,known\n")
    if not data or not os.path.isdir(os.path.join(data, "pcap")):
        return
    pdir = os.path.join(data, "pcap")
    n_feat = 0
    for name in sorted(os.listdir(pdir)):
        r = read_capture(os.path.join(pdir, name), 6)
        if not r or r[0] is None:
            continue
        link, pkts, prefix = r
        if prefix:
            write(out + "/fuzz_pcap", name, prefix)
        sel = LINK_SEL.get(link)
        if sel is None:
            continue
        for i, (_, fr) in enumerate(pkts[:4]):
            s = sel
            if sel == 3 and fr:  # raw IP: also through parse_l3
                s = 6 if fr[0] >> 4 == 4 else 7
            write(out + "/fuzz_feat", "%s.%d" % (name, i),
                  bytes([s]) + fr[:1600])
            n_feat += 1
    lab = os.path.join(data, "labels_flows.csv")
    if os.path.exists(lab):
        lines = open(lab, "rb").read().split(b"\n")
        write(out + "/fuzz_labels", "head", b"\n".join(lines[:12]) + b"\n")
        for i in range(4):
            k = rnd.randrange(1, max(2, len(lines) - 8))
            write(out + "/fuzz_labels", "slice%d" % i,
                  b"\n".join([lines[0]] + lines[k:k + 6]) + b"\n")


if __name__ == "__main__":
    main()
