/* Strings and vectors of them, the helpers every module used to write for
 * itself: a copy that turns "" into NULL (an unset setting), and arrays of
 * malloc'd strings, NULL-ended (an environment, an argv, header lines) or
 * counted (what a hook sets, ids). An environment is built with envlist.h. */
#ifndef COMMON_STR_H
#define COMMON_STR_H

#include <stddef.h>

/* A copy of s, or NULL when s is NULL or empty (or out of memory). */
char *str_dup_nonempty(const char *s);

/* The number of strings in a NULL-ended vector (0 for NULL). */
size_t strv_len(const char *const *v);
/* A copy of a NULL-ended vector, strings included (an empty one for NULL);
 * NULL when out of memory. The caller frees it with strv_free. */
char **strv_dup(const char *const *v);
/* Frees a NULL-ended vector and its strings; NULL is fine. */
void strv_free(char **v);
/* Frees a counted vector (n strings, any of them NULL) and its strings. */
void strv_free_n(char **v, size_t n);

#endif
