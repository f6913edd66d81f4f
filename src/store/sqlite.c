/* sqlite.c — the SQLite store backend (DESIGN.md §4).
 *
 * On disk (WAL journal, synchronous=FULL, so a commit is on stable storage when COMMIT returns):
 *   kv(key, value, create_rev, mod_rev)   the current state, one row per live key
 *   log(rev, key, type, value, prev_value, create_rev, prev_mod_rev, ts)
 *                                         one row per write, for watch replay; every revision
 *                                         in (compacted_rev, current_rev] has exactly one row
 *   meta(name, value)                     'schema' and 'compacted_rev'
 * The current revision is not stored: it is the last log row, or compacted_rev once compaction
 * emptied the log. Both only ever grow, so the revision survives restarts and compaction.
 *
 * Writes: one writer connection. Writers queue up (as in LevelDB's write path); the writer at
 * the head of the queue takes everything queued behind it, up to MAX_BATCH, runs it as one
 * transaction, commits once, delivers the watch events, and only then wakes the others. So a
 * lone writer pays one transaction per write, and concurrent writers share the fsync.
 *
 * Compaction runs on its own thread: when a write finds the history over history_max_events,
 * and every min(history_seconds, 60) s for the age rule; see auto_target. Files: PATH (0600),
 * PATH-wal, PATH-shm, and PATH-lock, whose flock keeps a second store off the same database.
 *
 * Locks, in the order they nest:
 *   qmu        the writer queue (never held while taking another)
 *   the commit lock (commit_lock/commit_unlock)
 *              the writer connection, the watch lists and the compaction pins; it is held from
 *              BEGIN to the end of event delivery, and around every watch callback, which is
 *              what makes callbacks of one watcher serial, in order, and makes cancel wait for
 *              a running callback. It is a FIFO ticket lock: a long replay gives it up between
 *              chunks, and with a plain mutex the replayer would just take it straight back.
 *   tmu        the ticket lock's own state (leaf, held only inside commit_lock & co)
 *   rmu, cmu   the reader pool, the compactor's wake-up (leaves)
 * A thread that holds the commit lock (so: any watch callback) records it in tls_holder, so
 * that a callback calling back into the store does not deadlock on it (see sq_watch_cancel).
 *
 * Reads (get, list, replay) use a pool of reader connections, so they never wait for a commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/alloc.h"
#include "base/log.h"
#include "store/internal.h"

#define SCHEMA_VERSION 1
#define MAX_BATCH 128 /* writes per group commit */
/* Tests that #include this file shrink these to reach the chunk boundaries. */
#ifndef REPLAY_CHUNK
#define REPLAY_CHUNK 1024 /* events replayed per hold of the commit lock */
#endif
#ifndef COMPACT_CHUNK
#define COMPACT_CHUNK 1000 /* log rows deleted per compaction transaction */
#endif
#define MAX_IDLE_READERS 8
#define BUSY_TIMEOUT_MS 5000
#define COMPACT_PERIOD_MAX 60 /* seconds between age-based compaction passes, at most */

struct reader {
    sqlite3 *db;
    sqlite3_stmt *get, *list_range, *list_all, *rev, *begin, *end, *replay;
    struct reader *next;
};

/* One queued write. Lives on the writer's stack until the write call returns. */
struct req {
    enum store_event_type type;
    const char *key;
    const void *value; /* the new value (CREATE, UPDATE) */
    size_t len;
    int64_t expect; /* CAS on mod_rev; 0: none */
    int rc;
    int64_t rev;          /* the write's revision */
    int64_t create_rev;   /* the key's create_rev */
    int64_t prev_mod_rev; /* the key's mod_rev before (UPDATE, DELETE) */
    void *old;            /* owned copy of the value before (UPDATE, DELETE) */
    size_t old_len;
    bool done;         /* a leader ran it: rc and rev are final */
    pthread_cond_t cv; /* signalled when done or when at the head of the queue */
    struct req *next;
};

struct sq {
    struct store base;
    char *path;
    struct store_options opt;
    int lock_fd; /* flock on PATH-lock: one store per database, across processes */

    pthread_mutex_t qmu;
    struct req *qhead, *qtail;

    pthread_mutex_t tmu; /* the commit lock: tickets handed out and served, in order */
    pthread_cond_t tcv;
    uint64_t next_ticket, serving;
    uint64_t pin_gen; /* under tmu: bumped whenever a replay's pin moves or goes */
    pthread_cond_t pin_cv;
    sqlite3 *db; /* the writer connection */
    sqlite3_stmt *begin, *commit, *rollback, *kv_get, *kv_insert, *kv_update, *kv_delete,
        *log_insert, *log_trim, *log_ts, *log_last, *meta_set;
    _Atomic int64_t rev;          /* written under the commit lock after the commit */
    _Atomic int64_t compacted;    /* likewise */
    int64_t last_ts;              /* ms; log timestamps never go backwards */
    struct store_watch *watchers; /* live (linked) watches */
    struct store_watch *replays;  /* watches still replaying: their last_rev pins compaction */
    bool sweep;                   /* a cancelled watch is still linked */

    pthread_mutex_t rmu;
    struct reader *idle;
    int nidle;

