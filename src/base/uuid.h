/* uuid.h — random (version 4) UUIDs, as the API server assigns to metadata.uid. */
#ifndef BERTH_UUID_H
#define BERTH_UUID_H

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Write a fresh RFC 4122 version 4 UUID, lower case ("3f2a...-...-4...-[89ab]...-..."), from
 * getrandom(). Aborts if the kernel has no random source at all. */
void uuid_v4(char out[UUID_STR_LEN]);

#endif
