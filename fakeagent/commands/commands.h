/* The subcommands of the fakeagent binary (the table is main.c's); each
 * returns the exit code. One file each in this folder, but conformance,
 * which has a folder of its own. */
#ifndef FAKEAGENT_COMMANDS_COMMANDS_H
#define FAKEAGENT_COMMANDS_COMMANDS_H

int fakeagent_run(int argc, char **argv);
int fakeagent_serve(int argc, char **argv);
int fakeagent_scenario(int argc, char **argv);
int fakeagent_conformance(int argc, char **argv); /* fakeagent/conformance/command.c */

#endif
