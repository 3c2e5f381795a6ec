/* The executor's entry point: configuration from the environment, then the
 * loop. Nothing on the command line is required; the agent passes none. */
#include "common/log.h"
#include "executor/config.h"
#include "executor/executor.h"
#include "executor/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			ex_config_help(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("executor %s\n", EXECUTOR_VERSION);
			return 0;
		}
		/* Marathon's command form passes the task's command line after the
		 * executor; it is taken from the TaskInfo instead. */
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
