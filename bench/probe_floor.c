/* probe_floor: the least a health probe costs with the executor's libraries,
 * for bench_driver to measure the executor's probes against. Every INTERVAL
 * seconds, on a libuv timer, one probe and nothing else (no agent, no status
 * update, no log line):
 *   --http URL       one GET through libcurl on a fresh connection that is
 *                    closed afterwards (as the executor's HTTP probes and
 *                    Mesos' curl ones), its easy handle reused
 *   --tcp HOST:PORT  one libuv TCP connect, then close (as the TCP probes)
 * Built like the release executor (static, musl, the libraries of
 * scripts/static-deps) in the EXECUTOR_STATIC tree. Runs until SIGTERM or
 * SIGINT; a failed probe is counted and printed at exit, never fatal.
 *   probe_floor --http http://127.0.0.1:8080/health [--interval 0.1] */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static struct {
	uv_loop_t *loop;
	uv_timer_t timer;
	uv_signal_t sigterm, sigint;
	CURL *easy;
	const char *url;
	struct sockaddr_storage addr;
	unsigned long probes, failed;
} F;

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	return size * n;
}

static void tcp_closed(uv_handle_t *h)
{
	free(h);
}

static void tcp_connected(uv_connect_t *req, int status)
{
	F.failed += status != 0;
	uv_close((uv_handle_t *)req->handle, tcp_closed);
	free(req);
}

static void probe(uv_timer_t *t)
{
	F.probes++;
	if (F.easy) {
		F.failed += curl_easy_perform(F.easy) != CURLE_OK;
		return;
	}
	uv_tcp_t *tcp = malloc(sizeof(*tcp));
	uv_connect_t *req = malloc(sizeof(*req));
	if (!tcp || !req || uv_tcp_init(F.loop, tcp) != 0) {
		free(tcp);
		free(req);
		F.failed++;
		return;
	}
	if (uv_tcp_connect(req, tcp, (struct sockaddr *)&F.addr, tcp_connected) != 0) {
		F.failed++;
		free(req);
		uv_close((uv_handle_t *)tcp, tcp_closed);
	}
}

static void on_signal(uv_signal_t *s, int signum)
{
	uv_timer_stop(&F.timer);
	uv_close((uv_handle_t *)&F.timer, NULL);
	uv_close((uv_handle_t *)&F.sigterm, NULL);
	uv_close((uv_handle_t *)&F.sigint, NULL);
}

static int usage(void)
{
	fputs("usage: probe_floor (--http URL | --tcp HOST:PORT) [--interval SECS]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	double interval = 0.1;
	const char *tcp = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--http"))
			F.url = argv[i + 1];
		else if (!strcmp(argv[i], "--tcp"))
			tcp = argv[i + 1];
		else if (!strcmp(argv[i], "--interval"))
			interval = atof(argv[i + 1]);
		else
			return usage();
	}
	if (!F.url == !tcp || !(interval > 0) || argc % 2 == 0)
		return usage();
	F.loop = uv_default_loop();
	if (F.url) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    !(F.easy = curl_easy_init()))
			return 1;
		curl_easy_setopt(F.easy, CURLOPT_URL, F.url);
		curl_easy_setopt(F.easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(F.easy, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(F.easy, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(F.easy, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(F.easy, CURLOPT_WRITEFUNCTION, discard);
	} else {
		char host[256];
		const char *colon = strrchr(tcp, ':');
		if (!colon || (size_t)(colon - tcp) >= sizeof(host))
			return usage();
		memcpy(host, tcp, (size_t)(colon - tcp));
		host[colon - tcp] = '\0';
		if (uv_ip4_addr(host, atoi(colon + 1), (struct sockaddr_in *)&F.addr) != 0)
			return usage();
	}
	uint64_t ms = (uint64_t)(interval * 1000 + 0.5);
	uv_timer_init(F.loop, &F.timer);
	uv_timer_start(&F.timer, probe, ms, ms ? ms : 1);
	uv_signal_init(F.loop, &F.sigterm);
	uv_signal_start(&F.sigterm, on_signal, SIGTERM);
	uv_signal_init(F.loop, &F.sigint);
	uv_signal_start(&F.sigint, on_signal, SIGINT);
	uv_run(F.loop, UV_RUN_DEFAULT);
	printf("probe_floor: %lu probes, %lu failed\n", F.probes, F.failed);
	if (F.easy)
		curl_easy_cleanup(F.easy);
	return 0;
}
