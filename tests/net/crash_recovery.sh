#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Crash recovery: `robot attach` killed with SIGKILL in the middle of
# traffic.
#
#   A: veth0 10.88.0.1 (robot attach, echo server) <-> B: veth1 10.88.0.2
#
# A TCP session from B (a message every 10 ms, each echoed) runs
# throughout. Checks:
#   1. after SIGKILL the datapath keeps running on its own (fail-open):
#      XDP still attached, pinned counters still rising,
#      the flow map still holds the verdicts it had, the session goes on;
#   2. a new `robot attach` takes over: it removes what the dead daemon
#      left (fresh maps: other pinned map ids, a single XDP program, one
#      robot_tc filter per direction) and classifies again;
#   3. SIGKILL again, then `robot detach`: no XDP program, no robot_tc
#      filter, no clsact, no pins, no state file left;
#   4. the TCP session never broke (no error, no 2 s stall), and went on
#      while the daemon was dead.
# Uses build/e2e-model (or $ROBOT_E2E_MODELS) when it has fast.model,
# else count-only mode. Skips (77) without root or python3.
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot

skip() { echo "skip: $*"; exit 77; }
# shellcheck source=tests/net/lib/netns.sh
. "$ROOT/tests/net/lib/netns.sh"

# ------------------------------------------------- side A (one mount ns)
a_side() {
	local T=$1 MODELS=$2 D
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	start() { # $1: log name
		"$ROBOT" attach veth0 $MARGS --json-log >"$T/$1.log" \
			2>"$T/$1.err" &
		D=$!
		net_daemon_wait "$T/$1.log" $D
	}
	MARGS=
	[ -n "$MODELS" ] && MARGS="--models $MODELS"
	start d1 || { echo "first daemon did not start" >"$T/a.fail"; return; }
	echo $D >"$T/d1.pid"
	touch "$T/ready"
	for _ in $(seq 100); do [ -e "$T/flowing" ] && break; sleep 0.1; done
	sleep 1
	"$ROBOT" status --json >"$T/st1.json"
	"$ROBOT" flows --json >"$T/flows1.json"
	kill -KILL $D
	wait $D 2>/dev/null
	touch "$T/killed"
	"$ROBOT" stats --json >"$T/dead_a.json"
	cat "$T/progress" >"$T/progress_a" 2>/dev/null
	sleep 2
	cat "$T/progress" >"$T/progress_b" 2>/dev/null
	"$ROBOT" stats --json >"$T/dead_b.json"
	"$ROBOT" status --json >"$T/st_dead.json"
	"$ROBOT" flows --json >"$T/flows_dead.json"
	ip -d link show dev veth0 | grep -c 'prog/xdp' >"$T/dead.xdp"
	touch "$T/restarting"
	start d2 || { echo "second daemon did not start" >"$T/a.fail"; return; }
	echo $D >"$T/d2.pid"
	sleep 1.5
	"$ROBOT" status --json >"$T/st2.json"
	"$ROBOT" flows --json >"$T/flows2.json"
	ip -d link show dev veth0 | grep -c 'prog/xdp' >"$T/d2.xdp"
	{ tc filter show dev veth0 ingress | grep -c robot_tc
	  tc filter show dev veth0 egress | grep -c robot_tc; } >"$T/d2.tc"
	kill -KILL $D
	wait $D 2>/dev/null
	"$ROBOT" detach >"$T/detach.out" 2>&1
	echo $? >"$T/detach.rc"
	{ ls /sys/fs/bpf/robot 2>/dev/null
	  ls /run/robot 2>/dev/null | grep "attach-$(stat -L -c %i /proc/self/ns/net)"
	  ip -d link show dev veth0 | grep -o 'prog/xdp'
	  tc filter show dev veth0 ingress | grep robot_tc
	  tc filter show dev veth0 egress | grep robot_tc
	  tc qdisc show dev veth0 | grep clsact
	} >"$T/left.txt" 2>&1
	touch "$T/a.done"
}

