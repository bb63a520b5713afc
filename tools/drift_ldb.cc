// drift_ldb: RocksDB's ldb with Drift's table and memtable factories
// registered, so that OPTIONS files naming DriftTable / DriftMemTable load and
// every stock subcommand works on a Drift database; plus vector subcommands
// (vget, vput, vsearch, drift_stats) on the public VectorIndex API.
//
// Stock subcommands go through rocksdb::LDBTool unchanged. Drift subcommands
// are LDBCommands built by a selector given to LDBCommand::InitFromCmdLineArgs
// (LDBTool::Run takes no selector in RocksDB 7.8.3) and run the way
// LDBCommandRunner runs the stock ones.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/table_files.h"
#include "drift/table_options.h"
#include "drift/vector_index.h"
#include "rocksdb/ldb_tool.h"
#include "rocksdb/utilities/ldb_cmd.h"
#include "tools/tool_logging.h"
#include "tools/vector_text.h"

namespace drift {
namespace tools {
namespace {

using rocksdb::LDBCommand;
using rocksdb::LDBCommandExecuteResult;
using rocksdb::Status;

constexpr char kHelpHeader[] =
    "drift_ldb - RocksDB ldb with Drift (DriftTable, DriftMemTable) "
    "registered\n\n"
    "Drift commands (on a vector column family: --column_family=<name>):\n"
    "  vget <key> [--key_hex]\n"
    "      prints the vector as comma-separated floats\n"
    "  vput <key> <f1,f2,...> [--key_hex]\n"
    "      writes a vector; its dimension must be the column family's and\n"
    "      every component finite\n"
    "  vsearch <f1,f2,...> [--k=<int, default 10>] [--exhaustive]\n"
    "      the k nearest vectors (squared L2): key distance per line\n"
    "  drift_stats\n"
    "      dimension, codebook epoch, bucket balance of the current codebook,\n"
    "      vectors in segments of other codebooks, segments per level\n\n"
    "Every other command is RocksDB's ldb:";

constexpr char kArgK[] = "k";
constexpr char kFlagExhaustive[] = "exhaustive";
constexpr char kArgQueryFile[] = "query_file";

// Base of the vector commands: the key argument and the VectorIndex over the
// --column_family after the DB is opened.
class VectorCommand : public LDBCommand {
 protected:
  VectorCommand(const std::map<std::string, std::string>& options,
                const std::vector<std::string>& flags, bool is_read_only,
                const std::vector<std::string>& valid_options)
      : LDBCommand(options, flags, is_read_only,
                   BuildCmdLineOptions(valid_options)) {}

  void Fail(const std::string& msg) {
    exec_state_ = LDBCommandExecuteResult::Failed(msg);
  }

  // Decodes a key argument (hex with --key_hex / --hex).
  bool ParseKey(const std::string& arg, std::string* key) {
    if (!is_key_hex_) {
      *key = arg;
      return true;
    }
    Status s = FromHex(arg, key);
    if (!s.ok()) Fail(s.ToString());
    return s.ok();
  }

  bool ParseVector(const std::string& arg, std::vector<float>* v) {
    Status s = ParseFloats(arg, v);
    if (!s.ok()) Fail("bad vector '" + arg + "': " + s.getState());
    return s.ok();
  }

  // Attaches a VectorIndex to the open DB's --column_family.
  bool AttachIndex(std::unique_ptr<VectorIndex>* index);
};

bool VectorCommand::AttachIndex(std::unique_ptr<VectorIndex>* index) {
  if (db_ == nullptr) return false;  // OpenDB failed; exec_state_ says why
  rocksdb::ColumnFamilyHandle* cf = GetCfHandle();
  rocksdb::ColumnFamilyDescriptor desc;
  Status s = cf->GetDescriptor(&desc);
  const auto* topts =
      s.ok() && desc.options.table_factory != nullptr
          ? desc.options.table_factory->GetOptions<DriftTableOptions>()
          : nullptr;
  if (topts == nullptr) {
    Fail("column family '" + cf->GetName() +
         "' is not a Drift vector column family (pass "
         "--column_family=<vector column family>)");
    return false;
  }
  VectorIndexOptions vopts;
  vopts.dimension = topts->dimension;
  vopts.auto_train = false;  // A tool never trains behind the user's back.
  s = VectorIndex::Attach(db_, cf, vopts, index);
  if (!s.ok()) Fail(s.ToString());
  return s.ok();
}

class VGetCommand : public VectorCommand {
 public:
  static std::string Name() { return "vget"; }
  VGetCommand(const std::vector<std::string>& params,
              const std::map<std::string, std::string>& options,
              const std::vector<std::string>& flags)
      : VectorCommand(options, flags, /*is_read_only=*/true,
                      {ARG_HEX, ARG_KEY_HEX}) {
    if (params.size() != 1) {
      Fail("vget needs one argument: vget <key>");
    } else {
      ParseKey(params[0], &key_);
    }
  }

