/* An asynchronous HTTP client on a libuv loop: libcurl's multi interface
 * driven by uv_poll_t per socket and one uv_timer_t (curl_multi_socket_action),
 * so streams, calls and probes share one thread and nothing blocks.
 *
 *   struct httpc *h = httpc_new(loop);
 *   struct httpc_req *r = httpc_start(h, &(struct httpc_opts){
 *           .method = "POST", .url = url, .body = b, .body_len = n,
 *           .on_done = done, .data = ctx});
 *
 * Bodies are delivered to on_data as they arrive when it is set (streams),
 * otherwise collected (up to HTTPC_MAX_BODY) and passed to on_done. on_done is
 * called exactly once per request unless the request was cancelled; the
 * request is freed right after on_done returns. */
#ifndef COMMON_HTTPC_H
#define COMMON_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define HTTPC_MAX_BODY (8u * 1024 * 1024)

struct httpc;
struct httpc_req;

struct httpc_result {
	long status;              /* HTTP status, 0 when no response */
	int curl_code;            /* CURLcode, 0 on success */
	const char *error;        /* human-readable transport error, or NULL */
	const char *content_type; /* response Content-Type, or NULL */
	const char *body;         /* collected body (NUL-terminated), when on_data unset */
	size_t body_len;
	double total_secs; /* time the request took */
};

/* Response headers are complete; status and content type are known. Return
 * non-zero to abort the request (on_done then reports an error). */
typedef int (*httpc_response_cb)(void *data, long status, const char *content_type);
/* A piece of the body. Return non-zero to abort. Do not call httpc_cancel
 * from inside this callback; return non-zero instead. */
typedef int (*httpc_data_cb)(void *data, const char *bytes, size_t len);
typedef void (*httpc_done_cb)(void *data, const struct httpc_result *res);

struct httpc_opts {
	const char *method; /* "GET" when NULL; "POST" is implied by a body */
	const char *url;
	const char *unix_socket;    /* connect through this Unix socket */
	const char *const *headers; /* "Name: value" strings, NULL-terminated */
	const void *body;           /* copied */
	size_t body_len;
	long timeout_ms;         /* whole request, 0 = none */
	long connect_timeout_ms; /* 0 = libcurl's default */
	bool insecure;           /* do not verify TLS peers */
	const char *ca_file;     /* verify with these CA certificates (PEM), or NULL */
	const char *ca_dir;      /* ... or those of this hashed directory, or NULL */
	const char *client_cert; /* a client certificate (PEM file) to present, or NULL */
	const char *client_key;  /* its private key (PEM file) */
	bool follow_redirects;
	bool fresh_connect; /* never reuse a cached connection */
	bool forbid_reuse;  /* close the connection afterwards */
	httpc_response_cb on_response;
	httpc_data_cb on_data;
	httpc_done_cb on_done;
	void *data;
};

/* Returns NULL when libcurl cannot be initialised. */
struct httpc *httpc_new(uv_loop_t *loop);

/* ---- defaults every libcurl handle of the executor gets (this client and
 * the hooks' blocking one, hooks/http.c) */

/* The CA certificates that verify TLS peers when nothing more specific is
 * configured, found at run time, never compiled in: $SSL_CERT_FILE, or
 * $SSL_CERT_DIR (Go's and OpenSSL's variables, as the Go executor read
 * them), or the first bundle of Debian/Ubuntu/Alpine
 * (/etc/ssl/certs/ca-certificates.crt), RHEL/CentOS 7 and later
 * (/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem, /etc/pki/tls/certs/
 * ca-bundle.crt), SUSE (/etc/ssl/ca-bundle.pem) or Alpine/BSD
 * (/etc/ssl/cert.pem) that exists, else the directory /etc/ssl/certs.
 * Looked up once per process. *file or *dir is NULL (both when none). */
void httpc_system_ca(const char **file, const char **dir);
/* Applies the defaults to a fresh (or reset) easy handle: its sockets are
 * opened close-on-exec (a task or hook command spawned meanwhile must not
 * inherit one), it verifies peers with httpc_system_ca(), and, on a libcurl
 * with mbedTLS 2.28 (the static build), it matches an IP address URL against
 * the certificate's iPAddress names, as libcurl on OpenSSL does. Options set
 * afterwards (CURLOPT_CAINFO, CURLOPT_CAPATH) replace the CA defaults. */
void httpc_easy_defaults(void *curl_easy);
/* Cancels every request (no callbacks), closes the handles; `cb` runs once
 * they are all closed and the client is freed. Not from inside an httpc
 * callback. */
void httpc_close(struct httpc *h, void (*cb)(void *data), void *data);

/* Returns the request, or NULL (and no callback) when it cannot be started. */
struct httpc_req *httpc_start(struct httpc *h, const struct httpc_opts *opts);
/* Stops a request; its on_done is not called. */
void httpc_cancel(struct httpc_req *r);
/* Number of requests in flight. */
int httpc_active(const struct httpc *h);

#endif
