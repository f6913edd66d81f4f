/* pki.c — CA, serving and client certificates with GnuTLS. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "server/pki.h"

#define CA_DAYS 3650
#define LEAF_DAYS 365
#define RENEW_DAYS 30

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = 0;

    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            close(fd);
            unlink(tmp);
            goto out;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) {
        rc = -errno;
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        rc = -errno;
        unlink(tmp);
    }
out:
    free(tmp);
    return rc;
}

int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t n;

    if (!f)
        return -errno;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&sb, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        strbuf_release(&sb);
        return -EIO;
    }
    *out = strbuf_detach(&sb, len);
    return 0;
}

/* --- key and certificate helpers --- */

struct keypair {
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
};

static void keypair_release(struct keypair *kp)
{
    if (kp->key)
        gnutls_x509_privkey_deinit(kp->key);
    if (kp->crt)
        gnutls_x509_crt_deinit(kp->crt);
    kp->key = NULL;
    kp->crt = NULL;
}

static char *export_pem_crt(gnutls_x509_crt_t crt)
{
    gnutls_datum_t d;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
        return NULL;
    char *s = xstrndup((const char *)d.data, d.size);
    gnutls_free(d.data);
    return s;
}

static char *export_pem_key(gnutls_x509_privkey_t key)
{
    gnutls_datum_t d;
    if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
        return NULL;
    char *s = xstrndup((const char *)d.data, d.size);
    gnutls_free(d.data);
    return s;
}

static int load_keypair(const char *crt_path, const char *key_path, struct keypair *kp)
{
    char *crt_pem = NULL, *key_pem = NULL;
    size_t crt_len, key_len;
    gnutls_datum_t d;
    int rc;

    memset(kp, 0, sizeof(*kp));
    if ((rc = read_file(crt_path, &crt_pem, &crt_len)) < 0)
        return rc;
    if ((rc = read_file(key_path, &key_pem, &key_len)) < 0)
        goto out;
    rc = -EINVAL;
    gnutls_x509_crt_init(&kp->crt);
    gnutls_x509_privkey_init(&kp->key);
    d.data = (unsigned char *)crt_pem;
    d.size = (unsigned)crt_len;
    if (gnutls_x509_crt_import(kp->crt, &d, GNUTLS_X509_FMT_PEM) < 0)
        goto out;
    d.data = (unsigned char *)key_pem;
    d.size = (unsigned)key_len;
    if (gnutls_x509_privkey_import(kp->key, &d, GNUTLS_X509_FMT_PEM) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0)
        keypair_release(kp);
    free(crt_pem);
    free(key_pem);
    return rc;
}

static int new_key(gnutls_x509_privkey_t *key)
{
    gnutls_x509_privkey_init(key);
    return gnutls_x509_privkey_generate(
        *key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
}

static void set_common(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn,
                       const char *org, int days)
{
    unsigned char serial[16];
    time_t now = time(NULL);

    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
    serial[0] &= 0x7f;
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
    gnutls_x509_crt_set_activation_time(crt, now - 3600);
    gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400);
    gnutls_x509_crt_set_key(crt, key);
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn));
    if (org)
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org,
                                      (unsigned)strlen(org));
}

static int make_ca(struct keypair *ca)
{
    unsigned char id[64];
    size_t idlen = sizeof(id);

    memset(ca, 0, sizeof(*ca));
    if (new_key(&ca->key) < 0)
        return -EIO;
    gnutls_x509_crt_init(&ca->crt);
    set_common(ca->crt, ca->key, "berth-ca", NULL, CA_DAYS);
    gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1);
    gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
                                               GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (gnutls_x509_crt_get_key_id(ca->crt, 0, id, &idlen) == 0)
        gnutls_x509_crt_set_subject_key_id(ca->crt, id, idlen);
    if (gnutls_x509_crt_sign2(ca->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0) < 0)
        return -EIO;
    return 0;
}

static bool is_ip(const char *h, unsigned char *buf, size_t *len)
{
    if (inet_pton(AF_INET, h, buf) == 1) {
        *len = 4;
        return true;
    }
    if (inet_pton(AF_INET6, h, buf) == 1) {
        *len = 16;
        return true;
    }
    return false;
}