    pthread_mutex_t cmu;
    pthread_cond_t ccv;
    bool stop;
    _Atomic bool kick; /* the history is over history_max_events */
    pthread_t compactor;
};

static __thread struct sq *tls_holder;

static struct sq *sq(struct store *s)
{
    return (struct sq *)s;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- SQLite plumbing --- */

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        log_error("store", "prepare '%s': %s", sql, sqlite3_errmsg(db));
        return -EIO;
    }
    return 0;
}

/* Run a statement that returns no rows; SQLITE_DONE becomes SQLITE_OK. */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("store", "%s: %s", sql, err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return -EIO;
    }
    return 0;
}

static int open_conn(const char *path, bool create, sqlite3 **out)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        log_error("store", "open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -EIO;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    *out = db;
    return 0;
}

/* Blob columns read back NULL when empty; a value that exists is never NULL for our callers. */
static const char *col_blob(sqlite3_stmt *st, int i, size_t *len)
{
    const char *p = sqlite3_column_blob(st, i);
    *len = (size_t)sqlite3_column_bytes(st, i);
    return p ? p : "";
}

static int bind_value(sqlite3_stmt *st, int i, const void *value, size_t len)
{
    return sqlite3_bind_blob64(st, i, value ? value : "", len, SQLITE_STATIC);
}

/* --- Readers --- */

#define READER_STMTS(r)                                                                            \
    {                                                                                              \
        &(r)->get, &(r)->list_range, &(r)->list_all, &(r)->rev, &(r)->begin, &(r)->end,            \
            &(r)->replay                                                                           \
    }

static void reader_free(struct reader *r)
{
    sqlite3_stmt **sts[] = READER_STMTS(r);
    for (size_t i = 0; i < ARRAY_SIZE(sts); i++)
        sqlite3_finalize(*sts[i]);
    sqlite3_close(r->db);
    free(r);
}

