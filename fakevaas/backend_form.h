/* A backend written through the API, hydrated and validated the way VaaS's
 * BackendResource does it (tastypie, then Django's BackendModelForm):
 *   1. dc, then director: a resource URI, or an object with a resource_uri;
 *      missing -> 400 {"error":"The 'dc' field has no data and doesn't
 *      allow a default or null value."}, unknown -> {"error":"Could not find
 *      the provided director object via resource URI '/api/v0.1/director/99/'."}.
 *      An object without resource_uri ({"id": 1}) is hydrated by tastypie,
 *      but VaaS's form reads a relation from a resource_uri only: the form
 *      then says the field is required ({"backend":{"dc":["This field is
 *      required."]}}), with the dc form's own errors under "dc" when the data
 *      names no usable dc; a director it cannot find stops earlier, at its
 *      probe ({"error":"The 'probe' field has no data ..."});
 *   2. the form: address (IPv4 only, so "<nil>" fails), port 1..65535,
 *      weight 0..100, max_connections 1..100, the three timeouts, with
 *      Django's messages -> 400 {"backend":{"port":["Ensure this ..."]}};
 *   3. (address, port, director) unique -> {"backend":{"__all__":[...]}}.
 * Defaults as in VaaS's model. */
#ifndef FAKEVAAS_BACKEND_FORM_H
#define FAKEVAAS_BACKEND_FORM_H

#include "store.h"

/* Builds a normalised backend row from `input` laid over `existing` (PATCH)
 * or over the defaults (existing NULL). self_id is the row's id (0 for a new
 * one; kept out of the uniqueness check). Returns 0 with *row (caller owns),
 * or 400 (500 where tastypie crashes) with *error, the JSON body to answer
 * (caller owns). */
int bform_build(const struct vstore *s, const cJSON *input, const cJSON *existing, int self_id,
                cJSON **row, cJSON **error);

#endif
