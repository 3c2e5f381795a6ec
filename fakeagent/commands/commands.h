/* The subcommands of the fakeagent binary; each returns the exit code. */
#ifndef FAKEAGENT_COMMANDS_H
#define FAKEAGENT_COMMANDS_H

int fakeagent_run(int argc, char **argv);
int fakeagent_serve(int argc, char **argv);
int fakeagent_scenario(int argc, char **argv);
int fakeagent_conformance(int argc, char **argv); /* conformance/command.c */

#endif
