/* Shared cmocka test helpers (see testsupport.h). */
#include "testsupport.h"

#include "common/file.h"
#include "common/log.h"
#include "hooks/hook.h"
#include "proto/pbjson.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *ts_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

char *ts_mkdtemp(const char *prefix)
{
	char *p;
	if (asprintf(&p, "%s/%s.XXXXXX", ts_env("TMPDIR", "/tmp"), prefix) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void ts_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int64_t ts_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ts_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

size_t ts_read_stdout(struct ts_proc *p, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;
	int64_t end = ts_now_ms() + timeout_ms;
	while (n + 1 < len) {
		int left = (int)(end - ts_now_ms());
		struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		ssize_t r = read(p->out_fd, buf + n, len - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	return n;
}

int ts_spawn(struct ts_proc *p, char *const argv[], char *const envp[], bool wait_listen)
{
	int fds[2];
	memset(p, 0, sizeof(*p));
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	snprintf(p->log, sizeof(p->log), "%s/ts-%s-%d-%lld.log", ts_env("TMPDIR", "/tmp"),
	         strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0], (int)getpid(),
	         (long long)ts_now_ms());
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		int log = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fds[1], 1);
		if (log >= 0)
			dup2(log, 2);
		setpgid(0, 0);
		if (envp)
			execve(argv[0], argv, envp);
		else
			execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	p->out_fd = fds[0];
	if (!wait_listen)
		return 0;
	char line[512];
	ts_read_stdout(p, line, sizeof(line), 10000);
	const char *at = strstr(line, "listening on http://");
	if (at)
		at += strlen("listening on http://");
	else if ((at = strstr(line, "listening on https://"))) /* a fake with --tls-cert */
		at += strlen("listening on https://");
	else
		return -1;
	size_t i = 0;
	while (at[i] && at[i] != '\n' && at[i] != '\r' && i + 1 < sizeof(p->addr)) {
		p->addr[i] = at[i];
		i++;
	}
	p->addr[i] = '\0';
	return 0;
}

int ts_run(char *const argv[], char *out, size_t len, int timeout_ms)
{
	struct ts_proc p;
	if (ts_spawn(&p, argv, NULL, false) < 0)
		return -1;
	size_t n = 0;
	int64_t end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		struct pollfd pfd = {.fd = p.out_fd, .events = POLLIN};
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		char sink[4096];
		bool room = n + 1 < len;
		ssize_t r =
		    room ? read(p.out_fd, out + n, len - n - 1) : read(p.out_fd, sink, 4096);
		if (r <= 0)
			break; /* EOF: it ended (or closed its stdout) */
		if (room)
			n += (size_t)r;
	}
	if (len)
		out[n] = '\0';
	int left = (int)(end - ts_now_ms());
	int st = ts_wait(&p, left > 1000 ? left : 1000);
	if (st == -1)
		ts_stop(&p, SIGKILL, 5000);
	return st;
}

int ts_wait(struct ts_proc *p, int timeout_ms)
{
	int st;
	int64_t end = ts_now_ms() + timeout_ms;
	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid) {
			p->pid = 0;
			if (p->out_fd > 0)
				close(p->out_fd);
			p->out_fd = -1;
			return st;
		}
		if (r < 0 || ts_now_ms() > end)
			return -1;
		ts_sleep_ms(10);
	}
}

int ts_stop(struct ts_proc *p, int sig, int timeout_ms)
{
	if (p->pid <= 0)
		return -1;
	kill(p->pid, sig);
	int st = ts_wait(p, timeout_ms);
	if (st == -1 && p->pid > 0) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		st = ts_wait(p, 5000);
	}
	return st;
}

