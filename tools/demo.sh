#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# demo.sh - the live demo's plumbing, driven by `robot demo` (user/demo.c),
# which renders the table and the summary from the files written here.
#
#   demo.sh run OUT SECONDS MODELS [APPS]
#
# 1. the traffic lab comes up (tools/lab/lab.sh up, LAB_TAG robotdemo);
# 2. HTB on the gateway's two egress interfaces (veth1, veth2), one class
#    1:M per mark M (class + 1: 1..7) and a default 1:99, filled by a
#    classic-BPF classifier reading skb->mark (this kernel may lack
#    cls_fw/act_gact; the same program as tests/net/daemon_e2e.sh);
# 3. inside the gateway namespace (own bpffs): robot attach veth1 veth2
#    --models MODELS, then every second OUT/flows.json (robot flows
#    --json), OUT/stats.json ({"t": epoch, "stats": robot stats --json}),
#    OUT/htb.txt ("DEV CLASSID BYTES PKTS" lines), each replaced atomically;
# 4. the applications run SECONDS (lab.sh run-apps);
# 5. 2.5 s later (idle windows classified) the final snapshots
#    (flows-final.json, stats-final.json, htb-final.txt), the daemon gets
#    SIGTERM, then the lab goes down; OUT/teardown.txt says what is left.
#
# Every path tears down (EXIT trap; SIGINT/SIGTERM exit 130 through it).
# OUT/apps.txt is the lab's address table (lab.sh apps), OUT/phase the
# current step, OUT/daemon.{log,err} the daemon's output.
# Environment: ROBOT (robot binary), DEMO_TAG (LAB_TAG, default robotdemo),
# LAB_NET (default 10.199). Exit: 0 ok, 1 failure, 2 usage, 77 cannot run
# here (not root, lab programs missing), 130 interrupted.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/lab/lab.sh
ROBOT=${ROBOT:-$HERE/../build/robot}
export LAB_TAG=${DEMO_TAG:-robotdemo}
NS_G=$LAB_TAG-gw
MARKS="1 2 3 4 5 6 7"

log() { printf 'demo: %s\n' "$*" >&2; }

# snap OUT NAME: atomic snapshots of flows, stats and HTB counters.
snap() {
	local out=$1 n=$2 d
	"$ROBOT" flows --json >"$out/.flows.tmp" 2>/dev/null &&
		mv "$out/.flows.tmp" "$out/$n.json"
	printf '{"t":%s,"stats":%s}\n' "$(date +%s.%N)" \
		"$("$ROBOT" stats --json 2>/dev/null || echo null)" \
		>"$out/.stats.tmp" && mv "$out/.stats.tmp" "$out/${n/flows/stats}.json"
	for d in veth1 veth2; do
		tc -s class show dev $d | awk -v d=$d '
			$1 == "class" && $2 == "htb" { c = $3 }
			$1 == "Sent" && c != "" { print d, c, $2, $4; c = "" }'
	done >"$out/.htb.tmp" && mv "$out/.htb.tmp" "$out/${n/flows/htb}.txt"
}

# ------------------------------------------------------- gateway side
# Runs inside `ip netns exec GW` (its own mount namespace, where the
# daemon's bpffs is: the CLI calls must run here to see its pins).
gw_side() {
	local out=$1 models=$2 d i
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
		{ echo "mount bpffs failed" >"$out/gw.failed"; return 1; }
	"$ROBOT" attach veth1 veth2 --models "$models" --json-log \
		>"$out/daemon.log" 2>"$out/daemon.err" &
	d=$!
	echo $d >"$out/daemon.pid"
	# SIGTERM/SIGINT here: stop the daemon first, then leave.
	trap 'kill -TERM $d 2>/dev/null; wait $d; exit 130' INT TERM
	for i in $(seq 300); do
		grep -q '"started"' "$out/daemon.log" 2>/dev/null && break
		kill -0 $d 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '"started"' "$out/daemon.log" 2>/dev/null; then
		echo "daemon did not start" >"$out/gw.failed"
		kill -TERM $d 2>/dev/null
		wait $d
		return 1
	fi
	snap "$out" flows-first
	touch "$out/ready"
	while [ ! -e "$out/stop" ] && kill -0 $d 2>/dev/null; do
		snap "$out" flows
		sleep 1
	done
	# Windows cut short by the end of the apps close after the daemon's
	# idle timeout (2 s) plus a batch deadline.
	[ -e "$out/stop" ] && sleep 2.5
	snap "$out" flows-final
	kill -TERM $d 2>/dev/null
	wait $d
	echo $? >"$out/daemon.rc"
	ls /sys/fs/bpf/robot 2>/dev/null >"$out/left.pins"
	ip -d link show dev veth1 | grep -o 'prog/xdp[^ ]*' >"$out/left.xdp"
	ip -d link show dev veth2 | grep -o 'prog/xdp[^ ]*' >>"$out/left.xdp"
	touch "$out/gw.done"
}

# --------------------------------------------------------------- HTB
# htb_up DEV: root htb, class 1:M per mark M and 1:99 (no mark; tc reads
# minors in hex: 0x99), and the classic-BPF classifier: classid = 0x10000
# + (skb->mark & 0xff), 0 (no match: default 1:99) for mark 0.
#   ld mark (SKF_AD_OFF + SKF_AD_MARK = 0xfffff014); and #0xff;
#   jeq #0 -> ret 0; add #0x10000; ret a
htb_up() {
	local dev=$1 m
	ip netns exec $NS_G tc qdisc add dev $dev root handle 1: htb \
		default 99 || return 1
	for m in $MARKS 99; do
		ip netns exec $NS_G tc class add dev $dev parent 1: \
			classid 1:$m htb rate 10gbit quantum 1514 || return 1
	done
	ip netns exec $NS_G tc filter add dev $dev parent 1: prio 1 handle 1 \
		bpf bytecode "6,32 0 0 4294963220,84 0 0 255,21 2 0 0,4 0 0 65536,22 0 0 0,6 0 0 0" \
		classid 1:99
}

