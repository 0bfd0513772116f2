#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The datapath on a veth pair, loaded with plain iproute2 (no Robot
# userspace): native XDP and tc clsact ingress+egress on veth0 in
# namespace A, traffic from veth1 in namespace B.
#
#   A: veth0 10.99.0.1 (XDP robot_xdp, tc robot_tc)  <->  B: veth1 10.99.0.2
#
# Phase 1, no model: every packet passes, counters move (packets, parsed,
# new flows, no-model), CNN never runs, flows wait (stage WAIT) with the
# initiator recorded. Phase 2: a verdict written into the flow map (as the
# daemon does) and a mark per class: tc marks ingress packets (seen by a
# UDP socket through SO_RCVMARK) and egress packets (TC_MARKED counter),
# the flows count as known. Skips (77) without root, iproute2, bpftool,
# python3 or build/robot.bpf.o.
cd "$(dirname "$0")/../.." || exit 1
OBJ=$PWD/build/robot.bpf.o

skip() { echo "skip: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
for c in ip tc bpftool python3; do
	command -v $c >/dev/null || skip "no $c"
done
[ -f "$OBJ" ] || skip "$OBJ not built (make)"

A=robot_xv_a$$
B=robot_xv_b$$
T=$(mktemp -d /tmp/robot_xv.XXXXXX)
cleanup() {
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ip netns add $A || exit 1
ip netns add $B || exit 1
ip -n $A link add veth0 type veth peer name veth1 netns $B || exit 1
ip -n $A addr add 10.99.0.1/24 dev veth0
ip -n $B addr add 10.99.0.2/24 dev veth1
ip -n $A link set veth0 up
ip -n $B link set veth1 up
ip -n $A link set lo up
ip -n $B link set lo up

# ----------------------------------------------------------- helpers (py)
cat >"$T/udp_recv.py" <<'EOF'
# Receive UDP on 10.99.0.1:5001, print each datagram's skb->mark.
import socket, sys
SO_RCVMARK = 75
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, SO_RCVMARK, 1)
s.bind(("10.99.0.1", 5001))
s.settimeout(10)
out = open(sys.argv[1], "w", buffering=1)
while True:
    try:
        data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(4))
    except socket.timeout:
        break
    if data == b"stop":
        break
    mark = 0
    for lvl, typ, val in anc:
        # the kernel reports it as SO_MARK (36)
        if lvl == socket.SOL_SOCKET and typ in (36, SO_RCVMARK):
            mark = int.from_bytes(val[:4], "little")
    out.write("%s %d\n" % (data[:2].decode(), mark))
EOF
cat >"$T/udp_send.py" <<'EOF'
# Send N datagrams tagged TAG from 10.99.0.2:6001 to 10.99.0.1:5001.
import socket, sys, time
n, tag = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 6001))
for i in range(n):
    s.sendto(tag.encode() + b"x" * 40, ("10.99.0.1", 5001))
    time.sleep(0.002)
if len(sys.argv) > 3:
    s.sendto(b"stop", ("10.99.0.1", 5001))
EOF
cat >"$T/tcp_echo.py" <<'EOF'
# Echo server on 10.99.0.1:5002, one connection.
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.1", 5002))
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(20)
while True:
    d = c.recv(4096)
    if not d:
        break
    c.sendall(d)
c.close()
EOF
cat >"$T/tcp_client.py" <<'EOF'
# N request/echo rounds, wait for file GO, N more rounds on the same
# connection (one flow across both phases).
import os, socket, sys, time
n, go = int(sys.argv[1]), sys.argv[2]
c = socket.create_connection(("10.99.0.1", 5002), timeout=5)
def rounds():
    for i in range(n):
        msg = b"hello %d " % i * 8
        c.sendall(msg)
        got = b""
        while len(got) < len(msg):
            got += c.recv(4096)
rounds()
open(go + ".ready", "w").close()
for _ in range(300):
    if os.path.exists(go):
        break
    time.sleep(0.05)
