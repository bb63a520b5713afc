#include "tools/ldb_load_commands.h"

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <vector>

#include "drift/memtable_options.h"
#include "drift/table_options.h"
#include "drift/vector_index.h"
#include "rocksdb/convenience.h"
#include "tools/ldb_vector_command.h"
#include "util/dataset.h"

namespace drift {
namespace tools {
namespace {

using rocksdb::Status;

constexpr char kArgDimension[] = "dimension";
constexpr char kArgCfOptions[] = "cf_options";
constexpr char kArgMetric[] = "metric";
constexpr char kArgKeyPrefix[] = "key_prefix";
constexpr char kArgFirstId[] = "first_id";
constexpr char kArgBatchSize[] = "batch_size";
constexpr char kFlagNoFlush[] = "no_flush";
constexpr char kArgNumBuckets[] = "num_buckets";
constexpr char kFlagNoRebucket[] = "no_rebucket";
constexpr uint32_t kMaxDimension = 1 << 16;

// create_vector_cf <name> --dimension=<d> [--metric=l2|ip|cosine]
//   [--cf_options=<option string>]
class CreateVectorCfCommand : public VectorCommand {
 public:
  static std::string Name() { return "create_vector_cf"; }
  CreateVectorCfCommand(const std::vector<std::string>& params,
                        const std::map<std::string, std::string>& options,
                        const std::vector<std::string>& flags)
      : VectorCommand(
            options, flags, /*is_read_only=*/false,
            {ARG_CREATE_IF_MISSING, kArgDimension, kArgMetric, kArgCfOptions}) {
    create_if_missing_ = IsFlagPresent(flags, ARG_CREATE_IF_MISSING);
    uint64_t dim = 0;
    if (params.size() != 1) {
      Fail(
          "create_vector_cf needs one argument: create_vector_cf <name> "
          "--dimension=<d>");
    } else if (options.count(kArgDimension) == 0) {
      Fail("create_vector_cf needs --dimension=<d>");
    } else if (ParseUint(options, kArgDimension, 1, kMaxDimension, &dim)) {
      name_ = params[0];
      dimension_ = static_cast<uint32_t>(dim);
      auto it = options.find(kArgCfOptions);
      if (it != options.end()) cf_options_ = it->second;
      it = options.find(kArgMetric);
      Status s = it != options.end() ? ParseMetric(it->second, &metric_)
                                     : Status::OK();
      if (!s.ok()) Fail("--metric: " + std::string(s.getState()));
    }
  }

  // ldb's base options never create a DB; this command may.
  void OverrideBaseOptions() override {
    LDBCommand::OverrideBaseOptions();
    options_.create_if_missing = create_if_missing_;
  }

  void DoCommand() override {
    if (db_ == nullptr) return;  // OpenDB failed; exec_state_ says why
    // Drift's factories of this dimension, then the user's options on top;
    // an option RocksDB does not know is an error, not silently skipped.
    rocksdb::ColumnFamilyOptions cf_opts = VectorColumnFamilyOptions(
        dimension_, metric_, rocksdb::ColumnFamilyOptions());
    rocksdb::ConfigOptions config;
    config.ignore_unsupported_options = false;
    Status s = rocksdb::GetColumnFamilyOptionsFromString(config, cf_opts,
                                                         cf_options_, &cf_opts);
    if (!s.ok()) return Fail("--cf_options: " + s.ToString());
    const auto* topts = cf_opts.table_factory->GetOptions<DriftTableOptions>();
    const auto* mopts =
        cf_opts.memtable_factory->GetOptions<DriftMemTableOptions>();
    if (topts == nullptr || mopts == nullptr ||
        topts->dimension != dimension_ || mopts->dimension != dimension_ ||
        topts->metric != mopts->metric) {
      return Fail(
          "--cf_options: a vector column family needs table_factory "
          "DriftTable and memtable_factory DriftMemTable of dimension " +
          std::to_string(dimension_) + " and of one metric");
    }
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    s = db_->CreateColumnFamily(cf_opts, name_, &handle);
    if (!s.ok()) return Fail("cannot create column family: " + s.ToString());
    db_->DestroyColumnFamilyHandle(handle);
    std::printf("OK: vector column family '%s', dimension %u, metric %s\n",
                name_.c_str(), dimension_, MetricName(topts->metric));
  }

 private:
  std::string name_;
  uint32_t dimension_ = 0;
  Metric metric_ = Metric::kL2;
  std::string cf_options_;
};

// vload <file.fvecs> [--key_prefix=vec] [--first_id=0] [--batch_size=1000]
//   [--no_flush]: vector i of the file under <prefix><first_id + i, 10
//   digits>, in write batches, then a flush.
class VLoadCommand : public VectorCommand {
 public:
  static std::string Name() { return "vload"; }
  VLoadCommand(const std::vector<std::string>& params,
               const std::map<std::string, std::string>& options,
               const std::vector<std::string>& flags)
      : VectorCommand(
            options, flags, /*is_read_only=*/false,
            {kArgKeyPrefix, kArgFirstId, kArgBatchSize, kFlagNoFlush}) {
    if (params.size() != 1) {
      Fail("vload needs one argument: vload <file.fvecs>");
      return;
    }
    path_ = params[0];
    auto it = options.find(kArgKeyPrefix);
    if (it != options.end()) prefix_ = it->second;
    flush_ = !IsFlagPresent(flags, kFlagNoFlush);
    if (ParseUint(options, kArgFirstId, 0, 9999999999ull, &first_id_)) {
      ParseUint(options, kArgBatchSize, 1, 1000000, &batch_size_);
    }
  }