struct body_buf {
	char *data;
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
	struct body_buf *b = ud;
	size_t len = size * n;
	char *nd = realloc(b->data, b->len + len + 1);
	if (!nd)
		return 0;
	b->data = nd;
	memcpy(b->data + b->len, ptr, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static size_t collect_headers(char *ptr, size_t size, size_t n, void *ud)
{
	struct ts_http *res = ud;
	size_t len = size * n, have = strlen(res->headers);
	if (have + len + 1 < sizeof(res->headers)) {
		memcpy(res->headers + have, ptr, len);
		res->headers[have + len] = '\0';
	}
	return len;
}

int ts_http(struct ts_http *res, const char *method, const char *url, const char *const *headers,
            const void *body, size_t body_len)
{
	struct body_buf b = {0};
	struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
	CURL *c = curl_easy_init();
	memset(res, 0, sizeof(*res));
	for (const char *const *h = headers; h && *h; h++)
		hl = curl_slist_append(hl, *h);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_headers);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	CURLcode rc = curl_easy_perform(c);
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		snprintf(res->content_type, sizeof(res->content_type), "%s", ct);
	res->body = b.data ? b.data : strdup("");
	res->body_len = b.len;
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	return rc == CURLE_OK ? 0 : -1;
}

void ts_http_free(struct ts_http *res)
{
	free(res->body);
	res->body = NULL;
}

long ts_request(const char *addr, const char *method, const char *path, const char *body,
                const char *const *headers, struct ts_http *out)
{
	char url[2048];
	struct ts_http r;
	snprintf(url, sizeof(url), "http://%s%s", addr, path);
	assert_int_equal(ts_http(&r, method, url, headers, body, body ? strlen(body) : 0), 0);
	long status = r.status;
	if (out)
		*out = r;
	else
		ts_http_free(&r);
	return status;
}

const char *ts_http_header(const struct ts_http *r, const char *name, char *buf, size_t len)
{
	char key[128];
	snprintf(key, sizeof(key), "\n%s:", name);
	const char *p = strcasestr(r->headers, key);
	if (!p)
		return NULL;
	p += strlen(key);
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, "\r\n");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
	return buf;
}

char *ts_read_file(const char *path, size_t *len)
{
	char err[512];
	return file_read(path, len, err, sizeof(err));
}

/* ------------------------------------------------------------ settings */

#define FAKEENV_MAX 32

static struct {
	char name[128];
	char value[512];
} fakeenv[FAKEENV_MAX];

void ts_fakeenv_set(const char *name, const char *value)
{
	size_t i = 0;
	while (i < FAKEENV_MAX && fakeenv[i].name[0] && strcmp(fakeenv[i].name, name) != 0)
		i++;
	assert_true(i < FAKEENV_MAX);
	snprintf(fakeenv[i].name, sizeof(fakeenv[i].name), "%s", name);
	snprintf(fakeenv[i].value, sizeof(fakeenv[i].value), "%s", value);
}

void ts_fakeenv_clear(void)
{
	memset(fakeenv, 0, sizeof(fakeenv));
}

const char *ts_fakeenv_lookup(const char *name, void *data)
{
	for (size_t i = 0; i < FAKEENV_MAX && fakeenv[i].name[0]; i++)
		if (strcmp(fakeenv[i].name, name) == 0)
			return fakeenv[i].value;
	return NULL;
}

/* ------------------------------------------------------------ logs */

static char logs[1 << 16];

static void capture(void *data, enum log_level lvl, const char *line)
{
	size_t n = strlen(logs);
	snprintf(logs + n, sizeof(logs) - n, "%s\n", line);
}

void ts_logs_capture(void)
{
	logs[0] = '\0';
	log_set_sink(LOG_DEBUG, capture, NULL);
}

void ts_logs_release(void)
{
	log_set_sink(LOG_ERROR, NULL, NULL);
}

const char *ts_logs(void)
{
	return logs;
}

/* ------------------------------------------------------------ hooks */

Mesos__V1__TaskInfo *ts_task_from_json(const char *json)
{
	char err[256] = "";
	ProtobufCMessage *m =
	    pbjson_decode(&mesos__v1__task_info__descriptor, json, strlen(json), err, sizeof(err));
	if (!m)
		fail_msg("bad test TaskInfo: %s", err);
	return (Mesos__V1__TaskInfo *)m;
}

struct hook *ts_builtin_hook(const char *name)
{
	for (struct hook *const *h = hook_builtin; *h; h++)
		if (strcmp((*h)->name, name) == 0)
			return *h;
	fail_msg("no built-in hook named %s", name);
	return NULL;
}

void ts_hook_init(struct hook *h)
{
	struct envcfg cfg = {.lookup = ts_fakeenv_lookup};
	int rc = h->init(h, &cfg);
	if (rc != 1)
		fail_msg("%s hook init returned %d: %s", h->name, rc, cfg.errors);
}

