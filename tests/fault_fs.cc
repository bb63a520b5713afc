#include "tests/fault_fs.h"

namespace drift {
namespace test {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

namespace {

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile>&& file,
                    FaultFs* fs, std::string fname)
      : rocksdb::FSWritableFileOwnerWrapper(std::move(file)),
        fs_(fs),
        fname_(std::move(fname)) {}

  IOStatus Append(const Slice& data, const IOOptions& options,
                  IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kAppend, fname_);
    return s.ok() ? target()->Append(data, options, dbg) : s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kAppend, fname_);
    return s.ok() ? target()->Append(data, options, info, dbg) : s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kAppend, fname_);
    return s.ok() ? target()->PositionedAppend(data, offset, options, dbg) : s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            const rocksdb::DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kAppend, fname_);
    return s.ok() ? target()->PositionedAppend(data, offset, options, info, dbg)
                  : s;
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kSync, fname_);
    return s.ok() ? target()->Sync(options, dbg) : s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kSync, fname_);
    return s.ok() ? target()->Fsync(options, dbg) : s;
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kSync, fname_);
    return s.ok() ? target()->RangeSync(offset, nbytes, options, dbg) : s;
  }

 private:
  FaultFs* const fs_;
  const std::string fname_;
};

class FaultRandomAccessFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile>&& file,
                        FaultFs* fs, std::string fname)
      : rocksdb::FSRandomAccessFileOwnerWrapper(std::move(file)),
        fs_(fs),
        fname_(std::move(fname)) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& options,
                Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    IOStatus s = fs_->Check(FaultFs::kRead, fname_);
    return s.ok() ? target()->Read(offset, n, options, result, scratch, dbg)
                  : s;
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                     const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(FaultFs::kRead, fname_);
    if (s.ok()) return target()->MultiRead(reqs, num_reqs, options, dbg);
    for (size_t i = 0; i < num_reqs; ++i) reqs[i].status = s;
    return s;
  }

 private:
  FaultFs* const fs_;
  const std::string fname_;
};

}  // namespace

void FaultFs::FailAfter(Op op, const std::string& name_part, uint64_t after) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_[op] = Rule{true, name_part, false, after, 0};
}

void FaultFs::FailRandomly(Op op, const std::string& name_part, double p,
                           uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_[op] = Rule{true, name_part, true, 0, p};
  rng_.seed(seed);
}

void FaultFs::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Rule& r : rules_) r = Rule();
}

uint64_t FaultFs::total_injected() const {
  uint64_t total = 0;
  for (const auto& n : injected_) total += n.load();
  return total;
}

IOStatus FaultFs::Check(Op op, const std::string& fname) {
  std::lock_guard<std::mutex> lock(mu_);
  Rule& r = rules_[op];
  if (!r.active || fname.find(r.name_part) == std::string::npos) {
    return IOStatus::OK();
  }
  bool fail;
  if (r.random) {
    fail = std::uniform_real_distribution<double>(0, 1)(rng_) < r.p;
  } else if (r.after > 0) {
    --r.after;
    fail = false;
  } else {
    fail = true;
  }
  if (!fail) return IOStatus::OK();
  ++injected_[op];
  static const char* const kOpNames[kNumOps] = {"read", "append", "sync",
                                                "rename"};
  return IOStatus::IOError("injected " + std::string(kOpNames[op]) + " fault",
                           fname);
}

IOStatus FaultFs::WrapWritable(
    const std::string& fname, IOStatus s,
    std::unique_ptr<rocksdb::FSWritableFile> file,
    std::unique_ptr<rocksdb::FSWritableFile>* result) {
  if (s.ok())
    result->reset(new FaultWritableFile(std::move(file), this, fname));
  return s;
}

IOStatus FaultFs::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->NewWritableFile(fname, options, &file, dbg);
  return WrapWritable(fname, s, std::move(file), result);
}

IOStatus FaultFs::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->ReopenWritableFile(fname, options, &file, dbg);
  return WrapWritable(fname, s, std::move(file), result);
}

IOStatus FaultFs::NewRandomAccessFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSRandomAccessFile>* result, IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  IOStatus s = target()->NewRandomAccessFile(fname, options, &file, dbg);
  if (s.ok()) {
    result->reset(new FaultRandomAccessFile(std::move(file), this, fname));
  }
  return s;
}

IOStatus FaultFs::RenameFile(const std::string& src, const std::string& target,
                             const IOOptions& options, IODebugContext* dbg) {
  IOStatus s = Check(kRename, target);
  return s.ok() ? FileSystemWrapper::RenameFile(src, target, options, dbg) : s;
}

}  // namespace test
}  // namespace drift
