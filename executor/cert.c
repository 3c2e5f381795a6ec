/* Certificate expiry (see cert.h): PEM parsing and NotAfter with OpenSSL,
 * the random margin from OpenSSL's RNG. */
#include "cert.h"

#include "common/duration.h"

#include <math.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PREFIX "problem with certificate: "

static void openssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "unknown error");
	ERR_clear_error();
}

int cert_not_after(const char *pem, double *not_after, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	if (!bio) {
		snprintf(err, errlen, PREFIX "out of memory");
		return -1;
	}
	ERR_clear_error();
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!x) {
		unsigned long e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
			ERR_clear_error();
			snprintf(err, errlen,
			         PREFIX "missing certificate data (CERTIFICATE holds no PEM "
			                "\"-----BEGIN CERTIFICATE-----\" block)");
		} else {
			char why[256];
			openssl_reason(why, sizeof(why));
			snprintf(err, errlen, PREFIX "certificate is invalid: %s", why);
		}
		return -1;
	}
	struct tm tm;
	int ok = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm);
	X509_free(x);
	if (!ok) {
		ERR_clear_error();
		snprintf(err, errlen, PREFIX "certificate is invalid: unreadable NotAfter");
		return -1;
	}
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
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) {
		ERR_clear_error();
		r = (uint64_t)time(NULL) * 2654435761u; /* never in practice */
	}
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
