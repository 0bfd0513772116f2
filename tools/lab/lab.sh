#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# lab.sh - Robot's traffic lab: real applications in three network
# namespaces, client <-> gateway <-> server, producing labeled traffic.
#
#   lab.sh check [APPS]            exit 77 (and say what) if root or a
#                                  program the apps need is missing
#   lab.sh apps [APPS]             print the app table (tools/lab/apps.tsv)
#                                  with each app's server address
#   lab.sh up [APPS]               namespaces, links, certificates, servers
#   lab.sh run-apps SECONDS [APPS] run the clients for SECONDS (lab is up)
#   lab.sh capture OUT SECONDS [APPS]
#                                  up, tcpdump on the gateway's client-side
#                                  link into OUT/pcap/, run-apps, down
#   lab.sh down                    stop everything, remove namespaces and
#                                  the temp dir (idempotent)
#   lab.sh status                  what is up
#   lab.sh exec client|gw|server CMD...   run CMD in a namespace
#
# APPS: comma list of app names or categories (default: all).
# Environment: LAB_TAG (namespace/state name, default robotlab), LAB_NET
# (first two octets, default 10.199), LAB_KEEP=1 (down keeps the temp dir).
# Topology and addresses: docs/lab.md.
set -u
LABDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TAG=${LAB_TAG:-robotlab}
LAB_NET=${LAB_NET:-10.199}
NS_C=$LAB_TAG-cli
NS_G=$LAB_TAG-gw
NS_S=$LAB_TAG-srv
STATE_DIR=/run/robot-lab
STATE=$STATE_DIR/$LAB_TAG
CLI_IP=$LAB_NET.1.2
GW_C=$LAB_NET.1.1
GW_S=$LAB_NET.2.1
SRV_IP=$LAB_NET.2.2
export LAB_TAG LAB_NET NS_C NS_G NS_S CLI_IP GW_C GW_S SRV_IP LABDIR

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ------------------------------------------------------------------ apps
# apps_table: "app category enc server_ip plain client_ip" for every app.
apps_table() {
	awk -v net="$LAB_NET" '!/^#/ && NF >= 5 {
		printf "%s %s %s %s.2.%s %s %s.1.%s\n", $1, $2, $3, net, $4,
			$5, net, $4 }' "$LABDIR/apps.tsv"
}

# sel_apps LIST: the app names selected by a comma list of apps and/or
# categories ("all" or empty: every app). Fails on an unknown name.
sel_apps() {
	local list=${1:-all} w found out=""
	[ "$list" = all ] && list=$(apps_table | awk '{print $1}' | paste -sd,)
	for w in ${list//,/ }; do
		found=$(apps_table | awk -v w="$w" '$1 == w || $2 == w {print $1}')
		[ -n "$found" ] || { log "unknown app or category '$w'"; return 2; }
		out="$out $found"
	done
	printf '%s\n' $out | awk '!seen[$0]++' | paste -sd' '
}

app_ip() { apps_table | awk -v a="$1" '$1 == a {print $4}'; }
app_cip() { apps_table | awk -v a="$1" '$1 == a {print $6}'; }
app_sel() { [[ " $APPS " == *" $1 "* ]]; }

# Programs each app needs, on both sides.
app_progs() {
	case $1 in
	https-h1 | https-h2) echo nginx curl wget ;;
	hls) echo nginx ffmpeg ;;
	icecast) echo icecast2 ffmpeg curl ;;
	scp | sftp) echo /usr/sbin/sshd ssh scp sftp ssh-keygen ;;
	rsync-ssh) echo /usr/sbin/sshd ssh rsync ssh-keygen ;;
	ftps) echo vsftpd curl lftp ;;
	baresip) echo baresip ffmpeg ;;
	sipp) echo sipp ffmpeg ;;
	irc) echo ngircd openssl ;;
	xmpp) echo prosody prosodyctl go-sendxmpp setpriv ;;
	bt-aria2) echo opentracker aria2c mktorrent ;;
	bt-transmission) echo opentracker transmission-cli mktorrent aria2c ;;
	smtp) echo postfix postconf swaks ;;
	imap | pop3) echo dovecot curl ;;
	esac
}

cmd_check() {
	local a p miss=""
	[ "$(id -u)" -eq 0 ] || { echo "skip: the lab needs root"; exit 77; }
	for p in ip tcpdump ethtool openssl setsid timeout; do
		command -v $p >/dev/null || miss="$miss $p"
	done
	for a in $APPS; do
		for p in $(app_progs "$a"); do
			command -v "$p" >/dev/null 2>&1 ||
				[ -x "/usr/sbin/$p" ] || miss="$miss $p($a)"
		done
	done
	if [ -n "$miss" ]; then
		echo "skip: lab programs missing:$miss (make deps)"
		exit 77
	fi
	return 0
}