static int make_leaf(const struct keypair *ca, const char *cn, const char *org,
                     const char *const *hosts, bool server, struct keypair *out)
{
    unsigned char id[64];
    size_t idlen = sizeof(id);

    memset(out, 0, sizeof(*out));
    if (new_key(&out->key) < 0)
        return -EIO;
    gnutls_x509_crt_init(&out->crt);
    set_common(out->crt, out->key, cn, org, LEAF_DAYS);
    gnutls_x509_crt_set_basic_constraints(out->crt, 0, -1);
    gnutls_x509_crt_set_key_usage(out->crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                GNUTLS_KEY_KEY_ENCIPHERMENT);
    gnutls_x509_crt_set_key_purpose_oid(out->crt,
                                        server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT,
                                        0);
    for (const char *const *h = hosts; h && *h; h++) {
        unsigned char ip[16];
        size_t iplen;
        if (is_ip(*h, ip, &iplen))
            gnutls_x509_crt_set_subject_alt_name(out->crt, GNUTLS_SAN_IPADDRESS, ip,
                                                 (unsigned)iplen, GNUTLS_FSAN_APPEND);
        else
            gnutls_x509_crt_set_subject_alt_name(out->crt, GNUTLS_SAN_DNSNAME, *h,
                                                 (unsigned)strlen(*h), GNUTLS_FSAN_APPEND);
    }
    if (gnutls_x509_crt_get_key_id(ca->crt, 0, id, &idlen) == 0)
        gnutls_x509_crt_set_authority_key_id(out->crt, id, idlen);
    if (gnutls_x509_crt_sign2(out->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0) < 0)
        return -EIO;
    return 0;
}

static bool cert_covers(gnutls_x509_crt_t crt, const char *const *hosts)
{
    time_t exp = gnutls_x509_crt_get_expiration_time(crt);
    if (exp < time(NULL) + (time_t)RENEW_DAYS * 86400)
        return false;
    for (const char *const *h = hosts; h && *h; h++) {
        unsigned char ip[16];
        size_t iplen;
        if (is_ip(*h, ip, &iplen)) {
            if (!gnutls_x509_crt_check_ip(crt, ip, (unsigned)iplen, 0))
                return false;
        } else if (!gnutls_x509_crt_check_hostname(crt, *h)) {
            return false;
        }
    }
    return true;
}

static int save_keypair(const struct keypair *kp, const char *crt_path, const char *key_path,
                        char **crt_pem, char **key_pem)
{
    int rc;
    *crt_pem = export_pem_crt(kp->crt);
    *key_pem = export_pem_key(kp->key);
    if (!*crt_pem || !*key_pem)
        return -EIO;
    if ((rc = write_file_atomic(key_path, *key_pem, strlen(*key_pem), 0600)) < 0)
        return rc;
    return write_file_atomic(crt_path, *crt_pem, strlen(*crt_pem), 0644);
}

static int load_pems(const char *crt_path, const char *key_path, char **crt_pem, char **key_pem)
{
    size_t n;
    int rc = read_file(crt_path, crt_pem, &n);
    if (rc == 0)
        rc = read_file(key_path, key_pem, &n);
    return rc;
}

