#ifndef VAULT_COPENSSL_SHIM_H
#define VAULT_COPENSSL_SHIM_H

// Keep deprecated OpenSSL 1.x APIs out of reach: everything goes through EVP.
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

// OSSL_PARAM arrays keep pointers to their key strings and values, and the
// keys are string macros; building the array here keeps every pointer valid
// for the duration of the call, which Swift's temporary string bridging
// cannot promise.

/// Derives `out_length` bytes with scrypt (RFC 7914) from a fetched SCRYPT KDF.
static inline int vault_scrypt_derive(EVP_KDF *kdf,
                                      const unsigned char *password, size_t password_length,
                                      const unsigned char *salt, size_t salt_length,
                                      uint64_t n, uint32_t r, uint32_t p, uint64_t max_memory,
                                      unsigned char *out, size_t out_length) {
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    if (ctx == NULL) {
        return 0;
    }
    // An empty octet string still needs a non-NULL pointer.
    static const unsigned char empty = 0;
    OSSL_PARAM params[7];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
        (void *)(password_length ? password : &empty), password_length);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
        (void *)(salt_length ? salt : &empty), salt_length);
    params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
    params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
    params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
    params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &max_memory);
    params[6] = OSSL_PARAM_construct_end();
    int result = EVP_KDF_derive(ctx, out, out_length, params);
    EVP_KDF_CTX_free(ctx);
    return result;
}

/// Reads the 16-byte GCM tag after EVP_EncryptFinal_ex (EVP_CTRL_AEAD_GET_TAG).
static inline int vault_gcm_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
}

/// Sets the expected 16-byte GCM tag before EVP_DecryptFinal_ex (EVP_CTRL_AEAD_SET_TAG).
static inline int vault_gcm_set_tag(EVP_CIPHER_CTX *ctx, const unsigned char *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag);
}

#endif