cmd_apps() {
	local a
	printf '# app category encrypted server_ip plain_ports client_ip\n'
	for a in $APPS; do
		apps_table | awk -v a="$a" '$1 == a'
	done
}

# ------------------------------------------------------------ processes
# spawn NS NAME CMD...: run CMD in namespace NS, in its own session,
# output to $D/log/NAME.log. Everything the lab starts goes through here
# (or through `ip netns exec`), so `ip netns pids` finds all of it.
spawn() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" setsid "$@" >"$D/log/$name.log" 2>&1 </dev/null &
	echo $! >"$D/run/$name.pid"
}

# ns_kill NS: TERM every process in NS, then KILL what is left.
ns_kill() {
	local ns=$1 i pids
	ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -n "$pids" ] || return 0
	kill -TERM $pids 2>/dev/null
	for i in $(seq 30); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	kill -KILL $pids 2>/dev/null
	for i in $(seq 30); do
		[ -n "$(ip netns pids "$ns" 2>/dev/null)" ] || return 0
		sleep 0.1
	done
	log "warning: processes left in $ns: $(ip netns pids "$ns" | paste -sd' ')"
}

# wait_listen NS PROTO IP PORT [SECONDS]: wait until a socket listens.
wait_listen() {
	local ns=$1 proto=$2 ip=$3 port=$4 t=${5:-15} i opt=-ltn
	[ "$proto" = udp ] && opt=-lun
	for i in $(seq $((t * 10))); do
		ip netns exec "$ns" ss -H $opt "src $ip:$port" 2>/dev/null |
			grep -q . && return 0
		sleep 0.1
	done
	log "warning: nothing listens on $proto $ip:$port after ${t}s"
	return 1
}

load_state() {
	[ -f "$STATE" ] || return 1
	D=$(sed -n 's/^dir=//p' "$STATE")
	APPS_UP=$(sed -n 's/^apps=//p' "$STATE")
	export D
	[ -d "$D" ]
}

