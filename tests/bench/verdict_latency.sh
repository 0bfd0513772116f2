#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Benchmark (make bench): FDD-flow-to-verdict latency in the namespace
# setup, from the arrival of a flow's 20th packet (its ringbuf timestamp)
# to the robust verdict in the flow map, as the daemon's histogram reports
# it (robot stats: daemon.latency_p50/p90/p99_us; log-scale buckets, 4 per
# octave, so each figure is a bucket's upper bound).
#
#   A: veth0 10.88.0.1 (robot attach, default batching)
#   B: veth1 10.88.0.2 (FLOWS UDP flows of 22 packets, LAT_CONC at a time,
#                       1 ms apart)
#
# The Fast model is models/default with its threshold set so that every
# flow is FDD (tests/reliability/model_thresh.py all-fdd): every flow goes
# to the Robust model. Writes build/bench/verdict.json. Env: FLOWS (300),
# LAT_CONC (10), ROBOT_E2E_MODELS, ATTACH_ARGS (extra attach options).
# Prints "skip" and exits 0 without root, python3 or a model.
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot
FLOWS=${FLOWS:-300}
CONC=${LAT_CONC:-10}
OUTJ=$ROOT/build/bench/verdict.json
skip() { echo "skip: $*"; exit 0; }
# shellcheck source=tests/net/lib/netns.sh
. "$ROOT/tests/net/lib/netns.sh"

a_side() {
	local T=$1 D
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	# shellcheck disable=SC2086
	"$ROBOT" attach veth0 --models "$T/model" --idle-timeout 1000 \
		${ATTACH_ARGS:-} --json-log >"$T/d.log" 2>"$T/d.err" &
	D=$!
	echo $D >"$T/d.pid"
	net_daemon_wait "$T/d.log" $D || { touch "$T/a.fail"; return; }
	touch "$T/ready"
	for _ in $(seq 1200); do [ -e "$T/sent" ] && break; sleep 0.1; done
	sleep 1.5 # past the batch deadline and the stats write (1 s)
	"$ROBOT" stats --json >"$T/stats.json"
	kill -TERM $D
	wait $D
}

if [ "${1:-}" = "__a" ]; then
	a_side "$2"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "verdict latency needs root (namespaces, XDP)"
[ -x "$ROBOT" ] || skip "build/robot not built"
command -v python3 >/dev/null || skip "python3 not installed"
net_models robust

S=$$ A=robot-lta-$S B=robot-ltb-$S
T=$(mktemp -d /tmp/robot-lat.XXXXXX)
trap net_cleanup EXIT

mkdir -p "$T/model" "$(dirname "$OUTJ")"
python3 tests/reliability/model_thresh.py "$MODELS/fast.model" \
	"$T/model/fast.model" all-fdd || exit 1
cp "$MODELS/robust.model" "$T/model/"

net_pair $A $B 10.88.0

ip netns exec $A "$0" __a "$T" &
ASP=$!
for _ in $(seq 200); do
	[ -e "$T/ready" ] || [ -e "$T/a.fail" ] && break
	sleep 0.1
done
[ -e "$T/ready" ] || { echo "FAIL: daemon did not start"; tail -n 5 "$T/d.err"; exit 1; }

ip netns exec $B python3 - "$FLOWS" "$CONC" <<'EOF'
# CONC flows at a time, round robin, 1 ms between packets; 22 packets
# each so that the window fills (20) and the flow keeps going.
import socket, sys, time
flows, conc = int(sys.argv[1]), int(sys.argv[2])
done = 0
while done < flows:
    batch = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
             for _ in range(min(conc, flows - done))]
    for i in range(22):
        for j, s in enumerate(batch):
            s.sendto(b"lat %03d %02d " % (j, i) + b"q" * (40 + 7 * i),
                     ("10.88.0.1", 9000 + j))
            time.sleep(0.001 / len(batch))
    for s in batch:
        s.close()
    done += len(batch)
EOF
touch "$T/sent"
wait $ASP
ASP=
[ -s "$T/stats.json" ] || { echo "FAIL: no stats"; exit 1; }
python3 - "$T/stats.json" "$OUTJ" "$FLOWS" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
d = s["daemon"]
out = {
    "verdict_latency_p50_us": d["latency_p50_us"],
    "verdict_latency_p90_us": d["latency_p90_us"],
    "verdict_latency_p99_us": d["latency_p99_us"],
    "verdict_latency_flows": int(sys.argv[3]),
    "verdict_latency_verdicts": d.get("verdicts", d.get("robust_verdicts", 0)),
}
json.dump(out, open(sys.argv[2], "w"))
print("verdict latency (20th packet -> verdict in the map): p50 %.0f us, "
      "p90 %.0f us, p99 %.0f us over %s verdicts" % (
          out["verdict_latency_p50_us"], out["verdict_latency_p90_us"],
          out["verdict_latency_p99_us"], out["verdict_latency_verdicts"]))
EOF
