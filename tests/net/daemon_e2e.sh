#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# End-to-end test of `robot attach`: three namespaces
#
#   client (veth0 10.77.1.1) <-> (veth1 10.77.1.254) gw (veth2 10.77.2.254)
#                                               <-> (veth3 10.77.2.1) server
#
# The daemon attaches natively on the gateway's veth1 and veth2 with a
# model trained by `robot train` on the shared data. Traffic: captures of
# applications the model did not see in training (split A "unseen":
# Skype, Hangouts), replayed with tcpreplay from the client (the gateway's
# XDP sees them; they are not routable beyond it), plus real TCP flows
# client -> server through the gateway. Checks:
#   - datapath counters rise (packets, parsed, new flows, CNN runs)
#   - FDD flows reach the daemon (ringbuf records) and get robust
#     verdicts written into the flow map (`robot flows --json`)
#   - forwarded packets carry marks (htb classes per mark on the gateway's
#     egress, filled by a classic-BPF classifier reading skb->mark)
#   - after SIGTERM nothing is left: no XDP program, none of our tc
#     filters, no clsact where the daemon created it (veth1), clsact kept
#     where another filter lives (veth2), no pins, no state file
#   - a SIGKILLed daemon is cleaned up by `robot detach`
# Skips (77) without root, tcpreplay, the data or a trainer.
#
# Env: ROBOT_DATA (../shared/data/ndpi), ROBOT_E2E_MODELS (a model dir to
# use instead of training one into build/e2e-model).
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot

skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILED=1; }

# ------------------------------------------------------------ gateway side
# Runs inside `ip netns exec GW` (its own mount namespace: the daemon and
# the CLI calls must share it to see the same bpffs).
gw_side() {
	local T=$1 MODELS=$2 rc
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	"$ROBOT" -v attach veth1 veth2 --models "$MODELS" --json-log \
		--idle-timeout 400 --batch 8 --batch-deadline 50 \
		--flows 65536 >"$T/daemon.log" 2>"$T/daemon.err" &
	local D=$!
	for _ in $(seq 100); do
		grep -q '"started"' "$T/daemon.log" 2>/dev/null && break
		kill -0 $D 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '"started"' "$T/daemon.log"; then
		touch "$T/failed"
		wait $D
		return
	fi
	"$ROBOT" status --json >"$T/status.json"
	touch "$T/ready"
	for _ in $(seq 600); do
		[ -e "$T/traffic_done" ] && break
		sleep 0.1
	done
	sleep 1 # idle timeout + batch deadline
	"$ROBOT" stats --json >"$T/stats.json"
	"$ROBOT" stats --interval 200 --count 1 >"$T/stats_rate.txt"
	"$ROBOT" stats --prometheus >"$T/stats.prom"
	"$ROBOT" flows --json >"$T/flows.json"
	tc -s class show dev veth2 >"$T/marks.txt"
	# SIGHUP: both models reloaded (atomic slot swap).
	kill -HUP $D
	for _ in $(seq 50); do
		grep -q '"reload"' "$T/daemon.log" && break
		sleep 0.1
	done
	grep '"reload"' "$T/daemon.log" >"$T/reload.log"
	"$ROBOT" stats --json >"$T/stats_after_reload.json"
	# A second daemon must refuse (pin dir locked).
	"$ROBOT" attach veth1 >"$T/second.out" 2>&1
	echo $? >"$T/second.rc"
	kill -TERM $D
	wait $D
	echo $? >"$T/daemon.rc"
	{ ls /sys/fs/bpf/robot 2>/dev/null; ls /run/robot/ 2>/dev/null |
		grep "attach-$(stat -L -c %i /proc/self/ns/net)"; } >"$T/left.pins"
	ip -d link show dev veth1 | grep -o 'prog/xdp[^ ]*' >"$T/left.xdp"
	ip -d link show dev veth2 | grep -o 'prog/xdp[^ ]*' >>"$T/left.xdp"
	for d in veth1 veth2; do
		tc filter show dev $d ingress
		tc filter show dev $d egress
	done | grep robot_tc >"$T/left.tc"
	tc qdisc show dev veth1 | grep clsact >"$T/left.clsact1"
	tc qdisc show dev veth2 | grep clsact >"$T/left.clsact2"

	# SIGKILL, then robot detach.
	"$ROBOT" attach veth1 veth2 --models "$MODELS" --json-log \
		>"$T/daemon2.log" 2>"$T/daemon2.err" &
	D=$!
	for _ in $(seq 100); do
		grep -q '"started"' "$T/daemon2.log" 2>/dev/null && break
		sleep 0.1
	done
	kill -KILL $D
	wait $D 2>/dev/null
	ip -d link show dev veth1 | grep -o 'prog/xdp' >"$T/killed.xdp"
	"$ROBOT" detach >"$T/detach.out" 2>&1
	echo $? >"$T/detach.rc"
	{ ls /sys/fs/bpf/robot 2>/dev/null
	  ip -d link show dev veth1 | grep -o 'prog/xdp'
	  ip -d link show dev veth2 | grep -o 'prog/xdp'
	  for d in veth1 veth2; do
		tc filter show dev $d ingress; tc filter show dev $d egress
	  done | grep robot_tc
	} >"$T/detach.left"
	tc qdisc show dev veth1 | grep clsact >"$T/detach.clsact1"
	touch "$T/gw_done"
}

