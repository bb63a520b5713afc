// Admission of requests, shared by DriftService and RouterService: the
// requests in flight (shutdown waits for them; beyond max_inflight a request
// is refused at once instead of queueing), the shutdown flag, and the counts
// Stats reports.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "drift.pb.h"

namespace drift {
namespace server {

bool DeadlinePassed(const grpc::ServerContext& ctx);

class Admission {
 public:
  // `server` names the server in messages ("drift_server (router)").
  Admission(std::string server, uint32_t max_inflight);

  // One request, counted in flight while it lives. status(): OK if it may
  // run; else UNAVAILABLE (shutting down), RESOURCE_EXHAUSTED (max_inflight
  // others run) or DEADLINE_EXCEEDED (its deadline passed already).
  class Ticket {
   public:
    Ticket(Admission* admission, const grpc::ServerContext& ctx);
    ~Ticket() { admission_->inflight_.fetch_sub(1); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    const grpc::Status& status() const { return status_; }

   private:
    Admission* const admission_;
    grpc::Status status_;
  };

  // From now on tickets are UNAVAILABLE; requests admitted before run on.
  void BeginShutdown() { shutting_down_.store(true); }
  bool shutting_down() const { return shutting_down_.load(); }
  // UNAVAILABLE naming the server (also for a stream that outlives the start
  // of the shutdown).
  grpc::Status ShuttingDown() const;
  // Waits until no ticket lives, or until `deadline`; true if idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) const;
  // Requests in flight, refused for overload, and the uptime.
  void FillStats(v1::StatsResponse* resp) const;

 private:
  const std::string server_;
  const uint32_t max_inflight_;
  const std::chrono::steady_clock::time_point started_;
  // A ticket counts itself before it reads the flag (both seq_cst): either
  // WaitIdle sees the request, or the request sees the shutdown.
  std::atomic<uint64_t> inflight_{0};
  std::atomic<bool> shutting_down_{false};
  std::atomic<uint64_t> rejected_overload_{0};
};

}  // namespace server
}  // namespace drift
