/* avl.c — an intrusive AVL tree with parent links, so that caches can keep objects ordered
 * (listers answer "by namespace, then name") and apply each watch event in O(log n). */
#include <stdlib.h>

#include "base/alloc.h"
#include "client/internal.h"

static int height(const struct avl_node *n)
{
    return n ? n->height : 0;
}

static void fix_height(struct avl_node *n)
{
    int l = height(n->left), r = height(n->right);
    n->height = (l > r ? l : r) + 1;
}

/* Point whatever referred to `old` (its parent or the root) at `new`. */
static void replace_child(struct avl_tree *t, struct avl_node *parent, struct avl_node *old,
                          struct avl_node *new)
{
    if (!parent)
        t->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
    if (new)
        new->parent = parent;
}

static struct avl_node *rotate_left(struct avl_tree *t, struct avl_node *x)
{
    struct avl_node *y = x->right;
    replace_child(t, x->parent, x, y);
    x->right = y->left;
    if (x->right)
        x->right->parent = x;
    y->left = x;
    x->parent = y;
    fix_height(x);
    fix_height(y);
    return y;
}

static struct avl_node *rotate_right(struct avl_tree *t, struct avl_node *x)
{
    struct avl_node *y = x->left;
    replace_child(t, x->parent, x, y);
    x->left = y->right;
    if (x->left)
        x->left->parent = x;
    y->right = x;
    x->parent = y;
    fix_height(x);
    fix_height(y);
    return y;
}

/* Walk from n to the root restoring heights and balance. */
static void rebalance(struct avl_tree *t, struct avl_node *n)
{
    while (n) {
        fix_height(n);
        int bal = height(n->left) - height(n->right);
        if (bal > 1) {
            if (height(n->left->left) < height(n->left->right))
                rotate_left(t, n->left);
            n = rotate_right(t, n);
        } else if (bal < -1) {
            if (height(n->right->right) < height(n->right->left))
                rotate_right(t, n->right);
            n = rotate_left(t, n);
        }
        n = n->parent;
    }
}

void avl__init(struct avl_tree *t, avl_cmp_fn cmp)
{
    t->root = NULL;
    t->n = 0;
    t->cmp = cmp;
}

struct avl_node *avl__insert(struct avl_tree *t, struct avl_node *n)
{
    struct avl_node *parent = NULL, **link = &t->root;
    while (*link) {
        parent = *link;
        int c = t->cmp(n, parent);
        if (c == 0)
            return parent;
        link = c < 0 ? &parent->left : &parent->right;
    }
    n->left = n->right = NULL;
    n->parent = parent;
    n->height = 1;
    *link = n;
    t->n++;
    rebalance(t, parent);
    return NULL;
}

void avl__remove(struct avl_tree *t, struct avl_node *n)
{
    struct avl_node *fix;

    if (n->left && n->right) {
        /* Swap in the successor (leftmost of the right subtree), which has no left child. */
        struct avl_node *s = n->right;
        while (s->left)
            s = s->left;
        fix = s->parent == n ? s : s->parent;
        if (s->parent != n) {
            replace_child(t, s->parent, s, s->right);
            s->right = n->right;
            s->right->parent = s;
        }
        replace_child(t, n->parent, n, s);
        s->left = n->left;
        s->left->parent = s;
    } else {
        struct avl_node *child = n->left ? n->left : n->right;
        fix = n->parent;
        replace_child(t, n->parent, n, child);
    }
    t->n--;
    rebalance(t, fix);
}

struct avl_node *avl__find(const struct avl_tree *t, const void *key, avl_key_cmp_fn cmp)
{
    struct avl_node *n = t->root;
    while (n) {
        int c = cmp(key, n);
        if (c == 0)
            return n;
        n = c < 0 ? n->left : n->right;
    }
    return NULL;
}

struct avl_node *avl__lower_bound(const struct avl_tree *t, const void *key, avl_key_cmp_fn cmp)
{
    struct avl_node *n = t->root, *best = NULL;
    while (n) {
        if (cmp(key, n) <= 0) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

struct avl_node *avl__first(const struct avl_tree *t)
{
    struct avl_node *n = t->root;
    while (n && n->left)
        n = n->left;
    return n;
}

struct avl_node *avl__next(const struct avl_node *n)
{
    if (n->right) {
        n = n->right;
        while (n->left)
            n = n->left;
        return (struct avl_node *)n;
    }
    while (n->parent && n->parent->right == n)
        n = n->parent;
    return n->parent;
}
