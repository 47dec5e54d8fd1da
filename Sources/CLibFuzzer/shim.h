#ifndef VAULT_CLIBFUZZER_H
#define VAULT_CLIBFUZZER_H

// libFuzzer's entry point for programs with their own main (LLVM 11 and
// later). Only a build with -sanitize=fuzzer links it; vault-fuzz calls it
// only when compiled with -DFUZZING.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