if [ "${1:-}" = "__a" ]; then
	a_side "$2" "$3"
	exit 0
fi

# ------------------------------------------------------- prerequisites
[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, XDP)"
[ -x "$ROBOT" ] || skip "build/robot not built"
command -v python3 >/dev/null || skip "python3 not installed"
MODELS=${ROBOT_E2E_MODELS:-$ROOT/build/e2e-model}
[ -f "$MODELS/fast.model" ] || [ -n "${ROBOT_E2E_MODELS:-}" ] ||
	MODELS=$ROOT/models/default  # the bundled models
[ -f "$MODELS/fast.model" ] || MODELS=

S=$$ A=robot-cra-$S B=robot-crb-$S
T=$(mktemp -d /tmp/robot-crash.XXXXXX)
FAILED=0
cleanup() {
	[ -n "${CLP:-}" ] && kill "$CLP" 2>/dev/null
	[ -n "${SRVP:-}" ] && kill "$SRVP" 2>/dev/null
	[ -n "${ASP:-}" ] && kill "$ASP" 2>/dev/null
	for f in d1 d2; do
		[ -f "$T/$f.pid" ] && kill -KILL "$(cat "$T/$f.pid")" 2>/dev/null
	done
	sleep 0.2
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	if [ "$FAILED" = 0 ]; then rm -rf "$T"; else echo "logs in $T"; fi
}
trap cleanup EXIT

net_pair $A $B 10.88.0
ip netns exec $A ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1
ip netns exec $B ethtool -K veth1 tso off gso off gro off >/dev/null 2>&1

ip netns exec $A python3 - <<'EOF' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.88.0.1", 7007)); s.listen(4); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60)
while True:
    d = c.recv(4096)
    if not d: break
    c.sendall(d)
EOF
SRVP=$!

ip netns exec $A "$0" __a "$T" "$MODELS" &
ASP=$!
for _ in $(seq 200); do
	[ -e "$T/ready" ] || [ -e "$T/a.fail" ] && break
	sleep 0.1
done
[ -e "$T/ready" ] || { FAILED=1; echo "FAIL: $(cat "$T/a.fail" 2>/dev/null)"; tail "$T"/d1.err; exit 1; }

# The TCP session: one message every 10 ms, each echo awaited (2 s max).
ip netns exec $B python3 - "$T" <<'EOF' &
import socket, sys, time, os
T = sys.argv[1]
c = socket.create_connection(("10.88.0.1", 7007), timeout=5)
c.settimeout(2)
n = err = 0
worst = 0.0
while not os.path.exists(T + "/stop"):
    t0 = time.time()
    msg = b"msg %08d " % n + b"x" * (n % 200)
    try:
        c.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = c.recv(4096)
            if not d: raise OSError("closed")
            got += d
        if got != msg: raise OSError("bad echo")
    except OSError as e:
        err += 1
        open(T + "/client.err", "a").write("%d: %s\n" % (n, e))
        break
    worst = max(worst, time.time() - t0)
    n += 1
    if n == 20: open(T + "/flowing", "w").close()
    with open(T + "/progress.tmp", "w") as p: p.write("%d\n" % n)
    os.rename(T + "/progress.tmp", T + "/progress")
    time.sleep(0.01)
open(T + "/client.txt", "w").write("%d %d %.3f\n" % (n, err, worst))
EOF
CLP=$!
for _ in $(seq 100); do [ -e "$T/killed" ] && break; sleep 0.1; done
[ -e "$T/killed" ] || { FAILED=1; echo "FAIL: daemon not killed"; exit 1; }
for _ in $(seq 300); do [ -e "$T/a.done" ] || [ -e "$T/a.fail" ] && break; sleep 0.1; done
touch "$T/stop"
wait $CLP
CLP=

