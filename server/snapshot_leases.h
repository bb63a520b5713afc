// Snapshot tokens (CreateSnapshot/ReleaseSnapshot): RocksDB snapshots that
// the server holds for clients under a lease, so a client can run several
// Get/Search calls against one consistent state of the database. A lease not
// renewed by its expiry is released, so a client that vanishes cannot pin
// old versions forever.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "rocksdb/db.h"
#include "rocksdb/status.h"

namespace drift {
namespace server {

class SnapshotLeases {
 public:
  using Clock = std::chrono::steady_clock;
  using Snapshot = std::shared_ptr<const rocksdb::Snapshot>;

  explicit SnapshotLeases(rocksdb::DB* db) : db_(db) {}

  // A snapshot of the DB now; the snapshot itself stays valid while any
  // holder of the returned pointer keeps it (released on the last one).
  Snapshot Take() const;
  // Take() under a new token leased for `ttl`.
  uint64_t Create(Clock::duration ttl, Snapshot* snapshot);
  // NotFound if the token is unknown, released or expired.
  rocksdb::Status Find(uint64_t token, Snapshot* snapshot);
  // NotFound if the token is unknown.
  rocksdb::Status Release(uint64_t token);
  // Drops every lease (before the DB closes; holders must be gone too).
  void Clear();

 private:
  struct Lease {
    Snapshot snapshot;
    Clock::time_point expiry;
  };
  void ExpireLocked(Clock::time_point now);

  rocksdb::DB* const db_;
  std::mutex mu_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, Lease> leases_;
};

}  // namespace server
}  // namespace drift
