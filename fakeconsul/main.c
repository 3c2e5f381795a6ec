/* fakeconsul: a fake Consul agent for offline tests and demos.
 *   fakeconsul [--listen HOST:PORT] [--legacy-get] [--acl-token TOKEN[=svc,...]]...
 *              [--node NAME] [--datacenter DC] [--check-reap-interval DURATION]
 *              [--check-deregister-interval-min DURATION] [--allow-remote] [--debug]
 *              [--tls-cert FILE --tls-key FILE] [--unix-socket PATH]
 * Serves on 127.0.0.1:8500 by default; prints "listening on http://HOST:PORT"
 * first; stops cleanly on SIGINT/SIGTERM. */
#include "fakeconsul.h"

#include "godur.h"

#include "fakekit/fakectl.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: fakeconsul [--listen HOST:PORT] [--legacy-get] [--acl-token TOKEN[=svc,...]]...\n"
    "                  [--node NAME] [--datacenter DC] [--check-reap-interval DURATION]\n"
    "                  [--check-deregister-interval-min DURATION] [--allow-remote] [--debug]\n"
    "                  [--tls-cert FILE --tls-key FILE] [--unix-socket PATH]\n"
    "Serves on 127.0.0.1:8500 unless --listen says otherwise (port 0: any free port); the\n"
    "first line on stdout is \"listening on http://HOST:PORT\" (https:// with --tls-cert and\n"
    "--tls-key, PEM files). --unix-socket also serves plain HTTP on that socket.\n"
    "Durations are Go's (30s, 1m, 250ms). The reaper deregisters a service whose check has\n"
    "been critical longer than its DeregisterCriticalServiceAfter, raised to the minimum\n"
    "(default 1m), every interval (default 30s), as Consul does.\n";

static void stop(void *data)
{
	fakeconsul_stop(data);
}

/* The value of an option given as "--opt VALUE" or "--opt=VALUE". */
static const char *opt_value(const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* A Go duration in whole milliseconds (at least 1 unless zero is allowed). */
static int duration_ms(const char *v, bool zero_ok, uint64_t *ms, char *err, size_t errlen)
{
	int64_t ns;
	if (godur_parse(v, &ns, err, errlen) < 0)
		return -1;
	if (ns < 0 || (!zero_ok && ns == 0)) {
		snprintf(err, errlen, "%s: must be a %s duration", v,
		         zero_ok ? "non-negative" : "positive");
		return -1;
	}
	*ms = (uint64_t)(ns / 1000000);
	if (ns > 0 && *ms == 0)
		*ms = 1;
	return 0;
}

/* Leaves main before the server started: nothing else is held yet. */
static int quit(struct fakeconsul *fc, const char **tokens, int status)
{
	free(fc);
	free(tokens);
	return status;
}

int main(int argc, char **argv)
{
	struct fakectl_opts common = {0};
	struct fakeconsul_opts opts = {0};
	struct fakeconsul *fc = calloc(1, sizeof(*fc));
	const char **tokens = calloc((size_t)argc, sizeof(*tokens));
	size_t ntokens = 0;
	char err[256];
	const char *v;

	log_set_context("component", "fakeconsul");
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int i = 1; i < argc; i++) {
		int rc = fakectl_parse_arg(&common, argc, argv, &i, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "fakeconsul: %s\n%s", err, usage);
			return quit(fc, tokens, 2);
		}
		if (rc > 0)
			continue;
		if (strcmp(argv[i], "--legacy-get") == 0) {
			opts.legacy_get = true;
		} else if (strcmp(argv[i], "--debug") == 0) {
			log_set_level(LOG_DEBUG);
		} else if ((v = opt_value("--acl-token", argc, argv, &i))) {
			tokens[ntokens++] = v;
		} else if ((v = opt_value("--node", argc, argv, &i))) {
			opts.node = v;
		} else if ((v = opt_value("--datacenter", argc, argv, &i))) {
			opts.datacenter = v;
		} else if ((v = opt_value("--check-reap-interval", argc, argv, &i))) {
			if (duration_ms(v, false, &opts.reap_interval_ms, err, sizeof(err)) < 0) {
				fprintf(stderr, "fakeconsul: --check-reap-interval: %s\n%s", err,
				        usage);
				return quit(fc, tokens, 2);
			}
		} else if ((v = opt_value("--check-deregister-interval-min", argc, argv, &i))) {
			if (duration_ms(v, true, &opts.deregister_min_ms, err, sizeof(err)) < 0) {
				fprintf(stderr,
				        "fakeconsul: --check-deregister-interval-min: %s\n%s", err,
				        usage);
				return quit(fc, tokens, 2);
			}
			opts.deregister_min_set = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return quit(fc, tokens, 0);
		} else {
			fprintf(stderr, "fakeconsul: unknown or incomplete option %s\n%s", argv[i],
			        usage);
			return quit(fc, tokens, 2);
		}
	}

	uv_loop_t loop;
	uv_loop_init(&loop);
	if (fakeconsul_init(fc, &loop, &opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "fakeconsul: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < ntokens; i++) {
		const char *eq = strchr(tokens[i], '=');
		char *secret =
		    eq ? strndup(tokens[i], (size_t)(eq - tokens[i])) : strdup(tokens[i]);
		if (*secret)
			log_add_secret(secret);
		free(secret);
		if (acl_add(&fc->acl, tokens[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "fakeconsul: %s\n", err);
			return 2;
		}
	}
	free(tokens);

	int rc = fakectl_serve(&loop, &(struct fakectl_server){
	                                  .name = "fakeconsul",
	                                  .opts = &common,
	                                  .default_listen = "127.0.0.1:8500",
	                                  .routes = fakeconsul_routes(fc),
	                                  .data = fc,
	                                  .on_stop = stop,
	                              });
	fakeconsul_free(fc);
	free(fc);
	log_shutdown();
	return rc;
}
