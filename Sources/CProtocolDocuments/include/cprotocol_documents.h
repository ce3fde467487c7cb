// The documents under Protocol/, embedded into the binaries at build time
// (C23 #embed), so the daemon serves exactly the file in the repository.
#ifndef CPROTOCOL_DOCUMENTS_H
#define CPROTOCOL_DOCUMENTS_H

#include <stddef.h>

/// Protocol/openrpc.json, as bytes (not NUL-terminated).
const unsigned char *cprotocol_openrpc_bytes(void);
/// The length of Protocol/openrpc.json in bytes.
size_t cprotocol_openrpc_length(void);

#endif