rounds()
c.close()
EOF
# Stats and flows from the pinned maps: stats.py MAPDIR -> "idx value" lines;
# flow.py MAPDIR KEYHEX -> the value's fields.
cat >"$T/stats.py" <<'EOF'
import json, subprocess, sys
d = json.loads(subprocess.check_output(["bpftool", "-j", "map", "dump",
        "pinned", sys.argv[1] + "/robot_stats_v1"]))
for e in d:
    k = int.from_bytes(bytes(int(x, 16) for x in e["key"]), "little")
    v = sum(int.from_bytes(bytes(int(x, 16) for x in c["value"]), "little")
            for c in e["values"])
    print(k, v)
EOF
cat >"$T/flow.py" <<'EOF'
# flow.py MAPDIR KEYHEX [STAGE ROBUST CLASS]: print (or set) a flow.
import json, subprocess, sys
key = sys.argv[2].split()
pin = sys.argv[1] + "/robot_flows_v1"
r = json.loads(subprocess.check_output(["bpftool", "-j", "map", "lookup",
        "pinned", pin, "key", "hex"] + key))
v = bytearray(int(x, 16) for x in r["value"])
u64 = lambda o: int.from_bytes(v[o:o + 8], "little")
print("packets %d bytes %d stage %d fast_class %d robust_class %d class %d a_is_init %d"
      % (u64(16), u64(24), v[46], v[47], v[48], v[49], v[51]))
if len(sys.argv) > 3:
    v[46], v[48], v[49] = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    subprocess.check_call(["bpftool", "map", "update", "pinned", pin, "key",
        "hex"] + key + ["value", "hex"] + ["%02x" % b for b in v])
EOF

# --------------------------------------------------------------- A side
# One `ip netns exec` for everything that needs the bpffs mount (each
# invocation gets its own mount namespace).
cat >"$T/a_side.sh" <<'EOF'
T=$1 OBJ=$2 B=$3
P=/sys/fs/bpf/tc/globals
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
stat() { python3 "$T/stats.py" $P | awk -v k=$1 '$1 == k { print $2 }'; }
mount -t bpf bpf /sys/fs/bpf || { echo "FAIL: mount bpffs"; exit 1; }
ip link set dev veth0 xdpdrv obj "$OBJ" sec xdp || { echo "FAIL: ip link set xdp"; exit 1; }
tc qdisc add dev veth0 clsact || exit 1
tc filter add dev veth0 ingress bpf da obj "$OBJ" sec tc || { echo "FAIL: tc ingress"; exit 1; }
tc filter add dev veth0 egress bpf da obj "$OBJ" sec tc || { echo "FAIL: tc egress"; exit 1; }
ip -d link show veth0 | grep -q "prog/xdp id" || fail "XDP not attached in native mode"
ip link show veth0 | grep -q xdpgeneric && fail "generic XDP, expected native"

