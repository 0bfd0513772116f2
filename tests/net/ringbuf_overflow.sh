#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Ringbuf overflow: `robot attach --ringbuf 4096` (one page, 28 records)
# with a Fast model whose threshold makes every flow FDD
# (tests/reliability/model_thresh.py all-fdd), flooded with thousands of
# new 3-packet flows (build/reliability/flood) from a second namespace.
#
#   A: veth0 10.87.0.1 (robot attach)  <->  B: veth1 10.87.0.2 (flood)
#
# Checks: records are dropped and counted (rb_drops), the dropped flows
# fall back (stage fallback: fast verdict kept as their class, no more
# than one flow per drop), every classified flow is FDD, the daemon keeps
# consuming (records, windows, robust verdicts) and survives; after the
# burst a new FDD flow still gets its robust verdict; SIGTERM exit 0 and
# nothing left. Skips (77) without root, python3, build/robot,
# build/reliability/flood or a model with robust.model.
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot
FLOOD=$ROOT/build/reliability/flood
skip() { echo "skip: $*"; exit 77; }
# shellcheck source=tests/net/lib/netns.sh
. "$ROOT/tests/net/lib/netns.sh"

a_side() {
	local T=$1 D rc
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	"$ROBOT" attach veth0 --models "$T/model" --ringbuf 4096 \
		--idle-timeout 300 --batch 16 --batch-deadline 20 --json-log \
		>"$T/d.log" 2>"$T/d.err" &
	D=$!
	echo $D >"$T/d.pid"
	net_daemon_wait "$T/d.log" $D || { touch "$T/a.fail"; return; }
	touch "$T/ready"
	for _ in $(seq 600); do [ -e "$T/flood.done" ] && break; sleep 0.1; done
	sleep 1 # idle timeout + batch deadline
	"$ROBOT" stats --json >"$T/stats1.json"
	"$ROBOT" flows --json >"$T/flows1.json"
	touch "$T/burst.checked"
	for _ in $(seq 300); do [ -e "$T/late.done" ] && break; sleep 0.1; done
	sleep 1
	"$ROBOT" flows --json >"$T/flows2.json"
	"$ROBOT" status --json >"$T/status.json"
	"$ROBOT" stats --json >"$T/stats2.json"
	net_daemon_stop $D
	net_leftovers veth0 >"$T/left.txt"
	touch "$T/a.done"
}

if [ "${1:-}" = "__a" ]; then
	a_side "$2"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, XDP)"
[ -x "$ROBOT" ] || skip "build/robot not built"
[ -x "$FLOOD" ] || skip "build/reliability/flood not built (make)"
command -v python3 >/dev/null || skip "python3 not installed"
net_models robust

S=$$ A=robot-rba-$S B=robot-rbb-$S
T=$(mktemp -d /tmp/robot-rb.XXXXXX)
FAILED=0
trap net_cleanup EXIT

mkdir -p "$T/model"
python3 tests/reliability/model_thresh.py "$MODELS/fast.model" \
	"$T/model/fast.model" all-fdd || { FAILED=1; exit 1; }
cp "$MODELS/robust.model" "$T/model/"

net_pair $A $B 10.87.0
MAC=$(ip -n $A -o link show veth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

ip netns exec $A "$0" __a "$T" &
ASP=$!
for _ in $(seq 200); do
	[ -e "$T/ready" ] || [ -e "$T/a.fail" ] && break
	sleep 0.1
done
[ -e "$T/ready" ] || { FAILED=1; echo "FAIL: daemon did not start"; tail -n 5 "$T/d.err"; exit 1; }

# 8000 new flows of 3 packets each, as fast as the sender goes.
ip netns exec $B "$FLOOD" -i veth1 -m "$MAC" -c 24000 -k 3 -t 20 \
	>"$T/flood.json" 2>"$T/flood.err"
touch "$T/flood.done"
for _ in $(seq 100); do [ -e "$T/burst.checked" ] && break; sleep 0.1; done
# After the burst: one ordinary UDP flow of 25 packets, 20 ms apart.
ip netns exec $B python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(25):
    s.sendto(b"late flow %02d " % i + b"z" * (20 + 3 * i), ("10.87.0.1", 9999))
    time.sleep(0.02)
'
touch "$T/late.done"
for _ in $(seq 300); do [ -e "$T/a.done" ] && break; sleep 0.1; done

python3 - "$T" <<'EOF' || FAILED=1
import json, sys
T = sys.argv[1]
bad = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)
def load(n):
    try: return json.load(open(T + "/" + n))
    except Exception: return None
