// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * robot eval - evaluate Robot and the paper's baselines (Deep Packet,
 * Deep Packet*, k-means++, FS-Net) on a flow dataset over repeated
 * stratified splits (tools/eval.h, docs/eval.md).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cblas.h>
#include "commands.h"
#include "dsbuild.h"
#include "eval.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: robot eval --data DATASET [--split A|B] [--seeds N] [options]\n"
"\n"
"Evaluate Robot (int8 Fast model exactly as the kernel runs it, Robust\n"
"model on FDD flows) and the baselines on the same splits: per seed, the\n"
"seen apps' flows are split 80/20 by flow (stratified by app), unseen\n"
"apps' flows are test only, everything is retrained. Prints mean and sd\n"
"over seeds.\n"
"\n"
"  --data PATH          dataset file (robot dataset), or a directory with\n"
"                       labels_flows.csv and pcap/\n"
"  --split A|B          unseen-app split column (default A)\n"
"  --seeds N            seeds (default 5, at most 32)\n"
"  --seed N             first seed (default 1)\n"
"  --packet MODE        packet the Fast model classifies: first-payload\n"
"                       (default), first, or an index N\n"
"  --test-frac F        held-out share of seen apps' flows (default 0.2)\n"
"  --epochs N           epochs of every model (Robot and baselines)\n"
"  --fast-epochs N --robust-epochs N --dp-epochs N --fsnet-epochs N\n"
"  --fast-pkts N        extra training samples for the per-packet models\n"
"                       (Fast, Deep Packet, k-means++): every payload\n"
"                       packet among a flow's first N (default 0)\n"
"  --a X --m X          Fast model margins (default 0.4, 1.0)\n"
"  --beta X|auto        FDD distance D = beta * a (the paper's rule), or\n"
"                       auto (default): D calibrated on held-out training\n"
"                       flows at --fdd-quantile (default 0.5)\n"
"  --fdd-quantile Q     quantile of the calibration (implies auto)\n"
"  --fast-clusters N    Fast model centroids in total\n"
"  --fast-only          no Robust model (FDD flows keep the fast verdict)\n"
"  --no-baselines       Robot only\n"
"  --sweep              Fig. 4: FDD detection over a and beta\n"
"  --sweep-a LIST       comma list of a (default 0.1,0.2,0.4,0.6,0.8)\n"
"  --sweep-beta LIST    comma list (default 0.25,0.5,0.75,1,1.25,1.5)\n"
"  --sweep-epochs N     Fast epochs per a in the sweep (default: as the\n"
"                       Fast model)\n"
"  --sweep-seeds N      sweep on the first N seeds only (default all)\n"
"  --loao               leave one application out instead: every app with\n"
"                       >= --loao-min flows (default 10) unseen in turn,\n"
"                       one seed, no baselines\n"
"  --loao-shard I/N     only the I-th of N interleaved parts of the apps\n"
"                       (parallel runs; default 0/1)\n"
"  --out DIR            write markdown tables and gnuplot data to DIR\n"
"  --tag NAME           file name tag in DIR (default the split; with\n"
"                       --loao \"all\")\n"
"  --json               print the results as one JSON object on stdout\n"
"  -q, --quiet          no progress lines\n"
"  -h, --help\n"
"\n"
"Runs on one BLAS thread unless OPENBLAS_NUM_THREADS is set.\n"
"Exit: 0 ok, 1 failure, 2 usage.\n");
}

enum {
	OPT_SPLIT = 256, OPT_SEEDS, OPT_SEED, OPT_PACKET, OPT_TFRAC,
	OPT_EPOCHS, OPT_FEPOCHS, OPT_REPOCHS, OPT_DEPOCHS, OPT_SEPOCHS,
	OPT_FPKTS, OPT_A, OPT_M, OPT_BETA, OPT_FDDQ, OPT_FCLUST, OPT_FONLY, OPT_NOBASE,
	OPT_SWEEP, OPT_SWA, OPT_SWB, OPT_SWE, OPT_LOAO, OPT_LOAOMIN, OPT_OUT,
	OPT_TAG, OPT_JSON, OPT_SHARD, OPT_SWS,
};

static int parse_int(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return !*s || *end || errno || *v < lo || *v > hi ? -EINVAL : 0;
}

static int parse_float(const char *s, float *v)
{
	char *end;

	errno = 0;
	*v = strtof(s, &end);
	return !*s || *end || errno || !(*v == *v) ? -EINVAL : 0;
}

static int parse_list(const char *s, float *v, int *n)
{
	char buf[256], *tok, *save;

	*n = 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n >= EVAL_SWEEP_MAX || parse_float(tok, &v[*n]) ||
		    !(v[*n] > 0))
			return -EINVAL;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

static int parse_packet(const char *s, int *mode)
{
	long v;

	if (!strcmp(s, "first-payload"))
		*mode = EVAL_PKT_FIRST_PAYLOAD;
	else if (!strcmp(s, "first"))
		*mode = EVAL_PKT_FIRST;
	else if (!parse_int(s, 0, ROBOT_DATASET_PKTS - 1, &v))
		*mode = v;
	else
		return -EINVAL;
	return 0;
}

