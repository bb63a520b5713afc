#include "server/snapshot_leases.h"

#include <string>

namespace drift {
namespace server {

SnapshotLeases::Snapshot SnapshotLeases::Take() const {
  rocksdb::DB* db = db_;
  return Snapshot(db->GetSnapshot(),
                  [db](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
}

uint64_t SnapshotLeases::Create(Clock::duration ttl, Snapshot* snapshot) {
  *snapshot = Take();
  const Clock::time_point now = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now);
  const uint64_t token = next_token_++;
  leases_[token] = Lease{*snapshot, now + ttl};
  return token;
}

rocksdb::Status SnapshotLeases::Find(uint64_t token, Snapshot* snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(Clock::now());
  auto it = leases_.find(token);
  if (it == leases_.end()) {
    return rocksdb::Status::NotFound("snapshot token " + std::to_string(token) +
                                     " is unknown, released or expired");
  }
  *snapshot = it->second.snapshot;
  return rocksdb::Status::OK();
}

rocksdb::Status SnapshotLeases::Release(uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (leases_.erase(token) == 0) {
    return rocksdb::Status::NotFound("snapshot token " + std::to_string(token) +
                                     " is unknown, released or expired");
  }
  return rocksdb::Status::OK();
}

void SnapshotLeases::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  leases_.clear();
}

void SnapshotLeases::ExpireLocked(Clock::time_point now) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    it = it->second.expiry <= now ? leases_.erase(it) : std::next(it);
  }
}

}  // namespace server
}  // namespace drift
