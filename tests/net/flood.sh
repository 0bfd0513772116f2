#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# New-flow flood: random 5-tuples (build/reliability/flood, AF_PACKET, as
# fast as it goes) while real flows run, `robot attach` on the receiving
# side with a classification budget (attach --budget 1000,1000: 1000 per
# second per CPU, burst 1000).
#
#   A: veth0 10.86.0.1 (robot attach; UDP receiver reading marks; TCP echo)
#   B: veth1 10.86.0.2 (3 UDP flows every 10 ms, a TCP session; flood)
#
# Checks: the budget holds (budget_exhausted rises; CNN runs during the
# flood stay within rate x time x CPUs + burst x CPUs); the real flows,
# classified before the flood, keep stage and class, and every datagram
# they deliver after classification carries the class mark (SO_RCVMARK);
# the TCP session never breaks; the daemon's RSS stays bounded (< 64 MiB
# growth) and it exits 0 on SIGTERM. Prints the flood rate and RSS.
# Env: FLOOD_SECONDS (2), FLOOD_TABLE (flow table entries, 1048576),
# ROBOT_E2E_MODELS. Skips (77) without root, python3, bpftool, a model
# or build/reliability/flood.
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot
FLOOD=$ROOT/build/reliability/flood
SECS=${FLOOD_SECONDS:-2}
TABLE=${FLOOD_TABLE:-1048576}
RATE=1000
skip() { echo "skip: $*"; exit 77; }
# shellcheck source=tests/net/lib/netns.sh
. "$ROOT/tests/net/lib/netns.sh"

rss() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status 2>/dev/null; }

a_side() {
	local T=$1 MODELS=$2 D r
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	"$ROBOT" attach veth0 --models "$MODELS" --flows "$TABLE" \
		--budget $RATE,$RATE --idle-timeout 300 --json-log >"$T/d.log" 2>"$T/d.err" &
	D=$!
	echo $D >"$T/d.pid"
	net_daemon_wait "$T/d.log" $D || { touch "$T/a.fail"; return; }
	# the classification budget, as attach --budget wrote it
	bpftool map lookup pinned /sys/fs/bpf/robot/robot_config_v1 key 0 0 0 0 |
		grep -q "\"rate\": $RATE" || { touch "$T/a.fail"; return; }
	python3 - "$T" <<'EOF' &
# UDP receiver on 5001: one line per datagram: source port, skb mark.
import socket, sys
T = sys.argv[1]
SO_RCVMARK = 75
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, SO_RCVMARK, 1)
s.bind(("10.86.0.1", 5001)); s.settimeout(30)
out = open(T + "/marks.txt", "w", buffering=1)
while True:
    try:
        data, anc, _, addr = s.recvmsg(2048, socket.CMSG_SPACE(4))
    except OSError:
        break
    if data == b"quit": break
    mark = 0
    for lvl, typ, val in anc:
        if lvl == socket.SOL_SOCKET and typ in (36, SO_RCVMARK):
            mark = int.from_bytes(val[:4], "little")
    out.write("%d %d %s\n" % (addr[1], mark, data[:6].decode()))
EOF
	python3 - <<'EOF' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.86.0.1", 7007)); s.listen(4); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60)
while True:
    d = c.recv(4096)
    if not d: break
    c.sendall(d)
EOF
	touch "$T/ready"
	# wait until the real flows have their verdicts (at most 8 s)
	for _ in $(seq 80); do
		sleep 0.1
		[ -e "$T/traffic" ] || continue
		"$ROBOT" flows --json >"$T/flows0.json"
		[ "$(grep '"dst":"10.86.0.1"' "$T/flows0.json" |
		     grep -c '"stage":"\(fast\|robust\)"')" -ge 4 ] && break
	done
	"$ROBOT" stats --json >"$T/stats0.json"
	r=$(rss $D); echo "before $r" >"$T/rss.txt"
	date +%s.%N >"$T/t0"
	touch "$T/go"
	while [ ! -e "$T/flood.done" ]; do
		r=$(rss $D); echo "during $r" >>"$T/rss.txt"
		sleep 0.25
	done
	date +%s.%N >"$T/t1"
	"$ROBOT" stats --json >"$T/stats1.json"
	"$ROBOT" flows --json --limit 2000000 >"$T/flows1.json" 2>/dev/null ||
		"$ROBOT" flows --json >"$T/flows1.json"
	sleep 1.5
	r=$(rss $D); echo "after $r" >>"$T/rss.txt"
	"$ROBOT" stats --json >"$T/stats2.json"
	net_daemon_stop $D
	touch "$T/a.done"
}

