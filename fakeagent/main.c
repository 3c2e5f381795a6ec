/* fakeagent: a fake Mesos agent for running Mesos HTTP executors without a
 * cluster. Thin: picks the subcommand. */
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: fakeagent COMMAND [options]\n"
    "  run       run one task (--task FILE or --app FILE) under --executor PATH\n"
    "  scenario  replay scenario files and report each step (JUnit with --junit)\n"
    "  serve     stay up; drive it through /_fake/ and read /state\n"
    "  conformance  judge any executor (--executor PATH) against the executor API\n"
    "`fakeagent COMMAND --help` lists a command's options.\n";

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "run"))
		return fakeagent_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "serve"))
		return fakeagent_serve(argc - 2, argv + 2);
	if (!strcmp(argv[1], "scenario"))
		return fakeagent_scenario(argc - 2, argv + 2);
	if (!strcmp(argv[1], "conformance"))
		return fakeagent_conformance(argc - 2, argv + 2);
	fprintf(stderr, "fakeagent: unknown command '%s'\n%s", argv[1], usage);
	return 2;
}
