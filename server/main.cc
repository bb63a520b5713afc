// drift_server: serves proto/drift.proto over one Drift database.
//
//   drift_server --db=/var/lib/drift --listen=127.0.0.1:50051
//
// Prints "drift_server listening on HOST:PORT" on stdout once it accepts
// requests (with --listen=...:0 the chosen port). SIGTERM or SIGINT shuts it
// down gracefully (server/server.h) and it exits 0. Options come from flags
// and from --config=FILE ("name=value" lines, the flags' names); a flag given
// on the command line wins over the file.
#include <gflags/gflags.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "server/options.h"
#include "server/server.h"
#include "tools/gflags_help.h"
#include "tools/tool_logging.h"

DEFINE_string(config, "", "File of name=value lines setting these flags");
DEFINE_string(db, "",
              "Database directory (created if missing); a worker's is the "
              "primary's");
DEFINE_string(listen, "127.0.0.1:50051",
              "host:port to listen on (port 0: any free port). A non-loopback "
              "host needs --tls_cert/--tls_key or --tokens_file (or "
              "--allow_insecure_remote)");
DEFINE_string(role, "primary",
              "primary: owns --db and serves every RPC; worker: a read-only "
              "RocksDB secondary instance of the primary's --db, kept in "
              "--secondary_path and caught up every --catch_up_interval_ms; "
              "router: no --db, serves the API over the primaries in --shards");
DEFINE_string(shards, "",
              "Router: host:port of every shard's primary, comma-separated; "
              "keys are hash-partitioned over them in this order (never "
              "reorder or resize it on a populated deployment)");
DEFINE_string(shard_tls_ca, "",
              "Router: PEM CA certificates that signed the shards' TLS "
              "certificates; talk to the shards over TLS (default: plain "
              "text)");
DEFINE_string(shard_tls_cert, "",
              "Router: PEM client certificate chain presented to the shards "
              "(with --shard_tls_key and --shard_tls_ca), for shards that "
              "require client certificates (--tls_client_ca)");
DEFINE_string(shard_tls_key, "", "Router: PEM private key of --shard_tls_cert");
DEFINE_string(secondary_path, "",
              "Worker: directory of the secondary instance's own files");
DEFINE_uint32(catch_up_interval_ms, 200,
              "Worker: interval of TryCatchUpWithPrimary");
DEFINE_string(tokens_file, "",
              "Bearer tokens, lines '<ro|rw> <token>'; clients send "
              "'authorization: Bearer <token>'");
DEFINE_string(tls_cert, "", "PEM certificate chain of the server (TLS)");
DEFINE_string(tls_key, "", "PEM private key of the server (TLS)");
DEFINE_string(tls_client_ca, "",
              "PEM CA certificates: require client certificates they signed");
DEFINE_bool(allow_insecure_remote, false,
            "Allow a non-loopback --listen without TLS and tokens (warns)");
DEFINE_int32(max_message_bytes, 64 << 20,
             "Largest request/response message in bytes");
DEFINE_uint32(max_inflight, 64,
              "Requests served at once; more get RESOURCE_EXHAUSTED");
DEFINE_bool(sync_writes, false,
            "fsync the WAL before acknowledging every write (without it an "
            "acknowledged write survives a crash of the process, not of the "
            "machine, unless the request asks for sync)");
DEFINE_uint32(shutdown_grace_ms, 10000,
              "On SIGTERM/SIGINT, time given to requests in flight");
DEFINE_uint32(snapshot_ttl_seconds, 300, "Longest snapshot token lease");
DEFINE_uint32(search_threads, 2, "Threads of each collection's SearchBatch");
DEFINE_string(db_options, "",
              "RocksDB DBOptions option string, e.g. max_background_jobs=4");

