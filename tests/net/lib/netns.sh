# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
#
# tests/net/lib/netns.sh - shared by the namespace tests and benchmarks
# (sourced after the caller defines skip() and ROOT).

# net_models [robust]: set MODELS to $ROBOT_E2E_MODELS, else build/e2e-model
# (tests/net/daemon_e2e.sh trains it), else the bundled models/default;
# skip without fast.model (and robust.model when asked).
net_models() {
	MODELS=${ROBOT_E2E_MODELS:-$ROOT/build/e2e-model}
	[ -f "$MODELS/fast.model" ] || [ -n "${ROBOT_E2E_MODELS:-}" ] ||
		MODELS=$ROOT/models/default
	[ -f "$MODELS/fast.model" ] || skip "no fast.model in $MODELS"
	[ "${1:-}" != robust ] || [ -f "$MODELS/robust.model" ] ||
		skip "no robust.model in $MODELS"
}

# net_pair A B NET: namespaces A and B joined by a veth pair, veth0 in A
# (NET.1/24) and veth1 in B (NET.2/24), up, loopback up, IPv6 off (no
# router solicitations among the test's packets); skip when namespaces or
# veth are not available.
net_pair() {
	local a=$1 b=$2 net=$3 ns

	ip netns add "$a" && ip netns add "$b" || skip "ip netns"
	ip -n "$a" link add veth0 type veth peer name veth1 netns "$b" ||
		skip "veth"
	ip -n "$a" addr add "$net.1/24" dev veth0
	ip -n "$b" addr add "$net.2/24" dev veth1
	for ns in "$a" "$b"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$a" link set veth0 up
	ip -n "$b" link set veth1 up
}

# net_daemon_wait LOG PID: wait up to 15 s for the daemon's "started"
# event in LOG (robot attach --json-log); 0 when it came.
net_daemon_wait() {
	local i

	for i in $(seq 150); do
		grep -q '"started"' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '"started"' "$1" 2>/dev/null
}

# net_cleanup: the common part of an EXIT trap: SIGTERM to the daemon
# ($T/d.pid), wait for side A ($ASP), delete namespaces $A and $B, remove
# $T unless FAILED=1 (then say where the logs are).
net_cleanup() {
	[ -f "$T/d.pid" ] && kill -TERM "$(cat "$T/d.pid")" 2>/dev/null
	[ -n "${ASP:-}" ] && wait "$ASP" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	if [ "${FAILED:-0}" = 0 ]; then rm -rf "$T"; else echo "logs in $T"; fi
}

# net_leftovers DEV: what a stopped daemon left (pins, XDP on DEV, a
# robot_tc filter on either side of DEV), one line each; empty: nothing.
net_leftovers() {
	ls /sys/fs/bpf/robot 2>/dev/null
	ip -d link show dev "$1" | grep -o 'prog/xdp'
	tc filter show dev "$1" ingress | grep robot_tc
	tc filter show dev "$1" egress | grep robot_tc
}

# net_daemon_stop D: SIGTERM the daemon D and wait for it; $T/alive says
# it was still running, $T/d.rc holds its exit status.
net_daemon_stop() {
	kill -0 "$1" 2>/dev/null && echo alive >"$T/alive"
	kill -TERM "$1"
	wait "$1"
	echo $? >"$T/d.rc"
}
