// drift_server's options (from flags and --config, server/main.cc) and the
// checks that run before anything is opened.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rocksdb/status.h"

namespace drift {
namespace server {

struct ServerOptions {
  // The RocksDB database directory (created if missing); for a worker, the
  // primary's database directory.
  std::string db_path;
  // host:port to listen on; port 0 picks a free port (DriftServer::port()).
  std::string listen = "127.0.0.1:50051";
  // The role. "primary": owns the database, serves every RPC. "worker": a
  // RocksDB secondary instance of the primary's database (its own files in
  // secondary_path), read-only (writes are FAILED_PRECONDITION), caught up
  // with the primary every catch_up_interval_ms.
  std::string role = "primary";
  std::string secondary_path;
  uint32_t catch_up_interval_ms = 200;
  // "router": no database; serves the API over the primaries listed in
  // shards ("host:port,host:port,...", server/router_service.h).
  std::string shards;
  // Router: PEM file of the CAs that signed the shards' certificates; the
  // router then talks to the shards over TLS (verifying each shard's
  // certificate against the host of its address). Empty: plain text.
  std::string shard_tls_ca;
  // Router: PEM files of the client certificate chain and key the router
  // presents to the shards (both or neither; they need shard_tls_ca), for
  // shards that require client certificates (their tls_client_ca).
  std::string shard_tls_cert;
  std::string shard_tls_key;

  // Security (server/auth.h). tls_cert and tls_key: PEM files of the
  // server's certificate chain and key (both or neither); tls_client_ca:
  // PEM of the CAs whose client certificates are required (mutual TLS).
  std::string tokens_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Listening on a non-loopback address with neither TLS nor tokens is
  // refused unless this is set (then the server warns on every start).
  bool allow_insecure_remote = false;

  // Largest request or response message, bytes (gRPC rejects a larger one
  // with RESOURCE_EXHAUSTED).
  int max_message_bytes = 64 << 20;
  // Requests handled at once; more get RESOURCE_EXHAUSTED at once instead of
  // queueing (the client retries with backoff).
  uint32_t max_inflight = 64;
  // fsync the WAL on every write, not only on requests that ask for it.
  bool sync_writes = false;
  // SIGTERM/SIGINT: requests in flight get this long to finish, then they
  // are cancelled; new ones get UNAVAILABLE meanwhile.
  uint32_t shutdown_grace_ms = 10000;
  // Longest lease of a snapshot token (CreateSnapshot).
  uint32_t snapshot_ttl_seconds = 300;
  // Threads of each collection's SearchBatch pool (VectorIndexOptions).
  uint32_t search_threads = 2;
  // RocksDB DBOptions as an option string (e.g. "max_background_jobs=4").
  std::string db_options;
};

// True if `listen` (host:port) names a loopback host: localhost,
// 127.0.0.0/8 or [::1].
bool IsLoopbackListen(const std::string& listen);

// InvalidArgument for an unusable combination (no db_path, an unknown role,
// a worker without secondary_path, half a TLS pair, max_inflight 0,
// non-loopback without security and without allow_insecure_remote, ...).
// *warnings receives what the operator must know but that does not stop the
// server (e.g. tokens sent in clear text to a non-loopback address).
rocksdb::Status ValidateServerOptions(const ServerOptions& options,
                                      std::vector<std::string>* warnings);

// Reads a config file of "name=value" lines ('#' comments, blank lines and
// surrounding spaces ignored; a leading "--" before the name is allowed) into
// (name, value) pairs, in file order. InvalidArgument naming the line for a
// line without '='.
rocksdb::Status ReadConfigFile(
    const std::string& path,
    std::vector<std::pair<std::string, std::string>>* settings);

}  // namespace server
}  // namespace drift
