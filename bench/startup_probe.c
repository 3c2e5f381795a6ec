/* A program that only starts: built several times (bench/CMakeLists.txt)
 * with more or less of what the executor links, it tells bench/startup_cost
 * what each part costs in start-up time and memory before any executor code
 * runs. It initialises what its build asks for (PROBE_UV: a libuv loop;
 * PROBE_CURL: curl_global_init, a multi and an easy handle, as httpc_new
 * does), writes one byte to fd 3 ("ready") and exits when fd 4 reaches EOF.
 *
 *   startup_probe_* [--global-nothing]   curl_global_init(CURL_GLOBAL_NOTHING) */
#include <string.h>
#include <unistd.h>

#ifdef PROBE_UV
#include <uv.h>
#endif
#ifdef PROBE_CURL
#include <curl/curl.h>
#endif

int main(int argc, char **argv)
{
	char c = 1;
#ifdef PROBE_UV
	uv_loop_t loop;
	uv_loop_init(&loop);
#endif
#ifdef PROBE_CURL
	long flags = argc > 1 && !strcmp(argv[1], "--global-nothing") ? CURL_GLOBAL_NOTHING
	                                                              : CURL_GLOBAL_DEFAULT;
	curl_global_init(flags);
	CURLM *multi = curl_multi_init();
	CURL *easy = curl_easy_init();
#endif
	if (write(3, &c, 1) != 1)
		return 1;
	while (read(4, &c, 1) > 0)
		;
#ifdef PROBE_CURL
	curl_easy_cleanup(easy);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
#endif
#ifdef PROBE_UV
	uv_loop_close(&loop);
#endif
	(void)argc;
	(void)argv;
	return 0;
}