if [ "${1:-}" = "__a" ]; then
	a_side "$2" "$3"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, XDP)"
[ -x "$ROBOT" ] || skip "build/robot not built"
[ -x "$FLOOD" ] || skip "build/reliability/flood not built (make)"
command -v python3 >/dev/null || skip "python3 not installed"
command -v bpftool >/dev/null || skip "bpftool not installed"
net_models

S=$$ A=robot-fla-$S B=robot-flb-$S
T=$(mktemp -d /tmp/robot-flood.XXXXXX)
FAILED=0
cleanup() {
	[ -n "${CLP:-}" ] && kill "$CLP" 2>/dev/null
	net_cleanup
}
trap cleanup EXIT

net_pair $A $B 10.86.0
ip netns exec $A ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1
ip netns exec $B ethtool -K veth1 tso off gso off gro off >/dev/null 2>&1
MAC=$(ip -n $A -o link show veth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

ip netns exec $A "$0" __a "$T" "$MODELS" &
ASP=$!
for _ in $(seq 200); do
	[ -e "$T/ready" ] || [ -e "$T/a.fail" ] && break
	sleep 0.1
done
[ -e "$T/ready" ] || { FAILED=1; echo "FAIL: daemon did not start"; tail -n 5 "$T/d.err"; exit 1; }
sleep 0.3

# Real flows: 3 UDP flows (a datagram each every 10 ms) and a TCP session.
ip netns exec $B python3 - "$T" <<'EOF' &
import os, socket, sys, time
T = sys.argv[1]
u = []
for p in (6001, 6002, 6003):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.86.0.2", p)); u.append(s)
c = socket.create_connection(("10.86.0.1", 7007), timeout=5)
c.settimeout(2)
n = err = 0
while not os.path.exists(T + "/stop"):
    for i, s in enumerate(u):
        s.sendto(b"u%d%04d " % (i, n % 10000) + bytes([65 + i]) * (30 + 40 * i + n % 7), ("10.86.0.1", 5001))
    msg = b"t%06d " % n + b"x" * (n % 300)
    try:
        c.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = c.recv(4096)
            if not d: raise OSError("closed")
            got += d
    except OSError as e:
        err += 1
        break
    n += 1
    if n == 30: open(T + "/traffic", "w").close()
    time.sleep(0.01)
u[0].sendto(b"quit", ("10.86.0.1", 5001))
open(T + "/client.txt", "w").write("%d %d\n" % (n, err))
EOF
CLP=$!
for _ in $(seq 120); do [ -e "$T/go" ] || [ -e "$T/a.fail" ] && break; sleep 0.1; done
[ -e "$T/go" ] || { FAILED=1; echo "FAIL: real flows not classified"; exit 1; }
ip netns exec $B "$FLOOD" -i veth1 -m "$MAC" -t "$SECS" -S 10.200 \
	>"$T/flood.json" 2>"$T/flood.err"
touch "$T/flood.done"
sleep 1
touch "$T/stop"
wait $CLP
CLP=
for _ in $(seq 100); do [ -e "$T/a.done" ] && break; sleep 0.1; done

python3 - "$T" "$RATE" "$(nproc)" <<'EOF' || FAILED=1
import json, sys, collections
T, rate, ncpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bad = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)
CLASSES = ["VoIP", "Chat", "Streaming", "FileTransfer", "Email", "P2P", "Browsing"]
fl = json.load(open(T + "/flood.json"))
s0, s1, s2 = (json.load(open(T + "/stats%d.json" % i))["datapath"] for i in range(3))
dt = float(open(T + "/t1").read()) - float(open(T + "/t0").read())
d = {k: s1[k] - s0[k] for k in s1 if isinstance(s1[k], int)}
print("flood: %d packets, %d new flows in %.2f s: %.0f packets/s (errors %d)" %
      (fl["sent"], fl["flows"], fl["seconds"], fl["pps"], fl["errors"]))
