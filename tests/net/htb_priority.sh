#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# HTB by skb->priority: `robot attach veth0 --htb 1:` on the sending side,
# an HTB root qdisc on veth0 with classes 1:1..1:7 (one per Robot class)
# and the default 1:99 under 1:ff, and no tc filter (the README's
# example). tc egress classifies the locally generated flows and sets
# skb->priority = 1:(class+1) before the root qdisc, where htb_classify()
# takes a priority that names a leaf class straight into it.
#
#   A: veth0 10.89.0.1 (robot attach --htb 1:, HTB, senders)
#          <->  B: veth1 10.89.0.2 (UDP sinks, TCP echo)
#
# The Fast model is models/default's with no FDD
# (tests/reliability/model_thresh.py no-fdd): every flow takes its fast
# verdict on its first payload packet. Static neighbours, no IPv6, no
# offloads: nothing else leaves veth0, so every count below is exact.
# For each flow, run alone, the HTB class counters (tc -s class show) and
# veth0's tx_packets before and after: the class of the flow in `robot
# flows --json` gets every packet from its first payload packet on, 1:99
# only the packets before it (UDP: none; TCP: SYN and the handshake ACK),
# no other class any. Then `robot marks set` mid-flow: the flow's next
# packets move to the new class (--priority 1:N), to the default 1:99
# (--priority 0: the priority is left alone) and back. With nft
# installed, nftables `meta mark and 0xff == N` rules on A's input count
# B's packets of the TCP flow: the SYN-ACK unmarked, every later one with
# the flow's mark (tc ingress marks before netfilter). Skips (77) without
# root, python3, ethtool, build/robot or a model.
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot
skip() { echo "skip: $*"; exit 77; }
# shellcheck source=tests/net/lib/netns.sh
. "$ROOT/tests/net/lib/netns.sh"

a_side() {
	local T=$1 D rc
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	"$ROBOT" attach veth0 --models "$T/model" --htb 1: --json-log \
		>"$T/d.log" 2>"$T/d.err" &
	D=$!
	echo $D >"$T/d.pid"
	net_daemon_wait "$T/d.log" $D || { touch "$T/a.fail"; return; }
	ROBOT=$ROBOT python3 - "$T" <<'EOF'
# The traffic, one flow (or phase) at a time, with HTB snapshots around
# each; writes T/phases.json for the checks.
import json, os, re, socket, subprocess, sys, time
T = sys.argv[1]
ROBOT = os.environ["ROBOT"]
DST = "10.89.0.2"

def htb():
    out = subprocess.run(["tc", "-s", "class", "show", "dev", "veth0"],
                         capture_output=True, text=True, check=True).stdout
    cls, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"class htb (\S+) ", line)
        if m:
            cur = m.group(1)
        m = re.match(r"\s*Sent (\d+) bytes (\d+) pkt", line)
        if m and cur and cur != "1:ff":  # the inner class counts all
            cls[cur] = int(m.group(2))
            cur = None
    return cls

def tx():
    return int(open("/sys/class/net/veth0/statistics/tx_packets").read())

def robot(*args):
    r = subprocess.run([ROBOT] + list(args), capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr

def flows():
    return [json.loads(l) for l in robot("flows", "--json")[1].splitlines()
            if l.strip()]

def flow_of(proto, sport):
    f = [f for f in flows() if f["proto"] == proto and f["sport"] == sport
         and f["src"] == "10.89.0.1"]
    return f[0] if len(f) == 1 else None

phases = []
def phase(name, proto, sport, send, **extra):
    h0, t0 = htb(), tx()
    send()
    time.sleep(0.3)  # the qdisc drained, the last ACKs sent
    h1, t1 = htb(), tx()
    f = flow_of(proto, sport)
    phases.append(dict(name=name, proto=proto, sport=sport, tx=t1 - t0,
                       htb={k: h1[k] - h0.get(k, 0) for k in h1},
                       flow=f, **extra))
    return f

def udp(sport, dport, payloads, gap=0.005):
    def send():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("10.89.0.1", sport))
        for p in payloads:
            s.sendto(p, (DST, dport))
            time.sleep(gap)
        s.close()
    return send

def tcp(sport, dport, chunks):
    def send():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind(("10.89.0.1", sport))
        s.settimeout(5)
        s.connect((DST, dport))
        for c in chunks:
            s.sendall(c)
            got = b""
            while len(got) < len(c):
                d = s.recv(65536)
                if not d:
                    raise OSError("closed")
                got += d
            time.sleep(0.005)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # the server's FIN
        s.close()
    return send