int pki_ensure(const char *dir, const char *const *hosts, struct pki *out, struct strbuf *err)
{
    struct keypair ca = {0}, leaf = {0};
    char *pdir = xasprintf("%s/pki", dir);
    char *p_ca = xasprintf("%s/ca.crt", pdir), *p_cakey = xasprintf("%s/ca.key", pdir);
    char *p_srv = xasprintf("%s/server.crt", pdir), *p_srvkey = xasprintf("%s/server.key", pdir);
    char *p_adm = xasprintf("%s/admin.crt", pdir), *p_admkey = xasprintf("%s/admin.key", pdir);
    char *p_tok = xasprintf("%s/admin.token", pdir);
    char *dummy = NULL;
    size_t n;
    int rc;

    memset(out, 0, sizeof(*out));
    if (mkdir(pdir, 0700) < 0 && errno != EEXIST) {
        rc = -errno;
        strbuf_addf(err, "cannot create %s: %s", pdir, strerror(errno));
        goto out;
    }

    /* CA: load, or create everything from scratch (a new CA invalidates the old leaves). */
    bool fresh_ca = false;
    if (load_keypair(p_ca, p_cakey, &ca) < 0) {
        if (access(p_ca, F_OK) == 0) {
            rc = -EINVAL;
            strbuf_addf(err, "%s exists but cannot be loaded with its key", p_ca);
            goto out;
        }
        if ((rc = make_ca(&ca)) < 0) {
            strbuf_addstr(err, "cannot create the cluster CA");
            goto out;
        }
        char *key_pem = NULL;
        rc = save_keypair(&ca, p_ca, p_cakey, &out->ca_pem, &key_pem);
        free(key_pem);
        if (rc < 0) {
            strbuf_addf(err, "cannot write %s: %s", p_ca, strerror(-rc));
            goto out;
        }
        fresh_ca = true;
        log_info("pki", "created cluster CA in %s", pdir);
    } else {
        out->ca_pem = export_pem_crt(ca.crt);
    }

    /* Serving certificate. */
    if (!fresh_ca && load_keypair(p_srv, p_srvkey, &leaf) == 0 && cert_covers(leaf.crt, hosts)) {
        rc = load_pems(p_srv, p_srvkey, &out->server_cert_pem, &out->server_key_pem);
    } else {
        keypair_release(&leaf);
        rc = make_leaf(&ca, "berth-apiserver", NULL, hosts, true, &leaf);
        if (rc == 0)
            rc = save_keypair(&leaf, p_srv, p_srvkey, &out->server_cert_pem,
                              &out->server_key_pem);
        if (rc == 0)
            log_info("pki", "issued serving certificate");
    }
    keypair_release(&leaf);
    if (rc < 0) {
        strbuf_addf(err, "serving certificate: %s", strerror(-rc));
        goto out;
    }

    /* Admin client certificate. */
    if (!fresh_ca && load_keypair(p_adm, p_admkey, &leaf) == 0 && cert_covers(leaf.crt, NULL)) {
        rc = load_pems(p_adm, p_admkey, &out->admin_cert_pem, &out->admin_key_pem);
    } else {
        keypair_release(&leaf);
        rc = make_leaf(&ca, "admin", "system:masters", NULL, false, &leaf);
        if (rc == 0)
            rc = save_keypair(&leaf, p_adm, p_admkey, &out->admin_cert_pem, &out->admin_key_pem);
    }
    keypair_release(&leaf);
    if (rc < 0) {
        strbuf_addf(err, "admin certificate: %s", strerror(-rc));
        goto out;
    }

    /* Admin token: 32 random bytes, hex. */
    if (read_file(p_tok, &dummy, &n) == 0 && n >= 32) {
        while (n && (dummy[n - 1] == '\n' || dummy[n - 1] == '\r'))
            dummy[--n] = '\0';
        out->token = dummy;
        dummy = NULL;
    } else {
        unsigned char raw[32];
        char hex[65];
        gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw));
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", raw[i]);
        out->token = xstrdup(hex);
        char *line = xasprintf("%s\n", hex);
        rc = write_file_atomic(p_tok, line, strlen(line), 0600);
        free(line);
        if (rc < 0) {
            strbuf_addf(err, "cannot write %s: %s", p_tok, strerror(-rc));
            goto out;
        }
    }
    rc = 0;
out:
    keypair_release(&ca);
    free(dummy);
    free(pdir), free(p_ca), free(p_cakey), free(p_srv), free(p_srvkey);
    free(p_adm), free(p_admkey), free(p_tok);
    if (rc < 0)
        pki_release(out);
    return rc;
}

void pki_release(struct pki *p)
{
    free(p->ca_pem);
    free(p->server_cert_pem);
    free(p->server_key_pem);
    free(p->admin_cert_pem);
    free(p->admin_key_pem);
    if (p->token)
        memset(p->token, 0, strlen(p->token));
    free(p->token);
    memset(p, 0, sizeof(*p));
}