python3 - "$T" "${MODELS:+model}" <<'EOF' || FAILED=1
import json, re, sys
T, model = sys.argv[1], sys.argv[2] == "model"
bad = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)
def load(n):
    try: return json.load(open(T + "/" + n))
    except Exception: return None
def flows(n):
    try: return [json.loads(l) for l in open(T + "/" + n) if l.strip()]
    except Exception: return []
def tcp(fl):
    return [f for f in fl if f["proto"] in ("tcp", 6) and 7007 in (f["sport"], f["dport"])]

s1, sd, s2 = load("st1.json"), load("st_dead.json"), load("st2.json")
check(bool(s1 and s1["running"]), "first daemon running")
a, b = load("dead_a.json"), load("dead_b.json")
check(bool(a and b), "pinned counters readable after SIGKILL")
if a and b:
    check(b["datapath"]["packets"] > a["datapath"]["packets"] + 50,
          "datapath still counts without the daemon (%d -> %d packets)"
          % (a["datapath"]["packets"], b["datapath"]["packets"]))
check(bool(sd) and not sd["running"], "status: not running after SIGKILL")
check(open(T + "/dead.xdp").read().strip() == "1", "XDP stays attached (fail-open)")
try:
    pa, pb = (int(open(T + "/progress_" + x).read()) for x in "ab")
except Exception:
    pa = pb = 0
check(pb - pa >= 20, "TCP messages echoed during 2 s without a daemon (%d)" % (pb - pa))
f1, fd = tcp(flows("flows1.json")), tcp(flows("flows_dead.json"))
check(len(f1) == 1 and len(fd) == 1, "the TCP flow in the flow map before and after the kill")
if f1 and fd:
    if f1[0]["stage"] in ("fast", "robust", "collected", "fallback"):
        check(f1[0]["class"] == fd[0]["class"] and f1[0]["stage"] == fd[0]["stage"],
              "its verdict survives the kill (%s/%s)" % (fd[0]["stage"], fd[0]["class"]))
    else: # still collecting at the kill: it may complete, no verdict comes
        check(fd[0]["stage"] in ("collecting", "collected", "fallback", "wait"),
              "its state survives the kill (%s -> %s)" % (f1[0]["stage"], fd[0]["stage"]))
    check(fd[0]["packets"] > f1[0]["packets"], "and its packets are still counted")
    if model:
        check(f1[0]["stage"] != "wait", "classified by the first daemon (%s)" % f1[0]["stage"])
check(bool(s2 and s2["running"] and s1 and s2["pid"] != s1["pid"]), "a new daemon took over")
if s1 and s2:
    i1 = sorted(m["id"] for m in s1.get("maps", []))
    i2 = sorted(m["id"] for m in s2.get("maps", []))
    check(len(i1) > 0 and len(i2) == len(i1) and not set(i1) & set(i2),
          "fresh pinned maps, none of the dead daemon's (%d maps)" % len(i2))
check(open(T + "/d2.xdp").read().strip() == "1", "one XDP program after takeover")
check(open(T + "/d2.tc").read().split() == ["1", "1"], "one robot_tc filter per direction after takeover")
f2 = tcp(flows("flows2.json"))
check(len(f2) == 1, "the TCP flow is tracked again by the new daemon")
if model and f2:
    check(f2[0]["stage"] != "wait", "and classified again (%s)" % f2[0]["stage"])
check(open(T + "/detach.rc").read().strip() == "0", "robot detach after a second SIGKILL: exit 0")
left = open(T + "/left.txt").read().strip()
check(left == "", "nothing left: pins, state, XDP, filters, clsact" + (" (left: %s)" % left.replace("\n", "; ") if left else ""))
n, err, worst = open(T + "/client.txt").read().split()
check(int(err) == 0 and int(n) > 200, "TCP session unbroken: %s messages echoed, worst wait %s s" % (n, worst))
sys.exit(1 if bad else 0)
EOF
[ "$FAILED" = 0 ] || { tail -n 5 "$T"/d*.err; exit 1; }
echo "crash_recovery: all checks passed"