static int reader_open(struct sq *s, struct reader **out)
{
    struct reader *r = xcalloc(1, sizeof(*r));
    int rc = open_conn(s->path, false, &r->db);

    if (!rc)
        rc = exec_sql(r->db, "PRAGMA query_only=1");
    if (!rc)
        rc = prep(r->db, "SELECT value, create_rev, mod_rev FROM kv WHERE key = ?1", &r->get);
    if (!rc)
        rc = prep(r->db,
                  "SELECT key, value, create_rev, mod_rev FROM kv"
                  " WHERE key >= ?1 AND key < ?2 ORDER BY key",
                  &r->list_range);
    if (!rc)
        rc = prep(r->db,
                  "SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ?1 ORDER BY key",
                  &r->list_all);
    if (!rc)
        rc = prep(r->db,
                  "SELECT max(coalesce((SELECT max(rev) FROM log), 0),"
                  " (SELECT value FROM meta WHERE name = 'compacted_rev'))",
                  &r->rev);
    if (!rc)
        rc = prep(r->db, "BEGIN", &r->begin);
    if (!rc)
        rc = prep(r->db, "COMMIT", &r->end);
    if (!rc)
        rc = prep(r->db,
                  "SELECT rev, key, type, value, prev_value, create_rev, prev_mod_rev FROM log"
                  " WHERE rev > ?1 ORDER BY rev LIMIT ?2",
                  &r->replay);
    if (rc) {
        reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static int reader_get(struct sq *s, struct reader **out)
{
    pthread_mutex_lock(&s->rmu);
    struct reader *r = s->idle;
    if (r) {
        s->idle = r->next;
        s->nidle--;
    }
    pthread_mutex_unlock(&s->rmu);
    if (r) {
        *out = r;
        return 0;
    }
    return reader_open(s, out);
}

static void reader_put(struct sq *s, struct reader *r)
{
    pthread_mutex_lock(&s->rmu);
    if (s->nidle < MAX_IDLE_READERS) {
        r->next = s->idle;
        s->idle = r;
        s->nidle++;
        r = NULL;
    }
    pthread_mutex_unlock(&s->rmu);
    if (r)
        reader_free(r);
}

/* --- The commit lock and the watch lists --- */

static void ticket_wait(struct sq *s)
{
    uint64_t t = s->next_ticket++;
    while (t != s->serving)
        pthread_cond_wait(&s->tcv, &s->tmu);
}

static void ticket_done(struct sq *s)
{
    s->serving++;
    pthread_cond_broadcast(&s->tcv);
}

/* Returns the previous holder, to hand back to commit_unlock (stores can nest through
 * callbacks). */
static struct sq *commit_lock(struct sq *s)
{
    struct sq *prev = tls_holder;
    pthread_mutex_lock(&s->tmu);
    ticket_wait(s);
    pthread_mutex_unlock(&s->tmu);
    tls_holder = s;
    return prev;
}

static void list_add(struct store_watch **head, struct store_watch *w)
{
    w->prev = NULL;
    w->next = *head;
    if (*head)
        (*head)->prev = w;
    *head = w;
}

static void list_del(struct store_watch **head, struct store_watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        *head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

static void commit_unlock(struct sq *s, struct sq *prev)
{
    /* Cancels from inside callbacks only flag their watch (a list walk may be under way up the
     * stack); this is the first point where nobody is walking the list. */
    if (s->sweep) {
        struct store_watch *w = s->watchers, *next;
        for (; w; w = next) {
            next = w->next;
            if (w->cancelled) {
                list_del(&s->watchers, w);
                store__watch_free(w);
            }
        }
        s->sweep = false;
    }
    tls_holder = prev;
    pthread_mutex_lock(&s->tmu);
    ticket_done(s);
    pthread_mutex_unlock(&s->tmu);
}

/* Holding the commit lock: give it up until a replay's pin moves, then take it again. */
static void commit_wait_pins(struct sq *s)
{
    pthread_mutex_lock(&s->tmu);
    uint64_t gen = s->pin_gen;
    ticket_done(s);
    while (gen == s->pin_gen)
        pthread_cond_wait(&s->pin_cv, &s->tmu);
    ticket_wait(s);
    pthread_mutex_unlock(&s->tmu);
}

static void pins_moved(struct sq *s)
{
    pthread_mutex_lock(&s->tmu);
    s->pin_gen++;
    pthread_cond_broadcast(&s->pin_cv);
    pthread_mutex_unlock(&s->tmu);
}

/* The oldest revision a replay in progress still has to read past. Under the commit lock. */
static int64_t min_pin(struct sq *s)
{
    int64_t pin = INT64_MAX;
    for (struct store_watch *w = s->replays; w; w = w->next)
        if (w->last_rev < pin)
            pin = w->last_rev;
    return pin;
}

/* --- Writes --- */

static void req_event(const struct req *r, struct store_event *ev)
{
    const char *value = r->value ? r->value : "";

    memset(ev, 0, sizeof(*ev));
    ev->type = r->type;
    ev->rev = r->rev;
    ev->kv.key = ev->prev.key = r->key;
    ev->kv.create_rev = r->create_rev;
    ev->kv.mod_rev = r->rev;
    if (r->type == STORE_EV_DELETE) {
        ev->kv.value = r->old;
        ev->kv.value_len = r->old_len;
    } else {
        ev->kv.value = value;
        ev->kv.value_len = r->len;
    }
    if (r->type != STORE_EV_CREATE) {
        ev->prev.value = r->old;
        ev->prev.value_len = r->old_len;
        ev->prev.create_rev = r->create_rev;
        ev->prev.mod_rev = r->prev_mod_rev;
    }
}

/* Run one write inside the open transaction, as revision rev. Returns 0, the write's own
 * failure (-ENOENT, -EEXIST, -ESTALE: nothing was changed), or -EIO, which fails the batch. */
static int exec_req(struct sq *s, struct req *r, int64_t rev, int64_t ts)
{
    int rc;

    if (r->type == STORE_EV_CREATE) {
        /* No read first: the primary key tells us whether the key exists. */
        sqlite3_bind_text(s->kv_insert, 1, r->key, -1, SQLITE_STATIC);
        bind_value(s->kv_insert, 2, r->value, r->len);
        sqlite3_bind_int64(s->kv_insert, 3, rev);
        rc = step_done(s->kv_insert);
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return -EEXIST;
        if (rc != SQLITE_OK)
            goto io;
        r->create_rev = rev;
        r->prev_mod_rev = 0;
    } else {
        /* The old row is needed anyway: for the compare, and for the event's prev. */
        sqlite3_stmt *st = s->kv_get;
        sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(st);
            if (rc == SQLITE_DONE)
                return -ENOENT;
            goto io;
        }
        r->create_rev = sqlite3_column_int64(st, 1);
        r->prev_mod_rev = sqlite3_column_int64(st, 2);
        if (r->expect && r->expect != r->prev_mod_rev) {
            sqlite3_reset(st);
            return -ESTALE;
        }
        const char *old = col_blob(st, 0, &r->old_len);
        r->old = xmalloc(r->old_len + 1);
        memcpy(r->old, old, r->old_len);
        ((char *)r->old)[r->old_len] = '\0';
        sqlite3_reset(st);

        if (r->type == STORE_EV_UPDATE) {
            bind_value(s->kv_update, 1, r->value, r->len);
            sqlite3_bind_int64(s->kv_update, 2, rev);
            sqlite3_bind_text(s->kv_update, 3, r->key, -1, SQLITE_STATIC);
            rc = step_done(s->kv_update);
        } else {
            sqlite3_bind_text(s->kv_delete, 1, r->key, -1, SQLITE_STATIC);
            rc = step_done(s->kv_delete);
        }
        if (rc != SQLITE_OK)
            goto io;
    }

    sqlite3_stmt *li = s->log_insert;
    sqlite3_bind_int64(li, 1, rev);
    sqlite3_bind_text(li, 2, r->key, -1, SQLITE_STATIC);
    sqlite3_bind_int(li, 3, (int)r->type);
    if (r->type == STORE_EV_DELETE) {
        bind_value(li, 4, r->old, r->old_len);
        sqlite3_bind_null(li, 5);
    } else {
        bind_value(li, 4, r->value, r->len);
        if (r->type == STORE_EV_UPDATE)
            bind_value(li, 5, r->old, r->old_len);
        else
            sqlite3_bind_null(li, 5);
    }
    sqlite3_bind_int64(li, 6, r->create_rev);
    sqlite3_bind_int64(li, 7, r->prev_mod_rev);
    sqlite3_bind_int64(li, 8, ts);
    rc = step_done(li);
    if (rc != SQLITE_OK)
        goto io;
    return 0;
io:
    log_error("store", "write %s: %s", r->key, sqlite3_errstr(rc));
    return -EIO;
}

/* The revision the database is at, from the writer connection. */
static int load_rev(struct sq *s, int64_t *rev, int64_t *ts)
{
    int rc = sqlite3_step(s->log_last);
    if (rc == SQLITE_ROW) {
        *rev = sqlite3_column_int64(s->log_last, 0);
        *ts = sqlite3_column_int64(s->log_last, 1);
    } else {
        *rev = 0;
        *ts = 0;
    }
    sqlite3_reset(s->log_last);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -EIO;
    if (*rev < atomic_load(&s->compacted))
        *rev = atomic_load(&s->compacted);
    return 0;
}

static void deliver(struct sq *s, struct store_event *ev)
{
    for (struct store_watch *w = s->watchers; w; w = w->next)
        store__watch_deliver(w, ev);
}

/* Run a batch as one transaction and deliver its events. Under the commit lock. */
static void run_batch(struct sq *s, struct req **batch, int n)
{
    int64_t first = atomic_load(&s->rev), rev = first;
    int64_t ts = now_ms();
    int rc;

    if (ts < s->last_ts)
        ts = s->last_ts;
    rc = step_done(s->begin);
    if (rc != SQLITE_OK) {
        log_error("store", "begin: %s", sqlite3_errstr(rc));
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        struct req *r = batch[i];
        r->rc = exec_req(s, r, rev + 1, ts);
        if (r->rc == -EIO)
            goto fail;
        if (!r->rc)
            r->rev = ++rev;
    }
    if (rev == first) {
        /* Nothing to write: do not pay for a commit. */
        step_done(s->rollback);
        return;
    }
    rc = step_done(s->commit);
    if (rc != SQLITE_OK) {
        log_error("store", "commit: %s", sqlite3_errstr(rc));
        goto fail;
    }
    s->last_ts = ts;
    atomic_store(&s->rev, rev);

    if (s->watchers) {
        struct store_event ev;
        for (int i = 0; i < n; i++) {
            if (batch[i]->rc)
                continue;
            req_event(batch[i], &ev);
            deliver(s, &ev);
        }
    }
    if (rev - atomic_load(&s->compacted) > s->opt.history_max_events &&
        !atomic_exchange(&s->kick, true)) {
        pthread_mutex_lock(&s->cmu);
        pthread_cond_signal(&s->ccv);
        pthread_mutex_unlock(&s->cmu);
    }
    return;

fail:
    if (!sqlite3_get_autocommit(s->db))
        step_done(s->rollback);
    for (int i = 0; i < n; i++) {
        batch[i]->rc = -EIO;
        batch[i]->rev = 0;
    }
    /* A failed COMMIT can still have reached the disk (fsync failing after the write); take
     * the revision from the database so the next write does not reuse one. */
    int64_t drev, dts;
    if (!load_rev(s, &drev, &dts) && drev > first) {
        atomic_store(&s->rev, drev);
        s->last_ts = dts > s->last_ts ? dts : s->last_ts;
    }
}

/* Queue a write and wait until a leader (possibly this thread) has committed it. */
static int sq_write(struct sq *s, struct req *r)
{
    struct req *batch[MAX_BATCH];
    int n = 0;

    /* A watch callback runs under the commit lock, which the write would wait for. */
    if (tls_holder == s)
        return -EDEADLK;

    pthread_cond_init(&r->cv, NULL);
    pthread_mutex_lock(&s->qmu);
    if (s->qtail)
        s->qtail->next = r;
    else
        s->qhead = r;
    s->qtail = r;
    while (!r->done && s->qhead != r)
        pthread_cond_wait(&r->cv, &s->qmu);
    if (r->done) {
        pthread_mutex_unlock(&s->qmu);
        goto out;
    }
    for (struct req *q = r; q && n < MAX_BATCH; q = q->next)
        batch[n++] = q;
    pthread_mutex_unlock(&s->qmu);

    struct sq *prev = commit_lock(s);
    run_batch(s, batch, n);
    commit_unlock(s, prev);

    pthread_mutex_lock(&s->qmu);
    s->qhead = batch[n - 1]->next;
    if (!s->qhead)
        s->qtail = NULL;
    for (int i = 1; i < n; i++) {
        batch[i]->done = true;
        pthread_cond_signal(&batch[i]->cv);
    }
    if (s->qhead)
        pthread_cond_signal(&s->qhead->cv);
    pthread_mutex_unlock(&s->qmu);
out:
    pthread_cond_destroy(&r->cv);
    free(r->old);
    return r->rc;
}

static int sq_create(struct store *base, const char *key, const void *value, size_t len,
                     int64_t *rev_out)
{
    struct req r = {.type = STORE_EV_CREATE, .key = key, .value = value, .len = len};
    int rc = sq_write(sq(base), &r);
    if (!rc && rev_out)
        *rev_out = r.rev;
    return rc;
}

static int sq_update(struct store *base, const char *key, const void *value, size_t len,
                     int64_t expect_rev, int64_t *rev_out)
{
    struct req r = {
        .type = STORE_EV_UPDATE, .key = key, .value = value, .len = len, .expect = expect_rev};
    int rc = sq_write(sq(base), &r);
    if (!rc && rev_out)
        *rev_out = r.rev;
    return rc;
}

static int sq_delete(struct store *base, const char *key, int64_t expect_rev, int64_t *rev_out)
{
    struct req r = {.type = STORE_EV_DELETE, .key = key, .expect = expect_rev};
    int rc = sq_write(sq(base), &r);
    if (!rc && rev_out)
        *rev_out = r.rev;
    return rc;
}

/* --- Reads --- */

static int64_t sq_current_rev(struct store *base)
{
    return atomic_load(&sq(base)->rev);
}

static int64_t sq_compacted_rev(struct store *base)
{
    return atomic_load(&sq(base)->compacted);
}

static int sq_get(struct store *base, const char *key, store_kv_cb cb, void *ctx)
{
    struct sq *s = sq(base);
    struct reader *r;
    int rc = reader_get(s, &r);
    if (rc)
        return rc;

    sqlite3_stmt *st = r->get;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        struct store_kv kv = {.key = key};
        kv.value = col_blob(st, 0, &kv.value_len);
        kv.create_rev = sqlite3_column_int64(st, 1);
        kv.mod_rev = sqlite3_column_int64(st, 2);
        cb(ctx, &kv);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = -ENOENT;
    } else {
        log_error("store", "get %s: %s", key, sqlite3_errstr(rc));
        rc = -EIO;
    }
    sqlite3_reset(st);
    reader_put(s, r);
    return rc;
}

/* The smallest string greater than every string starting with prefix, or false if there is
 * none (empty prefix, or all 0xff bytes). */
static bool prefix_end(const char *prefix, char **end)
{
    size_t n = strlen(prefix);
    while (n && (unsigned char)prefix[n - 1] == 0xff)
        n--;
    if (!n)
        return false;
    *end = xstrndup(prefix, n);
    (*end)[n - 1] = (char)((unsigned char)(*end)[n - 1] + 1);
    return true;
}

static int sq_list(struct store *base, const char *prefix, store_kv_cb cb, void *ctx,
                   int64_t *rev_out)
{
    struct sq *s = sq(base);
    struct reader *r;
    char *end = NULL;
    sqlite3_stmt *st;
    int rc = reader_get(s, &r);
    if (rc)
        return rc;

    /* One read transaction, so the revision and the rows are the same snapshot. */
    rc = step_done(r->begin);
    if (rc != SQLITE_OK)
        goto io;
    rc = sqlite3_step(r->rev);
    int64_t rev = sqlite3_column_int64(r->rev, 0);
    sqlite3_reset(r->rev);
    if (rc != SQLITE_ROW)
        goto io_txn;

    if (prefix_end(prefix, &end)) {
        st = r->list_range;
        sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
    } else {
        st = r->list_all;
    }
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_kv kv;
        kv.key = (const char *)sqlite3_column_text(st, 0);
        kv.value = col_blob(st, 1, &kv.value_len);
        kv.create_rev = sqlite3_column_int64(st, 2);
        kv.mod_rev = sqlite3_column_int64(st, 3);
        cb(ctx, &kv);
    }
    sqlite3_reset(st);
    free(end);
    if (rc != SQLITE_DONE)
        goto io_txn;
    step_done(r->end);
    reader_put(s, r);
    if (rev_out)
        *rev_out = rev;
    return 0;

io_txn:
    step_done(r->end);
io:
    log_error("store", "list %s: %s", prefix, sqlite3_errstr(rc));
    reader_put(s, r);
    return -EIO;
}

