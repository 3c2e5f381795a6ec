/* Executor tokens as the Mesos agent makes and checks them: JSON Web Tokens
 * signed with HMAC-SHA256 (libprocess' jwt.cpp, the agent's
 * JWTSecretGenerator and JWTAuthenticator). A token is
 * base64url({"alg":"HS256","typ":"JWT"}) "." base64url(claims) "."
 * base64url(HMAC-SHA256(key, the first two parts)), without padding; the
 * agent's claims are {"cid": container, "eid": executor, "fid": framework}.
 * The MAC is OpenSSL's (libcrypto, linked already for base64). */
#ifndef FAKEAGENT_AGENT_JWT_H
#define FAKEAGENT_AGENT_JWT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define JWT_KEY_LEN 32

/* A token for these claims (a JSON object, written as the agent writes it:
 * compact, members in the order given), or NULL when out of memory. The
 * caller frees it. */
char *jwt_sign(const cJSON *claims, const uint8_t key[JWT_KEY_LEN]);
/* Checks a token as libprocess' JWT::parse(token, secret) does: three
 * parts, a JSON header with "alg": "HS256" and no "crit", a JSON object
 * payload whose "exp" (if any) has not passed, and the signature. Returns
 * its claims (caller deletes), or NULL with err holding libprocess' text
 * ("Token signature does not match"). */
cJSON *jwt_verify(const char *token, const uint8_t key[JWT_KEY_LEN], char *err, size_t errlen);

#endif
