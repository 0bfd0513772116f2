// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcnl.c - clsact + BPF classifier management over rtnetlink with libnl
 * (see tcnl.h).
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <netlink/route/tc.h>
#include <netlink/route/qdisc.h>
#include "tcnl.h"
#include "log.h"

/* The kernel's errno of the last request, captured by an error callback
 * (libnl otherwise folds it into its own NLE_* codes).
 */
struct tcnl_req {
	int err;
};

static int tcnl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct tcnl_req *r = arg;

	r->err = e->error; /* negative errno */
	return NL_STOP;
}

/* Fallback when the callback saw nothing (local libnl failure). */
static int nle_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

static void tcnl_req_begin(struct nl_sock *sk, struct tcnl_req *r)
{
	struct nl_cb *cb = nl_socket_get_cb(sk);

	r->err = 0;
	nl_cb_err(cb, NL_CB_CUSTOM, tcnl_err_cb, r);
	nl_cb_put(cb);
}

static int tcnl_req_end(struct nl_sock *sk, struct tcnl_req *r, int nlerr)
{
	struct nl_cb *cb = nl_socket_get_cb(sk);

	nl_cb_err(cb, NL_CB_DEFAULT, NULL, NULL);
	nl_cb_put(cb);
	if (r->err)
		return r->err;
	return nle_to_errno(nlerr);
}

struct nl_sock *robot_tcnl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		errno = ENOMEM;
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err) {
		nl_socket_free(sk);
		errno = -nle_to_errno(err);
		return NULL;
	}
	return sk;
}

void robot_tcnl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

static struct rtnl_qdisc *clsact_alloc(int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_CLSACT);
	rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(TC_H_CLSACT, 0));
	if (rtnl_tc_set_kind(TC_CAST(q), "clsact") < 0) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

int robot_tcnl_clsact_add(struct nl_sock *sk, int ifindex, int *created)
{
	struct rtnl_qdisc *q = clsact_alloc(ifindex);
	struct tcnl_req r;
	int err;

	*created = 0;
	if (!q)
		return -ENOMEM;
	tcnl_req_begin(sk, &r);
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	err = tcnl_req_end(sk, &r, err);
	rtnl_qdisc_put(q);
	if (err == -EEXIST)
		return 0;
	if (!err)
		*created = 1;
	return err;
}

int robot_tcnl_clsact_del(struct nl_sock *sk, int ifindex)
{
	struct rtnl_qdisc *q = clsact_alloc(ifindex);
	struct tcnl_req r;
	int err;

	if (!q)
		return -ENOMEM;
	tcnl_req_begin(sk, &r);
	err = rtnl_qdisc_delete(sk, q);
	err = tcnl_req_end(sk, &r, err);
	rtnl_qdisc_put(q);
	if (err == -EINVAL)
		err = -ENOENT; /* the kernel's answer when there is none */
	return err;
}

static __u32 tc_parent(int dir)
{
	return TC_H_MAKE(TC_H_CLSACT, dir == ROBOT_TC_EGRESS ?
				      TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
}

/* A filter request with our tcmsg header; handle/prio 0 for dumps. */
static struct nl_msg *filter_msg(int type, int flags, int ifindex, int dir,
				 __u32 handle, __u32 prio)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = handle,
		.tcm_parent = tc_parent(dir),
		.tcm_info = TC_H_MAKE(prio << 16, htons(ETH_P_ALL)),
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int filter_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct tcnl_req r;
	int err;

	tcnl_req_begin(sk, &r);
	err = nl_send_auto(sk, msg);
	if (err >= 0)
		err = nl_wait_for_ack(sk);
	return tcnl_req_end(sk, &r, err < 0 ? err : 0);
}

