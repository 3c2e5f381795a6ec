/* The executor's entry point: configuration from the environment, then the
 * loop. Nothing on the command line is required; Marathon passes the app's
 * command line, which never changes what the executor does (only a sole
 * --help or --version does: ex_config_cli). */
#include "common/log.h"
#include "executor/config.h"
#include "executor/executor.h"
#include "executor/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	switch (ex_config_cli(argc, argv)) {
	case EX_CLI_HELP:
		ex_config_help(stdout);
		return 0;
	case EX_CLI_VERSION:
		printf("executor %s\n", EXECUTOR_VERSION);
		return 0;
	case EX_CLI_RUN:
		break;
	}

	struct ex_config cfg;
	struct envcfg e = {0};
	int rc = ex_config_load(&cfg, &e);
	if (cfg.auth_token) {
		log_add_secret(cfg.auth_token);
		unsetenv("MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
	}
	if (rc < 0) {
		fprintf(stderr, "executor: bad configuration: %s\n",
		        e.nerrors ? e.errors : "out of memory");
		ex_config_free(&cfg);
		return EX_EXIT_CONFIG;
	}
	log_set_level(cfg.debug ? LOG_DEBUG : LOG_INFO);
	log_set_context("executor_id", cfg.executor_id);
	rc = runtime_run(&cfg);
	ex_config_free(&cfg);
	log_shutdown();
	return rc;
}
