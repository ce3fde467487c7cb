#include "cprotocol_documents.h"

static const unsigned char openrpc[] = {
#embed "../../Protocol/openrpc.json"
};

const unsigned char *cprotocol_openrpc_bytes(void) { return openrpc; }
size_t cprotocol_openrpc_length(void) { return sizeof(openrpc); }
