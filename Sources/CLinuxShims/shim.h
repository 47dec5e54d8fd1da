#ifndef VAULT_CLINUXSHIMS_H
#define VAULT_CLINUXSHIMS_H

// Declarations the Glibc module does not export to Swift.
// <sys/xattr.h>: extended attributes (llistxattr, lgetxattr, lsetxattr).
// <malloc.h>: mallopt, to cap glibc's malloc arenas and fix its mmap threshold (ProcessMemory).
#include <sys/types.h>
#include <sys/xattr.h>
#include <malloc.h>

/// M_ARENA_MAX as a constant Swift can see for certain.
static const int vault_m_arena_max = M_ARENA_MAX;
/// M_MMAP_THRESHOLD likewise.
static const int vault_m_mmap_threshold = M_MMAP_THRESHOLD;
/// M_TRIM_THRESHOLD likewise.
static const int vault_m_trim_threshold = M_TRIM_THRESHOLD;

#endif
