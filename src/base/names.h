/* names.h — Kubernetes name and label syntax checks (k8s.io/apimachinery/pkg/util/validation).
 *
 * Each check appends upstream's failure messages (word for word, e.g. "a lowercase RFC 1123
 * label must consist of lower case alphanumeric characters or '-', and must start and end with an
 * alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is
 * '[a-z0-9]([-a-z0-9]*[a-z0-9])?')", "must be no more than 63 characters") to msgs and returns
 * how many it appended; 0 means valid. msgs must have room for NAME_MAX_MSGS entries; the
 * strings are static or interned (never freed by the caller).
 */
#ifndef BERTH_NAMES_H
#define BERTH_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_MSGS 5 /* IsValidPortName can report five problems at once */
#define DNS1123_LABEL_MAX 63
#define DNS1123_SUBDOMAIN_MAX 253

int name_check_dns1123_label(const char *s, const char *msgs[NAME_MAX_MSGS]);
int name_check_dns1123_subdomain(const char *s, const char *msgs[NAME_MAX_MSGS]);
/* RFC 1035 label (must start with a letter): Service names. */
int name_check_dns1035_label(const char *s, const char *msgs[NAME_MAX_MSGS]);
/* Path segment names (no "/" or "%", not "." or ".."): used by a few resources. */
int name_check_path_segment(const char *s, const char *msgs[NAME_MAX_MSGS]);
/* Qualified name: label and annotation keys, "[prefix/]name". */
int name_check_qualified(const char *s, const char *msgs[NAME_MAX_MSGS]);
/* Label value: empty or <=63 chars of [A-Za-z0-9_.-] starting and ending alphanumeric. */
int name_check_label_value(const char *s, const char *msgs[NAME_MAX_MSGS]);
/* IANA service name (named ports): <=15 chars, lowercase alnum and '-', at least one letter. */
int name_check_iana_svc_name(const char *s, const char *msgs[NAME_MAX_MSGS]);
/* C identifier-ish env var name as upstream's IsEnvVarName. */
int name_check_env_var(const char *s, const char *msgs[NAME_MAX_MSGS]);
/* ConfigMap / Secret data key: [-._a-zA-Z0-9]+, <=253, not "." / "..". */
int name_check_config_map_key(const char *s, const char *msgs[NAME_MAX_MSGS]);

/* generateName: upstream appends 5 random characters from "bcdfghjklmnpqrstvwxz2456789"
 * after truncating the prefix so the result is at most 63 characters. Caller owns the result. */
char *name_generate(const char *prefix);

#endif
