/*
 * commands.h — the subcommands of the heron binary.
 *
 * Each subcommand lives in its own cmd_<name>.c and has the signature
 *   int cmd_<name>(int argc, char **argv)
 * where argv[0] is the subcommand's first argument (not its name). It
 * returns the process exit status: 0 success, 1 failure, 2 usage error.
 * To add one, declare it here and add a row to the table in main.c.
 */
#ifndef HERON_CMD_COMMANDS_H
#define HERON_CMD_COMMANDS_H

int cmd_server(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_tsdb(int argc, char **argv);
int cmd_privacy(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_query(int argc, char **argv);

#endif
