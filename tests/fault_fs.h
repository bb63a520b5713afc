// FaultFs: a rocksdb::FileSystem wrapper that fails chosen operations (reads,
// appends, syncs, renames) on files whose name matches a pattern, on schedule
// (the n-th matching call and every one after it) or at random, and counts
// what it injected. Faults come back as IOStatus::IOError with the retryable
// flag clear, as a failing disk would report them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "rocksdb/file_system.h"

namespace drift {
namespace test {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  enum Op { kRead = 0, kAppend, kSync, kRename, kNumOps };

  explicit FaultFs(const std::shared_ptr<rocksdb::FileSystem>& base)
      : rocksdb::FileSystemWrapper(base) {}

  static const char* kClassName() { return "DriftTestFaultFs"; }
  const char* Name() const override { return kClassName(); }

  // Fails calls of `op` on files whose name contains `name_part` ("" = every
  // file): the first `after` matching calls succeed, every later one fails.
  void FailAfter(Op op, const std::string& name_part, uint64_t after);
  // Fails each matching call of `op` with probability `p`.
  void FailRandomly(Op op, const std::string& name_part, double p,
                    uint64_t seed);
  // Stops injecting faults of every kind.
  void Clear();
  uint64_t injected(Op op) const { return injected_[op].load(); }
  uint64_t total_injected() const;

  // Called by the wrapped files: an error if this call must fail.
  rocksdb::IOStatus Check(Op op, const std::string& fname);

  rocksdb::IOStatus NewWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src,
                               const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

 private:
  // A file opened on the target, wrapped so its writes can fail.
  rocksdb::IOStatus WrapWritable(
      const std::string& fname, rocksdb::IOStatus s,
      std::unique_ptr<rocksdb::FSWritableFile> file,
      std::unique_ptr<rocksdb::FSWritableFile>* result);

  struct Rule {
    bool active = false;
    std::string name_part;
    bool random = false;
    uint64_t after = 0;  // Scheduled: matching calls that still succeed.
    double p = 0;
  };

  mutable std::mutex mu_;
  Rule rules_[kNumOps];
  std::mt19937_64 rng_;
  std::atomic<uint64_t> injected_[kNumOps] = {};
};

}  // namespace test
}  // namespace drift