print("during the flood (%.2f s): packets %d, new flows %d, cnn runs %d, budget exhausted %d, fdd flows %d, rb drops %d, insert fails %d" %
      (dt, d["packets"], d["new_flows"], d["cnn_runs"], d["budget_exhausted"], d["fdd_flows"], d["rb_drops"], d["flow_insert_fail"]))
check(d["packets"] >= fl["sent"] * 0.5, "the flood reached XDP (%d of %d packets)" % (d["packets"], fl["sent"]))
check(d["budget_exhausted"] > 0, "budget counter rises (%d refusals)" % d["budget_exhausted"])
bound = rate * (dt + 1) * ncpu + rate * ncpu
check(d["cnn_runs"] <= bound, "CNN runs bounded by the budget: %d <= %d (%d/s/CPU x %.1f s x %d CPUs + burst)" % (d["cnn_runs"], bound, rate, dt + 1, ncpu))
def real(path):
    out = {}
    for l in open(T + "/" + path):
        if not l.strip(): continue
        f = json.loads(l)
        if f["dst"] == "10.86.0.1" and f["src"] == "10.86.0.2":
            out[f["sport"]] = f
    return out
r0, r1 = real("flows0.json"), real("flows1.json")
check(len(r0) == 4, "4 real flows classified before the flood (%s)" % {p: r0[p]["stage"] for p in r0})
for p in sorted(r0):
    a, b = r0[p], r1.get(p)
    check(b is not None and b["stage"] == a["stage"] and b["class"] == a["class"]
          and b["packets"] > a["packets"],
          "real flow :%d keeps its verdict through the flood (%s/%s -> %s)" %
          (p, a["stage"], a["class"], ("%s/%s" % (b["stage"], b["class"])) if b else "gone"))
marks = collections.defaultdict(list)
for l in open(T + "/marks.txt"):
    port, mark, _ = l.split()
    marks[int(port)].append(int(mark))
for p in (6001, 6002, 6003):
    f = r0.get(p)
    if not f: continue
    want = CLASSES.index(f["class"]) + 1 if f["class"] in CLASSES else 0
    m = marks[p]
    # the marks after classification: the last 80% of the datagrams
    tail = m[len(m) // 5:]
    check(len(tail) > 50 and all(x == want for x in tail),
          "UDP :%d: %d datagrams after classification all marked %d (%s)" %
          (p, len(tail), want, collections.Counter(tail).most_common(3)))
n, err = map(int, open(T + "/client.txt").read().split())
check(err == 0 and n > 100, "TCP session unbroken (%d exchanges)" % n)
rs = [(l.split()[0], int(l.split()[1])) for l in open(T + "/rss.txt") if len(l.split()) == 2]
base = rs[0][1]
peak = max(r for _, r in rs)
print("daemon RSS: before %d KiB, peak %d KiB, after %d KiB (%d samples)" % (base, peak, rs[-1][1], len(rs)))
check(peak - base < 65536, "daemon RSS bounded (+%d KiB)" % (peak - base))
import os
check(os.path.exists(T + "/alive") and open(T + "/d.rc").read().strip() == "0",
      "daemon alive after the flood, SIGTERM exit 0")
sys.exit(1 if bad else 0)
EOF
[ "$FAILED" = 0 ] || { tail -n 5 "$T/d.err"; exit 1; }
echo "flood: all checks passed"