/* --- Watches --- */

/* The event a log row records (columns as in the reader's replay statement). */
static void row_event(sqlite3_stmt *st, struct store_event *ev)
{
    int64_t rev = sqlite3_column_int64(st, 0);
    size_t len;
    const char *value = col_blob(st, 3, &len);

    memset(ev, 0, sizeof(*ev));
    ev->rev = rev;
    ev->type = (enum store_event_type)sqlite3_column_int(st, 2);
    ev->kv.key = ev->prev.key = (const char *)sqlite3_column_text(st, 1);
    ev->kv.value = value;
    ev->kv.value_len = len;
    ev->kv.create_rev = sqlite3_column_int64(st, 5);
    ev->kv.mod_rev = rev;
    if (ev->type == STORE_EV_CREATE)
        return;
    /* A DELETE row's value is the value before the delete: the log keeps it once. */
    if (ev->type == STORE_EV_UPDATE) {
        ev->prev.value = col_blob(st, 4, &ev->prev.value_len);
    } else {
        ev->prev.value = value;
        ev->prev.value_len = len;
    }
    ev->prev.create_rev = ev->kv.create_rev;
    ev->prev.mod_rev = sqlite3_column_int64(st, 6);
}

/* Replay up to limit (0: all) log rows after w->last_rev to w. Under the commit lock.
 * Returns the number of rows read, or -EIO. */
