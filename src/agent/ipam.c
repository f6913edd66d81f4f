/* ipam.c — pod IPs for the sim runtime, as CNI's host-local plugin hands them out: from the
 * pod CIDR, skipping the network address, the gateway (.1, the bridge) and the broadcast
 * address, next-fit so that a freed address is not handed out again at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"
#include "base/alloc.h"

static bool used(const struct agent *a, uint32_t off)
{
    return a->ip_used[off / 8] & (1u << (off % 8));
}

static void set_used(struct agent *a, uint32_t off, bool on)
{
    if (on)
        a->ip_used[off / 8] |= (uint8_t)(1u << (off % 8));
    else
        a->ip_used[off / 8] &= (uint8_t) ~(1u << (off % 8));
}

uint32_t agent__ip_parse(const char *s)
{
    struct in_addr in;
    if (!s || inet_pton(AF_INET, s, &in) != 1)
        return 0;
    return ntohl(in.s_addr);
}

char *agent__ip_str(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
    return buf;
}

/* cidr "10.42.0.0/16" (IPv4, prefix 8..30). */
int agent__ipam_init(struct agent *a, const char *cidr)
{
    char addr[32];
    const char *slash = strchr(cidr, '/');
    if (!slash || (size_t)(slash - cidr) >= sizeof(addr))
        return -EINVAL;
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    char *end;
    long prefix = strtol(slash + 1, &end, 10);
    uint32_t base = agent__ip_parse(addr);
    if (*end || prefix < 8 || prefix > 30 || !base)
        return -EINVAL;

    uint32_t size = 1u << (32 - prefix);
    pthread_mutex_lock(&a->ip_mu);
    free(a->ip_used);
    a->ip_base = base & ~(size - 1);
    a->ip_size = size;
    a->ip_used = xcalloc(size / 8 + 1, 1);
    /* network, gateway, broadcast */
    set_used(a, 0, true);
    set_used(a, 1, true);
    set_used(a, size - 1, true);
    a->ip_next = 2;
    pthread_mutex_unlock(&a->ip_mu);
    return 0;
}

void agent__ipam_release_all(struct agent *a)
{
    free(a->ip_used);
    a->ip_used = NULL;
    a->ip_size = 0;
}

uint32_t agent__ip_alloc(struct agent *a)
{
    uint32_t ip = 0;
    pthread_mutex_lock(&a->ip_mu);
    for (uint32_t i = 0; i < a->ip_size; i++) {
        uint32_t off = (a->ip_next + i) % a->ip_size;
        if (!used(a, off)) {
            set_used(a, off, true);
            a->ip_next = (off + 1) % a->ip_size;
            ip = a->ip_base + off;
            break;
        }
    }
    pthread_mutex_unlock(&a->ip_mu);
    return ip;
}

bool agent__ip_claim(struct agent *a, uint32_t ip)
{
    bool ok = false;
    pthread_mutex_lock(&a->ip_mu);
    if (ip >= a->ip_base && ip - a->ip_base < a->ip_size && !used(a, ip - a->ip_base)) {
        set_used(a, ip - a->ip_base, true);
        ok = true;
    }
    pthread_mutex_unlock(&a->ip_mu);
    return ok;
}

void agent__ip_free(struct agent *a, uint32_t ip)
{
    pthread_mutex_lock(&a->ip_mu);
    if (ip > a->ip_base + 1 && ip - a->ip_base < a->ip_size - 1)
        set_used(a, ip - a->ip_base, false);
    pthread_mutex_unlock(&a->ip_mu);
}
