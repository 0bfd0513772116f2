#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Least privilege and model integrity of `robot attach`, in private
# network and mount namespaces (a veth pair, a fresh bpffs, a tmpfs on
# /run), with umask 000 so that no mode comes from the umask:
#   1. damaged model directories are refused before anything stays
#      attached: a flipped byte in fast.model and in robust.model (crc32),
#      a truncated fast.model, a 300 MiB (sparse) fast.model refused by
#      its size before any allocation (peak RSS of the attempt printed and
#      bounded); each exits non-zero with the reason, and leaves no XDP
#      program, tc filter or pin;
#   2. a good attach: /sys/fs/bpf/robot 0700 root, every pin in it 0600
#      root, /run/robot 0700; unreadable for uid 65534 (ls, robot stats);
#   3. every thread of the daemon (OpenBLAS workers included) has exactly
#      the capabilities docs/daemon.md lists (CAP_NET_ADMIN; plus CAP_BPF
#      and CAP_SYS_ADMIN with the libxdp dispatcher), nothing inheritable
#      or ambient, and no_new_privs set;
#   4. SIGHUP with a damaged fast.model, then robust.model: the reload is
#      refused and the running models stay; with the good files again it
#      reloads (model files are read without the dropped capabilities);
#   5. SIGTERM: exit 0, nothing left (pins, state file, XDP, filters).
# Env: ROBOT_E2E_MODELS (default build/e2e-model, else models/default).
# Skips (77) without root, build/robot, python3, setpriv or a model with
# robust.model.
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROBOT=$ROOT/build/robot
skip() { echo "skip: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, XDP)"
[ -x "$ROBOT" ] || skip "build/robot not built"
command -v python3 >/dev/null || skip "python3 not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
MODELS=${ROBOT_E2E_MODELS:-$ROOT/build/e2e-model}
[ -f "$MODELS/fast.model" ] || [ -n "${ROBOT_E2E_MODELS:-}" ] ||
	MODELS=$ROOT/models/default
[ -f "$MODELS/fast.model" ] && [ -f "$MODELS/robust.model" ] ||
	skip "no model with robust.model in $MODELS"

if [ -z "${ROBOT_LP_INNER:-}" ]; then
	ROBOT_LP_INNER=1 exec unshare --net --mount --propagation private \
		bash -c 'mount -t bpf bpf /sys/fs/bpf &&
			 mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0"' "$0"
fi

# ------------------------------------------ inside the private namespaces
T=$(mktemp -d /tmp/robot-lp.XXXXXX)
chmod 0755 "$T"
D=
fails=0
cleanup() {
	[ -n "$D" ] && kill -TERM "$D" 2>/dev/null && wait "$D" 2>/dev/null
	if [ $fails -eq 0 ]; then rm -rf "$T"; else echo "logs in $T"; fi
}
trap cleanup EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check WHAT CMD...: CMD must succeed
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
umask 000

ip link add veth0 type veth peer name veth1 || skip "veth"
ip link set lo up
ip link set veth0 up
ip link set veth1 up

# models: good, flipped byte (fast, robust), truncated, oversized
flip() { # flip SRC DST: one bit flipped 5 bytes before the end (data)
	python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-5] ^= 1
open(sys.argv[2], "wb").write(b)' "$1" "$2"
}
for m in good flipfast fliprobust trunc big; do
	mkdir -p "$T/$m"
	cp "$MODELS/fast.model" "$MODELS/robust.model" "$T/$m/"
done
flip "$MODELS/fast.model" "$T/flipfast/fast.model"
flip "$MODELS/robust.model" "$T/fliprobust/robust.model"
head -c $(($(stat -c %s "$MODELS/fast.model") / 2)) "$MODELS/fast.model" \
	>"$T/trunc/fast.model"
rm "$T/big/fast.model"
truncate -s 300M "$T/big/fast.model"

# nothing of ours attached or pinned
left() {
	{ ls -A /sys/fs/bpf/robot 2>/dev/null
	  ls -A /run/robot 2>/dev/null
	  ip -d link show dev veth0 | grep -o 'prog/xdp'
	  tc filter show dev veth0 ingress 2>/dev/null | grep robot_tc
	  tc filter show dev veth0 egress 2>/dev/null | grep robot_tc; } 2>&1
}

# ------------------------------------------------ 1. damaged model dirs
# refused NAME REASON_REGEX
refused() {
	local m=$1 why=$2 rc l
	/usr/bin/time -f '%M' -o "$T/$m.rss" timeout 60 "$ROBOT" attach veth0 \
		--models "$T/$m" >"$T/$m.out" 2>"$T/$m.err"
	rc=$?
	RSS=$(tail -1 "$T/$m.rss")
	l=$(left)
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -qiE "$why" "$T/$m.err" &&
	   [ -z "$l" ]; then
		ok "$m: refused (rc $rc, peak RSS $RSS KiB): $(grep -iE -m1 "$why" "$T/$m.err")"
	else
		bad "$m: rc $rc, want non-zero with /$why/, nothing left (left: $l)"
		tail -3 "$T/$m.err" | sed 's/^/    | /'
	fi
}
refused flipfast 'checksum'
refused fliprobust 'checksum'
refused trunc 'truncated|out of bounds|outside the file'
refused big 'too large'
check "300 MiB fast.model refused without reading it (peak RSS ${RSS:-?} KiB < 128 MiB)" \
	test "${RSS:-999999}" -lt 131072

