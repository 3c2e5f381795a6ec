/* Host name and environment (see runenv.h). */
#include "runenv.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void copy(char *buf, size_t len, const char *s)
{
	if (!len)
		return;
	size_t n = strlen(s);
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

void runenv_hostname(runenv_getenv_fn get, char *buf, size_t len)
{
	static const char *const vars[] = {"MESOS_HOSTNAME", "CLOUD_HOSTNAME"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = get ? get(vars[i]) : getenv(vars[i]);
		if (v && *v) {
			copy(buf, len, v);
			return;
		}
	}
	char host[256];
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	copy(buf, len, host);
}

const char *runenv_environment(const char *hostname)
{
	static const char *const names[] = {"prod", "test", "dev"};
	regex_t re;
	regmatch_t m[2];
	const char *env = "local";

	if (!hostname || regcomp(&re, "^.*-(prod|test|dev)\\..*$", REG_EXTENDED) != 0)
		return env;
	if (regexec(&re, hostname, 2, m, 0) == 0 && m[1].rm_so >= 0) {
		size_t n = (size_t)(m[1].rm_eo - m[1].rm_so);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n &&
			    strncmp(hostname + m[1].rm_so, names[i], n) == 0)
				env = names[i];
	}
	regfree(&re);
	return env;
}

void runenv_graphite_segment(const char *s, char *buf, size_t len)
{
	copy(buf, len, s ? s : "");
	for (char *p = buf; *p; p++)
		if (*p == '.' || (unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '_';
}