static int replay_chunk(struct sq *s, struct store_watch *w, int limit)
{
    struct reader *r;
    int rc = reader_get(s, &r), n = 0;
    if (rc)
        return rc;

    sqlite3_stmt *st = r->replay;
    sqlite3_bind_int64(st, 1, w->last_rev);
    sqlite3_bind_int(st, 2, limit ? limit : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event ev;
        row_event(st, &ev);
        n++;
        store__watch_deliver(w, &ev);
        if (w->cancelled)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        log_error("store", "watch replay: %s", sqlite3_errstr(rc));
        n = -EIO;
    }
    sqlite3_reset(st);
    reader_put(s, r);
    return n;
}

/* Replay the history after w->last_rev, then put w on the live list, with no event missed or
 * seen twice: the last stretch of the replay and the linking happen under the commit lock, so no
 * write commits in between. Earlier stretches let writers in between chunks, pinning the
 * history they still need against compaction. */
static int sq_watch(struct store *base, struct store_watch *w)
{
    struct sq *s = sq(base);
    bool nested = tls_holder == s;
    struct sq *prev = nested ? NULL : commit_lock(s);
    int rc = 0;

    if (w->last_rev < atomic_load(&s->compacted)) {
        rc = -ETIME;
        goto out;
    }
    w->replaying = true;
    list_add(&s->replays, w);
    for (;;) {
        /* Inside a callback the lock is held further up the stack: one go, no breaks. */
        int n = replay_chunk(s, w, nested ? 0 : REPLAY_CHUNK);
        if (n < 0) {
            rc = n;
            break;
        }
        if (w->cancelled || nested || n < REPLAY_CHUNK)
            break;
        pins_moved(s);
        commit_unlock(s, prev);
        prev = commit_lock(s);
    }
    list_del(&s->replays, w);
    w->replaying = false;
    pins_moved(s);
    if (!rc && !w->cancelled) {
        list_add(&s->watchers, w);
        w->linked = true;
    }
out:
    if (!nested)
        commit_unlock(s, prev);
    return rc;
}

