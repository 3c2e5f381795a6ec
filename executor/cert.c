/* Certificate expiry (see cert.h): PEM decoding and NotAfter with mbedTLS,
 * the random margin from the kernel (common/uuid4.h). */
#include "cert.h"

#include "common/duration.h"
#include "common/uuid4.h"

#include <math.h>
#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX "problem with certificate: "

/* The first "-----BEGIN CERTIFICATE-----" block only (mbedTLS would parse
 * every block of a chain), through mbedTLS' PEM and X.509 parser. */
int cert_not_after(const char *pem, double *not_after, char *err, size_t errlen)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----",
	                  end[] = "-----END CERTIFICATE-----";
	const char *from = strstr(pem, begin);
	if (!from) {
		snprintf(err, errlen,
		         PREFIX "missing certificate data (CERTIFICATE holds no PEM "
		                "\"-----BEGIN CERTIFICATE-----\" block)");
		return -1;
	}
	const char *to = strstr(from, end);
	size_t len = to ? (size_t)(to - from) + sizeof(end) - 1 : strlen(from);
	char *block = strndup(from, len); /* NUL-terminated: mbedTLS' sign of PEM */
	if (!block) {
		snprintf(err, errlen, PREFIX "out of memory");
		return -1;
	}
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)block, len + 1);
	free(block);
	if (rc != 0) {
		char why[200];
		mbedtls_x509_crt_free(&crt);
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, errlen, PREFIX "certificate is invalid: %s", why);
		return -1;
	}
	struct tm tm = {.tm_year = crt.valid_to.year - 1900,
	                .tm_mon = crt.valid_to.mon - 1,
	                .tm_mday = crt.valid_to.day,
	                .tm_hour = crt.valid_to.hour,
	                .tm_min = crt.valid_to.min,
	                .tm_sec = crt.valid_to.sec};
	mbedtls_x509_crt_free(&crt);
	*not_after = (double)timegm(&tm);
	return 0;
}

static const char *find_certificate(char *const *env)
{
	static const char key[] = "CERTIFICATE=";
	for (; env && *env; env++)
		if (strncmp(*env, key, sizeof(key) - 1) == 0)
			return *env + sizeof(key) - 1;
	return NULL;
}

/* A uniformly drawn margin in [0, range). */
static int64_t random_margin(int64_t range)
{
	uint64_t r;
	uuid4_random(&r, sizeof(r));
	return (int64_t)(r % (uint64_t)range);
}

static void format_utc(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cert_check(const Mesos__V1__TaskInfo *task, char *const *task_env, int64_t random_range_ns,
               double now_wallclock, double *kill_at_wallclock, char *err, size_t errlen)
{
	const char *label = task ? mesos_label(task->labels, "validate-certificate") : NULL;
	if (!label || strcmp(label, "true") != 0)
		return 1;

	const char *pem = find_certificate(task_env);
	if (!pem) {
		snprintf(err, errlen,
		         PREFIX "missing certificate (label validate-certificate=true, but the "
		                "task has no CERTIFICATE variable)");
		return -1;
	}
	double not_after;
	if (cert_not_after(pem, &not_after, err, errlen) < 0)
		return -1;

	int64_t range = random_range_ns > 0 ? random_range_ns : CERT_DEFAULT_RANGE_NS;
	int64_t margin = random_margin(range);
	double kill_at = not_after - (double)margin / 1e9;
	if (kill_at - now_wallclock <= 0) {
		char when[40], m[64];
		format_utc(not_after, when, sizeof(when));
		duration_format_go(margin, m, sizeof(m));
		snprintf(err, errlen,
		         PREFIX "certificate valid period <= 0: it expires at %s, and with a "
		                "random margin of %s the task would be killed at once",
		         when, m);
		return -1;
	}
	*kill_at_wallclock = kill_at;
	return 0;
}

uint64_t cert_delay_ms(double kill_at_wallclock, double now_wallclock)
{
	double ms = ceil((kill_at_wallclock - now_wallclock) * 1000.0);
	return ms > 0 ? (uint64_t)ms : 0;
}
