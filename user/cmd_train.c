// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * robot train - train the Fast and Robust models from a flow dataset and
 * write DIR/fast.model and DIR/robust.model (see docs/models.md).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "dsbuild.h"
#include "log.h"
#include "train.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: robot train --data DATASET --out DIR [options]\n"
"\n"
"Train the Fast model (int8, XDP) and the Robust model (CPU/GPU) by deep\n"
"metric learning and write DIR/fast.model and DIR/robust.model.\n"
"\n"
"  --data PATH          dataset file (robot dataset), or a directory with\n"
"                       labels_flows.csv and pcap/ (built in memory)\n"
"  --out DIR            output directory (created if absent)\n"
"  --split A|B|none     unseen-app split column: its unseen flows never\n"
"                       train (default none)\n"
"  --holdout F          share of each class's known flows held out for the\n"
"                       seen-test figures (default 0.2; 0 trains on all)\n"
"  --classes LIST       comma list of class names (default: all of the\n"
"                       dataset's)\n"
"  --seed N             seed of every random choice (default 1)\n"
"  --epochs N           epochs of both models\n"
"  --fast-epochs N      (default 200)    --robust-epochs N (default 30)\n"
"  --fast-arch c1,k1,s1,p1,c2,k2,s2,p2,emb   (default 8,4,2,1,16,3,2,1,16)\n"
"  --a X --m X          Fast margins (default 0.4, 1.0)\n"
"  --beta X|auto        FDD distance D = beta * a (the paper: 0.5, D = 0.2);\n"
"                       auto (default): D calibrated, see --fdd-quantile\n"
"  --fdd-quantile Q     D = the Q quantile of the nearest-centroid distance\n"
"                       of held-out training flows (default 0.5; implies\n"
"                       --beta auto)\n"
"  --fdd-calib F        share of training flows held out of a first fit to\n"
"                       calibrate D (default 0.2; the model is refit on all)\n"
"  --fast-clusters N    global k-means, N centroids labeled by majority\n"
"                       (default: per-class centroids, below)\n"
"  --fast-cent-max N    per-class centroids: total cap (default 32); a\n"
"                       class gets one more while the 0.9 quantile of its\n"
"                       samples' distance exceeds --fast-radius\n"
"  --fast-radius X      target radius of a class's centroids (default 0.2)\n"
"  --fast-cent-per-class N  exactly N centroids per class\n"
"  --fast-pkts N        extra Fast samples: every payload packet among the\n"
"                       first N of each training flow (default 0: first\n"
"                       payload packet only)\n"
"  --calib-pkts N       int8 calibration on every payload packet among the\n"
"                       first N of each training flow (default 0: the\n"
"                       training samples)\n"
"  --lr X               Fast learning rate (default 0.003)\n"
"  --wd X               Fast decoupled weight decay (default 0.0001)\n"
"  --norm-reg X         Fast: weight of Var(log |e|) before normalization,\n"
"                       evens out embedding norms for int8 (default 1)\n"
"  --robust-arch c1,c2,hidden,emb            (default 16,16,64,32)\n"
"  --robust-a X --robust-b X --robust-m X    margins (0.4, 0.8, 1.2)\n"
"  --robust-k N         raw pre-clusters per class (default 2)\n"
"  --robust-centers N   embedding centers per class (default 3)\n"
"  --robust-lr X        (default 0.001)\n"
"  --fast-only          skip the Robust model\n"
"  --json               print the evaluation as JSON on stdout\n"
"  -q, --quiet          no progress lines\n"
"  -h, --help\n"
"\n"
"Also writes DIR/train.json (the evaluation). Exit: 0 ok, 1 failure, 2 usage.\n");
}

