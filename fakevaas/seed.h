/* The fake VaaS's seed: the JSON file (by default dev-data.json, VaaS's
 * development data) whose tables fill the store (store.h), each row checked
 * (ids unique and positive, references to existing rows, strings where VaaS
 * has them), and whose backends go through the API's own validation
 * (backend_form.h), so a seed cannot hold a backend the API would refuse. */
#ifndef FAKEVAAS_SEED_H
#define FAKEVAAS_SEED_H

#include "store.h"

#include <stddef.h>

/* Loads the seed into an empty store. `source` names it in errors
 * ("dev-data.json: directors[1].probe: ..."). Returns 0 or -1 with err
 * filled; on error the store is left empty. */
int seed_load(struct vstore *s, const char *json, size_t len, const char *source, char *err,
              size_t errlen);

#endif
