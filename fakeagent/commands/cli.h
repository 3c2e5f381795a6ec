/* Command-line pieces shared by the subcommands: `--name value` and
 * `--name=value` spellings, durations in Mesos or Go syntax, the agent
 * options every subcommand that starts an agent accepts, and the process
 * setup of a fake agent (file limit, child subreaper, SIGPIPE). */
#ifndef FAKEAGENT_COMMANDS_CLI_H
#define FAKEAGENT_COMMANDS_CLI_H

#include "fakeagent/agent/agent.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_MAX_ENV 256

struct cli_agent {
	struct fa_config cfg;
	const char *env[CLI_MAX_ENV + 1]; /* --executor-env K=V (argv strings) */
	size_t n_env;
};

void cli_agent_init(struct cli_agent *ca);

/* Whether argv[*i] is `--name` or `--name=...`; on a match *val gets the
 * value (argv[*i + 1] is consumed for the spaced form) and 1 is returned;
 * -1 with err when the value is missing; 0 when argv[*i] is another option. */
int cli_value(int argc, char **argv, int *i, const char *name, const char **val, char *err,
              size_t errlen);
/* A flag without value: 1 on a match, else 0. */
int cli_flag(char **argv, int i, const char *name);
/* Parses a duration for option `name` ("5secs", "5s"). */
int cli_duration(const char *name, const char *val, int64_t *ns, char *err, size_t errlen);

/* Consumes one agent option at argv[*i]: 1 consumed, 0 not an agent option,
 * -1 malformed (err says which option and why). */
int cli_agent_option(struct cli_agent *ca, int argc, char **argv, int *i, char *err, size_t errlen);
/* The usage text of the agent options. */
extern const char cli_agent_usage[];

/* Raises RLIMIT_NOFILE to the hard limit, becomes a child subreaper so the
 * executors' orphans are reaped, ignores SIGPIPE. */
void cli_process_setup(void);

#endif