marks0 = [json.loads(l) for l in robot("marks", "--json")[1].splitlines()
          if l.strip()]
# idle: nothing else leaves veth0
h0, t0 = htb(), tx()
time.sleep(1)
h1, t1 = htb(), tx()
idle = dict(tx=t1 - t0, htb=sum(h1[k] - h0.get(k, 0) for k in h1))

# a few flows, each alone
phase("udp-sip", 17, 40001, udp(40001, 5060, [
    b"INVITE sip:bob@10.89.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.89.0.1:40001;branch=z9hG4bK%04d\r\n" % i
    for i in range(20)]))
phase("udp-rtp", 17, 40002, udp(40002, 5004, [
    bytes([0x80, 0x00]) + i.to_bytes(2, "big") + (i * 160).to_bytes(4, "big")
    + b"\x12\x34\x56\x78" + bytes((i * 7 + j) & 0xff for j in range(160))
    for i in range(40)]))
phase("udp-bulk", 17, 40003, udp(40003, 6881, [
    b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:%02d1:y1:qe" % (i % 100)
    + b"x" * (900 + i % 50) for i in range(30)]))
phase("tcp-http", 6, 40100, tcp(40100, 8080, [
    b"GET /index.html?%d HTTP/1.1\r\nHost: 10.89.0.2\r\nUser-Agent: t\r\n\r\n" % i
    for i in range(12)]))

# `robot marks set` mid-flow: one UDP flow (one 5-tuple) in four phases
pay = lambda k: [b"mid %d %03d " % (k, i) + b"m" * (40 + i) for i in range(15)]
f = phase("mid-1", 17, 40200, udp(40200, 5005, pay(1)))
mid = dict(flow=f)
if f and f["class"] != "-":
    cid = [m["id"] for m in marks0 if m["class"] == f["class"]][0]
    new = (cid + 1) % 7 + 1  # another HTB class of 1:1..1:7
    mid.update(cid=cid, new=new)
    mid["set1"] = robot("marks", "set", f["class"], "--priority",
                        "1:%x" % new, "--json")
    phase("mid-2", 17, 40200, udp(40200, 5005, pay(2)), want="1:%x" % new)
    mid["set0"] = robot("marks", "set", str(cid), "--priority", "0")
    phase("mid-3", 17, 40200, udp(40200, 5005, pay(3)), want="1:99")
    mid["set2"] = robot("marks", "set", f["class"].lower(), "--priority",
                        "1:%x" % (cid + 1))
    phase("mid-4", 17, 40200, udp(40200, 5005, pay(4)),
          want="1:%x" % (cid + 1))
    mid["marks"] = robot("marks", "--json")[1]
json.dump(dict(marks0=marks0, idle=idle, phases=phases, mid=mid,
               stats=json.loads(robot("stats", "--json")[1] or "null")),
          open(T + "/phases.json", "w"), indent=1)
EOF
	echo $? >"$T/py.rc"
	"$ROBOT" marks set NoSuchClass --priority 1:1 2>"$T/bad1.err"
	echo $? >"$T/bad1.rc"
	"$ROBOT" marks set Chat --priority 1:0 2>"$T/bad2.err"
	echo $? >"$T/bad2.rc"
	"$ROBOT" marks set Chat --mark 0x100 2>"$T/bad3.err"
	echo $? >"$T/bad3.rc"
	net_daemon_stop $D
	"$ROBOT" marks 2>"$T/gone.err"
	echo $? >"$T/gone.rc"
	net_leftovers veth0 >"$T/left.txt"
	touch "$T/a.done"
}

if [ "${1:-}" = "__a" ]; then
	a_side "$2"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, XDP, tc)"
[ -x "$ROBOT" ] || skip "build/robot not built"
command -v python3 >/dev/null || skip "python3 not installed"
command -v ethtool >/dev/null || skip "ethtool not installed"
net_models robust

S=$$ A=robot-htba-$S B=robot-htbb-$S
T=$(mktemp -d /tmp/robot-htb.XXXXXX)
FAILED=0
cleanup() {
	[ -n "${SINK:-}" ] && kill "$SINK" 2>/dev/null
	net_cleanup
}
trap cleanup EXIT

mkdir -p "$T/model"
python3 tests/reliability/model_thresh.py "$MODELS/fast.model" \
	"$T/model/fast.model" no-fdd || { FAILED=1; exit 1; }
cp "$MODELS/robust.model" "$T/model/"

