/* pki.h — the cluster's certificates and admin credentials, created on first start.
 *
 * DIR/pki/ holds a CA (ca.crt, ca.key), the API server's serving certificate (server.crt,
 * server.key; SANs: 127.0.0.1, localhost, the listen host, the kubernetes service names), an
 * admin client certificate (admin.crt, admin.key) and the admin bearer token (admin.token).
 * Keys are ECDSA P-256 (fast to generate: first start stays quick). Private keys and the token
 * are written 0600, atomically (temp file + rename).
 */
#ifndef BERTH_PKI_H
#define BERTH_PKI_H

#include <stdbool.h>

#include "base/strbuf.h"

struct pki {
    char *ca_pem;          /* CA certificate */
    char *server_cert_pem; /* serving certificate chain (leaf) */
    char *server_key_pem;
    char *admin_cert_pem;  /* client certificate for the admin (CN=admin, O=system:masters) */
    char *admin_key_pem;
    char *token;           /* admin bearer token */
};

/* Load DIR/pki, creating whatever is missing, and reissue the serving certificate when it
 * lacks one of `hosts` (NULL-terminated IPs or DNS names) or expires within 30 days.
 * Returns 0, or -errno with a message in err. */
int pki_ensure(const char *dir, const char *const *hosts, struct pki *out, struct strbuf *err);
void pki_release(struct pki *p);

/* Write data to path atomically with the given mode. Returns 0 or -errno. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* Read a whole file (NUL-terminated). Caller owns *out. Returns 0 or -errno. */
int read_file(const char *path, char **out, size_t *len);

#endif
