#!/bin/sh
# Install what Robot needs on Debian 12 (idempotent; fast when all is there).
set -e
PKGS="make gcc clang llvm libbpf-dev libxdp-dev xdp-tools bpftool linux-libc-dev
libelf-dev zlib1g-dev libnl-3-dev libnl-route-3-dev libcmocka-dev libpcap-dev
libopenblas-dev libcap-dev pkg-config iproute2 ethtool tcpdump tcpreplay
gnuplot-nox libclang-rt-14-dev valgrind nftables"
# The traffic lab (tools/lab/, docs/lab.md): real servers and clients.
PKGS="$PKGS nginx ffmpeg icecast2 openssh-server openssh-client vsftpd lftp
rsync baresip sip-tester ngircd prosody go-sendxmpp opentracker aria2
transmission-cli mktorrent postfix dovecot-imapd dovecot-pop3d swaks
libnet-ssleay-perl libio-socket-ssl-perl curl wget openssl util-linux"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all installed"
	exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# No daemon may start in the root namespace while packages install (the
# lab runs its servers itself): a policy-rc.d that denies, unless one is
# already there, removed afterwards.
PRC=/usr/sbin/policy-rc.d
if [ ! -e $PRC ]; then
	trap '$SUDO rm -f $PRC' EXIT
	trap 'exit 130' INT TERM
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee $PRC >/dev/null
	$SUDO chmod 755 $PRC
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
