#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The traffic lab end to end: `robot lab capture` runs every application
# for a short while and must
#  - write the labels in the nDPI labels' exact format (header, columns),
#  - give every application flows, each row labeled as the app table says
#    (app, category, encrypted, LAB.<app>, an endpoint on the app's
#    addresses), with no flow left unlabeled or ambiguous,
#  - have each row's flow in the capture with the same packet count
#    (counted independently with tcpdump),
#  - be read unchanged by `robot dataset` (every row joined),
#  - tear everything down: no namespace, process, state or temp dir left;
#    also after a Ctrl-C (SIGINT to the process group) in the middle.
# Skips (77) without root or without the lab's programs (make deps).
cd "$(dirname "$0")/../.." || exit 1
ROBOT=$PWD/build/robot
LAB=$PWD/tools/lab/lab.sh
SECS=${LAB_TEST_SECONDS:-25}
export LAB_TAG=rlabtest$$
export ROBOT_LAB_SH=$LAB

[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$ROBOT" ] || { echo "skip: build/robot not built"; exit 77; }
out=$(bash "$LAB" check all) || { echo "$out"; exit 77; }
command -v tcpdump >/dev/null || { echo "skip: tcpdump missing"; exit 77; }

OUT=$(mktemp -d /tmp/lab-capture-test.XXXXXX)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cleanup() {
	bash "$LAB" down >/dev/null 2>&1
	rm -rf "$OUT"
}
trap cleanup EXIT

# lab_gone DIR: nothing of lab $LAB_TAG (temp dir DIR) is left.
lab_gone() {
	local d=$1 ns
	for ns in $LAB_TAG-cli $LAB_TAG-gw $LAB_TAG-srv; do
		ip netns list | grep -qw "^$ns" && fail "namespace $ns left"
	done
	[ -e /run/robot-lab/$LAB_TAG ] && fail "state file left"
	if [ -n "$d" ]; then
		[ -e "$d" ] && fail "temp dir $d left"
		pgrep -f "$d" >/dev/null &&
			fail "processes left: $(pgrep -af "$d" | head -3)"
	else
		fail "temp dir unknown (lab.sh did not say)"
	fi
}

echo "== capture ${SECS}s, all apps"
t0=$SECONDS
"$ROBOT" lab capture --out "$OUT" --seconds "$SECS" --json \
	>"$OUT/summary.json" 2>"$OUT/lab.log"
rc=$?
echo "capture: exit $rc in $((SECONDS - t0))s"
cat "$OUT/summary.json"
[ $rc -eq 0 ] || { cat "$OUT/lab.log"; fail "robot lab capture exit $rc"; }
tmpdir=$(sed -n 's/.*(dir \(\/tmp\/robot-lab\.[^)]*\)).*/\1/p' "$OUT/lab.log" | head -1)
lab_gone "$tmpdir"

LABELS=$OUT/labels_flows.csv
PCAP=$(ls "$OUT"/pcap/*.pcap 2>/dev/null | head -1)
[ -s "$LABELS" ] || fail "no labels"
[ -s "$PCAP" ] || fail "no capture"
[ $fails -eq 0 ] || exit 1

# CRLF line ends, as the nDPI labels; the checks below read an LF copy.
HDR="file,source,app,category,encrypted,l4,src,sport,dst,dport,pkts,bytes,first_ts,ndpi_label,ndpi_cat,sni,splitA,splitB"
[ "$(head -1 "$LABELS")" = "$HDR"$'\r' ] || fail "header: $(head -1 "$LABELS")"
[ "$(grep -vc $'\r$' "$LABELS")" = 0 ] || fail "lines without CRLF"
if [ -f "${ROBOT_DATA:-/nonexistent}/labels_flows.csv" ]; then
	[ "$(head -1 "$LABELS")" = "$(head -1 "$ROBOT_DATA/labels_flows.csv")" ] ||
		fail "header differs from $ROBOT_DATA/labels_flows.csv"
fi
CSV=$OUT/labels.lf
tr -d '\r' <"$LABELS" >"$CSV"
grep -q '"unlabeled":0,"ambiguous":0' "$OUT/summary.json" ||
	fail "flows without a label or with two"

echo "== rows per app"
bash "$LAB" apps all | grep -v '^#' >"$OUT/table"
while read -r app cat enc sip plain cip; do
	n=$(awk -F, -v a="$app" 'NR > 1 && $3 == a' "$CSV" | wc -l)
	bad=$(awk -F, -v a="$app" -v c="$cat" -v e="$enc" -v s="$sip" \
		-v ci="$cip" -v pl=",$plain," -v f="$(basename "$PCAP")" '
		NR > 1 && $3 == a {
			sp = ($7 == s) ? $8 : ($9 == s) ? $10 : -1
			ee = (e == "yes" && index(pl, "," sp ",") == 0) ? "yes" : "no"
			if ($1 != f || $2 != "robot-lab" || $4 != c || $5 != ee ||
			    ($6 != "TCP" && $6 != "UDP") ||
			    ($7 != s && $7 != ci && $9 != s && $9 != ci) ||
			    $11 < 3 || $14 != "LAB." a || $15 != c || $16 != "" ||
			    $17 != "known" || $18 != "known" || NF != 18)
				print NR ": " $0
		}' "$CSV")
	printf '  %-16s %-13s %3d flows\n' "$app" "$cat" "$n"
	[ "$n" -gt 0 ] || fail "$app: no flow"
	[ -z "$bad" ] || fail "$app: wrong rows: $(echo "$bad" | head -3)"
done <"$OUT/table"

echo "== each row's flow is in the capture (tcpdump count)"
# canonical "proto lo-endpoint hi-endpoint" -> packets
tcpdump -nn -q -r "$PCAP" 2>/dev/null | awk '
	$2 == "IP" {
		s = $3; d = $5; sub(/:$/, "", d)
		p = ($6 == "tcp") ? "TCP" : ($6 == "UDP,") ? "UDP" : ""
		if (p == "") next
		k = (s < d) ? p " " s " " d : p " " d " " s
		n[k]++
	}
	END { for (k in n) print k, n[k] }' >"$OUT/counts"
awk -F, 'NR > 1 {
	s = $7 "." $8; d = $9 "." $10
	print ((s < d) ? $6 " " s " " d : $6 " " d " " s), $11
}' "$CSV" >"$OUT/rows"
missing=$(awk 'NR == FNR { c[$1 " " $2 " " $3] = $4; next }
	{ k = $1 " " $2 " " $3
	  if (!(k in c)) print "absent: " $0
	  else if (c[k] != $4) print "count " c[k] " != " $0 }' \
	"$OUT/counts" "$OUT/rows")
echo "  $(wc -l <"$OUT/rows") rows checked against $(wc -l <"$OUT/counts") 5-tuples"
[ -z "$missing" ] || fail "rows not in the capture: $(echo "$missing" | head -5)"

echo "== robot dataset reads the labels"
"$ROBOT" dataset --pcap-dir "$OUT/pcap" --labels "$LABELS" --out "$OUT/ds" \
	--classes VoIP,Chat,Streaming,FileTransfer,P2P,Browsing,Email \
	>"$OUT/ds.log" 2>&1 || fail "robot dataset exit $?"
grep -q "matched (100.00%)" "$OUT/ds.log" ||
	fail "robot dataset did not join every row: $(grep 'label rows' "$OUT/ds.log")"
grep "label rows" "$OUT/ds.log"

echo "== Ctrl-C in the middle of a capture"
rm -rf "$OUT/int"
setsid "$ROBOT" lab capture --out "$OUT/int" --seconds 120 \
	--apps https-h1,irc,sipp >/dev/null 2>"$OUT/int.log" &
pid=$!
for i in $(seq 300); do
	grep -q "run-apps:" "$OUT/int.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "run-apps:" "$OUT/int.log" || fail "lab did not come up for the Ctrl-C test"
sleep 3
kill -INT -- -$pid
for i in $(seq 200); do
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
if kill -0 $pid 2>/dev/null; then
	fail "robot lab capture still running 20s after SIGINT"
	kill -KILL -- -$pid
fi
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "exit $rc after SIGINT (want 130)"
[ -s "$OUT/int/labels_flows.csv" ] && fail "labels written after SIGINT"
tmpdir=$(sed -n 's/.*(dir \(\/tmp\/robot-lab\.[^)]*\)).*/\1/p' "$OUT/int.log" | head -1)
lab_gone "$tmpdir"

[ $fails -eq 0 ] && echo "lab_capture: all checks passed"
[ $fails -eq 0 ]
