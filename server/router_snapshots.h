// Snapshot tokens of a router (drift_server --role=router): one token of
// each shard, taken by one CreateSnapshot through the router, held under one
// router token, so Get/Search/SearchBatch with it read every shard at that
// shard's snapshot.
//
// - Consistency is per shard: each shard reads one consistent state of its
//   own. The router blocks its own writes while it takes the shards' tokens
//   (RouterService), so a write through this router that succeeded on every
//   shard is in all of the token's shard snapshots or in none; writes
//   through other routers or straight to the shards get no such guarantee
//   (there is no global cut across shards).
// - A router token is a uint64 (the API's snapshot_token): the top 16 bits
//   name the shard list (a hash of it, never 0), the next 16 this router
//   process (random at start), the low 32 a lease number. A token whose top
//   bits are 0 (a shard's own token) or name another shard list is
//   InvalidArgument; one of another router process over the same shards (or
//   of this one before a restart), unknown, released or expired is NotFound.
// - The router's lease ends with the shortest of its shards' leases; the
//   shards expire theirs themselves, and Release is forwarded to them by
//   RouterService.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rocksdb/status.h"

namespace drift {
namespace server {

class RouterSnapshots {
 public:
  using Clock = std::chrono::steady_clock;

  // Tokens for a router over `shards` (in --shards order).
  explicit RouterSnapshots(const std::vector<std::string>& shards);

  // A new router token holding `shard_tokens` (one per shard, in shard
  // order) for `ttl`.
  uint64_t Create(std::vector<uint64_t> shard_tokens, Clock::duration ttl);
  // The shard tokens of `token` (see above for the errors).
  rocksdb::Status Find(uint64_t token, std::vector<uint64_t>* shard_tokens);
  // Find, then forgets the token.
  rocksdb::Status Release(uint64_t token, std::vector<uint64_t>* shard_tokens);

  // The top 16 bits of this router's tokens.
  uint16_t topology() const { return topology_; }

 private:
  struct Lease {
    std::vector<uint64_t> shard_tokens;
    Clock::time_point expiry;
  };
  // OK, or why `token` cannot be this router's; under mu_.
  rocksdb::Status CheckLocked(uint64_t token) const;
  // Drops the leases expired at `now`; under mu_.
  void ExpireLocked(Clock::time_point now);

  const uint16_t topology_;
  const uint16_t instance_;
  std::mutex mu_;
  uint32_t next_lease_ = 1;
  std::map<uint64_t, Lease> leases_;
};

// Keeps a router's own writes out of the moment it takes its shards'
// tokens: a write runs between EnterWrite and LeaveWrite (its calls to every
// shard it touches); a cut (BeginCut to EndCut) waits until no write runs,
// and new writes wait while a cut is pending or running (so cuts do not
// starve under a stream of writes). Cuts may overlap each other.
class WriteCut {
 public:
  // EnterWrite for its lifetime.
  class Write {
   public:
    explicit Write(WriteCut* cut) : cut_(cut) { cut_->EnterWrite(); }
    ~Write() { cut_->LeaveWrite(); }
    Write(const Write&) = delete;
    Write& operator=(const Write&) = delete;

   private:
    WriteCut* const cut_;
  };

  void EnterWrite();
  void LeaveWrite();
  // False if writes still ran at `deadline` (then no cut is held).
  bool BeginCut(std::chrono::system_clock::time_point deadline);
  void EndCut();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int writes_ = 0;  // running
  int cuts_ = 0;    // pending or running
};

}  // namespace server
}  // namespace drift
