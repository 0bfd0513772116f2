# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# servers.sh - the lab's servers, sourced by lab.sh (cmd_up). Each server
# is configured at run time under $D (the lab's temp dir), bound to its
# app's own address in the server namespace, and started with spawn.
# srv_start APP starts what APP needs (shared daemons once), srv_wait APP
# waits until its sockets listen.

SHARED_STARTED=" "

once() {
	[[ $SHARED_STARTED == *" $1 "* ]] && return 1
	SHARED_STARTED="$SHARED_STARTED$1 "
	return 0
}

# A generated web site: pages that reference assets of various sizes.
mk_site() {
	local w=$D/www i j
	mkdir -p $w/img $w/css $w/js $w/files
	for i in $(seq 1 12); do
		head -c $((RANDOM % 200000 + 4000)) /dev/urandom >$w/img/p$i.jpg
	done
	for i in 1 2 3; do
		head -c $((RANDOM % 30000 + 2000)) /dev/urandom | base64 >$w/css/s$i.css
		head -c $((RANDOM % 90000 + 5000)) /dev/urandom | base64 >$w/js/a$i.js
	done
	for i in $(seq 1 8); do
		{
			echo "<!DOCTYPE html><html><head><title>Page $i</title>"
			echo "<link rel=stylesheet href=/css/s$((i % 3 + 1)).css>"
			echo "<script src=/js/a$((i % 3 + 1)).js></script></head><body>"
			for j in $(seq 1 $((i % 4 + 2))); do
				echo "<img src=/img/p$(((i * 3 + j) % 12 + 1)).jpg>"
			done
			head -c $((RANDOM % 20000 + 1000)) /dev/urandom | base64 |
				sed 's/^/<p>/'
			echo "<a href=/page$(((i % 8) + 1)).html>next</a></body></html>"
		} >$w/page$i.html
	done
	cp $w/page1.html $w/index.html
	head -c 3000000 /dev/urandom >$w/files/big.bin
	chmod -R a+rX $w
}

srv_nginx() {
	local n=$D/nginx h1 h2 hls
	h1=$(app_ip https-h1)
	h2=$(app_ip https-h2)
	hls=$(app_ip hls)
	mkdir -p $n/tmp $D/hls-www/live
	mk_site
	cat >$n/nginx.conf <<EOF
worker_processes 1;
pid $n/nginx.pid;
error_log $D/log/nginx-error.log;
events { worker_connections 512; }
http {
	types {
		text/html html; text/css css; application/javascript js;
		image/jpeg jpg; application/octet-stream bin;
		application/vnd.apple.mpegurl m3u8; video/mp2t ts;
	}
	access_log $D/log/nginx-access.log;
	client_body_temp_path $n/tmp/body;
	proxy_temp_path $n/tmp/proxy;
	fastcgi_temp_path $n/tmp/fastcgi;
	uwsgi_temp_path $n/tmp/uwsgi;
	scgi_temp_path $n/tmp/scgi;
	ssl_certificate $D/pki/srv.pem;
	ssl_certificate_key $D/pki/srv.key;
	ssl_protocols TLSv1.2 TLSv1.3;
	keepalive_timeout 30;
	sendfile on;
	server { listen $h1:443 ssl; root $D/www; }
	server { listen $h2:443 ssl http2; root $D/www; }
	server {
		listen $hls:443 ssl;
		root $D/hls-www;
		location /live/ { add_header Cache-Control no-cache; }
	}
}
EOF
	spawn $NS_S nginx nginx -p $n -e $D/log/nginx-error.log \
		-c $n/nginx.conf -g 'daemon off;'
}

# Live HLS: ffmpeg encodes a test pattern and a tone in real time into
# 2-second segments under nginx's root.
srv_hls_encoder() {
	spawn $NS_S hls-encoder ffmpeg -nostdin -loglevel error \
		-re -f lavfi -i testsrc2=size=640x360:rate=25 \
		-re -f lavfi -i sine=frequency=440:sample_rate=44100 \
		-c:v libx264 -preset ultrafast -tune zerolatency -g 50 \
		-b:v 900k -maxrate 900k -bufsize 1800k -pix_fmt yuv420p \
		-c:a aac -b:a 96k -f hls -hls_time 2 -hls_list_size 6 \
		-hls_flags delete_segments \
		-hls_segment_filename "$D/hls-www/live/seg%05d.ts" \
		$D/hls-www/live/index.m3u8
}

srv_sshd() {
	local s=$D/ssh
	mkdir -p $s
	ssh-keygen -q -t ed25519 -N '' -f $s/host_key
	ssh-keygen -q -t ed25519 -N '' -f $s/client_key
	cp $s/client_key.pub $s/authorized_keys
	: >$s/known_hosts
	{
		for a in scp sftp rsync-ssh; do
			echo "ListenAddress $(app_ip $a):22"
			echo "$(app_ip $a) $(cat $s/host_key.pub)" >>$s/known_hosts
		done
		cat <<EOF
HostKey $s/host_key
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $s/authorized_keys
Subsystem sftp internal-sftp
UseDNS no
EOF
	} >$s/sshd_config
	mkdir -p $D/files/up $D/files/rsync
	head -c 4000000 /dev/urandom >$D/files/down-a.bin
	head -c 9000000 /dev/urandom >$D/files/down-b.bin
	spawn $NS_S sshd sh -c "mount -t tmpfs tmpfs /run && \
		mkdir -m755 /run/sshd && exec /usr/sbin/sshd -D -e -f $s/sshd_config"
}

srv_vsftpd() {
	local f=$D/ftp ip
	ip=$(app_ip ftps)
	mkdir -p $f/root/pub $f/empty
	head -c 3000000 /dev/urandom >$f/root/pub/file-a.bin
	head -c 6000000 /dev/urandom >$f/root/pub/file-b.bin
	echo "Robot lab FTP" >$f/root/pub/README
	chmod -R a+rX,go-w $f
	cat >$f/vsftpd.conf <<EOF
listen=YES
listen_ipv6=NO
listen_address=$ip
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$f/root
local_enable=NO
write_enable=NO
ftp_username=ftp
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=$D/pki/srv.pem
rsa_private_key_file=$D/pki/srv.key
pasv_enable=YES
pasv_min_port=40000
pasv_max_port=40100
pasv_address=$ip
secure_chroot_dir=$f/empty
xferlog_enable=YES
vsftpd_log_file=$D/log/vsftpd-xfer.log
seccomp_sandbox=NO
EOF
	spawn $NS_S vsftpd vsftpd $f/vsftpd.conf
}

srv_icecast() {
	local c=$D/icecast ip pem
	ip=$(app_ip icecast)
	mkdir -p $c/log
	chown icecast2 $c/log
	pem=$(own_copy $D/pki/srv-full.pem icecast2)
	cat >$c/icecast.xml <<EOF
<icecast>
  <location>Robot lab</location>
  <admin>admin@lab.test</admin>
  <limits>
    <clients>100</clients>
    <sources>4</sources>
    <queue-size>524288</queue-size>
    <source-timeout>10</source-timeout>
    <burst-size>65535</burst-size>
  </limits>
  <authentication>
    <source-password>labsource</source-password>
    <relay-password>labrelay</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>labadmin</admin-password>
  </authentication>
  <hostname>$ip</hostname>
  <listen-socket>
    <port>8443</port>
    <bind-address>$ip</bind-address>
    <ssl>1</ssl>
  </listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>/usr/share/icecast2</basedir>
    <logdir>$c/log</logdir>
    <webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot>
    <ssl-certificate>$pem</ssl-certificate>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <loglevel>3</loglevel>
  </logging>
  <security><chroot>0</chroot></security>
</icecast>
EOF
	chmod 644 $c/icecast.xml
	spawn $NS_S icecast setpriv --reuid=icecast2 --regid=icecast \
		--init-groups icecast2 -c $c/icecast.xml
}

# Audio for the VoIP agents: 8 kHz mono, a varying tone sequence.
mk_voice() {
	local v=$D/voip
	mkdir -p $v
	[ -f $v/voice.wav ] && return 0
	ffmpeg -nostdin -loglevel error -f lavfi \
		-i "aevalsrc=0.4*sin(2*PI*(300+200*sin(2*PI*0.3*t))*t)*(0.6+0.4*sin(2*PI*2*t)):s=8000:d=30" \
		-ac 1 -ar 8000 -c:a pcm_s16le $v/voice.wav
	ffmpeg -nostdin -loglevel error -i $v/voice.wav -ac 1 -ar 8000 \
		-f mulaw $v/voice.ulaw
}

