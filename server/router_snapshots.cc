#include "server/router_snapshots.h"

#include <random>

#include "server/router_service.h"

namespace drift {
namespace server {
namespace {

constexpr int kTopologyShift = 48;
constexpr int kInstanceShift = 32;

// A hash of the shard list, never 0 (0 marks a shard's own token).
uint16_t TopologyOf(const std::vector<std::string>& shards) {
  std::string list;
  for (const std::string& s : shards) list += s + ",";
  const uint64_t h = ShardHash(list);
  const uint16_t t =
      static_cast<uint16_t>(h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48));
  return t == 0 ? 1 : t;
}

}  // namespace

RouterSnapshots::RouterSnapshots(const std::vector<std::string>& shards)
    : topology_(TopologyOf(shards)),
      instance_(static_cast<uint16_t>(std::random_device()())) {}

uint64_t RouterSnapshots::Create(std::vector<uint64_t> shard_tokens,
                                 Clock::duration ttl) {
  const Clock::time_point now = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now);
  const uint64_t token = (uint64_t{topology_} << kTopologyShift) |
                         (uint64_t{instance_} << kInstanceShift) |
                         next_lease_++;
  leases_[token] = Lease{std::move(shard_tokens), now + ttl};
  return token;
}

rocksdb::Status RouterSnapshots::CheckLocked(uint64_t token) const {
  const uint16_t topology = static_cast<uint16_t>(token >> kTopologyShift);
  if (topology == 0) {
    return rocksdb::Status::InvalidArgument(
        "snapshot token " + std::to_string(token) +
        " is not a router's token (a shard's own token?): take tokens with "
        "CreateSnapshot through this router");
  }
  if (topology != topology_) {
    return rocksdb::Status::InvalidArgument(
        "snapshot token " + std::to_string(token) +
        " was issued by a router over another shard list (topology " +
        std::to_string(topology) + ", this router's " +
        std::to_string(topology_) + ")");
  }
  if (static_cast<uint16_t>(token >> kInstanceShift) != instance_) {
    return rocksdb::Status::NotFound(
        "snapshot token " + std::to_string(token) +
        " was issued by another router process over these shards (or this "
        "one before a restart): a token is held by the router that issued it");
  }
  if (leases_.count(token) == 0) {
    return rocksdb::Status::NotFound("snapshot token " + std::to_string(token) +
                                     " is unknown, released or expired");
  }
  return rocksdb::Status::OK();
}

rocksdb::Status RouterSnapshots::Find(uint64_t token,
                                      std::vector<uint64_t>* shard_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(Clock::now());
  rocksdb::Status s = CheckLocked(token);
  if (s.ok()) *shard_tokens = leases_.at(token).shard_tokens;
  return s;
}

rocksdb::Status RouterSnapshots::Release(uint64_t token,
                                         std::vector<uint64_t>* shard_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(Clock::now());
  rocksdb::Status s = CheckLocked(token);
  if (!s.ok()) return s;
  *shard_tokens = std::move(leases_.at(token).shard_tokens);
  leases_.erase(token);
  return s;
}

void RouterSnapshots::ExpireLocked(Clock::time_point now) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    it = it->second.expiry <= now ? leases_.erase(it) : std::next(it);
  }
}

void WriteCut::EnterWrite() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return cuts_ == 0; });
  ++writes_;
}

void WriteCut::LeaveWrite() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--writes_ == 0) cv_.notify_all();
}

bool WriteCut::BeginCut(std::chrono::system_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  ++cuts_;  // from now on new writes wait
  const auto idle = [&] { return writes_ == 0; };
  if (deadline == std::chrono::system_clock::time_point::max()) {
    cv_.wait(lock, idle);
  } else if (!cv_.wait_until(lock, deadline, idle)) {
    if (--cuts_ == 0) cv_.notify_all();
    return false;
  }
  return true;
}

void WriteCut::EndCut() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--cuts_ == 0) cv_.notify_all();
}

}  // namespace server
}  // namespace drift