  void DoCommand() override {
    std::unique_ptr<VectorIndex> index;
    if (!AttachIndex(&index)) return;
    std::vector<float> v;
    Status s = index->Get(rocksdb::ReadOptions(), key_, &v);
    if (!s.ok()) return Fail(s.ToString());
    std::printf("%s\n", FormatFloats(v.data(), v.size()).c_str());
  }

 private:
  std::string key_;
};

class VPutCommand : public VectorCommand {
 public:
  static std::string Name() { return "vput"; }
  VPutCommand(const std::vector<std::string>& params,
              const std::map<std::string, std::string>& options,
              const std::vector<std::string>& flags)
      : VectorCommand(options, flags, /*is_read_only=*/false,
                      {ARG_HEX, ARG_KEY_HEX, ARG_CREATE_IF_MISSING}) {
    if (params.size() != 2) {
      Fail("vput needs two arguments: vput <key> <f1,f2,...>");
    } else if (ParseKey(params[0], &key_)) {
      ParseVector(params[1], &vector_);
    }
  }

  void DoCommand() override {
    std::unique_ptr<VectorIndex> index;
    if (!AttachIndex(&index)) return;
    Status s = index->Put(rocksdb::WriteOptions(), key_, vector_);
    if (!s.ok()) return Fail(s.ToString());
    std::printf("OK\n");
  }

 private:
  std::string key_;
  std::vector<float> vector_;
};

class VSearchCommand : public VectorCommand {
 public:
  static std::string Name() { return "vsearch"; }
  VSearchCommand(const std::vector<std::string>& params,
                 const std::map<std::string, std::string>& options,
                 const std::vector<std::string>& flags)
      : VectorCommand(
            options, flags, /*is_read_only=*/true,
            {ARG_HEX, ARG_KEY_HEX, kArgK, kFlagExhaustive, kArgQueryFile}) {
    exhaustive_ = IsFlagPresent(flags, kFlagExhaustive);
    auto file = options.find(kArgQueryFile);
    const bool from_file = file != options.end();
    if (params.size() != (from_file ? 0u : 1u)) {
      Fail(
          "vsearch needs one query: vsearch <f1,f2,...> or vsearch "
          "--query_file=<file>");
    } else if ((from_file ? ReadQueries(file->second)
                          : ParseVector(params[0], AddQuery())) &&
               options.count(kArgK) != 0 &&
               ParseIntOption(options, kArgK, k_, exec_state_) && k_ <= 0) {
      Fail("--k must be positive");
    }
  }

  void DoCommand() override {
    std::unique_ptr<VectorIndex> index;
    if (!AttachIndex(&index)) return;
    SearchOptions sopts;
    sopts.exhaustive = exhaustive_;
    std::vector<SearchHit> hits;
    for (size_t q = 0; q < queries_.size(); ++q) {
      Status s =
          index->Search(sopts, queries_[q], static_cast<size_t>(k_), &hits);
      if (!s.ok())
        return Fail("query " + std::to_string(q + 1) + ": " + s.ToString());
      if (queries_.size() > 1) std::printf("# query %zu\n", q + 1);
      for (const SearchHit& h : hits) {
        const std::string key = is_key_hex_ ? "0x" + ToHex(h.key) : h.key;
        std::printf("%s %g\n", key.c_str(), static_cast<double>(h.distance));
      }
    }
  }

 private:
  std::vector<float>* AddQuery() {
    queries_.emplace_back();
    return &queries_.back();
  }
  // One query per line, comma-separated; blank lines and lines starting with
  // '#' are skipped.
  bool ReadQueries(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
      Fail("cannot read --query_file " + path);
      return false;
    }
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos ||
          line[line.find_first_not_of(" \t")] == '#') {
        continue;
      }
      Status s = ParseFloats(line, AddQuery());
      if (!s.ok()) {
        Fail(path + ":" + std::to_string(n) + ": " + s.getState());
        return false;
      }
    }
    if (queries_.empty()) {
      Fail("--query_file " + path + " holds no query");
      return false;
    }
    return true;
  }

  std::vector<std::vector<float>> queries_;
  int k_ = 10;
  bool exhaustive_ = false;
};

class DriftStatsCommand : public VectorCommand {
 public:
  static std::string Name() { return "drift_stats"; }
  DriftStatsCommand(const std::vector<std::string>& params,
                    const std::map<std::string, std::string>& options,
                    const std::vector<std::string>& flags)
      : VectorCommand(options, flags, /*is_read_only=*/true, {}) {
    if (!params.empty()) Fail("drift_stats takes no argument");
  }