enum {
	OPT_SPLIT = 256, OPT_HOLDOUT, OPT_CLASSES, OPT_SEED, OPT_EPOCHS,
	OPT_FEPOCHS, OPT_REPOCHS, OPT_FARCH, OPT_A, OPT_M, OPT_BETA,
	OPT_FCLUST, OPT_FPKTS, OPT_LR, OPT_RARCH, OPT_RA, OPT_RB, OPT_RM,
	OPT_RK, OPT_RCENT, OPT_RLR, OPT_FONLY, OPT_JSON, OPT_NREG, OPT_WD, OPT_CPKTS,
	OPT_FDDQ, OPT_FDDCAL, OPT_CMAX, OPT_CRAD, OPT_CPC,
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

static int parse_fast_arch(const char *s, struct robot_fastq_arch *a)
{
	unsigned x[9];
	char end;

	if (sscanf(s, "%u,%u,%u,%u,%u,%u,%u,%u,%u%c", &x[0], &x[1], &x[2],
		   &x[3], &x[4], &x[5], &x[6], &x[7], &x[8], &end) != 9)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->c1 = x[0], a->k1 = x[1], a->s1 = x[2], a->p1 = x[3];
	a->c2 = x[4], a->k2 = x[5], a->s2 = x[6], a->p2 = x[7];
	a->emb = x[8];
	return robot_fastq_arch_check(a);
}

static int parse_robust_arch(const char *s, struct robot_robust_arch *a)
{
	char end;

	if (sscanf(s, "%u,%u,%u,%u%c", &a->c1, &a->c2, &a->hidden, &a->emb,
		   &end) != 4)
		return -EINVAL;
	return a->c1 && a->c2 && a->hidden && a->emb >= 2 && a->c1 <= 256 &&
	       a->c2 <= 256 && a->hidden <= 4096 && a->emb <= 256 ? 0 : -EINVAL;
}

/* Load the dataset file, or build it from a directory of the shared data. */
static int load_data(const char *path, struct robot_dataset *ds)
{
	struct robot_dsb_opts o = { 0 };
	struct robot_dsb_stats st;
	char labels[PATH_MAX], pcaps[PATH_MAX];
	struct stat sb;
	int err;

	if (stat(path, &sb)) {
		pr_warn("train: %s: %s\n", path, strerror(errno));
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
	if (err)
		pr_warn("train: cannot build a dataset from %s: %s\n", path,
			strerror(-err));
	return err;
}

int do_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "split", required_argument, NULL, OPT_SPLIT },
		{ "holdout", required_argument, NULL, OPT_HOLDOUT },
		{ "classes", required_argument, NULL, OPT_CLASSES },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "epochs", required_argument, NULL, OPT_EPOCHS },
		{ "fast-epochs", required_argument, NULL, OPT_FEPOCHS },
		{ "robust-epochs", required_argument, NULL, OPT_REPOCHS },
		{ "fast-arch", required_argument, NULL, OPT_FARCH },
		{ "a", required_argument, NULL, OPT_A },
		{ "m", required_argument, NULL, OPT_M },
		{ "beta", required_argument, NULL, OPT_BETA },
		{ "fast-clusters", required_argument, NULL, OPT_FCLUST },
		{ "fast-pkts", required_argument, NULL, OPT_FPKTS },
		{ "lr", required_argument, NULL, OPT_LR },
		{ "robust-arch", required_argument, NULL, OPT_RARCH },
		{ "robust-a", required_argument, NULL, OPT_RA },
		{ "robust-b", required_argument, NULL, OPT_RB },
		{ "robust-m", required_argument, NULL, OPT_RM },
		{ "robust-k", required_argument, NULL, OPT_RK },
		{ "robust-centers", required_argument, NULL, OPT_RCENT },
		{ "robust-lr", required_argument, NULL, OPT_RLR },
		{ "norm-reg", required_argument, NULL, OPT_NREG },
		{ "calib-pkts", required_argument, NULL, OPT_CPKTS },
		{ "wd", required_argument, NULL, OPT_WD },
		{ "fdd-quantile", required_argument, NULL, OPT_FDDQ },
		{ "fdd-calib", required_argument, NULL, OPT_FDDCAL },
		{ "fast-cent-max", required_argument, NULL, OPT_CMAX },
		{ "fast-radius", required_argument, NULL, OPT_CRAD },
		{ "fast-cent-per-class", required_argument, NULL, OPT_CPC },
		{ "fast-only", no_argument, NULL, OPT_FONLY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *split = "none";
	struct train_progress prog = { .out = stderr };
	struct robot_dataset ds = { 0 };
	struct train_run_opts o;
	struct train_result res;
	int c, json = 0, err, bad = 0;
	char path[PATH_MAX];
	FILE *jf;
	long v;

	train_run_defaults(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case 'q': prog.out = NULL; break;
		case 'h': usage(stdout); return ROBOT_EXIT_OK;
		case OPT_SPLIT: split = optarg; break;
		case OPT_HOLDOUT: {
			float h;

			bad |= parse_float(optarg, &h) || h < 0 || h > 0.9;
			o.sel.holdout = h;
			break;
		}
		case OPT_CLASSES: o.sel.classes = optarg; break;
		case OPT_SEED:
			bad |= parse_int(optarg, 0, LONG_MAX, &v);
			o.sel.seed = o.fast.seed = o.robust.seed = v;
			break;
		case OPT_EPOCHS:
			bad |= parse_int(optarg, 0, 100000, &v);
			o.fast.epochs = o.robust.epochs = v;
			break;
		case OPT_FEPOCHS:
			bad |= parse_int(optarg, 0, 100000, &v);
			o.fast.epochs = v;
			break;
		case OPT_REPOCHS:
			bad |= parse_int(optarg, 0, 100000, &v);
			o.robust.epochs = v;
			break;
		case OPT_FARCH:
			bad |= parse_fast_arch(optarg, &o.fast.arch) != 0;
			break;
		case OPT_A: bad |= parse_float(optarg, &o.fast.a); break;
		case OPT_M: bad |= parse_float(optarg, &o.fast.m); break;
		case OPT_BETA:
			bad |= fast_opts_beta(&o.fast, optarg) != 0;
			break;
		case OPT_FDDQ:
			bad |= fast_opts_fdd_quantile(&o.fast, optarg) != 0;
			break;
		case OPT_FDDCAL:
			bad |= parse_float(optarg, &o.fast.calib_frac) ||
			       !(o.fast.calib_frac > 0 &&
				 o.fast.calib_frac <= 0.5);
			break;
		case OPT_CMAX:
			bad |= parse_int(optarg, 1, ROBOT_FASTQ_CENT_MAX, &v);
			o.fast.cent_max = v;
			break;
		case OPT_CRAD:
			bad |= parse_float(optarg, &o.fast.cent_radius) ||
			       o.fast.cent_radius < 0;
			break;
		case OPT_CPC:
			bad |= parse_int(optarg, 1, ROBOT_FASTQ_CENT_MAX, &v);
			o.fast.cent_per_class = v;
			break;
		case OPT_FCLUST:
			bad |= parse_int(optarg, 1, ROBOT_FASTQ_CENT_MAX, &v);
			o.fast.clusters = v;
			break;
		case OPT_FPKTS:
			bad |= parse_int(optarg, 0, ROBOT_DATASET_PKTS, &v);
			o.fast_pkts = v;
			break;
		case OPT_LR: bad |= parse_float(optarg, &o.fast.lr); break;
		case OPT_RARCH:
			bad |= parse_robust_arch(optarg, &o.robust.arch) != 0;
			break;
		case OPT_RA: bad |= parse_float(optarg, &o.robust.a); break;
		case OPT_RB: bad |= parse_float(optarg, &o.robust.b); break;
		case OPT_RM: bad |= parse_float(optarg, &o.robust.m); break;
		case OPT_RK:
			bad |= parse_int(optarg, 1, 64, &v);
			o.robust.k = v;
			break;
		case OPT_RCENT:
			bad |= parse_int(optarg, 1, 32, &v);
			o.robust.centers = v;
			break;
		case OPT_RLR: bad |= parse_float(optarg, &o.robust.lr); break;
		case OPT_NREG:
			bad |= parse_float(optarg, &o.fast.norm_reg) ||
			       o.fast.norm_reg < 0;
			break;
		case OPT_CPKTS:
			bad |= parse_int(optarg, 0, ROBOT_DATASET_PKTS, &v);
			o.calib_pkts = v;
			break;
		case OPT_WD:
			bad |= parse_float(optarg, &o.fast.wd) || o.fast.wd < 0;
			break;
		case OPT_FONLY: o.skip_robust = 1; break;
		case OPT_JSON: json = 1; break;
		default: usage(stderr); return ROBOT_EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "robot train: bad value '%s'\n", optarg);
			return ROBOT_EXIT_USAGE;
		}
	}
	if (!strcmp(split, "A"))
		o.sel.split = 0;
	else if (!strcmp(split, "B"))
		o.sel.split = 1;
	else if (strcmp(split, "none")) {
		fprintf(stderr, "robot train: --split must be A, B or none\n");
		return ROBOT_EXIT_USAGE;
	}
	if (!data || !o.out_dir || optind < argc) {
		fprintf(stderr, "robot train: --data and --out are required\n");
		usage(stderr);
		return ROBOT_EXIT_USAGE;
	}
	if (!(o.fast.a > 0 && o.fast.m > o.fast.a && o.fast.beta > 0 &&
	      o.fast.beta * o.fast.a < 1.41421356f)) {
		fprintf(stderr, "robot train: need 0 < a < m and 0 < beta * a "
				"< sqrt(2)\n");
		return ROBOT_EXIT_USAGE;
	}
	if (!(o.robust.a > 0 && o.robust.a < o.robust.b &&
	      o.robust.b < o.robust.m)) {
		fprintf(stderr, "robot train: need 0 < robust a < b < m\n");
		return ROBOT_EXIT_USAGE;
	}
	if (mkdir(o.out_dir, 0755) && errno != EEXIST) {
		pr_warn("train: cannot create %s: %s\n", o.out_dir,
			strerror(errno));
		return ROBOT_EXIT_FAIL;
	}
	prog.tty = prog.out && isatty(fileno(prog.out));
	err = load_data(data, &ds);
	if (err)
		return ROBOT_EXIT_FAIL;
	err = train_run(&o, &ds, &prog, &res);
	robot_ds_free(&ds);
	if (err) {
		pr_warn("train: failed: %s\n", strerror(-err));
		return ROBOT_EXIT_FAIL;
	}
	if (prog.out)
		train_result_print(&res, stderr);
	snprintf(path, sizeof(path), "%s/train.json", o.out_dir);
	jf = fopen(path, "w");
	if (jf) {
		train_result_json(&res, jf);
		fclose(jf);
	}
	if (json)
		train_result_json(&res, stdout);
	return ROBOT_EXIT_OK;
}
