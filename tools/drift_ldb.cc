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
#include "table/segment_inspector.h"
#include "tools/ldb_load_commands.h"
#include "tools/ldb_vector_command.h"
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
    "  vsearch <f1,f2,...> | --query_file=<file> [--k=<int, default 10>]\n"
    "        [--nprobe=<n> | --recall_target=<0..1> | --exhaustive] [--stats]\n"
    "      the k nearest vectors: key distance per line, the distance by\n"
    "      the column family's metric (l2: squared L2, ip: -inner product,\n"
    "      cosine: 1 - cosine); effort by buckets probed, by recall target,\n"
    "      or exact; --stats adds what each query scanned\n"
    "  drift_stats\n"
    "      dimension, metric, codebook epoch, bucket balance of the current\n"
    "      codebook,\n"
    "      vectors in segments of other codebooks, segments per level\n";

constexpr char kArgK[] = "k";
constexpr char kFlagExhaustive[] = "exhaustive";
constexpr char kArgQueryFile[] = "query_file";
constexpr char kArgNprobe[] = "nprobe";
constexpr char kArgRecallTarget[] = "recall_target";
constexpr char kFlagStats[] = "stats";

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
    if (s.IsNotFound()) {
      // RocksDB's NotFound carries no message: name the key.
      return Fail("NotFound: key " + ShowKey(key_) +
                  " is not in column family '" + GetCfHandle()->GetName() +
                  "'");
    }
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
            {ARG_HEX, ARG_KEY_HEX, kArgK, kFlagExhaustive, kArgQueryFile,
             kArgNprobe, kArgRecallTarget, kFlagStats}) {
    sopts_.exhaustive = IsFlagPresent(flags, kFlagExhaustive);
    stats_ = IsFlagPresent(flags, kFlagStats);
    auto file = options.find(kArgQueryFile);
    const bool from_file = file != options.end();
    if (params.size() != (from_file ? 0u : 1u)) {
      Fail(
          "vsearch needs one query: vsearch <f1,f2,...> or vsearch "
          "--query_file=<file>");
      return;
    }
    if (!(from_file ? ReadQueries(file->second)
                    : ParseVector(params[0], AddQuery()))) {
      return;
    }
    if (options.count(kArgK) != 0 &&
        ParseIntOption(options, kArgK, k_, exec_state_) && k_ <= 0) {
      Fail("--k must be positive");
      return;
    }
    ParseEffort(options);
  }

  void DoCommand() override {
    std::unique_ptr<VectorIndex> index;
    if (!AttachIndex(&index)) return;
    std::vector<SearchHit> hits;
    for (size_t q = 0; q < queries_.size(); ++q) {
      SearchStats st;
      Status s = index->Search(sopts_, queries_[q], static_cast<size_t>(k_),
                               &hits, &st);
      if (!s.ok())
        return Fail("query " + std::to_string(q + 1) + ": " + s.ToString());
      if (queries_.size() > 1) std::printf("# query %zu\n", q + 1);
      for (const SearchHit& h : hits) {
        const std::string key = is_key_hex_ ? "0x" + ToHex(h.key) : h.key;
        std::printf("%s %g\n", key.c_str(), static_cast<double>(h.distance));
      }
      if (stats_) {
        std::printf(
            "# buckets probed %llu, SQ8 codes scanned %llu, memtable vectors "
            "scanned %llu, re-ranked %llu\n",
            static_cast<unsigned long long>(st.buckets_probed),
            static_cast<unsigned long long>(st.segment_vectors_scanned),
            static_cast<unsigned long long>(st.memtable_vectors_scanned),
            static_cast<unsigned long long>(st.candidates_verified));
      }
    }
  }

 private:
  // --nprobe, --recall_target: at most one of them and --exhaustive.
  void ParseEffort(const std::map<std::string, std::string>& options) {
    const bool nprobe = options.count(kArgNprobe) != 0;
    const bool target = options.count(kArgRecallTarget) != 0;
    if (int{sopts_.exhaustive} + int{nprobe} + int{target} > 1) {
      return Fail(
          "give at most one of --exhaustive, --nprobe, --recall_target");
    }
    uint64_t n = 0;
    if (nprobe && ParseUint(options, kArgNprobe, 1, 1u << 24, &n)) {
      sopts_.nprobe = static_cast<uint32_t>(n);
    }
    double t = 0;
    if (target &&
        ParseDoubleOption(options, kArgRecallTarget, t, exec_state_)) {
      if (!(t > 0 && t <= 1)) return Fail("--recall_target must be in (0, 1]");
      sopts_.recall_target = static_cast<float>(t);
    }
  }

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
  SearchOptions sopts_;
  bool stats_ = false;
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
    std::string stats;  // one "label: value" line per IndexStats statistic
    Status s = index->GetProperty("drift.stats", &stats);
    if (!s.ok()) return Fail(s.ToString());
    rocksdb::ColumnFamilyHandle* cf = GetCfHandle();
    std::printf("column family: %s\n", cf->GetName().c_str());
    std::printf("dimension: %u\n", index->dimension());
    std::printf("metric: %s\n", MetricName(metric()));
    std::fputs(stats.c_str(), stdout);
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
  return SelectLoadCommand(p);
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
         name == VSearchCommand::Name() || name == DriftStatsCommand::Name() ||
         IsLoadCommand(name);
}