int robot_tcnl_filter_add(struct nl_sock *sk, int ifindex, int dir,
			  int prog_fd, const char *name)
{
	struct nl_msg *msg;
	struct nlattr *opts;
	int err = -ENOMEM;

	msg = filter_msg(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex,
			 dir, ROBOT_TC_HANDLE, ROBOT_TC_PRIO);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TCA_KIND, "bpf") < 0)
		goto out_free;
	opts = nla_nest_start(msg, TCA_OPTIONS);
	if (!opts)
		goto out_free;
	if (nla_put_u32(msg, TCA_BPF_FD, prog_fd) < 0 ||
	    nla_put_string(msg, TCA_BPF_NAME, name) < 0 ||
	    nla_put_u32(msg, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT) < 0)
		goto out_free;
	nla_nest_end(msg, opts);
	err = filter_send(sk, msg);
out_free:
	nlmsg_free(msg);
	return err;
}

int robot_tcnl_filter_del(struct nl_sock *sk, int ifindex, int dir)
{
	struct nl_msg *msg;
	int err = -ENOMEM;

	msg = filter_msg(RTM_DELTFILTER, 0, ifindex, dir, ROBOT_TC_HANDLE,
			 ROBOT_TC_PRIO);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TCA_KIND, "bpf") < 0)
		goto out_free;
	err = filter_send(sk, msg);
	if (err == -EINVAL)
		err = -ENOENT; /* no clsact: nothing of ours there */
out_free:
	nlmsg_free(msg);
	return err;
}

struct filter_dump {
	struct robot_tc_filter *out;
	int max;
	int n;
};

static int filter_dump_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[TCA_MAX + 1], *bt[TCA_BPF_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct filter_dump *d = arg;
	struct robot_tc_filter f;
	struct tcmsg *tcm;

	if (nlh->nlmsg_type != RTM_NEWTFILTER)
		return NL_OK;
	if (nlmsg_parse(nlh, sizeof(*tcm), tb, TCA_MAX, NULL) < 0)
		return NL_OK;
	tcm = nlmsg_data(nlh);
	if (!tb[TCA_KIND] || strcmp(nla_get_string(tb[TCA_KIND]), "bpf"))
		return NL_OK;
	/* The first reply of each priority is the filter "chain head"
	 * without options and with handle 0; skip it.
	 */
	if (!tb[TCA_OPTIONS] || !tcm->tcm_handle)
		return NL_OK;
	if (nla_parse_nested(bt, TCA_BPF_MAX, tb[TCA_OPTIONS], NULL) < 0)
		return NL_OK;
	memset(&f, 0, sizeof(f));
	f.handle = tcm->tcm_handle;
	f.prio = TC_H_MAJ(tcm->tcm_info) >> 16;
	if (bt[TCA_BPF_ID])
		f.prog_id = nla_get_u32(bt[TCA_BPF_ID]);
	if (bt[TCA_BPF_FLAGS])
		f.direct = !!(nla_get_u32(bt[TCA_BPF_FLAGS]) &
			      TCA_BPF_FLAG_ACT_DIRECT);
	if (bt[TCA_BPF_NAME])
		nla_strlcpy(f.name, bt[TCA_BPF_NAME], sizeof(f.name));
	if (d->n < d->max)
		d->out[d->n] = f;
	d->n++;
	return NL_OK;
}

int robot_tcnl_filter_list(struct nl_sock *sk, int ifindex, int dir,
			   struct robot_tc_filter *out, int max)
{
	struct filter_dump d = { .out = out, .max = max };
	struct nl_cb *cb = nl_socket_get_cb(sk);
	struct nl_msg *msg;
	struct tcnl_req r;
	int err;

	msg = filter_msg(RTM_GETTFILTER, NLM_F_DUMP, ifindex, dir, 0, 0);
	if (!msg) {
		nl_cb_put(cb);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, filter_dump_cb, &d);
	tcnl_req_begin(sk, &r);
	err = nl_send_auto(sk, msg);
	if (err >= 0)
		err = nl_recvmsgs_default(sk);
	err = tcnl_req_end(sk, &r, err < 0 ? err : 0);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err ? err : d.n;
}
