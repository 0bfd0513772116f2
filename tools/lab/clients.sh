#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# clients.sh APP - the lab's clients: run by lab.sh run-apps inside the
# client namespace (env: D, LAB_END and lab.sh's variables), one process
# per app, until LAB_END (epoch seconds). Each loop paces itself the way a
# user or player would (think times, rate limits, live streams), since
# local transfers would otherwise take milliseconds.
set -u
. "$LABDIR/lab.sh"

APP=$1
IP=$(app_ip "$APP")
CA=$D/pki/ca.pem
T=$D/cli/$APP
mkdir -p "$T"
cd "$T" || exit 1

now() { date +%s; }
alive() { [ "$(now)" -lt "$LAB_END" ]; }
left() { echo $((LAB_END - $(now))); }
rnd() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }
# think A B: sleep A..B seconds (tenths), never past the end
think() {
	local t
	t=$(rnd $(($1 * 10)) $(($2 * 10)))
	[ $((t / 10)) -ge "$(left)" ] && t=$(($(left) * 10))
	[ "$t" -gt 0 ] && sleep "$((t / 10)).$((t % 10))"
	return 0
}
# lim S: the smaller of S and the time left
lim() { local l; l=$(left); [ "$1" -lt "$l" ] && echo "$1" || echo "$l"; }
# msg: a chat line of random length
msg() { head -c "$(rnd 4 90)" /dev/urandom | base64 -w0 | tr -d '+/='; }

SSHO=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes
	-o UserKnownHostsFile=$D/ssh/known_hosts -i $D/ssh/client_key)

# the assets a page references
assets() { grep -o '\(src\|href\)=/[^ >]*' "$D/www/page$1.html" | cut -d= -f2; }

cli_https_h1() {
	local p u args
	while alive; do
		p=$(rnd 1 8)
		if [ $((RANDOM % 2)) = 0 ]; then
			args=(-o /dev/null "https://$IP/page$p.html")
			for u in $(assets $p); do
				args+=(-o /dev/null "https://$IP$u")
			done
			timeout "$(lim 30)" curl -s --http1.1 --cacert "$CA" \
				--limit-rate "$(rnd 200 1500)k" "${args[@]}"
		else
			timeout "$(lim 30)" wget -q -p -e robots=off -P "$T/w" \
				--delete-after --ca-certificate="$CA" \
				--limit-rate="$(rnd 200 1500)k" "https://$IP/page$p.html"
		fi
		[ $((RANDOM % 6)) = 0 ] &&
			timeout "$(lim 20)" curl -s --cacert "$CA" -o /dev/null \
				--limit-rate "$(rnd 300 800)k" "https://$IP/files/big.bin"
		think 1 6
	done
}