# baresip_cfg DIR IP: a config dir for an agent bound to IP.
baresip_cfg() {
	local dir=$1 ip=$2
	mkdir -p $dir
	cat >$dir/config <<EOF
poll_method		epoll
sip_listen		$ip:5060
sip_certificate		$D/pki/srv-full.pem
sip_cafile		$D/pki/ca.pem
audio_player		aubridge,nil
audio_source		aufile,$D/voip/voice.wav
audio_alert		aubridge,nil
audio_srate		8000
audio_channels		1
rtp_tos			184
rtp_ports		20000-20999
rtcp_mux		yes
jitter_buffer_delay	2-10
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			aubridge.so
module			srtp.so
module			dtls_srtp.so
module_app		account.so
module_app		menu.so
EOF
}

srv_baresip() {
	local ip
	ip=$(app_ip baresip)
	mk_voice
	baresip_cfg $D/voip/bob $ip
	echo "<sip:bob@$ip>;regint=0;answermode=auto;mediaenc=srtp-mand;audio_codecs=PCMU" \
		>$D/voip/bob/accounts
	baresip_cfg $D/voip/alice $(app_cip baresip)
	echo "<sip:alice@$(app_cip baresip)>;regint=0;mediaenc=srtp-mand;audio_codecs=PCMU" \
		>$D/voip/alice/accounts
	spawn $NS_S baresip-bob baresip -4 -n app${ip##*.} -f $D/voip/bob
}

srv_sipp() {
	local ip
	ip=$(app_ip sipp)
	mk_voice
	cp "$LABDIR/sipp-uas.xml" "$LABDIR/sipp-uac.xml" $D/voip/
	sed -i "s|@VOICE@|$D/voip/voice.ulaw|" $D/voip/sipp-*.xml
	spawn $NS_S sipp-uas sipp -sf $D/voip/sipp-uas.xml -i $ip -p 5060 \
		-mi $ip -mp 6000 -bg -nostdin -trace_err \
		-error_file $D/log/sipp-uas-err.log
}

srv_ngircd() {
	local c=$D/ngircd ip
	ip=$(app_ip irc)
	mkdir -p $c
	cat >$c/ngircd.conf <<EOF
[Global]
	Name = irc.lab.test
	Info = Robot lab IRC
	Listen = $ip
	Ports = 6667
	MotdPhrase = Robot lab
	PidFile = $c/ngircd.pid
[Limits]
	PingTimeout = 300
	PongTimeout = 60
	MaxNickLength = 16
[Options]
	PAM = no
	DNS = no
	Ident = no
[SSL]
	CertFile = $D/pki/srv.pem
	KeyFile = $D/pki/srv.key
	Ports = 6697
[Channel]
	Name = #lab
	Topic = Robot lab chat
EOF
	spawn $NS_S ngircd ngircd -n -f $c/ngircd.conf
}

srv_prosody() {
	local c=$D/prosody ip crt key u
	ip=$(app_ip xmpp)
	mkdir -p $c/data
	crt=$(own_copy $D/pki/srv-chain.pem prosody)
	key=$(own_copy $D/pki/srv.key prosody)
	cat >$c/prosody.cfg.lua <<EOF
pidfile = "$c/prosody.pid"
data_path = "$c/data"
interfaces = { "$ip" }
c2s_ports = { 5222 }
c2s_direct_tls_ports = { 5223 }
s2s_ports = { }
log = { info = "$c/prosody.log" }
daemonize = false
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix" }
modules_disabled = { "s2s" }
c2s_require_encryption = true
authentication = "internal_hashed"
certificates = "$c/certs"
ssl = { certificate = "$crt"; key = "$key" }
VirtualHost "lab.test"
	ssl = { certificate = "$crt"; key = "$key" }
EOF
	mkdir -p $c/certs
	chown -R prosody $c
	for u in alice bob; do
		setpriv --reuid=prosody --regid=prosody --init-groups \
			prosodyctl --config $c/prosody.cfg.lua register $u lab.test \
			labpass >>$D/log/prosodyctl.log 2>&1
	done
	spawn $NS_S prosody setpriv --reuid=prosody --regid=prosody \
		--init-groups prosody --config $c/prosody.cfg.lua -F
}

# bt_swarm APP PREFIX: a tracker on APP's address and torrents of random
# files (sized for the run), whitelisted there; data under $D/bt/APP.
bt_swarm() {
	local app=$1 ip b=$D/bt/$1 i
	ip=$(app_ip $app)
	mkdir -p $b/seed $b/torrents
	: >$b/whitelist
	for i in 1 2 3 4; do
		head -c $((3000000 + RANDOM * 40)) /dev/urandom >$b/seed/$app-$i.bin
		mktorrent -a "http://$ip:6969/announce" -l 16 \
			-o $b/torrents/$app-$i.torrent $b/seed/$app-$i.bin \
			>>$D/log/mktorrent.log 2>&1 || return 1
		aria2c -S $b/torrents/$app-$i.torrent |
			sed -n 's/^Info Hash: //p' >>$b/whitelist
	done
	# opentracker chroots to -d and drops to nobody: relative paths
	spawn $NS_S tracker-$app sh -c "cd $b && exec opentracker -i $ip \
		-p 6969 -P 6969 -w whitelist -d $b -u nobody"
}

srv_bt_aria2() {
	local ip b=$D/bt/bt-aria2
	ip=$(app_ip bt-aria2)
	bt_swarm bt-aria2 || return 1
	spawn $NS_S seed-bt-aria2 aria2c --interface=$ip --listen-port=6881 \
		--dir=$b/seed --seed-ratio=0.0 --bt-seed-unverified=true \
		--check-integrity=false --enable-dht=false --bt-enable-lpd=false \
		--enable-peer-exchange=false --bt-require-crypto=true \
		--bt-min-crypto-level=arc4 --max-overall-upload-limit=400K \
		--summary-interval=0 --console-log-level=warn \
		--bt-tracker-interval=20 $b/torrents/*.torrent
}

# transmission_cfg DIR IP PORT: settings for one transmission-cli.
transmission_cfg() {
	mkdir -p $1
	cat >$1/settings.json <<EOF
{
	"bind-address-ipv4": "$2",
	"dht-enabled": false,
	"lpd-enabled": false,
	"pex-enabled": false,
	"utp-enabled": false,
	"port-forwarding-enabled": false,
	"peer-port": $3,
	"encryption": 2,
	"message-level": 1,
	"speed-limit-up": 400,
	"speed-limit-up-enabled": true,
	"ratio-limit-enabled": false
}
EOF
}

srv_bt_transmission() {
	local ip b=$D/bt/bt-transmission t
	ip=$(app_ip bt-transmission)
	bt_swarm bt-transmission || return 1
	# transmission-cli seeds one torrent per process.
	for t in $b/torrents/*.torrent; do
		t=$(basename $t .torrent)
		transmission_cfg $b/cfg-$t $ip $((51413 + ${t##*-}))
		# its status line is rewritten every second: no log
		spawn $NS_S seed-$t sh -c "exec transmission-cli -M -g \
			$b/cfg-$t -er -w $b/seed -u 400 $b/torrents/$t.torrent \
			>/dev/null"
	done
}

srv_postfix() {
	local c=$D/postfix q=$D/postfix-queue ip
	ip=$(app_ip smtp)
	mkdir -p $c $q/spool $q/data $D/mail
	chown postfix $q/data
	chown -R mail:mail $D/mail
	cp /etc/postfix/master.cf $c/ 2>/dev/null ||
		cp /usr/share/postfix/master.cf.dist $c/master.cf
	echo "user1@lab.test lab.test/user1/" >$c/vmailbox
	echo "user2@lab.test lab.test/user2/" >>$c/vmailbox
	cat >$c/main.cf <<EOF
compatibility_level = 3.6
queue_directory = $q/spool
data_directory = $q/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.lab.test
mydomain = lab.test
myorigin = lab.test
mydestination =
inet_interfaces = $ip
inet_protocols = ipv4
mynetworks = $LAB_NET.0.0/16 127.0.0.0/8
maillog_file = $D/log/postfix.log
maillog_file_prefixes = /var, /dev/stdout, /tmp
smtpd_tls_cert_file = $D/pki/srv.pem
smtpd_tls_key_file = $D/pki/srv.key
smtpd_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = lab.test
virtual_mailbox_base = $D/mail
virtual_mailbox_maps = texthash:$c/vmailbox
virtual_uid_maps = static:$(id -u mail)
virtual_gid_maps = static:$(id -g mail)
virtual_minimum_uid = 1
message_size_limit = 20480000
smtpd_banner = \$myhostname ESMTP
biff = no
# no reverse DNS of SMTP clients: the lab has no resolver, and the
# look-ups were unlabeled flows towards the host's nameserver
smtpd_peername_lookup = no
EOF
	postconf -c $c -M -F '*/*/chroot = n' >/dev/null 2>&1
	postconf -c $c -F '*/*/chroot = n' 2>>$D/log/postfix-setup.log
	postfix -c $c set-permissions >>$D/log/postfix-setup.log 2>&1
	postfix -c $c check >>$D/log/postfix-setup.log 2>&1
	spawn $NS_S postfix postfix -c $c start-fg
}

srv_dovecot() {
	local c=$D/dovecot
	mkdir -p $c/run $D/mail
	chown -R mail:mail $D/mail
	echo "user1:{PLAIN}labpass::::::" >$c/passwd
	echo "user2:{PLAIN}labpass::::::" >>$c/passwd
	cat >$c/dovecot.conf <<EOF
protocols = imap pop3
listen = $(app_ip imap), $(app_ip pop3)
base_dir = $c/run
state_dir = $c/state
log_path = $D/log/dovecot.log
ssl = required
ssl_cert = <$D/pki/srv.pem
ssl_key = <$D/pki/srv.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:$D/mail/lab.test/%n
first_valid_uid = 1
pop3_uidl_format = %08Xu%08Xv
passdb {
	driver = passwd-file
	args = scheme=PLAIN $c/passwd
}
userdb {
	driver = static
	args = uid=mail gid=mail home=$D/mail/lab.test/%n
}
service imap-login {
	inet_listener imap {
		port = 0
	}
	inet_listener imaps {
		port = 993
		ssl = yes
	}
}
service pop3-login {
	inet_listener pop3 {
		port = 0
	}
	inet_listener pop3s {
		port = 995
		ssl = yes
	}
}
EOF
	mkdir -p $c/state
	spawn $NS_S dovecot dovecot -F -c $c/dovecot.conf
}

srv_start() {
	case $1 in
	https-h1 | https-h2) once nginx && srv_nginx ;;
	hls) once nginx && srv_nginx; srv_hls_encoder ;;
	scp | sftp | rsync-ssh) once sshd && srv_sshd ;;
	ftps) srv_vsftpd ;;
	icecast) srv_icecast ;;
	baresip) srv_baresip ;;
	sipp) srv_sipp ;;
	irc) srv_ngircd ;;
	xmpp) srv_prosody ;;
	bt-aria2) srv_bt_aria2 ;;
	bt-transmission) srv_bt_transmission ;;
	smtp) srv_postfix ;;
	imap | pop3) once dovecot && srv_dovecot ;;
	esac
	return 0
}

