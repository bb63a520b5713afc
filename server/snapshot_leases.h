// Snapshot tokens (CreateSnapshot/ReleaseSnapshot): RocksDB snapshots that
// the server holds for clients under a lease, so a client can run several
// Get/Search calls against one consistent state of the database. A lease not
// renewed by its expiry is released, so a client that vanishes cannot pin
// old versions forever. A lease also holds the generation of the store it
// was taken in (server/collections.h): on a worker that reopened its
// database since, reads by the token still use that generation's DB.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "rocksdb/db.h"
#include "rocksdb/status.h"
#include "server/collections.h"

namespace drift {
namespace server {

class SnapshotLeases {
 public:
  using Clock = std::chrono::steady_clock;
  using Snapshot = std::shared_ptr<const rocksdb::Snapshot>;

  // A snapshot of `db` now; the snapshot (and the DB) stays valid while any
  // holder of the returned pointer keeps it (released on the last one).
  static Snapshot Take(std::shared_ptr<rocksdb::DB> db);
  // Take(generation->db) under a new token leased for `ttl`.
  uint64_t Create(std::shared_ptr<Generation> generation, Clock::duration ttl,
                  Snapshot* snapshot);
  // The token's snapshot and generation; NotFound if the token is unknown,
  // released or expired.
  rocksdb::Status Find(uint64_t token, Snapshot* snapshot,
                       std::shared_ptr<Generation>* generation);
  // NotFound if the token is unknown.
  rocksdb::Status Release(uint64_t token);
  // Drops every lease (before the DB closes; holders must be gone too).
  void Clear();

 private:
  struct Lease {
    Snapshot snapshot;
    std::shared_ptr<Generation> generation;
    Clock::time_point expiry;
  };
  // Moves the expired leases into *gone: callers let them go after
  // unlocking (the last holder of an old generation closes its DB).
  void ExpireLocked(Clock::time_point now, std::vector<Lease>* gone);

  std::mutex mu_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, Lease> leases_;
};

}  // namespace server
}  // namespace drift