cli_https_h2() {
	local p u urls
	while alive; do
		p=$(rnd 1 8)
		urls=("https://$IP/page$p.html")
		for u in $(assets $p); do urls+=("https://$IP$u"); done
		timeout "$(lim 30)" curl -s --http2 --parallel --cacert "$CA" \
			--limit-rate "$(rnd 200 1500)k" --remote-name-all --output-dir "$T" "${urls[@]}"
		rm -f "$T"/*
		think 1 6
	done
}

cli_scp() {
	while alive; do
		if [ $((RANDOM % 2)) = 0 ]; then
			timeout "$(lim 40)" scp -q "${SSHO[@]}" -l "$(rnd 3000 12000)" \
				"root@$IP:$D/files/down-$(rnd 0 1 | tr 01 ab).bin" "$T/"
		else
			head -c "$(rnd 500000 4000000)" /dev/urandom >"$T/up.bin"
			timeout "$(lim 40)" scp -q "${SSHO[@]}" -l "$(rnd 3000 12000)" \
				"$T/up.bin" "root@$IP:$D/files/up/scp-$RANDOM.bin"
		fi
		rm -f "$T"/*.bin
		think 2 8
	done
}

cli_sftp() {
	while alive; do
		head -c "$(rnd 300000 3000000)" /dev/urandom >"$T/up.bin"
		cat >"$T/batch" <<EOF
ls -l $D/files
get $D/files/down-$(rnd 0 1 | tr 01 ab).bin $T/down.bin
put $T/up.bin $D/files/up/sftp-$RANDOM.bin
ls $D/files/up
EOF
		timeout "$(lim 60)" sftp -q "${SSHO[@]}" -l "$(rnd 3000 12000)" \
			-b "$T/batch" "root@$IP" >/dev/null
		rm -f "$T"/*.bin
		think 2 8
	done
}

cli_rsync_ssh() {
	local i
	mkdir -p "$T/tree"
	for i in $(seq 1 20); do
		head -c "$(rnd 10000 400000)" /dev/urandom >"$T/tree/f$i"
	done
	while alive; do
		timeout "$(lim 60)" rsync -a --delete --bwlimit="$(rnd 300 1200)" \
			-e "ssh ${SSHO[*]}" "$T/tree/" "root@$IP:$D/files/rsync/"
		# change a few files, as between two backups
		for i in $(seq 1 "$(rnd 2 6)"); do
			head -c "$(rnd 10000 400000)" /dev/urandom \
				>"$T/tree/f$(rnd 1 25)"
		done
		think 2 8
	done
}

cli_ftps() {
	while alive; do
		if [ $((RANDOM % 2)) = 0 ]; then
			timeout "$(lim 40)" curl -s --ssl-reqd --cacert "$CA" \
				--limit-rate "$(rnd 300 1500)k" -o /dev/null \
				"ftp://$IP/pub/" -o /dev/null \
				"ftp://$IP/pub/file-$(rnd 0 1 | tr 01 ab).bin"
		else
			timeout "$(lim 40)" lftp -e "set ftp:ssl-force true; \
set ftp:ssl-allow-anonymous true; set ftp:ssl-protect-data true; \
set ssl:ca-file $CA; set net:limit-rate $(rnd 300000 1500000); \
ls pub; get pub/file-$(rnd 0 1 | tr 01 ab).bin -o $T/f.bin; bye" "$IP" \
				>/dev/null 2>&1
			rm -f "$T/f.bin"
		fi
		think 2 8
	done
}

# A viewer watches the live stream for a while, then another comes.
cli_hls() {
	while alive; do
		timeout "$(lim "$(rnd 15 40)")" ffmpeg -nostdin -loglevel error \
			-ca_file "$CA" -tls_verify 1 \
			-i "https://$IP/live/index.m3u8" -c copy -f null - \
			>/dev/null 2>&1
		think 1 4
	done
}

# The station (source) streams all along; listeners come and go.
cli_icecast() {
	ffmpeg -nostdin -loglevel error -re -f lavfi \
		-i "sine=frequency=330:sample_rate=44100,volume=0.5" \
		-c:a libmp3lame -b:a 128k -content_type audio/mpeg -f mp3 \
		-tls 1 "icecast://source:labsource@$IP:8443/live.mp3" \
		>"$T/source.log" 2>&1 &
	sleep 2
	while alive; do
		if [ $((RANDOM % 2)) = 0 ]; then
			timeout "$(lim "$(rnd 10 30)")" ffmpeg -nostdin -loglevel error \
				-ca_file "$CA" -tls_verify 1 \
				-i "https://$IP:8443/live.mp3" -c copy -f null - \
				>/dev/null 2>&1
		else
			timeout "$(lim "$(rnd 10 30)")" curl -s --cacert "$CA" \
				-o /dev/null "https://$IP:8443/live.mp3"
		fi
		think 1 4
	done
}

cli_baresip() {
	local dur
	while alive; do
		dur=$(lim "$(rnd 10 25)")
		[ "$dur" -ge 4 ] || break
		baresip -4 -n "app${IP##*.}" -f "$D/voip/alice" \
			-e "/dial sip:bob@$IP;transport=tls" -t "$dur" \
			>/dev/null 2>&1 </dev/null
		think 1 4
	done
}

cli_sipp() {
	local dur cip
	cip=$(app_cip sipp)
	while alive; do
		dur=$(lim "$(rnd 8 20)")
		[ "$dur" -ge 4 ] || break
		timeout $((dur + 5)) sipp -sf "$D/voip/sipp-uac.xml" -i "$cip" \
			-p 5070 -mi "$cip" -mp $((10000 + 2 * $(rnd 0 4000))) -m 1 \
			-d $(((dur - 2) * 1000)) -nostdin "$IP:5060" \
			>/dev/null 2>&1
		think 1 4
	done
}

# One IRC user: sessions in #lab with messages every few seconds.
irc_user() {
	local nick=$1 dur
	while alive; do
		dur=$(lim "$(rnd 20 45)")
		[ "$dur" -ge 5 ] || break
		{
			printf 'NICK %s%d\r\nUSER %s 0 * :%s\r\n' "$nick" $RANDOM \
				"$nick" "$nick"
			sleep 1
			printf 'JOIN #lab\r\n'
			local end=$(($(now) + dur - 2))
			while [ "$(now)" -lt "$end" ]; do
				think 2 8
				printf 'PRIVMSG #lab :%s\r\n' "$(msg)"
			done
			printf 'QUIT :bye\r\n'
			sleep 1
		} | timeout $((dur + 3)) openssl s_client -quiet \
			-verify_return_error -CAfile "$CA" -connect "$IP:6697" \
			>/dev/null 2>&1
		think 1 5
	done
}

cli_irc() {
	irc_user alice &
	irc_user bob &
	irc_user carol
	wait
}

# One XMPP user chatting with another over a persistent session.
xmpp_user() {
	local me=$1 peer=$2 dur
	while alive; do
		dur=$(lim "$(rnd 20 45)")
		[ "$dur" -ge 5 ] || break
		{
			local end=$(($(now) + dur - 2))
			while [ "$(now)" -lt "$end" ]; do
				think 2 8
				msg
				echo
			done
		} | timeout $((dur + 3)) go-sendxmpp -i -n -u "$me@lab.test" \
			-p labpass -j "$IP:5222" "$peer@lab.test" >/dev/null 2>&1
		think 1 5
	done
}

cli_xmpp() {
	xmpp_user alice bob &
	xmpp_user bob alice
	wait
}

# A leecher (aria2) takes the swarm's torrents one after the other.
cli_bt_aria2() {
	local b=$D/bt/$APP t port=6881
	while alive; do
		for t in "$b"/torrents/*.torrent; do
			alive || break
			rm -rf "$T/dl"
			timeout "$(lim 60)" aria2c --dir="$T/dl" --listen-port=$port \
				--seed-time=0 --enable-dht=false --bt-enable-lpd=false \
				--enable-peer-exchange=false --bt-require-crypto=true \
				--bt-min-crypto-level=arc4 \
				--max-download-limit="$(rnd 150 450)K" \
				--summary-interval=0 --console-log-level=error \
				"$t" >/dev/null 2>&1
			think 1 4
		done
	done
}

# A transmission-cli leecher, one torrent after the other. It never exits
# by itself: its finish script marks the download done, then it is
# stopped. It asks for pieces only at its first rechoke (~10 s).
cli_bt_transmission() {
	local b=$D/bt/$APP t pid i cfg=$T/cfg
	mkdir -p "$cfg"
	cat >"$cfg/settings.json" <<EOF
{
	"bind-address-ipv4": "$(app_cip $APP)",
	"dht-enabled": false,
	"lpd-enabled": false,
	"pex-enabled": false,
	"utp-enabled": false,
	"port-forwarding-enabled": false,
	"peer-port": 51413,
	"encryption": 2,
	"message-level": 0
}
EOF
	printf '#!/bin/sh\ntouch "%s/done"\n' "$T" >"$T/done.sh"
	chmod +x "$T/done.sh"
	while alive; do
		for t in "$b"/torrents/*.torrent; do
			alive || break
			rm -rf "$T/dl" "$cfg/resume" "$cfg/torrents" "$T/done"
			mkdir -p "$T/dl"
			transmission-cli -M -er -g "$cfg" -w "$T/dl" \
				-d "$(rnd 150 450)" -f "$T/done.sh" "$t" \
				>/dev/null 2>&1 &
			pid=$!
			for i in $(seq 1 "$(lim 90)"); do
				[ -e "$T/done" ] && break
				sleep 1
			done
			kill $pid 2>/dev/null
			wait $pid
			think 1 4
		done
	done
}

cli_smtp() {
	local to
	while alive; do
		to=user$(rnd 1 2)
		head -c "$(rnd 200 20000)" /dev/urandom | base64 >"$T/body"
		if [ $((RANDOM % 4)) = 0 ]; then
			head -c "$(rnd 20000 400000)" /dev/urandom >"$T/att.bin"
			set -- --attach "@$T/att.bin"
		else
			set --
		fi
		timeout "$(lim 30)" swaks --server "$IP" --port 25 --tls \
			--tls-verify --tls-ca-path "$CA" --helo client.lab.test \
			--from "sender$(rnd 1 9)@example.org" --to "$to@lab.test" \
			--h-Subject "lab mail $RANDOM" --body "@$T/body" "$@" \
			>/dev/null 2>&1
		think 2 8
	done
}

cli_imap() {
	local n
	while alive; do
		n=$(rnd 1 5)
		timeout "$(lim 30)" curl -s --cacert "$CA" -u "user$(rnd 1 2):labpass" \
			-o /dev/null "imaps://$IP/INBOX?ALL" \
			-o /dev/null "imaps://$IP/INBOX;UID=$n" \
			-o /dev/null "imaps://$IP/INBOX;UID=$((n + 1))"
		think 3 10
	done
}

cli_pop3() {
	while alive; do
		timeout "$(lim 30)" curl -s --cacert "$CA" \
			-u "user$(rnd 1 2):labpass" -o /dev/null "pop3s://$IP/" \
			-o /dev/null "pop3s://$IP/$(rnd 1 3)"
		think 3 10
	done
}

case $APP in
https-h1) cli_https_h1 ;;
https-h2) cli_https_h2 ;;
scp) cli_scp ;;
sftp) cli_sftp ;;
rsync-ssh) cli_rsync_ssh ;;
ftps) cli_ftps ;;
hls) cli_hls ;;
icecast) cli_icecast ;;
baresip) cli_baresip ;;
sipp) cli_sipp ;;
irc) cli_irc ;;
xmpp) cli_xmpp ;;
bt-aria2) cli_bt_aria2 ;;
bt-transmission) cli_bt_transmission ;;
smtp) cli_smtp ;;
imap) cli_imap ;;
pop3) cli_pop3 ;;
*) echo "clients.sh: unknown app $APP" >&2; exit 2 ;;
esac
