// DriftServer: drift_server's process-independent core, so tests can run it
// in-process: opens the database (CollectionStore; a router has none and
// serves RouterService instead), listens (TLS or not,
// message size limits), serves DriftService, and shuts down gracefully.
#pragma once

#include <grpcpp/server.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rocksdb/status.h"
#include "server/collections.h"
#include "server/drift_service.h"
#include "server/options.h"
#include "server/router_service.h"

namespace drift {
namespace server {

class DriftServer {
 public:
  // Validates the options (ValidateServerOptions; its warnings are the
  // caller's to print), loads tokens and TLS files, opens the database and
  // starts listening. IOError if the address cannot be bound.
  static rocksdb::Status Start(const ServerOptions& options,
                               std::unique_ptr<DriftServer>* server);
  ~DriftServer();

  // host:port actually bound (the port chosen for port 0).
  const std::string& address() const { return address_; }
  int port() const { return port_; }

  // Graceful shutdown, idempotent: new requests get UNAVAILABLE, requests in
  // flight get shutdown_grace_ms to finish (then they are cancelled), then
  // a worker's catch-up stops, and the indexes and the DB close. Every write
  // acknowledged before is in the WAL (and in the DB when it reopens).
  rocksdb::Status Shutdown();

 private:
  DriftServer() = default;
  // Opens the database and the DriftService of a primary or a worker.
  rocksdb::Status OpenStore(TokenAuthorizer authorizer);
  // A worker's loop: CatchUp every catch_up_interval_ms until Shutdown.
  void CatchUpLoop();

  ServerOptions options_;
  std::unique_ptr<CollectionStore> store_;
  std::unique_ptr<DriftService> service_;  // primary or worker
  std::unique_ptr<RouterService> router_;  // router
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
  std::mutex catch_up_mu_;
  std::condition_variable catch_up_cv_;
  bool stop_catch_up_ = false;  // guarded by catch_up_mu_
  std::thread catch_up_thread_;
};

}  // namespace server
}  // namespace drift
