#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Bad command lines for every subcommand of build/robot: each must exit 2
# (usage) with a message on stderr, before touching anything (no BPF, no
# namespaces, no files written), never crash or hang; `robot CMD --help`
# exits 0 and prints a usage. Does not need root (the checks run before
# any privilege check) and no data. As root it runs in its own network
# and mount namespaces (a fresh bpffs, a tmpfs on /run/robot), so that a
# command line wrongly accepted can attach nothing outside.
cd "$(dirname "$0")/../.." || exit 1
ROBOT=$PWD/build/robot
[ -x "$ROBOT" ] || { echo "skip: build/robot not built"; exit 77; }
if [ "$(id -u)" -eq 0 ] && [ -z "${ROBOT_CLI_INNER:-}" ]; then
	ROBOT_CLI_INNER=1 exec unshare --net --mount --propagation private \
		bash -c 'mount -t bpf bpf /sys/fs/bpf && mkdir -p /run/robot &&
			 mount -t tmpfs tmpfs /run/robot && exec "$0"' "$0"
fi

T=$(mktemp -d /tmp/robot-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1 # nothing may be written here
LONG=$(printf 'x%.0s' $(seq 300))
BIG=99999999999999999999999
fails=0 n=0

# expect RC ARGS...: run robot ARGS, want exit RC and (for 2) a message.
expect() {
	local want=$1 rc out
	shift
	n=$((n + 1))
	out=$(timeout 20 "$ROBOT" "$@" 2>&1 </dev/null)
	rc=$?
	if [ $rc -ne "$want" ] || { [ "$want" = 2 ] && [ -z "$out" ]; }; then
		fails=$((fails + 1))
		printf 'FAIL rc %s (want %s): robot' "$rc" "$want"
		printf ' %q' "$@" | cut -c1-160
		echo "$out" | head -3 | sed 's/^/    | /'
	fi
}

cmds=$("$ROBOT" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p')
[ -n "$cmds" ] || { echo "FAIL: no command list in robot --help"; exit 1; }
for c in $cmds; do
	expect 0 "$c" --help
	"$ROBOT" "$c" --help 2>&1 | grep -qi usage ||
		{ echo "FAIL: robot $c --help prints no usage"; fails=$((fails + 1)); }
	expect 2 "$c" --no-such-option
	expect 2 "$c" --no-such-option=1 extra args
	expect 2 "$c" -Z
done

# the top level
expect 2
expect 2 --bogus
expect 2 no-such-command
expect 2 -vvv status

# attach: interfaces and every numeric option
expect 2 attach
expect 2 attach lo lo
expect 2 attach "$LONG"
expect 2 attach 0123456789abcdef
expect 2 attach a/b
expect 2 attach ""
expect 2 attach "a b"
expect 2 attach ..
expect 2 attach lo --mode foo
expect 2 attach lo --device tpu
expect 2 attach lo --models
for o in flows ringbuf idle-timeout batch batch-deadline max-pending; do
	for v in abc -1 "" 0x "$BIG" 1e3 "5 " 5x; do
		expect 2 attach lo --$o "$v"
	done
done
expect 2 attach lo --flows 5
expect 2 attach lo --ringbuf 12288  # not a power of 2
expect 2 attach lo --ringbuf 1024   # under a page
expect 2 attach lo --batch 0
expect 2 attach lo --idle-timeout 0
expect 2 attach $(seq -f 'd%g' 17)  # 17 interfaces

# detach
expect 2 detach "$LONG"
expect 2 detach "x:y"

# stats, flows, status
for v in abc -1 "" "$BIG"; do
	expect 2 stats --interval "$v"
	expect 2 stats --count "$v"
	expect 2 flows --limit "$v"
done

# marks: classes, numbers and tc class ids (checked before the pins)
expect 2 attach lo --htb 0:
expect 2 attach lo --htb ffff:
expect 2 attach lo --htb 1:1
expect 2 attach lo --htb x
expect 2 marks bogus
expect 2 marks set
expect 2 marks set Chat
expect 2 marks set Chat extra --mark 1
expect 2 marks --mark 1
for c in Bogus 7 -1 "" 1x; do
	expect 2 marks set "$c" --mark 1
done
for v in abc -1 "" 0x 4294967296 "$BIG" "5 " 1e3; do
	expect 2 marks set Chat --mark "$v"
	expect 2 marks set Chat --mask "$v"
done
for v in 1 1: :1 1:0 0:1 ffff:1 1:10000 1:2:3 x 00 "$BIG"; do
	expect 2 marks set Chat --priority "$v"
done
expect 2 marks set Chat --mark 0x100 --mask 0xff

# replay
expect 2 replay
expect 2 replay --models
expect 2 replay --models "$T"
expect 2 replay x.pcap
for v in abc -1 0 "$BIG"; do
	expect 2 replay --models "$T" --flows "$v" x.pcap
	expect 2 replay --models "$T" --idle-timeout "$v" x.pcap
done

# dataset
expect 2 dataset
expect 2 dataset --pcap-dir "$T" --labels x.csv
expect 2 dataset --pcap-dir "$T" --labels x.csv --out o --classes Bogus
expect 2 dataset --pcap-dir "$T" --labels x.csv --out o --classes ""
expect 2 dataset --pcap-dir "$T" --labels x.csv --out o --idle-timeout abc
expect 2 dataset --pcap-dir "$T" --labels x.csv --out o --idle-timeout -5

# train, eval
expect 2 train
expect 2 train --data x.ds
for o in epochs seed fast-epochs robust-epochs; do
	expect 2 train --data x.ds --out o --$o abc
	expect 2 train --data x.ds --out o --$o -1
done
expect 2 train --data x.ds --out o --split C
expect 2 train --data x.ds --out o --beta abc
expect 2 train --data x.ds --out o --fast-arch 1,2
expect 2 eval
expect 2 eval --data x.ds --seeds abc
expect 2 eval --data x.ds --split Q
expect 2 eval --data x.ds --test-frac 2

# lab, demo
expect 2 lab
expect 2 lab bogus-verb
expect 2 lab capture --out o --seconds abc
expect 2 lab capture --out o --seconds -1
expect 2 demo --seconds abc
expect 2 demo --interval -1

left=$(ls -A "$T")
if [ -n "$left" ]; then
	echo "FAIL: bad command lines wrote files: $left"
	fails=$((fails + 1))
fi
echo "cli_args: $n command lines, $fails failures"
[ $fails -eq 0 ]
