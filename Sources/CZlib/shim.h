#ifndef VAULT_CZLIB_SHIM_H
#define VAULT_CZLIB_SHIM_H

// Const-correct prototypes: input buffers are `const Bytef *`.
#define ZLIB_CONST
#include <zlib.h>

// deflateInit2 and inflateInit2 are function-like macros that pass the
// library's version and struct size; Swift cannot import them.
static inline int vault_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}

static inline int vault_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif
