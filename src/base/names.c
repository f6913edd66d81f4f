/* names.c — upstream's name checks (k8s.io/apimachinery/pkg/util/validation), message for
 * message. The regular expressions are matched by hand; each message is a fixed string, so
 * callers never free anything. */
#include "base/names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"

/* upstream's RegexError(msg, fmt, examples...) spelled out: "(e.g. 'a',  or 'b', regex ...)" */
#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1035_LABEL_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_ERR                                                                                  \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "         \
    "validation is '" QNAME_FMT "')"

static const char msg_dns1123_label[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '" DNS1123_LABEL_FMT "')";
#define SUBDOMAIN_ERR                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "   \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "  \
    "for validation is '" DNS1123_SUBDOMAIN_FMT "')"
static const char msg_dns1123_subdomain[] = SUBDOMAIN_ERR;
static const char msg_dns1035_label[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '" DNS1035_LABEL_FMT "')";
static const char msg_no_dots[] = "must not contain dots";
static const char msg_max15[] = "must be no more than 15 characters";
static const char msg_max63[] = "must be no more than 63 characters";
static const char msg_max253[] = "must be no more than 253 characters";

static const char msg_qname_parts[] =
    "a qualified name " QNAME_ERR " with an optional DNS subdomain prefix and '/' (e.g. "
    "'example.com/MyName')";
static const char msg_prefix_empty[] = "prefix part must be non-empty";
static const char msg_prefix_max253[] = "prefix part must be no more than 253 characters";
static const char msg_prefix_subdomain[] = "prefix part " SUBDOMAIN_ERR;
static const char msg_name_empty[] = "name part must be non-empty";
static const char msg_name_max63[] = "name part must be no more than 63 characters";
static const char msg_name_regex[] = "name part " QNAME_ERR;