  void DoCommand() override {
    std::unique_ptr<VectorIndex> index;
    if (!AttachIndex(&index)) return;
    std::vector<float> data;
    uint32_t dim = 0;
    Status s = ReadFvecs(path_, &data, &dim);
    if (!s.ok()) return Fail(path_ + ": " + s.ToString());
    const uint64_t n = dim == 0 ? 0 : data.size() / dim;
    if (n == 0) return Fail(path_ + " holds no vector");
    if (dim != index->dimension()) {
      return Fail(path_ + " holds " + std::to_string(dim) +
                  "-d vectors, column family '" + GetCfHandle()->GetName() +
                  "' has dimension " + std::to_string(index->dimension()));
    }
    if (first_id_ + n - 1 > 9999999999ull) {
      return Fail("--first_id + vectors exceed 10 digits");
    }
    rocksdb::WriteBatch batch;
    std::vector<float> v(dim);
    for (uint64_t i = 0; i < n; ++i) {
      v.assign(data.begin() + i * dim, data.begin() + (i + 1) * dim);
      s = index->Put(&batch, Key(first_id_ + i), v);
      if (!s.ok())
        return Fail("vector " + std::to_string(i) + ": " + s.ToString());
      if (batch.Count() == batch_size_ || i + 1 == n) {
        s = db_->Write(rocksdb::WriteOptions(), &batch);
        if (!s.ok()) return Fail(s.ToString());
        batch.Clear();
      }
    }
    if (flush_) s = db_->Flush(rocksdb::FlushOptions(), GetCfHandle());
    if (!s.ok()) return Fail("flush: " + s.ToString());
    std::printf("OK: %" PRIu64 " vectors of dimension %u as %s .. %s%s\n", n,
                dim, Key(first_id_).c_str(), Key(first_id_ + n - 1).c_str(),
                flush_ ? ", flushed" : "");
  }

 private:
  std::string Key(uint64_t id) const {
    char digits[16];
    std::snprintf(digits, sizeof(digits), "%010" PRIu64, id);
    return prefix_ + digits;
  }

  std::string path_;
  std::string prefix_ = "vec";
  uint64_t first_id_ = 0;
  uint64_t batch_size_ = 1000;
  bool flush_ = true;
};

// vtrain [--num_buckets=<n>] [--no_rebucket]
class VTrainCommand : public VectorCommand {
 public:
  static std::string Name() { return "vtrain"; }
  VTrainCommand(const std::vector<std::string>& params,
                const std::map<std::string, std::string>& options,
                const std::vector<std::string>& flags)
      : VectorCommand(options, flags, /*is_read_only=*/false,
                      {kArgNumBuckets, kFlagNoRebucket}) {
    if (!params.empty()) Fail("vtrain takes no argument");
    uint64_t buckets = 0;
    if (ParseUint(options, kArgNumBuckets, 1, 1u << 24, &buckets)) {
      train_.num_buckets = static_cast<uint32_t>(buckets);
    }
    train_.rebucket = !IsFlagPresent(flags, kFlagNoRebucket);
  }

  void DoCommand() override {
    std::unique_ptr<VectorIndex> index;
    if (!AttachIndex(&index)) return;
    Status s = index->Train(train_);
    IndexStats st;
    if (s.ok()) s = index->GetStats(&st);
    if (!s.ok()) return Fail(s.ToString());
    std::printf("OK: codebook epoch %" PRIu64 "%s\n", st.codebook_epoch,
                train_.rebucket ? ", segments re-bucketed" : "");
  }

 private:
  TrainOptions train_;
};

}  // namespace

const char kLoadCommandsHelp[] =
    "  create_vector_cf <name> --dimension=<d> [--metric=l2|ip|cosine]\n"
    "        [--cf_options=<options>]\n"
    "      creates a vector column family: DriftTable and DriftMemTable of\n"
    "      dimension d and the metric (default l2), then the option string\n"
    "      on top (e.g. \"write_buffer_size=8M\"); with --create_if_missing,\n"
    "      the DB too\n"
    "  vload <file.fvecs> [--key_prefix=vec] [--first_id=0] "
    "[--batch_size=1000]\n"
    "        [--no_flush]\n"
    "      writes vector i of the file under <key_prefix><first_id + i as 10\n"
    "      digits>, in write batches, then flushes the column family\n"
    "  vtrain [--num_buckets=<n>] [--no_rebucket]\n"
    "      trains the codebook (buckets: vectors / 256 by default), then\n"
    "      compacts so that every segment is bucketed with it\n";

rocksdb::LDBCommand* SelectLoadCommand(
    const rocksdb::LDBCommand::ParsedParams& p) {
  if (p.cmd == CreateVectorCfCommand::Name()) {
    return new CreateVectorCfCommand(p.cmd_params, p.option_map, p.flags);
  }
  if (p.cmd == VLoadCommand::Name()) {
    return new VLoadCommand(p.cmd_params, p.option_map, p.flags);
  }
  if (p.cmd == VTrainCommand::Name()) {
    return new VTrainCommand(p.cmd_params, p.option_map, p.flags);
  }
  return nullptr;
}

bool IsLoadCommand(const std::string& name) {
  return name == CreateVectorCfCommand::Name() ||
         name == VLoadCommand::Name() || name == VTrainCommand::Name();
}

}  // namespace tools
}  // namespace drift
