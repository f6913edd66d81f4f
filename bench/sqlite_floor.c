/* sqlite_floor — the floor the store's write rate is judged against (DESIGN.md §7).
 *
 * Measures raw SQLite single-row inserts per second with the store's durability settings
 * (WAL journal, synchronous=FULL, one transaction per insert, a prepared statement, a
 * key-value table), then store_create of the same keys and values through the store, alone
 * and from several threads, in fresh databases under one temp dir. The machine is shared, so
 * the three are measured in alternating rounds and each figure is the median of its rounds.
 *
 *   build/bench/sqlite_floor [-n WRITES] [-r ROUNDS] [-t THREADS] [-s VALUE_BYTES] [-d DIR]
 *
 * Prints one "name value" line per figure:
 *   sqlite_floor_inserts_per_sec N
 *   sqlite_floor_cpu_us_per_insert U    CPU time (user + system) per raw insert
 *   store_creates_per_sec N
 *   store_ratio R                       store / floor, one writer each
 *   store_concurrent_threads T
 *   store_concurrent_creates_per_sec N  T writers at once (group commit)
 *   store_concurrent_ratio R
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/alloc.h"
#include "store/store.h"

static int nwrites = 2000;
static int nrounds = 3;
static int nthreads = 4;
static size_t value_size = 256;
static char *value;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void key_of(char *buf, size_t n, int i)
{
    snprintf(buf, n, "/registry/configmaps/bench/cm-%08d", i);
}

static void check(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite_floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Inserts per second; *cpu_us gets the CPU time per insert (the process has one thread here). */
static double floor_rate(const char *path, double *cpu_us)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char key[64];

    check(NULL, sqlite3_open(path, &db), "open");
    check(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), "wal");
    check(db, sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL), "synchronous");
    check(db,
          sqlite3_exec(db, "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID", NULL,
                       NULL, NULL),
          "create table");
    check(db, sqlite3_prepare_v2(db, "INSERT INTO kv VALUES (?1, ?2)", -1, &st, NULL), "prepare");

    double t0 = now_s(), c0 = cpu_now_s();
    for (int i = 0; i < nwrites; i++) {
        key_of(key, sizeof(key), i);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, value, (int)value_size, SQLITE_STATIC);
        check(db, sqlite3_step(st), "insert"); /* autocommit: one transaction per insert */
        sqlite3_reset(st);
    }
    double dt = now_s() - t0;
    *cpu_us = (cpu_now_s() - c0) / nwrites * 1e6;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return nwrites / dt;
}

struct worker {
    struct store *s;
    int from, to;
};

static void *create_range(void *arg)
{
    struct worker *w = arg;
    char key[64];
    for (int i = w->from; i < w->to; i++) {
        key_of(key, sizeof(key), i);
        int rc = store_create(w->s, key, value, value_size, NULL);
        if (rc) {
            fprintf(stderr, "sqlite_floor: store_create: %s\n", strerror(-rc));
            exit(1);
        }
    }
    return NULL;
}

static double store_rate(const char *path, int threads)
{
    struct store *s;
    pthread_t tid[64];
    struct worker w[64];
    int rc = store_open(path, NULL, &s);
    if (rc) {
        fprintf(stderr, "sqlite_floor: store_open %s: %s\n", path, strerror(-rc));
        exit(1);
    }
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){s, nwrites * i / threads, nwrites * (i + 1) / threads};
        pthread_create(&tid[i], NULL, create_range, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double dt = now_s() - t0;
    store_close(s);
    return nwrites / dt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void rm_db(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
        char *file = xasprintf("%s%s", path, suffix[i]);
        unlink(file);
        free(file);
    }
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/berth-bench-XXXXXX";
    const char *dir = NULL;
    char path[3][4200];
    int opt;

    while ((opt = getopt(argc, argv, "n:r:t:s:d:")) != -1) {
        switch (opt) {
        case 'n':
            nwrites = atoi(optarg);
            break;
        case 'r':
            nrounds = atoi(optarg);
            break;
        case 't':
            nthreads = atoi(optarg);
            break;
        case 's':
            value_size = (size_t)atol(optarg);
            break;
        case 'd':
            dir = optarg;
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-n WRITES] [-r ROUNDS] [-t THREADS] [-s VALUE_BYTES] [-d DIR]\n",
                    argv[0]);
            return 2;
        }
    }
    if (nwrites < 1 || nrounds < 1 || nrounds > 100 || nthreads < 1 || nthreads > 64) {
        fprintf(stderr, "sqlite_floor: -n >= 1, -r between 1 and 100, -t between 1 and 64\n");
        return 2;
    }
    if (!dir && !(dir = mkdtemp(tmpl))) {
        perror("sqlite_floor: mkdtemp");
        return 1;
    }
    value = xmalloc(value_size + 1);
    memset(value, 'x', value_size);

    snprintf(path[0], sizeof(path[0]), "%s/floor.db", dir);
    snprintf(path[1], sizeof(path[1]), "%s/store.db", dir);
    snprintf(path[2], sizeof(path[2]), "%s/store-concurrent.db", dir);
    double rf[100], cf[100], r1[100], rn[100];
    for (int r = 0; r < nrounds; r++) {
        for (int i = 0; i < 3; i++)
            rm_db(path[i]);
        rf[r] = floor_rate(path[0], &cf[r]);
        r1[r] = store_rate(path[1], 1);
        rn[r] = store_rate(path[2], nthreads);
    }
    double floor = median(rf, nrounds), one = median(r1, nrounds), many = median(rn, nrounds);

    printf("sqlite_floor_inserts_per_sec %.0f\n", floor);
    printf("sqlite_floor_cpu_us_per_insert %.1f\n", median(cf, nrounds));
    printf("store_creates_per_sec %.0f\n", one);
    printf("store_ratio %.2f\n", one / floor);
    printf("store_concurrent_threads %d\n", nthreads);
    printf("store_concurrent_creates_per_sec %.0f\n", many);
    printf("store_concurrent_ratio %.2f\n", many / floor);

    for (int i = 0; i < 3; i++)
        rm_db(path[i]);
    if (dir == tmpl)
        rmdir(dir);
    free(value);
    return 0;
}
