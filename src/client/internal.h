/* internal.h — shared inside the client layer only (STYLE.md: `pfx__` names).
 *
 * smap: a string-keyed hash map (open addressing, linear probing) used for the work queue's
 * sets and the recorder's caches. Keys are copied and owned by the map; values are opaque
 * pointers the caller manages.
 *
 * avl: an intrusive AVL tree (ordered caches: the informer's store and indexes, the fake's
 * objects). O(log n) insert, delete, find and lower bound; in-order iteration.
 */
#ifndef BERTH_CLIENT_INTERNAL_H
#define BERTH_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client.h"

/* --- smap --- */

struct smap_slot {
    char *key;   /* NULL: empty; SMAP_TOMBSTONE: deleted */
    uint32_t hash;
    void *val;
};

struct smap {
    struct smap_slot *slots;
    size_t cap;  /* power of two, or 0 */
    size_t n;    /* live entries */
    size_t used; /* live + tombstones */
};
#define SMAP_INIT {NULL, 0, 0, 0}

extern char smap__tombstone[];
#define SMAP_TOMBSTONE smap__tombstone

/* The value slot of key, or NULL when absent. */
void **smap__get(struct smap *m, const char *key);
static inline bool smap__has(struct smap *m, const char *key)
{
    return smap__get(m, key) != NULL;
}
/* The value slot of key, inserting it (value NULL) when absent; *existed says which. */
void **smap__put(struct smap *m, const char *key, bool *existed);
/* Remove key; returns true and its value in *val (if not NULL) when it was there. */
bool smap__del(struct smap *m, const char *key, void **val);
/* Free keys and the table; free_val (may be NULL) is called on each value. */
void smap__release(struct smap *m, void (*free_val)(void *));
/* Iterate: for (size_t i = 0; smap__next(m, &i, &key, &val);) ... (no changes meanwhile). */
bool smap__next(const struct smap *m, size_t *i, const char **key, void **val);

/* --- avl --- */

struct avl_node {
    struct avl_node *left, *right, *parent;
    int height;
};

/* <0, 0, >0 as a sorts before, equal to or after b. */
typedef int (*avl_cmp_fn)(const struct avl_node *a, const struct avl_node *b);
/* Compare a key (opaque) with a node. */
typedef int (*avl_key_cmp_fn)(const void *key, const struct avl_node *n);

struct avl_tree {
    struct avl_node *root;
    size_t n;
    avl_cmp_fn cmp;
};

void avl__init(struct avl_tree *t, avl_cmp_fn cmp);
/* Insert n; returns NULL, or the existing equal node (n is then not inserted). */
struct avl_node *avl__insert(struct avl_tree *t, struct avl_node *n);
void avl__remove(struct avl_tree *t, struct avl_node *n);
struct avl_node *avl__find(const struct avl_tree *t, const void *key, avl_key_cmp_fn cmp);
/* The first node not sorting before key, or NULL. */
struct avl_node *avl__lower_bound(const struct avl_tree *t, const void *key, avl_key_cmp_fn cmp);
struct avl_node *avl__first(const struct avl_tree *t);
struct avl_node *avl__next(const struct avl_node *n);

#define avl_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* --- the fake and informers --- */

bool kfake__is(const struct kclient *c);
/* An informer over a fake announces the time between starting (or losing) its watch and
 * having one again, so that kfake_flush waits for it: kfake__gap_open before listing (no-op
 * for a real client, idempotent per thread); the fake closes the gap when this thread's next
 * watch is registered and opens it again as that watch ends; kfake__gap_close closes it for
 * good (the informer stops). */
void kfake__gap_open(struct kclient *c);
void kfake__gap_close(struct kclient *c);

/* --- the real client (client.c) --- */

/* New connections the real client has opened so far (tests of keep-alive); -1 for others. */
long kclient__connects(struct kclient *c);

/* --- kubeconfig (kubeconfig.c) --- */

struct kubeconfig__creds {
    char *server;  /* the current context's cluster server URL */
    char *ca_pem;  /* decoded certificate-authority-data, or NULL */
    char *ca_file; /* certificate-authority (a path), when there is no -data */
    char *token;   /* the context's user's token, or NULL */
    char *ns;      /* the context's namespace, or NULL */
};

/* Read the current context's credentials from kubeconfig text (a single context is used when
 * current-context is absent). -ENOENT when there is no usable context or server, -EINVAL for
 * bad certificate data. */
int kubeconfig__parse(const char *text, struct kubeconfig__creds *out);
void kubeconfig__release(struct kubeconfig__creds *c);

/* --- shared helpers --- */

/* Fill st (if not NULL) with code, reason and message. */
void kstatus__set(struct kstatus *st, int code, const char *reason, const char *message);
/* Fill st from a metav1.Status object (code, reason, message), falling back to http_code. */
void kstatus__from_json(struct kstatus *st, int http_code, const json_t *status);
/* The HTTP status and reason that an errno stands for (the fake's injected errors). */
int kstatus__code_of(int err, const char **reason);

/* The monotonic clock in microseconds; a condition variable on it, and a wait until a
 * deadline on that clock. Returns false on timeout; deadline_us < 0 waits forever. */
int64_t mono__us(void);
void cond__init_mono(pthread_cond_t *c);
bool cond__wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_us);

#endif
