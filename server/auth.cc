#include "server/auth.h"

#include <fstream>
#include <sstream>

namespace drift {
namespace server {
namespace {

constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxTokenLength = 4096;
constexpr char kBearer[] = "Bearer ";

bool ValidToken(const std::string& token) {
  if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
    return false;
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

rocksdb::Status TokenAuthorizer::Parse(const std::string& text,
                                       TokenAuthorizer* authorizer) {
  std::map<std::string, bool, std::less<>> tokens;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    std::string kind, token, extra;
    if (!(fields >> kind) || kind[0] == '#') continue;
    const std::string where = "tokens file line " + std::to_string(number);
    if (kind != "ro" && kind != "rw") {
      return rocksdb::Status::InvalidArgument(
          where,
          "expected \"ro <token>\" or \"rw <token>\", got '" + kind + "'");
    }
    if (!(fields >> token) || (fields >> extra) || !ValidToken(token)) {
      return rocksdb::Status::InvalidArgument(
          where, "a token is one word of 16 to 4096 printable characters");
    }
    tokens[token] = kind == "rw";
  }
  if (tokens.empty()) {
    return rocksdb::Status::InvalidArgument("tokens file holds no token");
  }
  authorizer->tokens_ = std::move(tokens);
  return rocksdb::Status::OK();
}

rocksdb::Status TokenAuthorizer::LoadFile(const std::string& path,
                                          TokenAuthorizer* authorizer) {
  std::ifstream file(path);
  if (!file) return rocksdb::Status::IOError("cannot read tokens file", path);
  std::stringstream text;
  text << file.rdbuf();
  rocksdb::Status s = Parse(text.str(), authorizer);
  return s.ok() ? s
                : rocksdb::Status::InvalidArgument(path + ": " + s.ToString());
}

grpc::Status TokenAuthorizer::Check(const grpc::ServerContext& context,
                                    Access access) const {
  if (!enabled()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing metadata 'authorization: Bearer <token>'");
  }
  const std::string_view value(it->second.data(), it->second.size());
  const std::string_view bearer(kBearer);
  auto token = tokens_.end();
  if (value.substr(0, bearer.size()) == bearer) {
    token = tokens_.find(value.substr(bearer.size()));
  }
  if (token == tokens_.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "unknown bearer token");
  }
  if (access == Access::kWrite && !token->second) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "this token is read-only");
  }
  return grpc::Status::OK;
}

}  // namespace server
}  // namespace drift
