#include "server/options.h"

#include <fstream>

namespace drift {
namespace server {
namespace {

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// The host of "host:port" or "[v6]:port" (empty if malformed).
std::string ListenHost(const std::string& listen) {
  if (!listen.empty() && listen[0] == '[') {
    const size_t close = listen.find(']');
    return close == std::string::npos ? "" : listen.substr(1, close - 1);
  }
  const size_t colon = listen.rfind(':');
  return colon == std::string::npos ? "" : listen.substr(0, colon);
}

}  // namespace

bool IsLoopbackListen(const std::string& listen) {
  const std::string host = ListenHost(listen);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

rocksdb::Status ValidateServerOptions(const ServerOptions& o,
                                      std::vector<std::string>* warnings) {
  using rocksdb::Status;
  if (o.role != "primary" && o.role != "worker" && o.role != "router") {
    return Status::InvalidArgument(
        "--role must be primary, worker or router, not '" + o.role + "'");
  }
  if ((o.role == "router") != o.db_path.empty()) {
    return Status::InvalidArgument(
        "--db is required, except with --role=router (which has none)");
  }
  if ((o.role == "router") == o.shards.empty()) {
    return Status::InvalidArgument(
        "--shards is required with --role=router and only then");
  }
  if (!o.shard_tls_ca.empty() && o.role != "router") {
    return Status::InvalidArgument("--shard_tls_ca is for --role=router only");
  }
  if (o.shard_tls_cert.empty() != o.shard_tls_key.empty()) {
    return Status::InvalidArgument(
        "--shard_tls_cert and --shard_tls_key go together");
  }
  if (!o.shard_tls_cert.empty() && o.role != "router") {
    return Status::InvalidArgument(
        "--shard_tls_cert/--shard_tls_key are for --role=router only");
  }
  if (!o.shard_tls_cert.empty() && o.shard_tls_ca.empty()) {
    return Status::InvalidArgument(
        "--shard_tls_cert/--shard_tls_key need --shard_tls_ca (a client "
        "certificate is presented over TLS only)");
  }
  if ((o.role == "worker") == o.secondary_path.empty()) {
    return Status::InvalidArgument(
        "--secondary_path is required with --role=worker and only then");
  }
  if (o.role == "worker" && o.secondary_path == o.db_path) {
    return Status::InvalidArgument(
        "--secondary_path must differ from --db (the primary's directory)");
  }
  if (o.role == "worker" && o.catch_up_interval_ms == 0) {
    return Status::InvalidArgument("--catch_up_interval_ms must be positive");
  }
  if (ListenHost(o.listen).empty()) {
    return Status::InvalidArgument("--listen: expected host:port, got '" +
                                   o.listen + "'");
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Status::InvalidArgument("--tls_cert and --tls_key go together");
  }
  if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
    return Status::InvalidArgument(
        "--tls_client_ca needs --tls_cert/--tls_key");
  }
  if (o.max_inflight == 0) {
    return Status::InvalidArgument("--max_inflight must be at least 1");
  }
  if (o.max_message_bytes < 1024) {
    return Status::InvalidArgument("--max_message_bytes must be at least 1024");
  }
  const bool tls = !o.tls_cert.empty();
  const bool tokens = !o.tokens_file.empty();
  if (!IsLoopbackListen(o.listen)) {
    if (!tls && !tokens) {
      if (!o.allow_insecure_remote) {
        return Status::InvalidArgument(
            "--listen=" + o.listen +
            " is not loopback and neither TLS (--tls_cert/--tls_key) nor "
            "tokens (--tokens_file) are set: anyone who can reach the port "
            "could read and write the database. Set one of them, or "
            "--allow_insecure_remote to accept that");
      }
      warnings->push_back(
          "INSECURE: listening on " + o.listen +
          " without TLS and without tokens (--allow_insecure_remote): anyone "
          "who can reach the port can read and write the database");
    } else if (!tls) {
      warnings->push_back("bearer tokens travel in clear text to " + o.listen +
                          ": set --tls_cert/--tls_key");
    }
  }
  return Status::OK();
}

rocksdb::Status ReadConfigFile(
    const std::string& path,
    std::vector<std::pair<std::string, std::string>>* settings) {
  std::ifstream file(path);
  if (!file) return rocksdb::Status::IOError("cannot read config file", path);
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return rocksdb::Status::InvalidArgument(
          path + " line " + std::to_string(number),
          "expected name=value, got '" + line + "'");
    }
    std::string name = Trim(line.substr(0, eq));
    if (name.rfind("--", 0) == 0) name = name.substr(2);
    settings->emplace_back(name, Trim(line.substr(eq + 1)));
  }
  return rocksdb::Status::OK();
}

}  // namespace server
}  // namespace drift