fl = json.load(open(T + "/flood.json"))
print("flood: %d packets, %d flows in %.2f s (%.0f packets/s)" % (fl["sent"], fl["flows"], fl["seconds"], fl["pps"]))
s1, s2 = load("stats1.json"), load("stats2.json")
check(bool(s1 and s2), "stats readable")
# the daemon rewrites its counters every second: take them from the end
dp, dm = s2["datapath"], s2.get("daemon", {})
print("datapath: packets %d, new flows %d, cnn runs %d, fdd flows %d, records %d, drops %d" % (
      dp["packets"], dp["new_flows"], dp["cnn_runs"], dp["fdd_flows"], dp["rb_records"], dp["rb_drops"]))
print("daemon: records %d, windows %s, verdicts %d, pending %d" % (
      dm.get("records", 0), dm.get("windows"), dm.get("robust_verdicts", 0), dm.get("pending", 0)))
check(dp["fdd_flows"] >= 1000, "many FDD flows (%d)" % dp["fdd_flows"])
check(dp["fdd_flows"] == dp["cnn_runs"], "every classified flow is FDD (%d of %d)" % (dp["fdd_flows"], dp["cnn_runs"]))
check(dp["rb_drops"] > 0, "ringbuf full: drops counted (%d)" % dp["rb_drops"])
check(dp["rb_records"] > 0 and dm.get("records", 0) > 0, "records still reach the daemon (%d)" % dm.get("records", 0))
check(dm.get("records", 0) <= dp["rb_records"], "daemon records <= submitted")
check(dm.get("robust_verdicts", 0) > 0, "robust verdicts written (%d)" % dm.get("robust_verdicts", 0))
flows = [json.loads(l) for l in open(T + "/flows1.json") if l.strip()]
fb = [f for f in flows if f["stage"] == "fallback"]
check(len(fb) > 0, "flows fell back (%d)" % len(fb))
check(len(fb) <= dp["rb_drops"], "at most one fallback flow per drop")
check(all(f["fdd"] and f["class"] == f["fast_class"] and f["class"] != "-" for f in fb),
      "fallback flows keep the fast verdict as their class")
check(all(f["stage"] in ("collecting", "collected", "robust", "fallback") for f in flows if f["fdd"]),
      "every FDD flow collecting, collected, robust or fallback")
flows2 = [json.loads(l) for l in open(T + "/flows2.json") if l.strip()]
late = [f for f in flows2 if f["src"] == "10.87.0.2" and f["dport"] == 9999]
check(len(late) == 1 and late[0]["stage"] == "robust",
      "after the burst a new FDD flow gets its robust verdict (%s)" % (late[0]["stage"] if late else "absent"))
st = load("status.json")
import os
check(os.path.exists(T + "/alive") and bool(st) and st["running"], "daemon survived")
check(open(T + "/d.rc").read().strip() == "0", "SIGTERM: exit 0")
left = open(T + "/left.txt").read().strip()
check(left == "", "nothing left after exit" + (" (%s)" % left if left else ""))
sys.exit(1 if bad else 0)
EOF
[ "$FAILED" = 0 ] || { tail -n 5 "$T/d.err"; exit 1; }
echo "ringbuf_overflow: all checks passed"