# ------------------------------------------------------------------ net
# app_own_if NS IP: IP as the only address of its own interface "app<n>"
# (the end of a veth pair whose other end stays idle; no dummy driver
# here), for programs that announce "the address of interface X" (baresip
# -n puts it in its SDP). ARP for IP is answered on the namespace's link.
app_own_if() {
	local ns=$1 ip=$2 dev=app${2##*.}
	ip -n $ns link add name $dev type veth peer name ${dev}p &&
	ip -n $ns addr add $ip/32 dev $dev &&
	ip -n $ns link set ${dev}p up &&
	ip -n $ns link set $dev up
}

net_up() {
	local a ns
	for ns in $NS_C $NS_G $NS_S; do
		ip netns add "$ns" || return 1
	done
	# Create the pairs inside the namespaces: no name ever exists in the
	# root namespace, so two labs (different LAB_TAG) cannot collide.
	ip link add name veth0 netns $NS_C type veth peer name veth1 \
		netns $NS_G || return 1
	ip link add name veth2 netns $NS_G type veth peer name veth3 \
		netns $NS_S || return 1
	for ns in $NS_C $NS_G $NS_S; do
		ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n $ns link set lo up
	done
	ip netns exec $NS_G sysctl -qw net.ipv4.ip_forward=1
	ip -n $NS_C addr add $CLI_IP/24 dev veth0
	ip -n $NS_G addr add $GW_C/24 dev veth1
	ip -n $NS_G addr add $GW_S/24 dev veth2
	ip -n $NS_S addr add $SRV_IP/24 dev veth3
	ip netns exec $NS_C ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1
	ip netns exec $NS_G ethtool -K veth1 tso off gso off gro off >/dev/null 2>&1
	ip netns exec $NS_G ethtool -K veth2 tso off gso off gro off >/dev/null 2>&1
	ip netns exec $NS_S ethtool -K veth3 tso off gso off gro off >/dev/null 2>&1
	ip -n $NS_C link set veth0 up
	ip -n $NS_G link set veth1 up
	ip -n $NS_G link set veth2 up
	ip -n $NS_S link set veth3 up
	ip -n $NS_C route add default via $GW_C
	ip -n $NS_S route add default via $GW_S
	# Each app has its own address on both sides, and routes that make
	# its traffic use them whatever the programs bind to (a server that
	# answers from 0.0.0.0, a client that cannot bind): ground truth by
	# address.
	apps_table | while read -r a cat enc sip plain cip; do
		if [ "$a" = baresip ]; then
			app_own_if $NS_S $sip && app_own_if $NS_C $cip || exit 1
		else
			ip -n $NS_S addr add $sip/24 dev veth3 &&
			ip -n $NS_C addr add $cip/24 dev veth0 || exit 1
		fi
		ip -n $NS_C route add $sip/32 via $GW_C src $cip &&
		ip -n $NS_S route add $cip/32 via $GW_S src $sip || exit 1
	done || return 1
	ip -n $NS_C route get $SRV_IP >/dev/null ||
		{ log "client has no route to the server"; return 1; }
}

net_down() {
	local ns
	for ns in $NS_C $NS_S $NS_G; do
		ns_kill $ns
	done
	for ns in $NS_C $NS_S $NS_G; do
		ip netns list 2>/dev/null | grep -qw "^$ns" && ip netns del $ns
	done
	return 0
}

# ----------------------------------------------------------------- PKI
# A CA and one server certificate whose SAN lists every server address.
pki_up() {
	local p=$D/pki san a
	mkdir -p $p
	san="DNS:lab.test,IP:$SRV_IP"
	for a in $(apps_table | awk '{print $4}'); do
		san="$san,IP:$a"
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout $p/ca.key -out $p/ca.pem -days 2 \
		-subj "/CN=Robot Lab CA" 2>/dev/null || return 1
	openssl req -newkey rsa:2048 -nodes -keyout $p/srv.key \
		-out $p/srv.csr -subj "/CN=lab.test" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' \
		"$san" >$p/ext.cnf
	openssl x509 -req -in $p/srv.csr -CA $p/ca.pem -CAkey $p/ca.key \
		-CAcreateserial -out $p/srv.pem -days 2 -extfile $p/ext.cnf \
		2>/dev/null || return 1
	cat $p/srv.pem $p/srv.key >$p/srv-full.pem
	cat $p/srv.pem $p/ca.pem >$p/srv-chain.pem
	chmod 600 $p/*.key $p/srv-full.pem
}

# own_copy SRC USER: a copy of SRC readable by USER only; prints its path.
own_copy() {
	local dst=$D/pki/$2-$(basename "$1")
	cp "$1" "$dst" && chown "$2" "$dst" && chmod 400 "$dst"
	echo "$dst"
}

# -------------------------------------------------------------- commands
IN_CAPTURE=0

# on_signal_do down|clients|none: what SIGINT/SIGTERM do from now on:
# tear the whole lab down, stop the clients, or the default. The handler
# ignores further signals first (Ctrl-C reaches robot and lab.sh both, and
# robot passes signals on), then exits 130 (EXIT traps still run).
on_signal_do() {
	case $1 in
	none) trap - INT TERM ;;
	*) trap "trap '' INT TERM; log 'interrupted: $1'; on_signal_$1; exit 130" INT TERM ;;
	esac
}
on_signal_down() { owned_down; }
# owned_down: cmd_down, only once this process brought the lab up (a
# capture that finds the lab already up must not take it down).
LAB_OWNED=0
owned_down() { [ "$LAB_OWNED" = 0 ] || cmd_down; }
on_signal_clients() { ns_kill $NS_C; }

cmd_up() {
	local a
	cmd_check
	mkdir -p $STATE_DIR
	if [ -f "$STATE" ]; then
		die "lab '$LAB_TAG' is already up ($STATE); run: $0 down"
	fi
	for a in $NS_C $NS_G $NS_S; do
		ip netns list | grep -qw "^$a" &&
			die "namespace $a exists; run: $0 down"
	done
	D=$(mktemp -d /tmp/robot-lab.XXXXXX) || die "mktemp"
	chmod 755 "$D"
	export D
	printf 'dir=%s\napps=%s\n' "$D" "$APPS" >"$STATE"
	LAB_OWNED=1
	mkdir -p $D/log $D/run
	on_signal_do down
	log "up: apps: $APPS (dir $D)"
	net_up || { cmd_down; die "network setup failed"; }
	pki_up || { cmd_down; die "certificates failed"; }
	. "$LABDIR/servers.sh"
	for a in $APPS; do
		srv_start "$a" || log "warning: server for $a failed (see $D/log)"
	done
	for a in $APPS; do
		srv_wait "$a" || log "warning: server for $a not ready"
	done
	[ "$IN_CAPTURE" = 1 ] || on_signal_do none
	log "up: ready"
}

cmd_down() {
	local d=""
	if load_state; then d=$D; fi
	net_down
	if [ -n "$d" ] && [ -d "$d" ] && [[ $d == /tmp/robot-lab.* ]]; then
		if [ "${LAB_KEEP:-0}" = 1 ]; then
			log "down: kept $d"
		else
			rm -rf "$d"
		fi
	fi
	rm -f "$STATE"
	return 0
}

cmd_status() {
	local ns
	if load_state; then
		echo "lab '$LAB_TAG' up: dir $D apps: $APPS_UP"
	else
		echo "lab '$LAB_TAG' down"
	fi
	for ns in $NS_C $NS_G $NS_S; do
		ip netns list 2>/dev/null | grep -qw "^$ns" &&
			echo "  $ns: $(ip netns pids $ns | wc -l) processes"
	done
	return 0
}

# run-apps SECONDS: start every selected client, wait, stop them all.
cmd_run_apps() {
	local secs=$1 a end
	load_state || die "lab '$LAB_TAG' is not up (lab.sh up)"
	end=$(($(date +%s) + secs))
	export LAB_END=$end
	[ "$IN_CAPTURE" = 1 ] || on_signal_do clients
	log "run-apps: ${secs}s: $APPS"
	for a in $APPS; do
		if [[ " $APPS_UP " != *" $a "* ]]; then
			log "warning: $a: its server is not up, skipped"
			continue
		fi
		spawn $NS_C "cli-$a" bash "$LABDIR/clients.sh" "$a"
	done
	while [ "$(date +%s)" -lt "$end" ]; do
		sleep 1
	done
	ns_kill $NS_C
	[ "$IN_CAPTURE" = 1 ] || on_signal_do none
	log "run-apps: done"
}

# capture OUT SECONDS: the whole cycle, torn down on every path.
cmd_capture() {
	local out=$1 secs=$2 pcap name tpid
	mkdir -p "$out/pcap" || die "cannot create $out/pcap"
	name=${LAB_PCAP_NAME:-lab-$(date -u +%Y%m%dT%H%M%SZ).pcap}
	pcap=$(cd "$out/pcap" && pwd)/$name
	IN_CAPTURE=1
	on_signal_do down
	trap 'owned_down' EXIT
	cmd_up
	ip netns exec $NS_G tcpdump -i veth1 -s0 -U --immediate-mode -n \
		-Z root -w "$pcap" ip >"$D/log/tcpdump.log" 2>&1 </dev/null &
	tpid=$!
	sleep 1
	kill -0 $tpid 2>/dev/null || die "tcpdump failed: $(cat $D/log/tcpdump.log)"
	cmd_run_apps "$secs"
	sleep 1
	kill -INT $tpid 2>/dev/null
	wait $tpid 2>/dev/null
	APPS=$(sel_apps all) cmd_apps >"$out/lab-apps.txt"
	log "capture: $pcap"
	cmd_down
	trap - EXIT
	on_signal_do none
}

usage() {
	sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
	local cmd=${1:-}
	[[ $LAB_TAG =~ ^[A-Za-z0-9_-]{1,24}$ ]] ||
		die "LAB_TAG: 1-24 characters of [A-Za-z0-9_-]"
	[[ $LAB_NET =~ ^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$ ]] ||
		die "LAB_NET: the first two octets, e.g. 10.199"
	[ $# -gt 0 ] && shift
	case $cmd in
	check) APPS=$(sel_apps "${1:-all}") || exit 2; cmd_check ;;
	apps) APPS=$(sel_apps "${1:-all}") || exit 2; cmd_apps ;;
	up) APPS=$(sel_apps "${1:-all}") || exit 2; cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	run-apps)
		[[ ${1:-} =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
		APPS=$(sel_apps "${2:-all}") || exit 2
		cmd_run_apps "$1" ;;
	capture)
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
		APPS=$(sel_apps "${3:-all}") || exit 2
		cmd_capture "$1" "$2" ;;
	exec)
		local ns
		case ${1:-} in
		client) ns=$NS_C ;; gw) ns=$NS_G ;; server) ns=$NS_S ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
		load_state || true
		exec ip netns exec "$ns" "$@" ;;
	-h | --help | help) usage ;;
	*) usage >&2; exit 2 ;;
	esac
}

[ "${BASH_SOURCE[0]}" = "$0" ] && main "$@"
