#include "server/admission.h"

#include <thread>
#include <utility>

namespace drift {
namespace server {

bool DeadlinePassed(const grpc::ServerContext& ctx) {
  return ctx.deadline() <= std::chrono::system_clock::now();
}

Admission::Admission(std::string server, uint32_t max_inflight)
    : server_(std::move(server)),
      max_inflight_(max_inflight),
      started_(std::chrono::steady_clock::now()) {}

Admission::Ticket::Ticket(Admission* admission, const grpc::ServerContext& ctx)
    : admission_(admission) {
  const uint64_t others = admission->inflight_.fetch_add(1);
  if (admission->shutting_down_.load()) {
    status_ = admission->ShuttingDown();
  } else if (others >= admission->max_inflight_) {
    admission->rejected_overload_.fetch_add(1);
    status_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           admission->server_ + " is at its limit of " +
                               std::to_string(admission->max_inflight_) +
                               " requests in flight (--max_inflight); retry "
                               "later");
  } else if (DeadlinePassed(ctx)) {
    status_ = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                           "deadline passed before the request started");
  }
}

grpc::Status Admission::ShuttingDown() const {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      server_ + " is shutting down");
}

bool Admission::WaitIdle(std::chrono::steady_clock::time_point deadline) const {
  while (inflight_.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void Admission::FillStats(v1::StatsResponse* resp) const {
  resp->set_inflight_requests(inflight_.load());
  resp->set_requests_rejected_overload(rejected_overload_.load());
  resp->set_uptime_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now() - started_)
                               .count());
}

}  // namespace server
}  // namespace drift
