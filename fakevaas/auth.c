/* Who is asking the fake VaaS: tastypie's ApiKeyAuthentication. The
 * Authorization header "ApiKey user:key" (type matched case-insensitively) is
 * used when present; otherwise the username and api_key query parameters.
 * A header of another type falls back to the query parameters. */
#include "fakevaas.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const cJSON *fv_auth_user(const struct vstore *s, struct httpd_req *r)
{
	const char *h = httpd_header(r, "Authorization");
	if (h && strncasecmp(h, "apikey ", 7) == 0) {
		const char *cred = h + 7, *colon = strchr(cred, ':');
		if (!colon)
			return NULL;
		char *user = strndup(cred, (size_t)(colon - cred));
		const cJSON *u = user ? store_user(s, user, colon + 1) : NULL;
		free(user);
		return u;
	}
	const char *user = httpd_query(r, "username"), *key = httpd_query(r, "api_key");
	return user && key ? store_user(s, user, key) : NULL;
}
