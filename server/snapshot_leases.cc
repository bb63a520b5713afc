#include "server/snapshot_leases.h"

#include <string>

namespace drift {
namespace server {
namespace {

rocksdb::Status Unknown(uint64_t token) {
  return rocksdb::Status::NotFound("snapshot token " + std::to_string(token) +
                                   " is unknown, released or expired");
}

}  // namespace

SnapshotLeases::Snapshot SnapshotLeases::Take(std::shared_ptr<rocksdb::DB> db) {
  const rocksdb::Snapshot* snapshot = db->GetSnapshot();
  return Snapshot(snapshot, [db = std::move(db)](const rocksdb::Snapshot* s) {
    db->ReleaseSnapshot(s);
  });
}

uint64_t SnapshotLeases::Create(std::shared_ptr<Generation> generation,
                                Clock::duration ttl, Snapshot* snapshot) {
  *snapshot = Take(generation->db);
  const Clock::time_point now = Clock::now();
  std::vector<Lease> gone;  // let go after the lock
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now, &gone);
  const uint64_t token = next_token_++;
  leases_[token] = Lease{*snapshot, std::move(generation), now + ttl};
  return token;
}

rocksdb::Status SnapshotLeases::Find(uint64_t token, Snapshot* snapshot,
                                     std::shared_ptr<Generation>* generation) {
  std::vector<Lease> gone;
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(Clock::now(), &gone);
  auto it = leases_.find(token);
  if (it == leases_.end()) {
    return Unknown(token);
  }
  *snapshot = it->second.snapshot;
  *generation = it->second.generation;
  return rocksdb::Status::OK();
}

rocksdb::Status SnapshotLeases::Release(uint64_t token) {
  std::vector<Lease> gone;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = leases_.find(token);
  if (it == leases_.end()) {
    return Unknown(token);
  }
  gone.push_back(std::move(it->second));
  leases_.erase(it);
  return rocksdb::Status::OK();
}

void SnapshotLeases::Clear() {
  std::map<uint64_t, Lease> gone;
  std::lock_guard<std::mutex> lock(mu_);
  gone.swap(leases_);
}

void SnapshotLeases::ExpireLocked(Clock::time_point now,
                                  std::vector<Lease>* gone) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second.expiry <= now) {
      gone->push_back(std::move(it->second));
      it = leases_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace server
}  // namespace drift
