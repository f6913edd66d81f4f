/* vol_fixture.h — what the volume controller tests share: a fake API with shared informers, and
 * builders for volumes, claims, classes, pods and nodes. Included by tests/unit/controllers/
 * test_volume_*.c (header-only: every test is its own binary). */
#ifndef BERTH_TEST_VOL_FIXTURE_H
#define BERTH_TEST_VOL_FIXTURE_H

#include "test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "client/fake.h"
#include "client/informer.h"
#include "controllers/volume/internal.h"

struct fx {
    struct kclient *c;
    struct informer_factory *f;
    struct ctrl_env env;
    char data[64]; /* a temporary data directory */
};

static struct fx *fx_new(void)
{
    struct fx *x = xcalloc(1, sizeof(*x));

    x->c = kfake_new();
    x->f = informer_factory_new(x->c);
    snprintf(x->data, sizeof(x->data), "/tmp/berth-voltest.XXXXXX");
    if (!mkdtemp(x->data))
        fail_msg("mkdtemp: %s", strerror(errno));
    x->env.client = x->c;
    x->env.informers = x->f;
    x->env.node_name = "n1";
    x->env.data_dir = x->data;
    x->env.default_storage_class = true;
    return x;
}

/* Start the informers once every controller under test registered its handlers. */
static void fx_start(struct fx *x)
{
    informer_factory_start(x->f);
    assert_true(informer_factory_wait_synced(x->f, 5000));
}

/* Stop the informers: no handler runs after this (before freeing the controllers). */
static void fx_stop(struct fx *x)
{
    informer_factory_stop(x->f);
}

/* After the controllers are freed. */
static void fx_free(struct fx *x)
{
    char *cmd = xasprintf("rm -rf '%s'", x->data);

    informer_factory_free(x->f);
    kclient_free(x->c);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", x->data);
    free(cmd);
    free(x);
}

/* --- seeding and reading --- */

static void put(struct fx *x, enum res_id r, json_t *obj)
{
    assert_int_equal(kfake_put(x->c, r, obj), 0);
    json_decref(obj);
}

static json_t *get(struct fx *x, enum res_id r, const char *ns, const char *name)
{
    return kfake_get(x->c, r, ns, name);
}

static const char *sget(json_t *obj, const char *path)
{
    const char *s = jpath_str(obj, path);
    return s ? s : "";
}

/* A field of a stored object, as a string ("" when absent). Caller frees. */
static char *field(struct fx *x, enum res_id r, const char *ns, const char *name, const char *path)
{
    json_t *o = get(x, r, ns, name);
    char *s = xstrdup(o ? sget(o, path) : "<gone>");
    json_decref(o);
    return s;
}

#define assert_field(x, r, ns, name, path, want)                                                   \
    do {                                                                                           \
        char *got_ = field(x, r, ns, name, path);                                                  \
        if (strcmp(got_, want))                                                                    \
            fail_msg("%s %s.%s: got \"%s\", want \"%s\"", resource_get(r)->kind, name, path, got_, \
                     want);                                                                        \
        free(got_);                                                                                \
    } while (0)

static bool exists(struct fx *x, enum res_id r, const char *ns, const char *name)
{
    json_t *o = get(x, r, ns, name);
    json_decref(o);
    return o != NULL;
}

/* --- builders --- */

static json_t *mk_pv(const char *name, const char *size, const char *modes, const char *class)
{
    char buf[1024];
    json_t *v;

    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\","
             "\"metadata\":{\"name\":\"%s\",\"uid\":\"uid-%s\"},"
             "\"spec\":{\"capacity\":{\"storage\":\"%s\"},\"accessModes\":%s,"
             "\"persistentVolumeReclaimPolicy\":\"Retain\",\"volumeMode\":\"Filesystem\","
             "\"hostPath\":{\"path\":\"/tmp/berth-voltest-none/%s\",\"type\":\"\"}},"
             "\"status\":{\"phase\":\"Pending\"}}",
             name, name, size, modes ? modes : "[\"ReadWriteOnce\"]", name);
    v = tj(buf);
    if (class)
        jset_str(jget(v, "spec"), "storageClassName", class);
    return v;
}

static json_t *mk_claim(const char *ns, const char *name, const char *size, const char *modes,
                        const char *class)
{
    char buf[1024];
    json_t *c;

    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
             "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"uid-%s-%s\"},"
             "\"spec\":{\"accessModes\":%s,\"volumeMode\":\"Filesystem\","
             "\"resources\":{\"requests\":{\"storage\":\"%s\"}}},"
             "\"status\":{\"phase\":\"Pending\"}}",
             name, ns, ns, name, modes ? modes : "[\"ReadWriteOnce\"]", size);
    c = tj(buf);
    if (class)
        jset_str(jget(c, "spec"), "storageClassName", class);
    return c;
}

static json_t *mk_class(const char *name, const char *provisioner, const char *mode,
                        bool is_default)
{
    json_t *sc =
        json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s}", "apiVersion", "storage.k8s.io/v1", "kind",
                  "StorageClass", "metadata", "name", name, "uid", name, "provisioner", provisioner,
                  "reclaimPolicy", "Delete", "volumeBindingMode", mode);
    if (is_default)
        vol__set_ann(sc, ANN_DEFAULT_CLASS, "true");
    return sc;
}

/* A pod using claim in ns, scheduled to node (NULL: not scheduled), in phase. */
static json_t *mk_pod(const char *ns, const char *name, const char *claim, const char *node,
                      const char *phase)
{
    json_t *p = json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:[{s:s,s:{s:s}}],s:[{s:s,s:s}]},s:{s:s}}",
                          "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace",
                          ns, "uid", name, "spec", "volumes", "name", "data",
                          "persistentVolumeClaim", "claimName", claim, "containers", "name", "app",
                          "image", "busybox", "status", "phase", phase);
    if (node)
        jset_str(jget(p, "spec"), "nodeName", node);
    return p;
}

static json_t *mk_node(const char *name)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}}}", "apiVersion", "v1", "kind", "Node",
                     "metadata", "name", name, "uid", name, "labels", "kubernetes.io/hostname",
                     name);
}

/* Count lines of an event log containing needle. */
static int count_events(const char *log, const char *needle)
{
    int n = 0;
    for (const char *p = log; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

#endif