namespace {

// Sets the flags the config file names, except those given on the command
// line. False (after printing why) for an unreadable file or unknown flag.
bool ApplyConfigFile(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> settings;
  rocksdb::Status s = drift::server::ReadConfigFile(path, &settings);
  if (!s.ok()) {
    fprintf(stderr, "drift_server: %s\n", s.ToString().c_str());
    return false;
  }
  for (const auto& [name, value] : settings) {
    gflags::CommandLineFlagInfo info;
    if (name == "config" ||
        !gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
      fprintf(stderr, "drift_server: %s: unknown setting '%s'\n", path.c_str(),
              name.c_str());
      return false;
    }
    if (!info.is_default) continue;  // the command line wins
    if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
      fprintf(stderr, "drift_server: %s: bad value '%s' for %s\n", path.c_str(),
              value.c_str(), name.c_str());
      return false;
    }
  }
  return true;
}

drift::server::ServerOptions OptionsFromFlags() {
  drift::server::ServerOptions o;
  o.db_path = FLAGS_db;
  o.listen = FLAGS_listen;
  o.role = FLAGS_role;
  o.secondary_path = FLAGS_secondary_path;
  o.shards = FLAGS_shards;
  o.shard_tls_ca = FLAGS_shard_tls_ca;
  o.shard_tls_cert = FLAGS_shard_tls_cert;
  o.shard_tls_key = FLAGS_shard_tls_key;
  o.catch_up_interval_ms = FLAGS_catch_up_interval_ms;
  o.tokens_file = FLAGS_tokens_file;
  o.tls_cert = FLAGS_tls_cert;
  o.tls_key = FLAGS_tls_key;
  o.tls_client_ca = FLAGS_tls_client_ca;
  o.allow_insecure_remote = FLAGS_allow_insecure_remote;
  o.max_message_bytes = FLAGS_max_message_bytes;
  o.max_inflight = FLAGS_max_inflight;
  o.sync_writes = FLAGS_sync_writes;
  o.shutdown_grace_ms = FLAGS_shutdown_grace_ms;
  o.snapshot_ttl_seconds = FLAGS_snapshot_ttl_seconds;
  o.search_threads = FLAGS_search_threads;
  o.db_options = FLAGS_db_options;
  return o;
}

int Serve() {
  drift::server::ServerOptions options = OptionsFromFlags();
  std::vector<std::string> warnings;
  rocksdb::Status s = drift::server::ValidateServerOptions(options, &warnings);
  if (!s.ok()) {
    fprintf(stderr, "drift_server: %s\n", s.ToString().c_str());
    return 2;
  }
  for (const auto& w : warnings) {
    fprintf(stderr, "drift_server: WARNING: %s\n", w.c_str());
    LOG(WARNING) << w;
  }
  if (options.tokens_file.empty() && options.tls_cert.empty()) {
    fprintf(stderr,
            "drift_server: no TLS and no tokens: every client that reaches "
            "%s may read and write\n",
            options.listen.c_str());
  }
  // SIGTERM/SIGINT are blocked in every thread (gRPC's inherit the mask) and
  // taken by sigwait below, so shutdown runs on this thread, not in a
  // handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<drift::server::DriftServer> server;
  s = drift::server::DriftServer::Start(options, &server);
  if (!s.ok()) {
    fprintf(stderr, "drift_server: %s\n", s.ToString().c_str());
    return 1;
  }
  printf("drift_server listening on %s\n", server->address().c_str());
  fflush(stdout);
  LOG(INFO) << "listening on " << server->address() << ", role " << options.role
            << ", db " << options.db_path << options.shards;
  int signal = 0;
  sigwait(&signals, &signal);
  fprintf(stderr, "drift_server: signal %d, shutting down\n", signal);
  LOG(INFO) << "signal " << signal << ", shutting down";
  s = server->Shutdown();
  if (!s.ok()) {
    fprintf(stderr, "drift_server: shutdown: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = drift::tools::CommandLine(argc, argv);
  gflags::SetUsageMessage("drift_server --db=PATH [--listen=HOST:PORT] ...");
  if (drift::tools::ParseFlagsOrShowHelp(&argc, &argv, "server/main.cc")) {
    return 0;
  }
  if (!FLAGS_config.empty() && !ApplyConfigFile(FLAGS_config)) return 2;
  return drift::tools::RunLogged(argv[0], command, Serve);
}