/* Holding the commit lock means no callback is running (they all run under it). From inside a
 * callback we already hold it, and a list walk may be under way up the stack: flag the watch
 * and let commit_unlock free it. */
static void sq_watch_cancel(struct store *base, struct store_watch *w)
{
    struct sq *s = sq(base);
    bool nested = tls_holder == s;
    struct sq *prev = nested ? NULL : commit_lock(s);

    w->cancelled = true;
    if (w->linked) {
        if (nested) {
            s->sweep = true;
        } else {
            list_del(&s->watchers, w);
            store__watch_free(w);
        }
    }
    /* Still replaying: store_watch sees the flag and drops it. */
    if (!nested)
        commit_unlock(s, prev);
}

/* --- Compaction --- */

/* Drop the log up to and including upto, in one transaction. Under the commit lock. */
static int compact_chunk(struct sq *s, int64_t upto)
{
    int rc = step_done(s->begin);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s->log_trim, 1, upto);
        rc = step_done(s->log_trim);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s->meta_set, 1, upto);
        rc = step_done(s->meta_set);
    }
    if (rc == SQLITE_OK)
        rc = step_done(s->commit);
    if (rc != SQLITE_OK) {
        log_error("store", "compact to %lld: %s", (long long)upto, sqlite3_errstr(rc));
        if (!sqlite3_get_autocommit(s->db))
            step_done(s->rollback);
        return -EIO;
    }
    atomic_store(&s->compacted, upto);
    return 0;
}

/* Compact up to target, in chunks so writers get in between. A replay in progress pins the
 * history it still needs: a forced compaction waits for it, the automatic one stops short. */
static int compact_to(struct sq *s, int64_t target, bool force)
{
    bool nested = tls_holder == s;
    struct sq *prev = nested ? NULL : commit_lock(s);
    int rc = 0;

    for (;;) {
        int64_t comp = atomic_load(&s->compacted), pin = min_pin(s);
        if (target > pin) {
            if (!force) {
                target = pin;
            } else if (nested) {
                rc = -EDEADLK;
                break;
            } else {
                commit_wait_pins(s);
                continue;
            }
        }
        if (target <= comp)
            break;
        rc = compact_chunk(s, target < comp + COMPACT_CHUNK ? target : comp + COMPACT_CHUNK);
        if (rc)
            break;
        if (!nested) {
            commit_unlock(s, prev);
            prev = commit_lock(s);
        }
    }
    if (!nested)
        commit_unlock(s, prev);
    return rc;
}

static int sq_compact(struct store *base, int64_t rev)
{
    struct sq *s = sq(base);
    if (rev > atomic_load(&s->rev))
        return -EINVAL;
    return compact_to(s, rev, true);
}

/* The timestamp of the log row at rev, or INT64_MAX if it cannot be read (treated as young,
 * so a read error never compacts too much). Under the commit lock. */
static int64_t log_ts(struct sq *s, int64_t rev)
{
    int64_t ts = INT64_MAX;
    sqlite3_bind_int64(s->log_ts, 1, rev);
    if (sqlite3_step(s->log_ts) == SQLITE_ROW)
        ts = sqlite3_column_int64(s->log_ts, 0);
    sqlite3_reset(s->log_ts);
    return ts;
}

