/* `fakeagent serve`: an agent that stays up, driven through /_fake/ (launch,
 * kill, shutdown, message, restart) and inspected through /state, with the
 * timeline on stdout. Ends on SIGINT/SIGTERM, killing its executors. */
#include "cli.h"
#include "commands.h"
#include "fakeagent/output/timeline.h"

#include "fakekit/httpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: fakeagent serve [--executor PATH] [agent options]\n"
    "  --executor PATH               default executor binary for POST /_fake/launch\n";

struct serve {
	struct fa_agent *agent;
	struct timeline tl;
};

static void on_signal(void *data)
{
	struct serve *s = data;
	timeline_printf(&s->tl, "agent", "stopping");
	fa_agent_stop(s->agent, NULL, NULL);
}

int fakeagent_serve(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("%s%s", usage, cli_agent_usage);
			return 0;
		}
	struct cli_agent *ca = calloc(1, sizeof(*ca));
	struct serve s = {0};
	char err[1024];
	const char *v;
	int rc;

	cli_agent_init(ca);
	for (int i = 0; i < argc; i++) {
		if ((rc = cli_agent_option(ca, argc, argv, &i, err, sizeof(err))) == 0 &&
		    (rc = cli_value(argc, argv, &i, "--executor", &v, err, sizeof(err))) > 0) {
			ca->cfg.executor_bin = v;
			continue;
		}
		if (rc == 0)
			snprintf(err, sizeof(err), "unknown option %s", argv[i]);
		if (rc <= 0) {
			fprintf(stderr, "fakeagent serve: %s\n%s%s", err, usage, cli_agent_usage);
			free(ca);
			return 2;
		}
	}
	cli_process_setup();
	uv_loop_t *loop = uv_default_loop();
	s.agent = fa_agent_new(loop, &ca->cfg, err, sizeof(err));
	if (!s.agent) {
		fprintf(stderr, "fakeagent serve: %s\n", err);
		free(ca);
		return 2;
	}
	timeline_init(&s.tl, stdout);
	/* Before the announcement: whoever reads it may stop us at once. */
	httpd_stop_on_signals(loop, on_signal, &s);
	printf("listening on %s://%s\n", fa_agent_scheme(s.agent), fa_agent_address(s.agent));
	fflush(stdout);
	timeline_printf(&s.tl, "agent", "agent %s, framework %s, work dir %s", fa_agent_id(s.agent),
	                fa_agent_framework_id(s.agent), fa_agent_work_dir(s.agent));
	fa_agent_set_observer(s.agent, timeline_note, &s.tl);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	free(ca);
	return 0;
}