static int load_data(const char *path, struct robot_dataset *ds)
{
	struct robot_dsb_opts o = { 0 };
	struct robot_dsb_stats st;
	char labels[PATH_MAX], pcaps[PATH_MAX];
	struct stat sb;
	int err;

	if (stat(path, &sb)) {
		pr_warn("eval: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(sb.st_mode))
		return robot_ds_load(path, ds);
	snprintf(labels, sizeof(labels), "%s/labels_flows.csv", path);
	snprintf(pcaps, sizeof(pcaps), "%s/pcap", path);
	o.labels = labels;
	o.pcap_dir = pcaps;
	memset(&st, 0, sizeof(st));
	err = robot_dsb_build(&o, ds, &st, NULL);
	robot_dsb_stats_free(&st);
	if (err < 0)
		pr_warn("eval: cannot build a dataset from %s: %s\n", path,
			strerror(-err));
	return err < 0 ? err : 0;
}

static int run_loao(const struct robot_dataset *ds, struct eval_opts *o,
		    int min, int shard, int n_shards, const char *out,
		    const char *tag, int json)
{
	struct eval_loao_app *apps;
	int n, err;

	err = eval_loao_shard(ds, o, min, shard, n_shards, &apps, &n);
	if (err) {
		pr_warn("eval: leave-one-app-out failed: %s\n", strerror(-err));
		return ROBOT_EXIT_FAIL;
	}
	eval_loao_print(ds, apps, n, json ? stdout : stderr, json);
	if (out && eval_loao_write(ds, apps, n, out, tag))
		pr_warn("eval: cannot write to %s\n", out);
	free(apps);
	return ROBOT_EXIT_OK;
}

int do_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "split", required_argument, NULL, OPT_SPLIT },
		{ "seeds", required_argument, NULL, OPT_SEEDS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "packet", required_argument, NULL, OPT_PACKET },
		{ "test-frac", required_argument, NULL, OPT_TFRAC },
		{ "epochs", required_argument, NULL, OPT_EPOCHS },
		{ "fast-epochs", required_argument, NULL, OPT_FEPOCHS },
		{ "robust-epochs", required_argument, NULL, OPT_REPOCHS },
		{ "dp-epochs", required_argument, NULL, OPT_DEPOCHS },
		{ "fsnet-epochs", required_argument, NULL, OPT_SEPOCHS },
		{ "fast-pkts", required_argument, NULL, OPT_FPKTS },
		{ "a", required_argument, NULL, OPT_A },
		{ "m", required_argument, NULL, OPT_M },
		{ "beta", required_argument, NULL, OPT_BETA },
		{ "fdd-quantile", required_argument, NULL, OPT_FDDQ },
		{ "fast-clusters", required_argument, NULL, OPT_FCLUST },
		{ "fast-only", no_argument, NULL, OPT_FONLY },
		{ "no-baselines", no_argument, NULL, OPT_NOBASE },
		{ "sweep", no_argument, NULL, OPT_SWEEP },
		{ "sweep-a", required_argument, NULL, OPT_SWA },
		{ "sweep-beta", required_argument, NULL, OPT_SWB },
		{ "sweep-epochs", required_argument, NULL, OPT_SWE },
		{ "sweep-seeds", required_argument, NULL, OPT_SWS },
		{ "loao", no_argument, NULL, OPT_LOAO },
		{ "loao-min", required_argument, NULL, OPT_LOAOMIN },
		{ "loao-shard", required_argument, NULL, OPT_SHARD },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *split = "A", *out = NULL, *tag = NULL;
	int c, json = 0, err, bad = 0, loao = 0, quiet = 0, ret, i;
	struct robot_dataset ds = { 0 };
	struct eval_result res;
	struct eval_opts o;
	long v, loao_min = 10;
	int shard = 0, n_shards = 1;
	char end;
	float f;

	eval_defaults(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return ROBOT_EXIT_OK;
		case OPT_SPLIT: split = optarg; break;
		case OPT_SEEDS:
			bad |= parse_int(optarg, 1, EVAL_SEEDS_MAX, &v);
			o.seeds = v;
			break;
		case OPT_SEED:
			bad |= parse_int(optarg, 0, LONG_MAX, &v);
			o.seed = v;
			break;
		case OPT_PACKET: bad |= parse_packet(optarg, &o.pkt_mode); break;
		case OPT_TFRAC:
			bad |= parse_float(optarg, &f) || !(f > 0 && f < 1);
			o.test_frac = f;
			break;
		case OPT_EPOCHS:
			bad |= parse_int(optarg, 1, 100000, &v);
			o.fast.epochs = o.robust.epochs = o.dp.epochs =
				o.fs.epochs = v;
			break;
		case OPT_FEPOCHS:
			bad |= parse_int(optarg, 1, 100000, &v);
			o.fast.epochs = v;
			break;
		case OPT_REPOCHS:
			bad |= parse_int(optarg, 1, 100000, &v);
			o.robust.epochs = v;
			break;
		case OPT_DEPOCHS:
			bad |= parse_int(optarg, 1, 100000, &v);
			o.dp.epochs = v;
			break;
		case OPT_SEPOCHS:
			bad |= parse_int(optarg, 1, 100000, &v);
			o.fs.epochs = v;
			break;
		case OPT_FPKTS:
			bad |= parse_int(optarg, 0, ROBOT_DATASET_PKTS, &v);
			o.fast_pkts = v;
			break;
		case OPT_A: bad |= parse_float(optarg, &o.fast.a); break;
		case OPT_M: bad |= parse_float(optarg, &o.fast.m); break;
		case OPT_BETA:
			bad |= fast_opts_beta(&o.fast, optarg) != 0;
			break;
		case OPT_FDDQ:
			bad |= fast_opts_fdd_quantile(&o.fast, optarg) != 0;
			break;
		case OPT_FCLUST:
			bad |= parse_int(optarg, 1, ROBOT_FASTQ_CENT_MAX, &v);
			o.fast.clusters = v;
			break;
		case OPT_FONLY: o.fast_only = 1; break;
		case OPT_NOBASE: o.baselines = 0; break;
		case OPT_SWEEP: o.sweep = 1; break;
		case OPT_SWA: bad |= parse_list(optarg, o.sweep_a, &o.n_a); break;
		case OPT_SWB:
			bad |= parse_list(optarg, o.sweep_beta, &o.n_beta);
			break;
		case OPT_SWE:
			bad |= parse_int(optarg, 1, 100000, &v);
			o.sweep_epochs = v;
			break;
		case OPT_SWS:
			bad |= parse_int(optarg, 1, EVAL_SEEDS_MAX, &v);
			o.sweep_seeds = v;
			break;
		case OPT_LOAO: loao = 1; break;
		case OPT_LOAOMIN:
			bad |= parse_int(optarg, 1, 1000000, &v);
			loao_min = v;
			break;
		case OPT_SHARD:
			bad |= sscanf(optarg, "%d/%d%c", &shard, &n_shards,
				      &end) != 2 || n_shards < 1 ||
			       n_shards > 64 || shard < 0 || shard >= n_shards;
			break;
		case OPT_OUT: out = optarg; break;
		case OPT_TAG: tag = optarg; break;
		case OPT_JSON: json = 1; break;
		default: usage(stderr); return ROBOT_EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "robot eval: bad value '%s'\n", optarg);
			return ROBOT_EXIT_USAGE;
		}
	}
	if (!strcmp(split, "A"))
		o.split = 0;
	else if (!strcmp(split, "B"))
		o.split = 1;
	else {
		fprintf(stderr, "robot eval: --split must be A or B\n");
		return ROBOT_EXIT_USAGE;
	}
	if (!data || optind < argc) {
		fprintf(stderr, "robot eval: --data is required\n");
		usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	if (!(o.fast.a > 0 && o.fast.m > o.fast.a && o.fast.beta > 0 &&
	      o.fast.beta * o.fast.a < 1.41421356f)) {
		fprintf(stderr, "robot eval: need 0 < a < m and 0 < beta * a "
				"< sqrt(2)\n");
		return ROBOT_EXIT_USAGE;
	}
	for (i = 0; o.sweep && i < o.n_a; i++)
		if (!(o.sweep_a[i] < 1.41421356f)) {
			fprintf(stderr, "robot eval: --sweep-a values must be "
					"below sqrt(2)\n");
			return ROBOT_EXIT_USAGE;
		}
	if (out && mkdir(out, 0755) && errno != EEXIST) {
		pr_warn("eval: cannot create %s: %s\n", out, strerror(errno));
		return ROBOT_EXIT_FAIL;
	}
	if (!quiet) {
		o.prog = stderr;
		o.tty = isatty(fileno(stderr));
	}
	/* the models are small: one BLAS thread is faster than two cores
	 * fighting over tiny matrices (and leaves a core to a parallel run)
	 */
	if (!getenv("OPENBLAS_NUM_THREADS"))
		openblas_set_num_threads(1);
	err = load_data(data, &ds);
	if (err)
		return ROBOT_EXIT_FAIL;
	if (ds.n_classes < 2) {
		pr_warn("eval: %s: need at least 2 classes\n", data);
		robot_ds_free(&ds);
		return ROBOT_EXIT_FAIL;
	}
	if (loao) {
		ret = run_loao(&ds, &o, loao_min, shard, n_shards, out,
			       tag ? tag : "all", json);
		robot_ds_free(&ds);
		return ret;
	}
	err = eval_run(&ds, &o, &res);
	robot_ds_free(&ds);
	if (err) {
		pr_warn("eval: failed: %s\n", strerror(-err));
		return ROBOT_EXIT_FAIL;
	}
	if (!quiet || !json)
		eval_print_text(&res, json ? stderr : stdout);
	if (json)
		eval_print_json(&res, stdout);
	ret = ROBOT_EXIT_OK;
	if (out && eval_write_data(&res, out, tag ? tag : split)) {
		pr_warn("eval: cannot write to %s\n", out);
		ret = ROBOT_EXIT_FAIL;
	}
	eval_result_free(&res);
	return ret;
}