static const char msg_label_value[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
    "or '12345', regex used for validation is '(" QNAME_FMT ")?')";

static const char msg_port_charset[] =
    "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
static const char msg_port_letter[] = "must contain at least one letter (a-z)";
static const char msg_port_dashes[] = "must not contain consecutive hyphens";
static const char msg_port_ends[] = "must not begin or end with a hyphen";

static const char msg_env_var[] =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
    "or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
    "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
static const char msg_config_key[] =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
static const char msg_not_dot[] = "must not be '.'";
static const char msg_not_dotdot[] = "must not be '..'";
static const char msg_not_dotdot_prefix[] = "must not start with '..'";

static const char msg_path_dot[] = "may not be '.'";
static const char msg_path_dotdot[] = "may not be '..'";
static const char msg_path_slash[] = "may not contain '/'";
static const char msg_path_percent[] = "may not contain '%'";

/* --- Character classes and the hand-matched expressions --- */

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n), or with a leading [a-z] for RFC 1035. */
static bool match_label(const char *s, size_t n, bool rfc1035)
{
    if (n == 0)
        return false;
    if (rfc1035 ? !(s[0] >= 'a' && s[0] <= 'z') : !lower_alnum(s[0]))
        return false;
    if (!lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool match_subdomain(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!match_label(s + start, i - start, false))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qname(const char *s, size_t n)
{
    if (n == 0 || !alnum(s[0]) || !alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* upstream's hasChDirPrefix */
static int chdir_prefix(const char *s, const char *msgs[NAME_MAX_MSGS], int n)
{
    if (!strcmp(s, "."))
        msgs[n++] = msg_not_dot;
    else if (!strcmp(s, ".."))
        msgs[n++] = msg_not_dotdot;
    else if (!strncmp(s, "..", 2))
        msgs[n++] = msg_not_dotdot_prefix;
    return n;
}

/* --- The checks --- */

int name_check_dns1123_label(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    size_t len = strlen(s);
    int n = 0;
    if (len > DNS1123_LABEL_MAX)
        msgs[n++] = msg_max63;
    if (!match_label(s, len, false)) {
        /* A valid subdomain that is not a valid label can only be failing on its dots. */
        msgs[n++] = match_subdomain(s, len) ? msg_no_dots : msg_dns1123_label;
    }
    return n;
}

int name_check_dns1123_subdomain(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    size_t len = strlen(s);
    int n = 0;
    if (len > DNS1123_SUBDOMAIN_MAX)
        msgs[n++] = msg_max253;
    if (!match_subdomain(s, len))
        msgs[n++] = msg_dns1123_subdomain;
    return n;
}

int name_check_dns1035_label(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    size_t len = strlen(s);
    int n = 0;
    if (len > DNS1123_LABEL_MAX)
        msgs[n++] = msg_max63;
    if (!match_label(s, len, true))
        msgs[n++] = msg_dns1035_label;
    return n;
}

int name_check_path_segment(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    int n = 0;
    if (!strcmp(s, "."))
        msgs[n++] = msg_path_dot;
    else if (!strcmp(s, ".."))
        msgs[n++] = msg_path_dotdot;
    else {
        if (strchr(s, '/'))
            msgs[n++] = msg_path_slash;
        if (strchr(s, '%'))
            msgs[n++] = msg_path_percent;
    }
    return n;
}

int name_check_qualified(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    const char *slash = strchr(s, '/');
    const char *name = s;
    int n = 0;

    if (slash) {
        if (strchr(slash + 1, '/')) {
            msgs[n++] = msg_qname_parts;
            return n;
        }
        size_t plen = (size_t)(slash - s);
        name = slash + 1;
        if (plen == 0) {
            msgs[n++] = msg_prefix_empty;
        } else {
            if (plen > DNS1123_SUBDOMAIN_MAX)
                msgs[n++] = msg_prefix_max253;
            if (!match_subdomain(s, plen))
                msgs[n++] = msg_prefix_subdomain;
        }
    }
    size_t len = strlen(name);
    if (len == 0)
        msgs[n++] = msg_name_empty;
    else if (len > 63)
        msgs[n++] = msg_name_max63;
    if (!match_qname(name, len))
        msgs[n++] = msg_name_regex;
    return n;
}

int name_check_label_value(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    size_t len = strlen(s);
    int n = 0;
    if (len > 63)
        msgs[n++] = msg_max63;
    if (len > 0 && !match_qname(s, len))
        msgs[n++] = msg_label_value;
    return n;
}

int name_check_iana_svc_name(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    size_t len = strlen(s);
    bool charset = len > 0, letter = false;
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (!lower_alnum(s[i]) && s[i] != '-')
            charset = false;
        if (s[i] >= 'a' && s[i] <= 'z')
            letter = true;
    }
    if (len > 15)
        msgs[n++] = msg_max15;
    if (!charset)
        msgs[n++] = msg_port_charset;
    if (!letter)
        msgs[n++] = msg_port_letter;
    if (strstr(s, "--"))
        msgs[n++] = msg_port_dashes;
    if (len > 0 && (s[0] == '-' || s[len - 1] == '-'))
        msgs[n++] = msg_port_ends;
    return n;
}

int name_check_env_var(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    bool ok = s[0] && (alpha(s[0]) || s[0] == '-' || s[0] == '.' || s[0] == '_');
    int n = 0;
    for (size_t i = 1; ok && s[i]; i++)
        ok = alnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_';
    if (!ok)
        msgs[n++] = msg_env_var;
    return chdir_prefix(s, msgs, n);
}

int name_check_config_map_key(const char *s, const char *msgs[NAME_MAX_MSGS])
{
    size_t len = strlen(s);
    bool ok = len > 0;
    int n = 0;
    for (size_t i = 0; ok && i < len; i++)
        ok = alnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_';
    if (len > DNS1123_SUBDOMAIN_MAX)
        msgs[n++] = msg_max253;
    if (!ok)
        msgs[n++] = msg_config_key;
    return chdir_prefix(s, msgs, n);
}

/* --- generateName --- */

#define GEN_ALPHABET "bcdfghjklmnpqrstvwxz2456789"
#define GEN_RANDOM_LEN 5
#define GEN_MAX_PREFIX (DNS1123_LABEL_MAX - GEN_RANDOM_LEN)

/* Fill buf with random bytes. getrandom() is only interrupted by signals here; any other
 * failure (no getrandom at all) leaves nothing safe to name objects with. */
static void random_bytes(unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t got = getrandom(buf, n, 0);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            abort();
        }
        buf += got;
        n -= (size_t)got;
    }
}

char *name_generate(const char *prefix)
{
    size_t plen = strnlen(prefix, GEN_MAX_PREFIX);
    char *out = xmalloc(plen + GEN_RANDOM_LEN + 1);
    const size_t alen = sizeof(GEN_ALPHABET) - 1;
    /* Rejection sampling keeps every character equally likely (256 is not a multiple of 27). */
    const unsigned limit = 256 - 256 % alen;
    size_t i = 0;

    memcpy(out, prefix, plen);
    while (i < GEN_RANDOM_LEN) {
        unsigned char rnd[16];
        random_bytes(rnd, sizeof(rnd));
        for (size_t j = 0; j < sizeof(rnd) && i < GEN_RANDOM_LEN; j++)
            if (rnd[j] < limit)
                out[plen + i++] = GEN_ALPHABET[rnd[j] % alen];
    }
    out[plen + GEN_RANDOM_LEN] = '\0';
    return out;
}
