// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flood - send Ethernet/IPv4 TCP or UDP frames of random 5-tuples out of
 * an interface as fast as it goes (or at a given rate), through an
 * AF_PACKET socket (PACKET_QDISC_BYPASS, sendmmsg batches): a new-flow
 * flood for the reliability tests (tests/net/flood.sh,
 * tests/net/ringbuf_overflow.sh).
 *
 *   flood -i IFACE [-m DSTMAC] [-t SECONDS] [-c PACKETS] [-r PPS]
 *         [-k PKTS_PER_FLOW] [-s SEED] [-S SRCNET]
 *
 * Every flow is a random source address in SRCNET/16 (default 10.200),
 * random ports, TCP (ACK|PSH) or UDP, destination 10.201.x.x (nothing
 * answers), each packet carrying 32..200 bytes of random payload; with
 * -k N each flow sends N packets in a row. Prints one JSON line: packets
 * sent, flows, seconds, packets per second, send errors (ENOBUFS/EAGAIN,
 * each retried: sent and flows count only the frames that left).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_MAX 256

static uint64_t rs = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t csum(const uint8_t *p, int n)
{
	uint32_t s = 0;
	int i;

	for (i = 0; i + 1 < n; i += 2)
		s += (p[i] << 8) | p[i + 1];
	if (n & 1)
		s += p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

struct flow {
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t proto;
};

static void flow_new(struct flow *f, uint8_t net0, uint8_t net1)
{
	uint64_t r = rnd();

	f->src[0] = net0, f->src[1] = net1, f->src[2] = r, f->src[3] = r >> 8;
	f->dst[0] = 10, f->dst[1] = 201, f->dst[2] = r >> 16,
	f->dst[3] = r >> 24;
	f->sport = 1024 + (r >> 32) % 64000;
	f->dport = 1 + (r >> 48) % 65535;
	f->proto = (rnd() & 1) ? 6 : 17;
}

static int frame(uint8_t *b, const uint8_t *dmac, const struct flow *f)
{
	int pl = 32 + rnd() % 169, l4 = f->proto == 6 ? 20 : 8, i;
	uint8_t *ip = b + 14, *l = ip + 20;

	memcpy(b, dmac, 6);
	memcpy(b + 6, "\x02\x00\x00\xf1\x00\x01", 6);
	b[12] = 0x08, b[13] = 0x00;
	memset(ip, 0, 20 + l4);
	ip[0] = 0x45;
	ip[2] = (20 + l4 + pl) >> 8, ip[3] = 20 + l4 + pl;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = f->proto;
	memcpy(ip + 12, f->src, 4);
	memcpy(ip + 16, f->dst, 4);
	l[0] = f->sport >> 8, l[1] = f->sport;
	l[2] = f->dport >> 8, l[3] = f->dport;
	if (f->proto == 6) {
		l[4] = rnd(), l[8] = rnd();
		l[12] = 5 << 4;
		l[13] = 0x18;
		l[14] = 0x20;
	} else {
		l[4] = (8 + pl) >> 8, l[5] = 8 + pl;
	}
	for (i = 0; i < pl; i++)
		l[l4 + i] = rnd();
	i = csum(ip, 20);
	ip[10] = i >> 8, ip[11] = i;
	return 14 + 20 + l4 + pl;
}

static int parse_mac(const char *s, uint8_t *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2],
		      &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: flood -i IFACE [-m DSTMAC] [-t SECONDS] [-c PACKETS]"
		   " [-r PPS] [-k PKTS_PER_FLOW] [-s SEED] [-S A.B]\n");
}

int main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][FRAME_MAX];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t first[BATCH]; /* the frame opens a flow */
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t dmac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned int net0 = 10, net1 = 200;
	double secs = 1, rate = 0, t0, t;
	unsigned long long count = 0, sent = 0, flows = 0, errs = 0;
	const char *ifname = NULL;
	int c, fd, one = 1, k = 1, left = 0, i, n;
	struct flow f;

	while ((c = getopt(argc, argv, "i:m:t:c:r:k:s:S:h")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'm':
			if (parse_mac(optarg, dmac))
				goto bad;
			break;
		case 't': secs = atof(optarg); break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 'r': rate = atof(optarg); break;
		case 'k': k = atoi(optarg); break;
		case 's': rs ^= strtoull(optarg, NULL, 0) * 0x9E3779B97F4A7C15ull; break;
		case 'S':
			if (sscanf(optarg, "%u.%u", &net0, &net1) != 2)
				goto bad;
			break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (!ifname || k < 1 || secs <= 0)
		goto bad;
	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "flood: no interface %s\n", ifname);
		return 1;
	}
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("flood: socket");
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &sll;
		msg[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	t0 = now();
	for (;;) {
		t = now() - t0;
		if (t >= secs || (count && sent >= count))
			break;
		if (rate > 0 && sent >= rate * t) {
			usleep(200);
			continue;
		}
		n = BATCH;
		if (count && count - sent < (unsigned long long)n)
			n = count - sent;
		for (i = 0; i < n; i++) {
			first[i] = !left;
			if (!left) {
				flow_new(&f, net0, net1);
				left = k;
			}
			left--;
			iov[i].iov_len = frame(bufs[i], dmac, &f);
		}
		/* The whole batch goes out (the rest of a partial send, and
		 * again after ENOBUFS) unless the time is up: sent and flows
		 * count the frames that left, and a flow keeps its k packets.
		 */
		for (i = 0; i < n && now() - t0 < secs;) {
			c = sendmmsg(fd, msg + i, n - i, 0);
			if (c < 0) {
				errs++;
				if (errno != ENOBUFS && errno != EAGAIN) {
					perror("flood: sendmmsg");
					goto out;
				}
				continue;
			}
			for (; c > 0; c--, i++) {
				sent++;
				flows += first[i];
			}
		}
	}
out:
	t = now() - t0;
	printf("{\"sent\": %llu, \"flows\": %llu, \"seconds\": %.3f, "
	       "\"pps\": %.0f, \"errors\": %llu}\n", sent, flows, t,
	       sent / t, errs);
	close(fd);
	return 0;
bad:
	usage(stderr);
	return 2;
}