# Phase 1: no model
python3 "$T/udp_recv.py" "$T/marks1" &
RX=$!
python3 "$T/tcp_echo.py" &
SRV=$!
sleep 0.3
ip netns exec $B python3 "$T/udp_send.py" 30 p1 stop
ip netns exec $B python3 "$T/tcp_client.py" 5 "$T/go" &
CL=$!
for _ in $(seq 100); do [ -e "$T/go.ready" ] && break; sleep 0.05; done
[ -e "$T/go.ready" ] || fail "tcp client (no model)"
wait $RX
[ "$(wc -l <"$T/marks1")" -eq 30 ] || fail "udp: $(wc -l <"$T/marks1") of 30 datagrams arrived"
grep -qv " 0$" "$T/marks1" && fail "marked without a model: $(sort -u "$T/marks1" | head -3)"
# stat indexes: enum robot_stat
for i in 0 2 8 12 11 10 18; do eval "s$i=$(stat $i)"; done
echo "no model: packets $s0 parsed $s2 new_flows $s8 no_model $s12 cnn $s11 known $s10 tc_marked $s18"
[ "$s0" -ge 40 ] || fail "packets $s0 < 40"
[ "$s2" -ge 40 ] || fail "parsed $s2 < 40"
[ "$s8" -ge 2 ] || fail "new flows $s8 < 2"
[ "$s12" -ge 30 ] || fail "no_model $s12 < 30"
[ "$s11" -eq 0 ] || fail "CNN ran $s11 times without a model"
[ "$s18" -eq 0 ] || fail "tc marked $s18 packets without a model"
# the UDP flow: 10.99.0.1:5001 is side a, B initiated
KEY="0a 63 00 01 $(printf '00 %.0s' {1..12}) 0a 63 00 02 $(printf '00 %.0s' {1..12}) 13 89 17 71 11 04 00 00"
F=$(python3 "$T/flow.py" $P "$KEY") || fail "UDP flow not in the map"
echo "udp flow: $F"
echo "$F" | grep -q "stage 0 " || fail "UDP flow not waiting: $F"
echo "$F" | grep -q "a_is_init 0" || fail "UDP flow initiator: $F"
echo "$F" | grep -Eq "packets (3[0-9]|[4-9][0-9])" || fail "UDP flow packets: $F"

# Phase 2: verdicts (as the daemon writes them) and marks
bpftool map update pinned $P/robot_marks_v1 key 2 0 0 0 value 0x33 0 0 0 0xff 0 0 0 0 0 0 0 0 0 0 0 || fail "marks update"
bpftool map update pinned $P/robot_marks_v1 key 3 0 0 0 value 0x44 0 0 0 0xff 0 0 0 0 0 0 0 0 0 0 0 || fail "marks update"
python3 "$T/flow.py" $P "$KEY" 5 2 2 >/dev/null || fail "flow update"
TKEY=$(python3 - "$P" <<'PY'
import json, subprocess, sys
d = json.loads(subprocess.check_output(["bpftool", "-j", "map", "dump",
        "pinned", sys.argv[1] + "/robot_flows_v1"]))
for e in d:
    k = [int(x, 16) for x in e["key"]]
    if k[36] == 6 and k[32:34] == [0x13, 0x8a]:
        print(" ".join("%02x" % b for b in k))
PY
)
[ -n "$TKEY" ] || fail "TCP flow not in the map"
[ -n "$TKEY" ] && { python3 "$T/flow.py" $P "$TKEY" 5 3 3 >/dev/null || fail "tcp flow update"; }
k0=$(stat 10) m0=$(stat 18)
python3 "$T/udp_recv.py" "$T/marks2" &
RX=$!
sleep 0.3
ip netns exec $B python3 "$T/udp_send.py" 20 p2 stop
touch "$T/go"
wait $CL || fail "tcp client (marks)"
wait $RX
wait $SRV
n=$(grep -c " 51$" "$T/marks2")
[ "$n" -eq 20 ] || fail "udp: $n of 20 datagrams carried mark 0x33: $(sort | uniq -c <"$T/marks2" | head)"
k1=$(stat 10) m1=$(stat 18)
echo "verdicts: known $k0 -> $k1, tc_marked $m0 -> $m1"
[ $((k1 - k0)) -ge 20 ] || fail "known-flow packets $((k1 - k0)) < 20"
# ingress: 20 udp datagrams + 5 tcp requests; egress: 5 tcp echoes
[ $((m1 - m0)) -ge 30 ] || fail "tc marked $((m1 - m0)) < 30"
[ -n "$TKEY" ] && python3 "$T/flow.py" $P "$TKEY"
exit $fails
EOF

ip netns exec $A bash "$T/a_side.sh" "$T" "$OBJ" $B
rc=$?
[ $rc -eq 0 ] && echo "xdp_veth: ok" || echo "xdp_veth: $rc failure(s)"
exit $rc
