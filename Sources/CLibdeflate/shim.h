#ifndef VAULT_CLIBDEFLATE_SHIM_H
#define VAULT_CLIBDEFLATE_SHIM_H

// libdeflate: whole-buffer DEFLATE, zlib (RFC 1950) and gzip coding.
// Only VaultCodecs imports this module.
#include <libdeflate.h>

#endif
