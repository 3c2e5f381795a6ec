/* fakeagent: a fake Mesos agent for running Mesos HTTP executors without a
 * cluster. Thin: picks the subcommand from the table below (a new command
 * is one more row and its function in commands/commands.h). */
#include "fakeagent/commands/commands.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"run", fakeagent_run, "run one task (--task FILE or --app FILE) under --executor PATH"},
    {"scenario", fakeagent_scenario,
     "replay scenario files and report each step (JUnit with --junit)"},
    {"serve", fakeagent_serve, "stay up; drive it through /_fake/ and read /state"},
    {"conformance", fakeagent_conformance,
     "judge any executor (--executor PATH) against the executor API"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fputs("usage: fakeagent COMMAND [options]\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fputs("`fakeagent COMMAND --help` lists a command's options.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 2, argv + 2);
	fprintf(stderr, "fakeagent: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