if [ "${1:-}" = "__gw" ]; then
	gw_side "$2" "$3"
	exit 0
fi

# ------------------------------------------------------------ prerequisites
[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, XDP)"
[ -x "$ROBOT" ] || skip "build/robot not built"
command -v tcpreplay >/dev/null || skip "tcpreplay not installed"
command -v python3 >/dev/null || skip "python3 not installed"
DATA=${ROBOT_DATA:-$ROOT/../shared/data/ndpi}
[ -f "$DATA/pcap/skype.pcap" ] || skip "no capture data at $DATA"

MODELS=${ROBOT_E2E_MODELS:-$ROOT/build/e2e-model}
if [ ! -f "$MODELS/fast.model" ] || [ ! -f "$MODELS/robust.model" ]; then
	"$ROBOT" train --help >/dev/null 2>&1 ||
		skip "no trainer (robot train) and no model in $MODELS"
	mkdir -p "$MODELS"
	echo "training a model into $MODELS (split A) ..."
	"$ROBOT" train --data "$DATA" --split A --out "$MODELS" \
		--fast-epochs 10 --robust-epochs 5 >"$MODELS/train.log" 2>&1 ||
		skip "robot train failed (see $MODELS/train.log)"
fi

T=$(mktemp -d /tmp/robot-e2e.XXXXXX)

# ------------------------------------------------------------ replay
# The same captures offline: BPF_PROG_TEST_RUN vs the userspace emulation
# must agree flow by flow (Ethernet, Linux SLL and raw-IP captures).
RP="$DATA/pcap/skype.pcap $DATA/pcap/hangout.pcap $DATA/pcap/KakaoTalk_chat.pcap $DATA/pcap/dingtalk.pcap"
"$ROBOT" replay --json --models "$MODELS" $RP >"$T/replay_bpf.json" 2>"$T/replay_bpf.err"
echo $? >"$T/replay_bpf.rc"
"$ROBOT" replay --json --emulate --models "$MODELS" $RP >"$T/replay_emu.json" 2>"$T/replay_emu.err"
echo $? >"$T/replay_emu.rc"
S=$$
CL=robot-cl-$S GW=robot-gw-$S SV=robot-sv-$S
FAILED=0

cleanup() {
	[ -n "${GWP:-}" ] && kill -TERM "$GWP" 2>/dev/null
	[ -n "${SRVP:-}" ] && kill "$SRVP" 2>/dev/null
	sleep 0.3
	ip netns del $CL 2>/dev/null
	ip netns del $GW 2>/dev/null
	ip netns del $SV 2>/dev/null
	if [ "$FAILED" = 0 ]; then rm -rf "$T"; else echo "logs in $T"; fi
}
trap cleanup EXIT

# ------------------------------------------------------------ topology
ip netns add $CL && ip netns add $GW && ip netns add $SV || skip "ip netns"
ip link add veth0 netns $CL type veth peer name veth1 netns $GW
ip link add veth2 netns $GW type veth peer name veth3 netns $SV
ip -n $CL addr add 10.77.1.1/24 dev veth0
ip -n $GW addr add 10.77.1.254/24 dev veth1
ip -n $GW addr add 10.77.2.254/24 dev veth2
ip -n $SV addr add 10.77.2.1/24 dev veth3
for ns in $CL $GW $SV; do
	ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n $CL link set veth0 up
ip -n $GW link set veth1 up
ip -n $GW link set veth2 up
ip -n $SV link set veth3 up
ip -n $CL route add default via 10.77.1.254
ip -n $SV route add default via 10.77.2.254
ip netns exec $GW sysctl -qw net.ipv4.ip_forward=1
# veth offloads make frames larger than the MTU; XDP wants real frames.
for p in "$CL veth0" "$GW veth1" "$GW veth2" "$SV veth3"; do
	set -- $p
	ip netns exec $1 ethtool -K $2 tso off gso off gro off >/dev/null 2>&1