/* Where the automatic compaction may go now: never past current - history_min_events; past
 * events older than history_seconds; and, once the history is over history_max_events, down
 * to a tenth below it, so that a full history is trimmed every max/10 writes rather than on
 * every write. */
static int64_t auto_target(struct sq *s)
{
    int64_t cur = atomic_load(&s->rev), comp = atomic_load(&s->compacted);
    int64_t floor = cur - s->opt.history_min_events;
    int64_t max = s->opt.history_max_events;
    int64_t cutoff = now_ms() - (int64_t)s->opt.history_seconds * 1000;
    int64_t lo = comp, hi = floor, target;

    if (floor <= comp)
        return comp;
    /* Log timestamps never decrease with rev: binary search for the last old one. */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (log_ts(s, mid) < cutoff)
            lo = mid;
        else
            hi = mid - 1;
    }
    target = lo;
    if (cur - comp > max) {
        int64_t size = cur - (max - max / 10);
        if (size > floor)
            size = floor;
        if (size > target)
            target = size;
    }
    return target;
}

static void *compactor_main(void *arg)
{
    struct sq *s = arg;
    int period =
        s->opt.history_seconds < COMPACT_PERIOD_MAX ? s->opt.history_seconds : COMPACT_PERIOD_MAX;
    struct timespec deadline;

    pthread_mutex_lock(&s->cmu);
    while (!s->stop) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += period;
        while (!s->stop && !atomic_load(&s->kick))
            if (pthread_cond_timedwait(&s->ccv, &s->cmu, &deadline) == ETIMEDOUT)
                break;
        if (s->stop)
            break;
        atomic_store(&s->kick, false);
        pthread_mutex_unlock(&s->cmu);

        struct sq *prev = commit_lock(s);
        int64_t target = auto_target(s);
        commit_unlock(s, prev);
        if (target > atomic_load(&s->compacted))
            compact_to(s, target, false);

        pthread_mutex_lock(&s->cmu);
    }
    pthread_mutex_unlock(&s->cmu);
    return NULL;
}

/* --- Open and close --- */

#define WRITER_STMTS(s)                                                                            \
    {                                                                                              \
        &(s)->begin, &(s)->commit, &(s)->rollback, &(s)->kv_get, &(s)->kv_insert, &(s)->kv_update, \
            &(s)->kv_delete, &(s)->log_insert, &(s)->log_trim, &(s)->log_ts, &(s)->log_last,       \
            &(s)->meta_set                                                                         \
    }

