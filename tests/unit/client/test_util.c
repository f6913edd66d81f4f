/* The client layer's containers (string map, AVL tree) and the HTTP status -> errno map. */
#include "test.h"

#include <errno.h>

#include "base/alloc.h"
#include "client/internal.h"

static void test_smap(void **state)
{
    struct smap m = SMAP_INIT;
    char key[32];
    bool existed;

    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "ns/pod-%d", i);
        void **v = smap__put(&m, key, &existed);
        assert_false(existed);
        *v = (void *)(intptr_t)(i + 1);
    }
    assert_int_equal(m.n, 5000);
    /* delete the even ones, churn to exercise tombstones */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i += 2) {
            snprintf(key, sizeof(key), "ns/pod-%d", i);
            void *v;
            assert_true(smap__del(&m, key, &v));
            assert_int_equal((intptr_t)v, i + 1);
            assert_false(smap__del(&m, key, NULL));
        }
        for (int i = 0; i < 5000; i += 2) {
            snprintf(key, sizeof(key), "ns/pod-%d", i);
            *smap__put(&m, key, &existed) = (void *)(intptr_t)(i + 1);
            assert_false(existed);
        }
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "ns/pod-%d", i);
        void **v = smap__get(&m, key);
        assert_non_null(v);
        assert_int_equal((intptr_t)*v, i + 1);
        smap__put(&m, key, &existed);
        assert_true(existed);
    }
    assert_null(smap__get(&m, "nope"));
    size_t it = 0, count = 0;
    const char *k;
    void *val;
    while (smap__next(&m, &it, &k, &val))
        count++;
    assert_int_equal(count, 5000);
    smap__release(&m, NULL);
    assert_int_equal(m.n, 0);
}

struct item {
    struct avl_node node;
    int v;
};

static int cmp_items(const struct avl_node *a, const struct avl_node *b)
{
    int x = avl_entry(a, struct item, node)->v, y = avl_entry(b, struct item, node)->v;
    return x < y ? -1 : x > y;
}

static int cmp_key(const void *key, const struct avl_node *n)
{
    int x = *(const int *)key, y = avl_entry(n, struct item, node)->v;
    return x < y ? -1 : x > y;
}

/* Heights, balance, parent links and order; returns the height. */
static int check(const struct avl_node *n, const struct avl_node *parent)
{
    if (!n)
        return 0;
    assert_ptr_equal(n->parent, parent);
    int l = check(n->left, n), r = check(n->right, n);
    assert_true(l - r <= 1 && r - l <= 1);
    assert_int_equal(n->height, (l > r ? l : r) + 1);
    if (n->left)
        assert_true(cmp_items(n->left, n) < 0);
    if (n->right)
        assert_true(cmp_items(n->right, n) > 0);
    return n->height;
}

static void test_avl(void **state)
{
    enum { N = 2000 };
    struct avl_tree t;
    struct item *items = xcalloc(N, sizeof(*items));
    bool in[N] = {0};
    unsigned seed = 12345;

    avl__init(&t, cmp_items);
    for (int i = 0; i < N; i++)
        items[i].v = i * 2; /* even values: odd keys probe the gaps */
    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245 + 12345;
        int i = (int)((seed >> 8) % N);
        if (in[i]) {
            avl__remove(&t, &items[i].node);
            in[i] = false;
        } else {
            assert_null(avl__insert(&t, &items[i].node));
            in[i] = true;
        }
        if (step % 1000 == 0)
            check(t.root, NULL);
    }
    check(t.root, NULL);
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += in[i];
    assert_int_equal(t.n, n);
    /* in-order walk visits exactly the members, ascending */
    int prev = -1;
    size_t seen = 0;
    for (struct avl_node *x = avl__first(&t); x; x = avl__next(x)) {
        int v = avl_entry(x, struct item, node)->v;
        assert_true(v > prev);
        assert_true(in[v / 2]);
        prev = v;
        seen++;
    }
    assert_int_equal(seen, n);
    /* find, lower bound, duplicate insert */
    for (int k = -1; k < 2 * N + 1; k++) {
        struct avl_node *f = avl__find(&t, &k, cmp_key);
        if (k >= 0 && k % 2 == 0 && k / 2 < N && in[k / 2])
            assert_ptr_equal(f, &items[k / 2].node);
        else
            assert_null(f);
        struct avl_node *lb = avl__lower_bound(&t, &k, cmp_key);
        int want = -1;
        for (int j = k < 0 ? 0 : (k + 1) / 2; j < N; j++)
            if (in[j]) {
                want = j;
                break;
            }
        if (want < 0)
            assert_null(lb);
        else
            assert_ptr_equal(lb, &items[want].node);
    }
    for (int i = 0; i < N; i++) {
        if (in[i]) {
            struct item dup = {.v = items[i].v};
            assert_ptr_equal(avl__insert(&t, &dup.node), &items[i].node);
            break;
        }
    }
    free(items);
}

static void test_errno_map(void **state)
{
    assert_int_equal(kclient_errno(200, NULL), 0);
    assert_int_equal(kclient_errno(201, NULL), 0);
    assert_int_equal(kclient_errno(404, "NotFound"), -ENOENT);
    assert_int_equal(kclient_errno(409, "AlreadyExists"), -EEXIST);
    assert_int_equal(kclient_errno(409, "Conflict"), -ESTALE);
    assert_int_equal(kclient_errno(409, NULL), -ESTALE);
    assert_int_equal(kclient_errno(400, "BadRequest"), -EINVAL);
    assert_int_equal(kclient_errno(422, "Invalid"), -EINVAL);
    assert_int_equal(kclient_errno(401, "Unauthorized"), -EACCES);
    assert_int_equal(kclient_errno(403, "Forbidden"), -EACCES);
    assert_int_equal(kclient_errno(410, "Expired"), -ETIME);
    assert_int_equal(kclient_errno(413, NULL), -E2BIG);
    assert_int_equal(kclient_errno(429, NULL), -EAGAIN);
    assert_int_equal(kclient_errno(503, NULL), -EAGAIN);
    assert_int_equal(kclient_errno(504, NULL), -EAGAIN);
    assert_int_equal(kclient_errno(500, "InternalError"), -EIO);
    assert_int_equal(kclient_errno(0, NULL), -EIO);
    /* and back, for the fake's injected errors */
    const int errs[] = {-ENOENT, -EEXIST, -ESTALE, -EINVAL, -EACCES, -ETIME, -E2BIG, -EAGAIN};
    for (size_t i = 0; i < ARRAY_SIZE(errs); i++) {
        const char *reason;
        int code = kstatus__code_of(errs[i], &reason);
        assert_int_equal(kclient_errno(code, reason), errs[i]);
    }
    struct kstatus st;
    json_t *s = tj("{\"kind\":\"Status\",\"code\":409,\"reason\":\"AlreadyExists\","
                   "\"message\":\"pods \\\"a\\\" already exists\"}");
    kstatus__from_json(&st, 409, s);
    assert_int_equal(st.code, 409);
    assert_string_equal(st.reason, "AlreadyExists");
    assert_string_equal(st.message, "pods \"a\" already exists");
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smap),
        cmocka_unit_test(test_avl),
        cmocka_unit_test(test_errno_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