  void DoCommand() override {
    std::unique_ptr<VectorIndex> index;
    if (!AttachIndex(&index)) return;
    IndexStats st;
    Status s = index->GetStats(&st);
    if (!s.ok()) return Fail(s.ToString());
    rocksdb::ColumnFamilyHandle* cf = GetCfHandle();
    std::printf("column family: %s\n", cf->GetName().c_str());
    std::printf("dimension: %u\n", index->dimension());
    std::printf("codebook epoch: %llu\n",
                static_cast<unsigned long long>(st.codebook_epoch));
    std::printf("buckets holding vectors: %llu\n",
                static_cast<unsigned long long>(st.buckets));
    std::printf("vectors in them: %llu\n",
                static_cast<unsigned long long>(st.bucketed_vectors));
    std::printf("largest bucket: %llu (%.2f x the mean)\n",
                static_cast<unsigned long long>(st.max_bucket_vectors),
                st.max_over_mean());
    std::printf("vectors in segments of other codebooks: %llu\n",
                static_cast<unsigned long long>(st.other_epoch_vectors));
    const int levels = db_->NumberLevels(cf);
    for (int level = 0; level < levels; ++level) {
      std::string files;
      if (db_->GetProperty(cf,
                           "rocksdb.num-files-at-level" + std::to_string(level),
                           &files) &&
          files != "0") {
        std::printf("segments at level %d: %s\n", level, files.c_str());
      }
    }
    std::vector<std::string> unreferenced;
    s = ListUnreferencedTableFiles(db_, &unreferenced);
    if (!s.ok()) return Fail(s.ToString());
    std::printf("unreferenced table files: %zu\n", unreferenced.size());
    for (const std::string& f : unreferenced) std::printf("  %s\n", f.c_str());
  }
};

LDBCommand* SelectDriftCommand(const LDBCommand::ParsedParams& p) {
  if (p.cmd == DriftStatsCommand::Name()) {
    return new DriftStatsCommand(p.cmd_params, p.option_map, p.flags);
  }
  if (p.cmd == VGetCommand::Name()) {
    return new VGetCommand(p.cmd_params, p.option_map, p.flags);
  }
  if (p.cmd == VPutCommand::Name()) {
    return new VPutCommand(p.cmd_params, p.option_map, p.flags);
  }
  if (p.cmd == VSearchCommand::Name()) {
    return new VSearchCommand(p.cmd_params, p.option_map, p.flags);
  }
  return nullptr;
}

// The first argument that is not an --option: ldb's command name.
std::string CommandName(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.compare(0, 2, "--") != 0) return arg;
  }
  return "";
}

bool IsDriftCommand(const std::string& name) {
  return name == VGetCommand::Name() || name == VPutCommand::Name() ||
         name == VSearchCommand::Name() || name == DriftStatsCommand::Name();
}

// What LDBCommandRunner::RunCommand does, with the drift selector.
int RunDriftCommand(int argc, char** argv, const rocksdb::Options& options,
                    const rocksdb::LDBOptions& ldb_options) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  std::unique_ptr<LDBCommand> cmd(LDBCommand::InitFromCmdLineArgs(
      args, options, ldb_options, nullptr, SelectDriftCommand));
  if (cmd == nullptr) return 1;
  if (!cmd->ValidateCmdLineOptions()) return 1;
  cmd->Run();
  LDBCommandExecuteResult result = cmd->GetExecuteState();
  if (!result.ToString().empty()) {
    std::fprintf(stderr, "%s\n", result.ToString().c_str());
  }
  return result.IsFailed() ? 1 : 0;
}

}  // namespace
}  // namespace tools
}  // namespace drift

int main(int argc, char** argv) {
  // libdrift registers itself when loaded; this makes it explicit (and works
  // with a static libdrift too).
  drift::RegisterDrift();
  // LDBTool::Run exits by itself: only the command is logged.
  drift::tools::InitToolLogging(argv[0], drift::tools::CommandLine(argc, argv));
  rocksdb::LDBOptions ldb_options;
  ldb_options.print_help_header = drift::tools::kHelpHeader;
  if (drift::tools::IsDriftCommand(drift::tools::CommandName(argc, argv))) {
    return drift::tools::RunDriftCommand(argc, argv, rocksdb::Options(),
                                         ldb_options);
  }
  rocksdb::LDBTool().Run(argc, argv, rocksdb::Options(), ldb_options);
  return 0;  // not reached: LDBTool::Run exits with the command's status
}