# ----------------------------------------------------- 2. a good attach
cp -r "$T/good" "$T/live"
"$ROBOT" -v attach veth0 --models "$T/live" --json-log \
	>"$T/d.log" 2>"$T/d.err" &
D=$!
for _ in $(seq 150); do
	grep -q '"started"' "$T/d.log" 2>/dev/null && break
	kill -0 $D 2>/dev/null || break
	sleep 0.1
done
grep -q '"started"' "$T/d.log" || { bad "daemon did not start"; tail -5 "$T/d.err"; exit 1; }

check "pin dir /sys/fs/bpf/robot 0700 root" \
	test "$(stat -c '%a %u %g' /sys/fs/bpf/robot)" = "700 0 0"
npins=0 badpins=
for p in /sys/fs/bpf/robot/*; do
	npins=$((npins + 1))
	[ "$(stat -c '%a %u %g' "$p")" = "600 0 0" ] ||
		badpins="$badpins $(basename "$p"):$(stat -c %a "$p")"
done
check "every pin 0600 root ($npins pins)$badpins" test $npins -ge 8 -a -z "$badpins"
check "/run/robot 0700 root" test "$(stat -c '%a %u' /run/robot)" = "700 0"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$@" >/dev/null 2>&1; }
if nobody ls /sys/fs/bpf/robot; then bad "uid 65534 lists the pins"; else ok "uid 65534 cannot list the pins"; fi
if nobody "$ROBOT" stats; then bad "uid 65534: robot stats works"; else ok "uid 65534: robot stats refused"; fi
if nobody ls /run/robot; then bad "uid 65534 lists /run/robot"; else ok "uid 65534 cannot list /run/robot"; fi

# ------------------------------------------------------ 3. capabilities
# CAP_NET_ADMIN = 12, CAP_SYS_ADMIN = 21, CAP_BPF = 39
if grep -q 'libxdp dispatcher)' "$T/d.err"; then
	want=0000008000201000 mode=dispatcher
else
	want=0000000000001000 mode="single program"
fi
ntask=0 badtask=
for t in /proc/$D/task/*; do
	ntask=$((ntask + 1))
	s=$(awk '/^Cap(Inh|Prm|Eff|Amb):|^NoNewPrivs:/ { printf "%s%s ", $1, $2 }' "$t/status")
	[ "$s" = "CapInh:0000000000000000 CapPrm:$want CapEff:$want CapAmb:0000000000000000 NoNewPrivs:1 " ] ||
		badtask="$badtask [$(basename "$t"): $s]"
done
check "all $ntask threads: CapPrm = CapEff = $want ($mode: $(grep -o 'Capabilities now: .*' "$T/d.err")), no inheritable/ambient, no_new_privs$badtask" \
	test -z "$badtask"

# --------------------------------------------------- 4. SIGHUP reloads
ver() { "$ROBOT" status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["fast_version"], s["robust_version"])'; }
v0=$(ver)
reload() { # reload N: send SIGHUP, wait for the N-th reload event
	kill -HUP $D
	for _ in $(seq 100); do
		[ "$(grep -c '"reload"' "$T/d.log")" -ge "$1" ] && break
		sleep 0.1
	done
	grep '"reload"' "$T/d.log" | sed -n "$1p"
}
cp "$T/flipfast/fast.model" "$T/live/fast.model"
r=$(reload 1)
check "SIGHUP with a flipped byte in fast.model refused, models kept ($r)" \
	test "$(ver)" = "$v0" -a -n "$(echo "$r" | grep refused)"
cp "$T/good/fast.model" "$T/live/fast.model"
cp "$T/fliprobust/robust.model" "$T/live/robust.model"
r=$(reload 2)
check "SIGHUP with a flipped byte in robust.model refused, models kept ($r)" \
	test "$(ver)" = "$v0" -a -n "$(echo "$r" | grep refused)"
cp "$T/good/robust.model" "$T/live/robust.model"
r=$(reload 3)
check "SIGHUP with good models reloads them after the drop ($r)" \
	test -n "$(echo "$r" | grep 'fast version')" -a "$(ver)" = "$v0"
check "daemon alive" kill -0 $D

# ----------------------------------------------------------- 5. SIGTERM
kill -TERM $D
wait $D
rc=$?
D=
check "SIGTERM: exit 0 with CAP_NET_ADMIN only" test $rc -eq 0
l=$(left)
check "nothing left: pins, state file, XDP, tc filters${l:+ (left: $l)}" test -z "$l"

echo "least_privilege: $fails failures"
[ $fails -eq 0 ]
