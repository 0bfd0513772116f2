#!/bin/sh
# Install what Robot needs on Debian 12 (idempotent; fast when all is there).
set -e
PKGS="make gcc clang llvm libbpf-dev libxdp-dev xdp-tools bpftool linux-libc-dev
libelf-dev zlib1g-dev libnl-3-dev libnl-route-3-dev libcmocka-dev libpcap-dev
libopenblas-dev libcap-dev pkg-config iproute2 ethtool tcpdump tcpreplay
gnuplot-nox libclang-rt-14-dev valgrind"
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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
