#include <string.h>

#include "base/alloc.h"
#include "base/json.h"

/* Reject deep nesting with a linear pre-scan, so the recursive parser never sees it. */
static bool depth_ok(const char *buf, size_t len, int max_depth)
{
    int depth = 0;
    bool in_str = false;

    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return false;
        } else if (c == '}' || c == ']')
            depth--;
    }
    return true;
}

json_t *json_parse_bounded(const char *buf, size_t len, int max_depth, struct strbuf *err)
{
    json_error_t je;
    json_t *v;

    if (!depth_ok(buf, len, max_depth)) {
        strbuf_addf(err, "JSON nesting exceeds the maximum depth of %d", max_depth);
        return NULL;
    }
    v = json_loadb(buf, len, JSON_DECODE_ANY, &je);
    if (!v) {
        strbuf_addf(err, "invalid JSON at line %d, column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    return v;
}

char *json_dump_compact(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        abort();
    return s;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    strbuf_add(data, buffer, size);
    return 0;
}

void json_dump_to(struct strbuf *sb, const json_t *v)
{
    json_dump_callback(v, dump_cb, sb, JSON_COMPACT | JSON_ENCODE_ANY);
}

char *json_dump_canonical(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    if (!s)
        abort();
    return s;
}

json_t *jget(const json_t *obj, const char *key)
{
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

json_t *jget_obj(const json_t *obj, const char *key)
{
    json_t *v = jget(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *jget_arr(const json_t *obj, const char *key)
{
    json_t *v = jget(obj, key);
    return json_is_array(v) ? v : NULL;
}

const char *jget_str(const json_t *obj, const char *key)
{
    json_t *v = jget(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t jget_int(const json_t *obj, const char *key, int64_t def)
{
    json_t *v = jget(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool jget_bool(const json_t *obj, const char *key, bool def)
{
    json_t *v = jget(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

json_t *jpath(const json_t *obj, const char *dotted)
{
    char key[256];
    const char *p = dotted;
    json_t *cur = (json_t *)obj;

    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        cur = jget(cur, key);
        p += n + (dot ? 1 : 0);
    }
    return cur;
}

const char *jpath_str(const json_t *obj, const char *dotted)
{
    json_t *v = jpath(obj, dotted);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t jpath_int(const json_t *obj, const char *dotted, int64_t def)
{
    json_t *v = jpath(obj, dotted);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

json_t *jensure_obj(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(obj, key, v);
    }
    return v;
}

json_t *jensure_arr(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_array(v)) {
        v = json_array();
        json_object_set_new(obj, key, v);
    }
    return v;
}

void jset_str(json_t *obj, const char *key, const char *val)
{
    json_object_set_new(obj, key, json_string(val));
}

void jset_int(json_t *obj, const char *key, int64_t val)
{
    json_object_set_new(obj, key, json_integer(val));
}

void jset_bool(json_t *obj, const char *key, bool val)
{
    json_object_set_new(obj, key, json_boolean(val));
}

const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}
