/* strategy_internal.h — what the strategy files (strategy*.c) share.
 *
 * Validation helpers append upstream-worded field errors to a struct ferrs; paths are plain
 * strings ("spec.containers[0].image") built with strat__path() into STRAT_PATH_MAX buffers.
 * Values are rendered the way upstream's field.Error renders Go values: strings quoted, numbers
 * bare, and for the few structs and maps upstream prints with %#v or String(), the same text
 * (strat__go_*). Nothing here allocates anything the caller must free unless it says so.
 */
#ifndef BERTH_STRATEGY_INTERNAL_H
#define BERTH_STRATEGY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "api/strategy.h"
#include "base/quantity.h"

#define STRAT_PATH_MAX 512

/* --- Paths and values --- */

/* printf into out (STRAT_PATH_MAX bytes, truncated silently: paths are for messages only). */
void strat__path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Invalid value whose rendering is already done (raw is used verbatim, not quoted). */
void strat__invalid_raw(struct ferrs *e, const char *field, const char *raw, const char *detail);
/* Duplicate value rendered verbatim. */
void strat__duplicate_raw(struct ferrs *e, const char *field, const char *raw);
/* Duplicate of a string value (quoted). */
void strat__duplicate_str(struct ferrs *e, const char *field, const char *value);
/* Go's %#v of a map[string]string (keys sorted), e.g. map[string]string{"app":"web"}. Caller
 * owns the result. NULL or absent renders as map[string]string(nil). */
char *strat__go_string_map(const json_t *obj);
/* metav1.LabelSelector's String(), e.g. for {matchLabels: {app: web}}:
 *   &LabelSelector{MatchLabels:map[string]string{app: web,},
 *                  MatchExpressions:[]LabelSelectorRequirement{},}   (on one line)
 * Caller owns the result. */
char *strat__go_label_selector(const json_t *sel);

/* True if s is one of the NULL-terminated set. */
bool strat__in(const char *s, const char *const *set);

/* --- Simple field checks --- */

/* ValidateNonnegativeField on obj[key] when it is an integer. */
void strat__nonneg(struct ferrs *e, const char *field, const json_t *obj, const char *key);
void strat__nonneg_value(struct ferrs *e, const char *field, long long v);

/* Each failure message of the name check becomes Invalid(field, value, msg). Returns how many
 * errors were added. */
int strat__check_dns_label(struct ferrs *e, const char *field, const char *value);
int strat__check_dns_subdomain(struct ferrs *e, const char *field, const char *value);
int strat__check_qualified(struct ferrs *e, const char *field, const char *value);
int strat__check_port_name(struct ferrs *e, const char *field, const char *value);
int strat__check_config_key(struct ferrs *e, const char *field, const char *value);
/* IsValidPortNum: Invalid(field, v, "must be between 1 and 65535, inclusive"). */
void strat__check_port_num(struct ferrs *e, const char *field, long long v);
/* ValidatePortNumOrName for an IntOrString JSON value. */
void strat__check_port_num_or_name(struct ferrs *e, const char *field, const json_t *v);
/* Does s parse as an IPv4 or IPv6 address? */
bool strat__is_ip(const char *s);
/* IsValidIP (and ValidateNonSpecialIP when non_special). Returns true if the IP parsed. */
bool strat__check_ip(struct ferrs *e, const char *field, const char *ip, bool non_special);

/* --- Shared metadata pieces --- */

/* unversioned ValidateLabels (keys qualified names, values label values) at field. */
void strat__validate_labels(const json_t *labels, const char *field, struct ferrs *e);
/* ValidateAnnotations: keys (lower-cased) qualified names, total size <= 256 KiB. */
void strat__validate_annotations(const json_t *ann, const char *field, struct ferrs *e);
/* ValidateLabelSelector (structure only) at field. */
void strat__validate_label_selector(const json_t *sel, const char *field, struct ferrs *e);
/* What upstream's rest.BeforeUpdate does before validation: keep uid and creationTimestamp when
 * the update leaves them out, and never let an update drop or change deletionTimestamp /
 * deletionGracePeriodSeconds. Every prepare_update calls it. */
void strat__prepare_update_meta(json_t *obj, const json_t *old);

/* --- Quantities --- */

/* Parse a JSON quantity string; false if absent or malformed. */
bool strat__qty(const json_t *v, struct quantity *q);

/* --- Pods (strategy_core_pod.c) --- */

/* SetDefaults_PodSpec and everything the generated defaulters apply below a PodSpec
 * (containers, probes, ports, env, volumes). Used for pods and pod templates. */
void strat__podspec_defaults(json_t *spec);
/* ValidatePodSpec. is_pod adds the checks upstream applies to pods only (image whitespace,
 * hostNetwork ports). */
void strat__podspec_validate(const json_t *spec, const char *path, bool is_pod, struct ferrs *e);
/* The pod's QoS class (ComputePodQOS: "BestEffort", "Burstable" or "Guaranteed", a static
 * string), counting requests that SetDefaults_Pod will copy from limits. */
const char *strat__pod_qos(const json_t *spec);

/* --- PersistentVolumeClaims (strategy_core.c), also used by StatefulSet templates --- */

void strat__pvc_spec_defaults(json_t *spec);
/* ValidatePersistentVolumeClaimSpec at path ("spec" or "spec.volumeClaimTemplates[0].spec"). */
void strat__pvc_spec_validate(const json_t *spec, const char *path, struct ferrs *e);

/* --- Data sizes --- */

/* Decoded length of a base64 string (0 for NULL or malformed). */
size_t strat__base64_decoded_len(const char *b64);

/* --- The per-kind tables --- */

extern const struct res_strategy strat__namespace, strat__pod, strat__service, strat__endpoints,
    strat__persistentvolume, strat__persistentvolumeclaim, strat__event, strat__node,
    strat__configmap, strat__secret, strat__serviceaccount, strat__statefulset,
    strat__controllerrevision, strat__storageclass, strat__lease, strat__endpointslice;

#endif