// `dump --path=<file>` dumps one file (WAL, MANIFEST, blob file or table).
// Stock ldb also opens a --db given with it and then fails an assertion
// (DBDumperCommand::DoDumpCommand asserts an empty path: exit 134), so --db is
// dropped; and its SST dumper knows only RocksDB's own table formats, so a
// Drift table is refused with a pointer to drift_dump. Returns -1 when the
// arguments are no `dump --path`, else the exit code.
int RunDumpPath(int argc, char** argv, const rocksdb::Options& options,
                const rocksdb::LDBOptions& ldb_options) {
  constexpr char kPathArg[] = "--path=";
  constexpr char kDbArg[] = "--db=";
  std::string path;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(kPathArg, 0) == 0) path = arg.substr(sizeof(kPathArg) - 1);
    if (arg.rfind(kDbArg, 0) != 0) args.push_back(argv[i]);
  }
  if (path.empty()) return -1;
  TableFileKind kind;
  std::string format;
  Status s = ClassifyTableFile(rocksdb::Env::Default(), path, &kind, &format);
  if (!s.ok()) {
    std::fprintf(stderr, "Failed: dump --path=%s: %s\n", path.c_str(),
                 s.ToString().c_str());
    return 1;
  }
  if (kind == TableFileKind::kDrift) {
    std::fprintf(stderr,
                 "Failed: dump --path=%s: a Drift table file (a segment of a "
                 "vector column family), which RocksDB's SST dumper cannot "
                 "read; use drift_dump --file=%s --command=scan (or raw), or "
                 "dump the column family: drift_ldb --db=<db> "
                 "--column_family=<name> dump\n",
                 path.c_str(), path.c_str());
    return 1;
  }
  rocksdb::LDBTool().Run(static_cast<int>(args.size()), args.data(), options,
                         ldb_options);
  return 0;  // not reached: LDBTool::Run exits with the command's status
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
  const std::string help = std::string(drift::tools::kHelpHeader) +
                           drift::tools::kLoadCommandsHelp +
                           "\nEvery other command is RocksDB's ldb:";
  ldb_options.print_help_header = help.c_str();
  if (drift::tools::IsDriftCommand(drift::tools::CommandName(argc, argv))) {
    return drift::tools::RunDriftCommand(argc, argv, rocksdb::Options(),
                                         ldb_options);
  }
  if (drift::tools::CommandName(argc, argv) == "dump") {
    const int code =
        drift::tools::RunDumpPath(argc, argv, rocksdb::Options(), ldb_options);
    if (code >= 0) return code;
  }
  rocksdb::LDBTool().Run(argc, argv, rocksdb::Options(), ldb_options);
  return 0;  // not reached: LDBTool::Run exits with the command's status
}
