/* A process environment being built: "NAME=VALUE" strings, NULL-ended, one
 * per name, in the order the names were first set (a later value replaces
 * the earlier one where it stood). What a spawner hands to execve: fakeagent
 * builds its executors' environments with it, the scenario runner the agent's
 * executor environment, /_fake/launch the extra variables of a launch.
 *
 * Ownership: the list owns its strings until envlist_take hands the vector
 * over; a zeroed struct envlist is an empty list. */
#ifndef COMMON_ENVLIST_H
#define COMMON_ENVLIST_H

#include <stddef.h>

struct envlist {
	char **v; /* owned "NAME=VALUE" strings, NULL-ended; NULL while empty */
	size_t n, cap;
};

/* Sets NAME to VALUE (NULL reads as ""), replacing an earlier value. 0, or
 * -1 for an empty NAME or one holding '=' (errno EINVAL) or when out of
 * memory (the list is left as it was). */
int envlist_set(struct envlist *l, const char *name, const char *value);
/* Sets a "NAME=VALUE" string: -1 (EINVAL) when it has no '=' or an empty
 * NAME; otherwise as envlist_set. */
int envlist_put(struct envlist *l, const char *kv);
/* The value of NAME in a NULL-ended environment (l->v, environ), or NULL. */
const char *envlist_get(char *const *env, const char *name);
/* Hands the NULL-ended vector over (never NULL: an empty list gives an empty
 * vector, unless out of memory) and leaves the list empty. Free it with
 * strv_free (str.h). */
char **envlist_take(struct envlist *l);
void envlist_free(struct envlist *l);

#endif