done

# Count forwarded packets by mark (class + 1) on the gateway's egress: an
# htb root qdisc with one class per mark, 1:MARK, and a classic-BPF
# classifier whose classid is 0x10000 + (skb->mark & 0xff) (0: no match,
# default class 1:99). cls_fw/cls_basic/gact are not in every kernel.
#   ld mark; and #0xff; jeq #0 -> ret 0; add #0x10000; ret a
ip netns exec $GW tc qdisc add dev veth2 root handle 1: htb default 99
for m in 1 2 3 4 5 6 7 99; do
	ip netns exec $GW tc class add dev veth2 parent 1: classid 1:$m \
		htb rate 10gbit quantum 1514
done
ip netns exec $GW tc filter add dev veth2 parent 1: prio 1 handle 1 bpf \
	bytecode "6,32 0 0 4294963208,84 0 0 255,21 2 0 0,4 0 0 65536,22 0 0 0,6 0 0 0" \
	classid 1:99 || skip "no classic-BPF classifier"
# A foreign filter in a clsact of veth2 that matches nothing: the daemon
# must leave that clsact (not its own) in place.
ip netns exec $GW tc qdisc add dev veth2 clsact
ip netns exec $GW tc filter add dev veth2 ingress prio 1 handle 5 bpf \
	bytecode "1,6 0 0 0"

# ------------------------------------------------------------ daemon
ip netns exec $GW "$0" __gw "$T" "$MODELS" &
GWP=$!
for _ in $(seq 200); do
	[ -e "$T/ready" ] || [ -e "$T/failed" ] && break
	sleep 0.1
done
if [ ! -e "$T/ready" ]; then
	echo "daemon did not start:"
	cat "$T/daemon.err" "$T/daemon.log" 2>/dev/null | tail -20
	FAILED=1
	exit 1
fi

# ------------------------------------------------------------ traffic
# Real TCP flows through the gateway: 12 connections, 40 exchanges each.
ip netns exec $SV python3 - <<'EOF' &
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.2.1", 8080)); s.listen(64); s.settimeout(30)
def serve(c):
    try:
        with c:
            while True:
                d = c.recv(4096)
                if not d: break
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(d) + d)
    except OSError:
        pass
try:
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
except Exception:
    pass
EOF
SRVP=$!
sleep 0.5
ip netns exec $CL python3 - <<'EOF'
import socket, time
for i in range(12):
    c = socket.create_connection(("10.77.2.1", 8080), timeout=5)
    for j in range(40):
        c.sendall(b"GET /obj/%d/%d HTTP/1.1\r\nHost: server\r\n\r\n" % (i, j) + b"x" * (50 * j))
        c.recv(65536)
    c.close()
EOF
# Unseen applications, replayed from the client.
for f in skype.pcap hangout.pcap; do
	ip netns exec $CL tcpreplay -q -i veth0 --mbps 20 "$DATA/pcap/$f" \
		>>"$T/tcpreplay.log" 2>&1 || fail "tcpreplay $f"
done
touch "$T/traffic_done"
for _ in $(seq 300); do
	[ -e "$T/gw_done" ] && break
	sleep 0.1
done
[ -e "$T/gw_done" ] || { fail "gateway side did not finish"; exit 1; }

# ------------------------------------------------------------ checks
python3 - "$T" <<'EOF' || FAILED=1
import json, re, sys
T = sys.argv[1]
bad = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)

st = json.load(open(T + "/stats.json"))
dp, dm = st["datapath"], st.get("daemon", {})
check(dp["packets"] > 1000, "XDP packets counted (%d)" % dp["packets"])
check(dp["parsed"] > 500, "packets parsed (%d)" % dp["parsed"])
check(dp["new_flows"] >= 12, "flows created (%d)" % dp["new_flows"])
check(dp["cnn_runs"] > 0, "Fast model ran (%d)" % dp["cnn_runs"])
check(dp["fdd_flows"] > 0, "FDD flows found (%d)" % dp["fdd_flows"])
check(dp["rb_records"] > 0, "ringbuf records (%d)" % dp["rb_records"])
check(dm.get("records", 0) > 0, "records reached the daemon (%d)" % dm.get("records", 0))
check(dm.get("robust_verdicts", 0) > 0, "robust verdicts (%d)" % dm.get("robust_verdicts", 0))
check(dm.get("batches", 0) > 0, "inference batches (%d)" % dm.get("batches", 0))