net_pair $A $B 10.89.0
ip netns exec $A ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1
ip netns exec $B ethtool -K veth1 tso off gso off gro off >/dev/null 2>&1
ip -n $A link set veth0 up
ip -n $B link set veth1 up
MACA=$(ip -n $A -o link show veth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
MACB=$(ip -n $B -o link show veth1 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
# no ARP on the wire: every packet counted below is the flows'
ip -n $A neigh replace 10.89.0.2 lladdr "$MACB" dev veth0 nud permanent
ip -n $B neigh replace 10.89.0.1 lladdr "$MACA" dev veth1 nud permanent

# HTB on A's egress, as in the README: the link 1:ff, under it 1:1..1:7
# for the classes and the default 1:99; no tc filter
HTB="ip netns exec $A tc"
$HTB qdisc add dev veth0 root handle 1: htb default 99 || skip "no HTB qdisc"
$HTB class add dev veth0 parent 1: classid 1:ff htb rate 10gbit quantum 1514 ||
	{ FAILED=1; echo "FAIL: tc class 1:ff"; exit 1; }
for i in 1 2 3 4 5 6 7 99; do
	$HTB class add dev veth0 parent 1:ff classid 1:$i htb rate 1gbit \
		ceil 10gbit quantum 1514 ||
		{ FAILED=1; echo "FAIL: tc class 1:$i"; exit 1; }
done

# nftables (optional): count what comes in from B per Robot mark (tc
# ingress marks before netfilter), as the README's meta mark rules do
if command -v nft >/dev/null; then
	{ echo "table inet robot_test {"
	  echo "chain in { type filter hook input priority 0; policy accept;"
	  echo "ip saddr 10.89.0.2 counter comment \"all\""
	  for m in 0 1 2 3 4 5 6 7; do
		echo "ip saddr 10.89.0.2 meta mark and 0xff == $m counter comment \"m$m\""
	  done
	  echo "}"; echo "}"; } | ip netns exec $A nft -f - ||
		{ FAILED=1; echo "FAIL: nft ruleset"; exit 1; }
fi

# B: UDP sinks, a TCP echo server
ip netns exec $B python3 - <<'EOF' &
import select, socket, threading
def echo(c):
    c.settimeout(10)
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
    except OSError:
        pass
    c.close()
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.89.0.2", 8080)); ls.listen(8)
us = []
for p in (5060, 5004, 6881, 5005):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.89.0.2", p)); us.append(s)
while True:
    r, _, _ = select.select([ls] + us, [], [], 60)
    if not r:
        break
    for s in r:
        if s is ls:
            threading.Thread(target=echo, args=(ls.accept()[0],), daemon=True).start()
        else:
            s.recv(65536)
EOF
SINK=$!
sleep 0.3

ip netns exec $A "$0" __a "$T" &
ASP=$!
for _ in $(seq 900); do
	[ -e "$T/a.done" ] || [ -e "$T/a.fail" ] && break
	sleep 0.1
done
[ -e "$T/a.done" ] || { FAILED=1; echo "FAIL: daemon did not start or hung"; tail -n 5 "$T/d.err"; exit 1; }
wait $ASP
command -v nft >/dev/null &&
	ip netns exec $A nft list table inet robot_test >"$T/nft.txt"

python3 - "$T" <<'EOF' || FAILED=1
import json, os, sys
T = sys.argv[1]
bad = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)
def rd(n):
    try: return open(T + "/" + n).read().strip()
    except OSError: return ""
check(rd("py.rc") == "0", "traffic driver ran")
P = json.load(open(T + "/phases.json"))
m0 = P["marks0"]
check(len(m0) == 7 and all(m["priority"] == "1:%x" % (m["id"] + 1) and
      m["priority_raw"] == 0x10000 + m["id"] + 1 and
      m["mark"] == m["id"] + 1 and m["mask"] == 0xff for m in m0),
      "attach --htb 1: gives class c priority 1:(c+1), marks kept (robot marks --json)")
check(P["idle"]["tx"] == 0 and P["idle"]["htb"] == 0,
      "idle veth0: nothing else leaves (tx %d, htb %d in 1 s)" % (P["idle"]["tx"], P["idle"]["htb"]))
classes = set()
for ph in P["phases"]:
    f, h = ph["flow"], ph["htb"]
    name = ph["name"]
    check(f is not None and f["stage"] == "fast" and f["class"] != "-" and not f["fdd"],
          "%s: one flow, fast verdict (%s)" % (name, f and (f["stage"], f["class"])))
    if not f or f["class"] == "-":
        continue
    cid = [m["id"] for m in m0 if m["class"] == f["class"]][0]
    want = ph.get("want", "1:%x" % (cid + 1))
    classes.add(f["class"])
    total = sum(h.values())
    # packets before the first payload packet: none for UDP, SYN + the
    # handshake ACK for TCP; later phases of the mid-run flow: none
    pre = 2 if ph["proto"] == 6 else 0
    others = {k: v for k, v in h.items() if v and k not in (want, "1:99")}
    print("     %-9s %-12s tx %3d  %-4s %3d  1:99 %d  %s" % (name, f["class"], ph["tx"], want,
          h.get(want, 0), h.get("1:99", 0), others or ""))
    check(total == ph["tx"], "%s: HTB counted every packet veth0 sent (%d of %d)" % (name, total, ph["tx"]))
    check(ph["tx"] > pre and h.get(want, 0) == ph["tx"] - pre,
          "%s: class %s -> HTB %s: %d of %d packets (all but %d)" % (name, f["class"], want,
          h.get(want, 0), ph["tx"], pre))
    if want != "1:99":
        check(h.get("1:99", 0) == pre, "%s: %d in the default 1:99 (want %d: %s)" % (name,
              h.get("1:99", 0), pre, "SYN, handshake ACK" if pre else
              "after set" if "want" in ph else "first packet classified"))
    check(not others, "%s: no packet in another class" % name)
print("classes seen: %s" % ", ".join(sorted(classes)))
nft = rd("nft.txt")
if nft:
    import re
    cnt = {m.group(2): int(m.group(1)) for m in
           re.finditer(r'counter packets (\d+) bytes \d+ comment "(\w+)"', nft)}
    tf = [ph["flow"] for ph in P["phases"] if ph["name"] == "tcp-http"][0]
    if tf and tf["class"] != "-":
        tm = "m%d" % ([m["id"] for m in m0 if m["class"] == tf["class"]][0] + 1)
        print("     nft input from B: %s" % ", ".join("%s %d" % kv for kv in sorted(cnt.items()) if kv[1]))
        check(cnt.get("m0") == 1, "nft meta mark: B's SYN-ACK, before the verdict, unmarked (%s)" % cnt.get("m0"))
        check(cnt.get(tm, 0) >= 12 and cnt.get(tm) == cnt.get("all", 0) - 1,
              "nft meta mark and 0xff == %s: every later packet from B of the TCP flow (%s of %s)" % (
              tm[1:], cnt.get(tm), cnt.get("all")))
        check(sum(v for k, v in cnt.items() if k not in ("all", "m0", tm)) == 0,
              "nft: no packet with another mark")
else:
    print("     (nft not installed: no nftables check)")
mid = P["mid"]
check("new" in mid, "mid-run flow classified")
if "new" in mid:
    rc, out, err = mid["set1"]
    row = json.loads(out) if rc == 0 and out.strip() else {}
    check(rc == 0 and row.get("priority") == "1:%x" % mid["new"] and row.get("id") == mid["cid"],
          "robot marks set CLASS --priority 1:%x --json: exit 0, the new row (%s)" % (mid["new"], out.strip()))
    check(mid["set0"][0] == 0 and mid["set2"][0] == 0, "robot marks set by id and lowercase name: exit 0")
    rows = [json.loads(l) for l in mid["marks"].splitlines() if l.strip()]
    check([r["priority"] for r in rows] == [m["priority"] for m in m0], "priority restored")
    check(sum(1 for ph in P["phases"] if ph["name"].startswith("mid")) == 4,
          "mid-run flow: 4 phases, one 5-tuple, packets followed the priority")
for n, what in (("bad1", "unknown class"), ("bad2", "priority 1:0"), ("bad3", "mark outside the mask")):
    check(rd(n + ".rc") == "2" and rd(n + ".err") != "", "robot marks set, %s: exit 2 with a message" % what)
check(rd("gone.rc") == "1", "robot marks without a daemon: exit 1")
check(os.path.exists(T + "/alive"), "daemon survived")
check(rd("d.rc") == "0", "SIGTERM: exit 0")
left = rd("left.txt")
check(left == "", "nothing left after exit" + (" (%s)" % left if left else ""))
dp = (P.get("stats") or {}).get("datapath", {})
print("datapath: packets %s, new flows %s, cnn runs %s, fdd flows %s, tc marked %s" % (
      dp.get("packets"), dp.get("new_flows"), dp.get("cnn_runs"), dp.get("fdd_flows"), dp.get("tc_marked")))
sys.exit(1 if bad else 0)
EOF
[ "$FAILED" = 0 ] || { tail -n 5 "$T/d.err"; exit 1; }
echo "htb_priority: all checks passed"
