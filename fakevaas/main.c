/* fakevaas: a fake VaaS (allegro/vaas) API for offline tests and demos.
 *   fakevaas [--listen HOST:PORT] [--data FILE] [--allow-remote] [--debug]
 *            [--tls-cert FILE --tls-key FILE] [--unix-socket PATH]
 * Serves on 127.0.0.1:3030 by default, seeded with VaaS's development data
 * (built in from dev-data.json) unless --data names another seed; prints
 * "listening on http://HOST:PORT" first; stops cleanly on SIGINT/SIGTERM. */
#include "fakevaas.h"
#include "seed.h"

#include "common/file.h"
#include "common/log.h"
#include "fakekit/fakectl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dev-data.json, embedded at build time (dev_data.c). */
extern const char fakevaas_dev_data[];
extern const size_t fakevaas_dev_data_len;

static const char usage[] =
    "usage: fakevaas [--listen HOST:PORT] [--data FILE] [--allow-remote] [--debug]\n"
    "                [--tls-cert FILE --tls-key FILE] [--unix-socket PATH]\n"
    "Serves on 127.0.0.1:3030 unless --listen says otherwise (port 0: any free port); the\n"
    "first line on stdout is \"listening on http://HOST:PORT\" (https:// with --tls-cert and\n"
    "--tls-key, PEM files). --unix-socket also serves plain HTTP on that socket.\n";

int main(int argc, char **argv)
{
	struct fakectl_opts common = {0};
	const char *data_file = NULL;
	char err[512];

	log_set_context("component", "fakevaas");
	for (int i = 1; i < argc; i++) {
		int rc = fakectl_parse_arg(&common, argc, argv, &i, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "fakevaas: %s\n%s", err, usage);
			return 2;
		}
		if (rc > 0)
			continue;
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			data_file = argv[++i];
		} else if (strncmp(argv[i], "--data=", 7) == 0) {
			data_file = argv[i] + 7;
		} else if (strcmp(argv[i], "--debug") == 0) {
			log_set_level(LOG_DEBUG);
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "fakevaas: unknown or incomplete option %s\n%s", argv[i],
			        usage);
			return 2;
		}
	}

	struct fakevaas fv;
	size_t len = fakevaas_dev_data_len;
	char *json = data_file ? file_read(data_file, &len, err, sizeof(err)) : NULL;
	if (data_file && !json) {
		fprintf(stderr, "fakevaas: --data %s\n", err);
		return 2;
	}
	int rc = seed_load(&fv.store, json ? json : fakevaas_dev_data, len,
	                   data_file ? data_file : "dev-data.json", err, sizeof(err));
	free(json);
	if (rc < 0) {
		fprintf(stderr, "fakevaas: %s\n", err);
		return 2;
	}
	cJSON *u;
	cJSON_ArrayForEach (u, fv.store.users) {
		log_add_secret(cJSON_GetObjectItem(u, "api_key")->valuestring);
	}

	uv_loop_t loop;
	uv_loop_init(&loop);
	rc = fakectl_serve(&loop, &(struct fakectl_server){
	                              .name = "fakevaas",
	                              .opts = &common,
	                              .default_listen = "127.0.0.1:3030",
	                              .routes = fakevaas_routes(),
	                              .data = &fv,
	                          });
	store_free(&fv.store);
	log_shutdown();
	return rc;
}