flows = [json.loads(l) for l in open(T + "/flows.json") if l.strip()]
robust = [f for f in flows if f["stage"] == "robust"]
check(len(flows) >= 12, "flow table listed (%d flows)" % len(flows))
check(len(robust) > 0, "flows with a robust verdict in the flow map (%d)" % len(robust))
check(all(f["class"] == f["robust_class"] and f["fdd"] for f in robust),
      "robust flows: class = robust_class, fdd set")
tcp = [f for f in flows if f["dport"] == 8080 and f["dst"] == "10.77.2.1"]
check(len(tcp) == 12, "the 12 real TCP flows are in the table (%d)" % len(tcp))

marked = {}
txt = open(T + "/marks.txt").read()
for minor, pkts in re.findall(r"class htb 1:([0-9a-f]+) .*?\n\s*Sent \d+ bytes (\d+) pkt", txt):
    if 1 <= int(minor, 16) <= 7 and int(pkts):
        marked[int(minor, 16)] = int(pkts)
check(sum(marked.values()) > 0, "forwarded packets carry class marks %s" % marked)

status = json.load(open(T + "/status.json"))
check(status["running"] and len(status["interfaces"]) == 2,
      "status: running on 2 interfaces")
check(all(i["xdp_attached"] == "native" and i["tc_ingress"] and i["tc_egress"]
          for i in status["interfaces"]), "status: native XDP, tc both ways")
check(status["fast_version"] > 0 and status["robust_version"] > 0,
      "status: model versions")
check(open(T + "/second.rc").read().strip() == "1",
      "a second daemon is refused while one runs")
prom = open(T + "/stats.prom").read()
check('robot_datapath_total{counter="packets"}' in prom, "prometheus output")
check("per second" in open(T + "/stats_rate.txt").read(), "stats --interval rates")

rl = open(T + "/reload.log").read()
check("fast version" in rl, "SIGHUP reloads the models (%s)" % rl.strip())
check(json.load(open(T + "/stats_after_reload.json"))["daemon"]["reloads"] == 1,
      "reload counted")
check(open(T + "/daemon.rc").read().strip() == "0", "daemon exit 0 on SIGTERM")
for name, what in (("left.pins", "no pins, no state file"),
                   ("left.xdp", "no XDP program"),
                   ("left.tc", "no robot_tc filter"),
                   ("left.clsact1", "clsact removed where the daemon made it")):
    left = open(T + "/" + name).read().strip()
    check(left == "", "after SIGTERM: " + what + (" (left: %s)" % left if left else ""))
check(open(T + "/left.clsact2").read().strip() != "",
      "after SIGTERM: clsact with foreign filters kept")
check(open(T + "/killed.xdp").read().strip() != "", "SIGKILL leaves XDP attached")
check(open(T + "/detach.rc").read().strip() == "0", "robot detach exit 0")
left = open(T + "/detach.left").read().strip()
check(left == "", "after robot detach: nothing left" + (" (%s)" % left if left else ""))
check(open(T + "/detach.clsact1").read().strip() == "",
      "robot detach removes the clsact the daemon created")

def replay(name):
    flows, summ = {}, None
    for l in open(T + "/" + name):
        o = json.loads(l)
        if "summary" in o:
            summ = o["summary"]
            continue
        k = (o["file"], o["src"], o["sport"], o["dst"], o["dport"], o["proto"])
        flows[k] = (o["packets"], o["fast_class"], o["fdd"], o["class"], o["stage"])
    return flows, summ
check(open(T + "/replay_bpf.rc").read().strip() == "0", "replay exit 0")
rb, sb = replay("replay_bpf.json")
re_, se = replay("replay_emu.json")
check(sb and sb["mode"] == "bpf" and sb["captures"] == 4, "replay ran BPF_PROG_TEST_RUN on 4 captures")
check(se and se["mode"] == "emulated", "replay --emulate")
check(len(rb) > 100 and rb == re_, "replay: BPF and emulation agree on all %d flows" % len(rb))
check(sb and sb["robust_verdicts"] > 0 and sb["windows"] == sb["robust_verdicts"],
      "replay: one verdict per window")
check(sum(1 for v in rb.values() if v[4] == "robust") == sb["robust_verdicts"],
      "replay: one window per FDD flow")
sys.exit(1 if bad else 0)
EOF
if [ "$FAILED" != 0 ]; then
	echo "--- daemon stderr"; tail -20 "$T/daemon.err"
	exit 1
fi
echo "daemon_e2e: all checks passed"
exit 0
