/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Subcommands of the robot binary. Each takes argc/argv with argv[0] the
 * subcommand name, parses its own options (getopt_long, --help), and
 * returns an enum robot_exit code.
 */
#ifndef ROBOT_COMMANDS_H
#define ROBOT_COMMANDS_H

int do_dataset(int argc, char **argv);
int do_attach(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_status(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_flows(int argc, char **argv);
int do_marks(int argc, char **argv);
int do_replay(int argc, char **argv);
int do_train(int argc, char **argv);
int do_eval(int argc, char **argv);
int do_lab(int argc, char **argv);
int do_demo(int argc, char **argv);

#endif
