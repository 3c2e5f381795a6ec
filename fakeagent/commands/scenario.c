/* `fakeagent scenario FILE... [--junit FILE]`: replays scenario files (format
 * in docs/scenarios.md) through the scenario runner (fakeagent/scenario/),
 * one after the other, each with a fresh agent. Every file is read before
 * any runs, so a typo fails at once; each step is reported on stdout, with a
 * summary per file and a count at the end, and, with --junit, as a JUnit
 * test case. SIGINT and SIGTERM end the running scenario as a failure: its
 * executor and helper servers are killed before fakeagent exits. */
#include "cli.h"
#include "commands.h"

#include "fakeagent/marathon/load.h"
#include "fakeagent/output/junit.h"
#include "fakeagent/scenario/scenario.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: fakeagent scenario FILE... [--junit FILE] [--executor PATH]\n"
    "                          [--fakeconsul PATH] [--fakevaas PATH] [--keep-sandbox]\n"
    "  --executor PATH     the executor binary (default $EXECUTOR_BIN)\n"
    "  --fakeconsul PATH   for scenarios with \"services\": [\"consul\"] (default: beside\n"
    "                      fakeagent, then in its build tree, then on PATH)\n"
    "  --fakevaas PATH     for scenarios with \"services\": [\"vaas\"] (default: the same)\n"
    "  --junit FILE        write a JUnit XML report\n"
    "  --keep-sandbox      keep every scenario's work dir (failed ones are always kept)\n"
    "exit status: 0 every scenario passed, 1 one failed, 2 bad usage, 130/143 stopped by\n"
    "SIGINT/SIGTERM (the executor, its task and the helper servers are killed first)\n";

int fakeagent_scenario(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("%s", usage);
			return 0;
		}
	struct scenario_opts o = {.executor = getenv("EXECUTOR_BIN")};
	const char *files[256];
	size_t nfiles = 0;
	char err[2048];
	const char *v;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (cli_flag(argv, i, "--keep-sandbox")) {
			o.keep = true;
			continue;
		}
		if ((rc = cli_value(argc, argv, &i, "--junit", &v, err, sizeof(err))) ||
		    (rc = cli_value(argc, argv, &i, "--executor", &v, err, sizeof(err))) ||
		    (rc = cli_value(argc, argv, &i, "--fakeconsul", &v, err, sizeof(err))) ||
		    (rc = cli_value(argc, argv, &i, "--fakevaas", &v, err, sizeof(err)))) {
			if (rc < 0) {
				fprintf(stderr, "fakeagent scenario: %s\n%s", err, usage);
				return 2;
			}
			const char *opt = argv[i - (strchr(argv[i], '=') ? 0 : 1)];
			if (!strncmp(opt, "--junit", 7))
				o.junit = v;
			else if (!strncmp(opt, "--executor", 10))
				o.executor = v;
			else if (!strncmp(opt, "--fakeconsul", 12))
				o.fakeconsul = v;
			else
				o.fakevaas = v;
			continue;
		}
		if (argv[i][0] == '-' || nfiles == 256) {
			fprintf(stderr, "fakeagent scenario: unknown option %s\n%s", argv[i],
			        usage);
			return 2;
		}
		files[nfiles++] = argv[i];
	}
	if (!nfiles) {
		fprintf(stderr, "fakeagent scenario: no scenario file given\n%s", usage);
		return 2;
	}
	cli_process_setup();
	scenario_signals_install();

	struct scenario *scs = calloc(nfiles, sizeof(*scs));
	struct junit_suite *suites = calloc(nfiles, sizeof(*suites));
	struct junit_case **cases = calloc(nfiles, sizeof(*cases));
	size_t passed = 0, failed = 0;
	int code = 0;
	/* Every file is read before any runs: a typo fails at once. */
	for (size_t f = 0; f < nfiles; f++) {
		struct scenario *sc = &scs[f];
		sc->file = files[f];
		sc->opts = &o;
		sc->doc = load_json_file(files[f], err, sizeof(err));
		if (!sc->doc || scenario_load(sc, err, sizeof(err)) < 0) {
			fprintf(stderr, "fakeagent scenario: %s\n", err);
			sc->setup_failure = strdup(err);
			sc->n = 0;
		}
	}
	for (size_t f = 0; f < nfiles; f++) {
		struct scenario *sc = &scs[f];
		if (sc->setup_failure) {
			/* not loaded */
		} else if (scenario_signal_received()) {
			snprintf(err, sizeof(err), "not run: interrupted");
			sc->setup_failure = strdup(err);
		} else {
			char copy[PATH_MAX];
			snprintf(copy, sizeof(copy), "%s", files[f]);
			snprintf(sc->dir, sizeof(sc->dir), "%s", dirname(copy));
			const char *name = scenario_str(sc->doc, "name");
			snprintf(sc->name, sizeof(sc->name), "%s", name ? name : files[f]);
			scenario_run(sc);
		}
		if (!sc->name[0])
			snprintf(sc->name, sizeof(sc->name), "%s", files[f]);
		size_t nc = sc->n + (sc->setup_failure ? 1 : 0);
		cases[f] = calloc(nc ? nc : 1, sizeof(**cases));
		size_t k = 0;
		bool bad = false;
		if (sc->setup_failure) {
			cases[f][k++] = (struct junit_case){.name = "00 setup",
			                                    .secs = sc->setup_secs,
			                                    .failure = sc->setup_failure};
			bad = true;
		}
		for (size_t i = 0; i < sc->n; i++) {
			cases[f][k++] = (struct junit_case){.name = sc->steps[i].name,
			                                    .secs = sc->steps[i].secs,
			                                    .skipped = sc->steps[i].skipped,
			                                    .failure = sc->steps[i].failure};
			bad |= sc->steps[i].failure != NULL || sc->steps[i].skipped;
		}
		suites[f] = (struct junit_suite){
		    .name = sc->name, .file = files[f], .cases = cases[f], .n = k};
		printf("%s: %s\n", bad ? "FAILED" : "PASSED", sc->name);
		fflush(stdout);
		bad ? failed++ : passed++;
	}
	if (o.junit && junit_write(o.junit, suites, nfiles) < 0) {
		fprintf(stderr, "fakeagent scenario: cannot write %s: %s\n", o.junit,
		        strerror(errno));
		code = 2;
	}
	printf("scenarios: %zu passed, %zu failed\n", passed, failed);
	if (failed && !code)
		code = 1;
	if (scenario_signal_received())
		code = 128 + scenario_signal_received();
	for (size_t f = 0; f < nfiles; f++) {
		scenario_free(&scs[f]);
		free(cases[f]);
	}
	free(scs);
	free(suites);
	free(cases);
	scenario_signals_close();
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	uv_loop_close(uv_default_loop());
	return code;
}