static const char schema_sql[] =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS kv ("
    " key TEXT PRIMARY KEY, value BLOB NOT NULL,"
    " create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS log ("
    " rev INTEGER PRIMARY KEY, key TEXT NOT NULL, type INTEGER NOT NULL,"
    " value BLOB NOT NULL, prev_value BLOB,"
    " create_rev INTEGER NOT NULL, prev_mod_rev INTEGER NOT NULL, ts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta ("
    " name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO meta VALUES ('schema', 1), ('compacted_rev', 0);"
    "COMMIT;";

static int prepare_writer(struct sq *s)
{
    static const struct {
        size_t off;
        const char *sql;
    } stmts[] = {
        {offsetof(struct sq, begin), "BEGIN IMMEDIATE"},
        {offsetof(struct sq, commit), "COMMIT"},
        {offsetof(struct sq, rollback), "ROLLBACK"},
        {offsetof(struct sq, kv_get), "SELECT value, create_rev, mod_rev FROM kv WHERE key = ?1"},
        {offsetof(struct sq, kv_insert), "INSERT INTO kv VALUES (?1, ?2, ?3, ?3)"},
        {offsetof(struct sq, kv_update), "UPDATE kv SET value = ?1, mod_rev = ?2 WHERE key = ?3"},
        {offsetof(struct sq, kv_delete), "DELETE FROM kv WHERE key = ?1"},
        {offsetof(struct sq, log_insert),
         "INSERT INTO log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
        {offsetof(struct sq, log_trim), "DELETE FROM log WHERE rev <= ?1"},
        {offsetof(struct sq, log_ts), "SELECT ts FROM log WHERE rev = ?1"},
        {offsetof(struct sq, log_last), "SELECT rev, ts FROM log ORDER BY rev DESC LIMIT 1"},
        {offsetof(struct sq, meta_set), "UPDATE meta SET value = ?1 WHERE name = 'compacted_rev'"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(stmts); i++)
        if (prep(s->db, stmts[i].sql, (sqlite3_stmt **)((char *)s + stmts[i].off)))
            return -EIO;
    return 0;
}

static int64_t meta_get(sqlite3 *db, const char *name, int64_t dflt)
{
    sqlite3_stmt *st;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = ?1", -1, &st, NULL))
        return dflt;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A second writer on the same file (another process, or a second open here) would hand out
 * the same revisions and its writes would never reach our watchers: hold a lock for as long
 * as the store is open. A lock file rather than the database itself: closing any descriptor
 * of the database would drop SQLite's own POSIX locks on it. The kernel releases the lock
 * when a process dies, so kill -9 leaves nothing to clean up. */
static int lock_db(struct sq *s)
{
    char *lock = xasprintf("%s-lock", s->path);
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        log_error("store", "open %s: %s", lock, strerror(errno));
        free(lock);
        return -EIO;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
        log_error("store", "%s: %s", s->path,
                  errno == EWOULDBLOCK ? "in use by another store" : strerror(errno));
        free(lock);
        return -EIO;
    }
    free(lock);
    return 0;
}

/* The database holds Secrets: create it 0600 before SQLite does (0644); its -wal and -shm
 * files take the database file's mode. */
static int create_private(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("store", "open %s: %s", path, strerror(errno));
        return -EIO;
    }
    close(fd);
    return 0;
}

/* A new database file must survive power loss as a directory entry too. SQLite syncs the
 * directory when it creates a WAL, but not for the database file, which we create. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static void sq_free(struct sq *s)
{
    sqlite3_stmt **sts[] = WRITER_STMTS(s);
    struct reader *r, *next;

    for (r = s->idle; r; r = next) {
        next = r->next;
        reader_free(r);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sts); i++)
        sqlite3_finalize(*sts[i]);
    if (s->db && sqlite3_close(s->db) != SQLITE_OK)
        log_error("store", "close %s: %s", s->path, sqlite3_errmsg(s->db));
    pthread_mutex_destroy(&s->qmu);
    pthread_mutex_destroy(&s->tmu);
    pthread_cond_destroy(&s->tcv);
    pthread_mutex_destroy(&s->rmu);
    pthread_mutex_destroy(&s->cmu);
    pthread_cond_destroy(&s->pin_cv);
    pthread_cond_destroy(&s->ccv);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->path);
    free(s);
}

static void sq_close(struct store *base)
{
    struct sq *s = sq(base);
    struct store_watch *w, *next;

    pthread_mutex_lock(&s->cmu);
    s->stop = true;
    pthread_cond_signal(&s->ccv);
    pthread_mutex_unlock(&s->cmu);
    pthread_join(s->compactor, NULL);

    struct sq *prev = commit_lock(s);
    for (w = s->watchers; w; w = next) {
        next = w->next;
        store__watch_free(w);
    }
    s->watchers = NULL;
    s->sweep = false;
    commit_unlock(s, prev);
    sq_free(s);
}

static const struct store__ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .current_rev = sq_current_rev,
    .compacted_rev = sq_compacted_rev,
    .get = sq_get,
    .list = sq_list,
    .create = sq_create,
    .update = sq_update,
    .del = sq_delete,
    .watch = sq_watch,
    .watch_cancel = sq_watch_cancel,
    .compact = sq_compact,
};

int store__sqlite_open(const char *path, const struct store_options *opt, struct store **out)
{
    struct sq *s = xcalloc(1, sizeof(*s));
    pthread_condattr_t ca;
    int64_t rev, ts;
    int rc;

    s->base.ops = &sqlite_ops;
    s->path = xstrdup(path);
    s->opt = *opt;
    s->lock_fd = -1;
    pthread_mutex_init(&s->qmu, NULL);
    pthread_mutex_init(&s->tmu, NULL);
    pthread_cond_init(&s->tcv, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    pthread_mutex_init(&s->cmu, NULL);
    pthread_cond_init(&s->pin_cv, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->ccv, &ca);
    pthread_condattr_destroy(&ca);

    rc = lock_db(s);
    if (!rc)
        rc = create_private(path);
    if (!rc)
        rc = open_conn(path, true, &s->db);
    if (rc)
        goto out_free;
    /* journal_mode answers with the mode it ended up in: a file system without shared memory
     * support would silently stay in rollback mode. */
    sqlite3_stmt *st;
    rc = -EIO;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW &&
            !strcmp((const char *)sqlite3_column_text(st, 0), "wal"))
            rc = 0;
        sqlite3_finalize(st);
    }
    if (rc) {
        log_error("store", "%s: cannot use WAL mode: %s", path, sqlite3_errmsg(s->db));
        goto out_free;
    }
    rc = exec_sql(s->db, "PRAGMA synchronous=FULL");
    if (!rc)
        rc = exec_sql(s->db, schema_sql);
    if (rc)
        goto out_free;
    if (meta_get(s->db, "schema", 0) != SCHEMA_VERSION) {
        log_error("store", "%s: unknown schema version %lld", path,
                  (long long)meta_get(s->db, "schema", 0));
        rc = -EIO;
        goto out_free;
    }
    rc = prepare_writer(s);
    if (rc)
        goto out_free;
    atomic_store(&s->compacted, meta_get(s->db, "compacted_rev", 0));
    rc = load_rev(s, &rev, &ts);
    if (rc)
        goto out_free;
    atomic_store(&s->rev, rev);
    s->last_ts = ts;
    sync_dir(path);

    if (pthread_create(&s->compactor, NULL, compactor_main, s)) {
        log_error("store", "cannot start the compactor thread");
        rc = -EIO;
        goto out_free;
    }
    *out = &s->base;
    return 0;

out_free:
    sq_free(s);
    return rc;
}