void ts_hook_teardown(struct hook *h)
{
	if (h->state)
		h->destroy(h);
	ts_logs_release();
}

int ts_start_fake(struct ts_proc *p, const char *bin_env, const char *fallback,
                  const char *const *extra, bool *built)
{
	const char *bin = ts_env(bin_env, fallback);
	*built = access(bin, X_OK) == 0;
	if (!*built) {
		fprintf(stderr, "%s not built (%s=%s): its tests skip\n", fallback, bin_env, bin);
		return 0;
	}
	char *argv[16] = {(char *)bin, "--listen", "127.0.0.1:0"};
	size_t n = 3;
	for (const char *const *e = extra; e && *e && n + 1 < 16; e++)
		argv[n++] = (char *)*e;
	argv[n] = NULL;
	if (ts_spawn(p, argv, NULL, true) < 0) {
		fprintf(stderr, "cannot start %s\n", bin);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ TLS */

bool ts_have_openssl(void)
{
	return access(TS_OPENSSL, X_OK) == 0;
}

int ts_make_cert(const char *dir, const char *name)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
	         TS_OPENSSL " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	                    "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost "
	                    "-days 1 -keyout '%s/%s.key' -out '%s/%s.pem' 2>/dev/null",
	         dir, name, dir, name);
	return system(cmd) == 0 ? 0 : -1;
}

char *ts_self_signed_pem(time_t not_after, const char *cn)
{
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	char subject[128], from[16], to[16];
	unsigned char pem[4096];
	time_t start = time(NULL) - 3600;
	struct tm tm;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);
	snprintf(subject, sizeof(subject), "CN=%s", cn);
	strftime(from, sizeof(from), "%Y%m%d%H%M%S", gmtime_r(&start, &tm));
	strftime(to, sizeof(to), "%Y%m%d%H%M%S", gmtime_r(&not_after, &tm));
	int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0);
	if (!rc)
		rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!rc)
		rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
		                         mbedtls_ctr_drbg_random, &drbg);
	if (!rc)
		rc = mbedtls_mpi_lset(&serial, 1);
	if (!rc)
		rc = mbedtls_x509write_crt_set_serial(&crt, &serial);
	if (!rc)
		rc = mbedtls_x509write_crt_set_validity(&crt, from, to);
	if (!rc)
		rc = mbedtls_x509write_crt_set_subject_name(&crt, subject);
	if (!rc)
		rc = mbedtls_x509write_crt_set_issuer_name(&crt, subject);
	if (!rc) {
		mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
		mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
		mbedtls_x509write_crt_set_subject_key(&crt, &key);
		mbedtls_x509write_crt_set_issuer_key(&crt, &key);
		rc = mbedtls_x509write_crt_pem(&crt, pem, sizeof(pem), mbedtls_ctr_drbg_random,
		                               &drbg);
	}
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	if (rc)
		fail_msg("cannot make a certificate: mbedTLS error -0x%04x", (unsigned)-rc);
	char *out = strdup((char *)pem);
	assert_non_null(out);
	return out;
}

unsigned ts_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	unsigned port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int ts_tls_server(struct ts_proc *p, const char *dir, const char *name, const char *const *extra,
                  unsigned *port)
{
	char cert[1024], key[1024], accept[32];
	snprintf(cert, sizeof(cert), "%s/%s.pem", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	*port = ts_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%u", *port);
	char *argv[24] = {TS_OPENSSL, "s_server", "-quiet", "-www", "-accept",
	                  accept,     "-cert",    cert,     "-key", key};
	size_t n = 10;
	for (const char *const *e = extra; e && *e && n + 1 < 24; e++)
		argv[n++] = (char *)*e;
	argv[n] = NULL;
	if (ts_spawn(p, argv, NULL, false) < 0)
		return -1;
	int64_t end = ts_now_ms() + 10000; /* until it accepts */
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_port = htons((uint16_t)*port),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (rc == 0)
			return 0;
		if (ts_now_ms() > end) {
			ts_stop(p, SIGKILL, 5000);
			return -1;
		}
		ts_sleep_ms(20);
	}
}
