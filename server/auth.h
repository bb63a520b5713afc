// Bearer-token authorization of drift_server's RPCs (--tokens_file).
//
// The tokens file holds one token per line, "<ro|rw> <token>" ('#' starts a
// comment line; blank lines are ignored). A token is 16 to 4096 printable
// non-space ASCII characters. Clients send the metadata
// `authorization: Bearer <token>`. Without a tokens file every request is
// allowed (the server then listens on loopback unless told otherwise, see
// server/options.h).
#pragma once

#include <grpcpp/server_context.h>

#include <map>
#include <string>

#include "rocksdb/status.h"

namespace drift {
namespace server {

enum class Access : uint8_t { kRead, kWrite };

class TokenAuthorizer {
 public:
  // No tokens: everything allowed.
  TokenAuthorizer() = default;

  // Parses the file's text (format above); InvalidArgument naming the line
  // otherwise. An empty text (no token) is InvalidArgument too: an empty
  // tokens file would otherwise silently lock everyone out.
  static rocksdb::Status Parse(const std::string& text,
                               TokenAuthorizer* authorizer);
  static rocksdb::Status LoadFile(const std::string& path,
                                  TokenAuthorizer* authorizer);

  bool enabled() const { return !tokens_.empty(); }

  // OK if the request may do `access`: UNAUTHENTICATED without a known
  // bearer token, PERMISSION_DENIED for a read-only token asked to write.
  grpc::Status Check(const grpc::ServerContext& context, Access access) const;

 private:
  // token -> may write. Lookups compare whole tokens of known length.
  std::map<std::string, bool, std::less<>> tokens_;
};

}  // namespace server
}  // namespace drift