srv_wait() {
	local ip i
	ip=$(app_ip $1)
	case $1 in
	https-h1 | https-h2) wait_listen $NS_S tcp $ip 443 ;;
	hls)
		wait_listen $NS_S tcp $ip 443 || return 1
		# a player needs a few segments to start
		for i in $(seq 150); do
			[ "$(ls $D/hls-www/live/*.ts 2>/dev/null | wc -l)" -ge 2 ] &&
				return 0
			sleep 0.1
		done
		return 1 ;;
	scp | sftp | rsync-ssh) wait_listen $NS_S tcp $ip 22 ;;
	ftps) wait_listen $NS_S tcp $ip 21 ;;
	icecast) wait_listen $NS_S tcp $ip 8443 ;;
	baresip) wait_listen $NS_S tcp $ip 5061 ;;
	sipp) wait_listen $NS_S udp $ip 5060 ;;
	irc) wait_listen $NS_S tcp $ip 6697 ;;
	xmpp) wait_listen $NS_S tcp $ip 5222 ;;
	bt-aria2) wait_listen $NS_S tcp $ip 6969 &&
		wait_listen $NS_S tcp $ip 6881 ;;
	bt-transmission) wait_listen $NS_S tcp $ip 6969 &&
		wait_listen $NS_S tcp $ip 51414 ;;
	smtp) wait_listen $NS_S tcp $ip 25 ;;
	imap) wait_listen $NS_S tcp $ip 993 ;;
	pop3) wait_listen $NS_S tcp $ip 995 ;;
	esac
}
