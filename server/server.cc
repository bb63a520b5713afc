#include "server/server.h"

#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace drift {
namespace server {
namespace {

using rocksdb::Status;

// The contents of the file `flag` names; IOError naming both if unreadable.
Status ReadFile(const char* flag, const std::string& path,
                std::string* contents) {
  std::ifstream file(path);
  if (!file) {
    return Status::IOError(std::string(flag) + ": cannot read '" + path + "'");
  }
  std::stringstream text;
  text << file.rdbuf();
  *contents = text.str();
  return Status::OK();
}

Status Credentials(const ServerOptions& o,
                   std::shared_ptr<grpc::ServerCredentials>* creds) {
  if (o.tls_cert.empty()) {
    *creds = grpc::InsecureServerCredentials();
    return Status::OK();
  }
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  Status s = ReadFile("--tls_key", o.tls_key, &pair.private_key);
  if (s.ok()) s = ReadFile("--tls_cert", o.tls_cert, &pair.cert_chain);
  if (!s.ok()) return s;
  grpc::SslServerCredentialsOptions ssl(
      o.tls_client_ca.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!o.tls_client_ca.empty()) {
    s = ReadFile("--tls_client_ca", o.tls_client_ca, &ssl.pem_root_certs);
    if (!s.ok()) return s;
  }
  ssl.pem_key_cert_pairs.push_back(pair);
  *creds = grpc::SslServerCredentials(ssl);
  return Status::OK();
}

}  // namespace

Status DriftServer::Start(const ServerOptions& options,
                          std::unique_ptr<DriftServer>* out) {
  std::vector<std::string> warnings;
  Status s = ValidateServerOptions(options, &warnings);
  if (!s.ok()) return s;
  TokenAuthorizer authorizer;
  if (!options.tokens_file.empty()) {
    s = TokenAuthorizer::LoadFile(options.tokens_file, &authorizer);
    if (!s.ok()) return s;
  }
  std::shared_ptr<grpc::ServerCredentials> creds;
  s = Credentials(options, &creds);
  if (!s.ok()) return s;

  std::unique_ptr<DriftServer> server(new DriftServer());
  server->options_ = options;
  grpc::Service* service = nullptr;
  if (options.role == "router") {
    RouterOptions router_options;
    s = ParseShardList(options.shards, &router_options.shards);
    if (!s.ok()) return s;
    router_options.max_message_bytes = options.max_message_bytes;
    router_options.max_inflight = options.max_inflight;
    if (!options.shard_tls_ca.empty()) {
      s = ReadFile("--shard_tls_ca", options.shard_tls_ca,
                   &router_options.shard_root_certs);
    }
    if (s.ok() && !options.shard_tls_cert.empty()) {
      s = ReadFile("--shard_tls_cert", options.shard_tls_cert,
                   &router_options.shard_cert_chain);
      if (s.ok()) {
        s = ReadFile("--shard_tls_key", options.shard_tls_key,
                     &router_options.shard_private_key);
      }
    }
    if (!s.ok()) return s;
    server->router_.reset(
        new RouterService(router_options, std::move(authorizer)));
    service = server->router_.get();
  } else {
    s = server->OpenStore(std::move(authorizer));
    if (!s.ok()) return s;
    service = server->service_.get();
  }

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, creds, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  // Bounds the sync server's threads; the in-flight limit (DriftService)
  // rejects load before this does.
  grpc::ResourceQuota quota("drift_server");
  quota.SetMaxThreads(static_cast<int>(2 * options.max_inflight + 16));
  builder.SetResourceQuota(quota);
  builder.RegisterService(service);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return Status::IOError("cannot listen on " + options.listen);
  }
  const std::string& listen = options.listen;
  server->address_ =
      listen.substr(0, listen.rfind(':')) + ":" + std::to_string(server->port_);
  if (server->store_ && server->store_->secondary()) {
    server->catch_up_thread_ =
        std::thread([s = server.get()] { s->CatchUpLoop(); });
  }
  *out = std::move(server);
  return Status::OK();
}

Status DriftServer::OpenStore(TokenAuthorizer authorizer) {
  const ServerOptions& options = options_;
  StoreOptions store_options;
  store_options.db_path = options.db_path;
  if (options.role == "worker")
    store_options.secondary_path = options.secondary_path;
  store_options.db_options = options.db_options;
  store_options.search_threads = options.search_threads;
  Status s = CollectionStore::Open(store_options, &store_);
  if (!s.ok()) return s;
  ServiceOptions service_options;
  service_options.max_inflight = options.max_inflight;
  service_options.sync_writes = options.sync_writes;
  service_options.snapshot_ttl_seconds = options.snapshot_ttl_seconds;
  service_options.role = options.role;
  service_.reset(
      new DriftService(store_.get(), service_options, std::move(authorizer)));
  return Status::OK();
}

void DriftServer::CatchUpLoop() {
  std::unique_lock<std::mutex> lock(catch_up_mu_);
  while (!stop_catch_up_) {
    lock.unlock();
    uint64_t unserved = 0;
    bool reopened = false;
    const Status s = store_->CatchUp(&unserved, &reopened);
    if (s.ok()) {
      service_->RecordCatchUp(unserved, reopened);
    } else {
      fprintf(stderr, "drift_server: catch-up with the primary failed: %s\n",
              s.ToString().c_str());
    }
    lock.lock();
    catch_up_cv_.wait_for(
        lock, std::chrono::milliseconds(options_.catch_up_interval_ms),
        [this] { return stop_catch_up_; });
  }
}

DriftServer::~DriftServer() { Shutdown().PermitUncheckedError(); }

Status DriftServer::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return Status::OK();
  shut_down_ = true;
  // Requests admitted before BeginShutdown finish (up to the grace period);
  // later ones get UNAVAILABLE. Then gRPC stops at once: waiting in
  // grpc::Server::Shutdown itself would also wait for idle client
  // connections to go away.
  const auto grace = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(options_.shutdown_grace_ms);
  if (service_) {
    service_->BeginShutdown();
    service_->WaitIdle(grace);
  }
  if (router_) {
    router_->BeginShutdown();
    router_->WaitIdle(grace);
  }
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();  // handlers still running (cancelled ones) return
  }
  if (catch_up_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> stop(catch_up_mu_);
      stop_catch_up_ = true;
    }
    catch_up_cv_.notify_all();
    catch_up_thread_.join();
  }
  if (service_) service_->ReleaseSnapshots();
  return store_ ? store_->Close() : Status::OK();
}

}  // namespace server
}  // namespace drift
