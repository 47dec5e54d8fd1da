#ifndef VAULT_CLINUXSHIMS_H
#define VAULT_CLINUXSHIMS_H

// Declarations the Glibc module does not export to Swift.
// <sys/xattr.h>: extended attributes (llistxattr, lgetxattr, lsetxattr).
#include <sys/types.h>
#include <sys/xattr.h>

#endif