# ------------------------------------------------------------ teardown
OUT=""
GWP=""
APPSP=""
UP=0

cleanup() {
	local rc=$? i d left=""
	trap '' INT TERM
	[ -n "$OUT" ] && echo teardown >"$OUT/phase"
	# run-apps (background: SIGINT ignored) stops its clients on TERM
	if [ -n "$APPSP" ]; then
		kill -TERM "$APPSP" 2>/dev/null
		wait "$APPSP" 2>/dev/null
	fi
	if [ -n "$GWP" ]; then
		[ -n "$OUT" ] && touch "$OUT/stop"
		d=$(cat "$OUT/daemon.pid" 2>/dev/null)
		for i in $(seq 100); do
			kill -0 "$GWP" 2>/dev/null || break
			# the daemon has had its final snapshot: stop it
			[ $i = 40 ] && [ -n "$d" ] && kill -TERM "$d" 2>/dev/null
			sleep 0.1
		done
		kill -TERM "$GWP" 2>/dev/null
		wait "$GWP" 2>/dev/null
	fi
	[ "$UP" = 1 ] && bash "$LAB" down
	if [ -n "$OUT" ] && [ -d "$OUT" ]; then
		d=$(cat "$OUT/daemon.pid" 2>/dev/null)
		[ -n "$d" ] && kill -0 "$d" 2>/dev/null && left="$left daemon($d)"
		ip netns list 2>/dev/null | grep -q "^$LAB_TAG-" &&
			left="$left netns($(ip netns list | grep "^$LAB_TAG-" |
				awk '{print $1}' | paste -sd,))"
		[ -e "/run/robot-lab/$LAB_TAG" ] && left="$left lab-state"
		[ -s "$OUT/left.pins" ] && left="$left pins"
		[ -s "$OUT/left.xdp" ] && left="$left xdp"
		echo "left:${left:- nothing}" >"$OUT/teardown.txt"
		echo done >"$OUT/phase"
	fi
	exit $rc
}

on_signal() {
	trap '' INT TERM
	log "interrupted: tearing down"
	exit 130
}

# ----------------------------------------------------------------- run
cmd_run() {
	local secs=$2 models=$3 apps=${4:-all} i
	OUT=$1
	[ -d "$OUT" ] || { log "no directory $OUT"; exit 2; }
	[[ $secs =~ ^[0-9]+$ ]] || { log "SECONDS: an integer"; exit 2; }
	[ -f "$models/fast.model" ] ||
		{ log "no $models/fast.model (make model)"; exit 1; }
	[ -x "$ROBOT" ] || { log "no robot binary at $ROBOT"; exit 1; }
	bash "$LAB" check "$apps" || exit $?
	if [ -f "/run/robot-lab/$LAB_TAG" ]; then
		log "a demo lab ($LAB_TAG) is up already: $LAB down (with LAB_TAG=$LAB_TAG)"
		exit 1
	fi
	trap cleanup EXIT
	trap on_signal INT TERM
	echo up >"$OUT/phase"
	UP=1
	bash "$LAB" up "$apps" || { log "lab up failed"; exit 1; }
	bash "$LAB" apps >"$OUT/.apps.tmp" && mv "$OUT/.apps.tmp" "$OUT/apps.txt" || exit 1
	for i in veth1 veth2; do
		htb_up $i || { log "HTB on $i failed"; exit 1; }
	done
	echo attach >"$OUT/phase"
	ip netns exec $NS_G bash "$HERE/demo.sh" __gw "$OUT" "$models" &
	GWP=$!
	for i in $(seq 300); do
		[ -e "$OUT/ready" ] && break
		[ -e "$OUT/gw.failed" ] && break
		kill -0 $GWP 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -e "$OUT/ready" ]; then
		log "robot attach failed: $(cat "$OUT/gw.failed" 2>/dev/null)"
		tail -5 "$OUT/daemon.err" >&2 2>/dev/null
		exit 1
	fi
	echo "run $(date +%s) $secs" >"$OUT/phase"
	# In the background: bash runs a trap only once a foreground command
	# returns, while `wait` returns at once on a trapped signal. A signal
	# sent to this script alone (robot passes its own on) must not wait
	# for the apps' SECONDS; cleanup stops run-apps first.
	bash "$LAB" run-apps "$secs" "$apps" &
	APPSP=$!
	wait $APPSP
	i=$?
	APPSP=""
	[ $i = 0 ] || exit $i
	echo final >"$OUT/phase"
	touch "$OUT/stop"
	for i in $(seq 150); do
		[ -e "$OUT/gw.done" ] && break
		kill -0 $GWP 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$OUT/gw.done" ] || { log "the daemon did not stop cleanly"; exit 1; }
	wait $GWP
	GWP=""
	[ "$(cat "$OUT/daemon.rc")" = 0 ] ||
		{ log "robot attach exited $(cat "$OUT/daemon.rc")"; exit 1; }
	exit 0
}

case ${1:-} in
run)
	[ $# -ge 4 ] || { sed -n '7,8p' "$0" | sed 's/^# //' >&2; exit 2; }
	shift
	cmd_run "$@" ;;
__gw)
	gw_side "$2" "$3" ;;
*)
	sed -n '3,29p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2 ;;
esac
