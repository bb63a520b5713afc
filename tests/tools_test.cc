// Runs the built drift_dump and drift_ldb binaries on a Drift database: exit
// codes and output of drift_dump's commands on a good and a corrupted .drift
// file, and ldb's stock and vector commands on the vector column family; and
// db_bench_drift's argument checks and header.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/metadata.h"
#include "tests/test_util.h"

#ifndef DRIFT_DUMP_BIN
#define DRIFT_DUMP_BIN ""  // not built (no gflags): its tests skip
#endif
#ifndef DB_BENCH_DRIFT_BIN
#define DB_BENCH_DRIFT_BIN ""  // not built: its tests skip
#endif
#ifndef DRIFT_LDB_BIN
#error "DRIFT_LDB_BIN must name the drift_ldb binary (tools/CMakeLists.txt)"
#endif

namespace drift {
namespace {

constexpr int kDim = 8;
constexpr int kNumKeys = 300;
constexpr char kVectorCfOptions[] =
    "table_factory={id=DriftTable;dimension=8;target_bucket_size=64};"
    "memtable_factory={id=DriftMemTable;dimension=8}";

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%04d", i);
  return buf;
}

// Vector i: i, i + 0.5, i + 1, ... (exact in float and short in text).
std::vector<float> Vec(int i) {
  std::vector<float> v(kDim);
  for (int j = 0; j < kDim; ++j) v[j] = static_cast<float>(i) + 0.5f * j;
  return v;
}

std::string VecText(int i) {
  std::string out;
  for (float f : Vec(i)) {
    if (!out.empty()) out += ",";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(f));
    out += buf;
  }
  return out;
}

std::string VecHex(int i) {
  const std::vector<float> v = Vec(i);
  return "0x" + rocksdb::Slice(reinterpret_cast<const char*>(v.data()),
                               v.size() * sizeof(float))
                    .ToString(/*hex=*/true);
}

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr
};

Result RunCommand(const std::string& command) {
  Result r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

size_t CountLines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class ToolsTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("tools");
    CreateDb();
  }
  void TearDown() override { test::RemoveDir(dir_); }

  // A DB with a default and a "vectors" column family: kNumKeys vectors, one
  // long non-vector value, one deletion, flushed to one .drift file (the flush
  // drops the Put that the deletion hides: 299 vectors, 301 entries).
  void CreateDb() {
    rocksdb::ColumnFamilyOptions vec;
    rocksdb::ConfigOptions config;
    ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
        config, rocksdb::ColumnFamilyOptions(), kVectorCfOptions, &vec));
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    std::unique_ptr<rocksdb::DB> db;
    ASSERT_OK(
        test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec, &db, &handles));
    rocksdb::ColumnFamilyHandle* cf = handles[1];
    for (int i = 0; i < kNumKeys; ++i) {
      const std::vector<float> v = Vec(i);
      ASSERT_OK(db->Put(rocksdb::WriteOptions(), cf, Key(i),
                        rocksdb::Slice(reinterpret_cast<const char*>(v.data()),
                                       v.size() * sizeof(float))));
    }
    ASSERT_OK(db->Put(rocksdb::WriteOptions(), cf, "note",
                      "a value that is not a vector, longer than 32 bytes"));
    ASSERT_OK(db->Delete(rocksdb::WriteOptions(), cf, Key(7)));
    ASSERT_OK(db->Flush(rocksdb::FlushOptions(), cf));
    std::vector<rocksdb::LiveFileMetaData> files;
    db->GetLiveFilesMetaData(&files);
    for (const auto& f : files) {
      if (f.column_family_name == "vectors") sst_ = f.db_path + f.name;
    }
    for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
    ASSERT_OK(db->Close());
    db.reset();
    ASSERT_FALSE(sst_.empty());
  }

  Result Dump(const std::string& args) {
    return RunCommand(std::string(DRIFT_DUMP_BIN) + " " + args);
  }
  static bool HaveDump() { return std::strlen(DRIFT_DUMP_BIN) > 0; }
  Result Ldb(const std::string& args) {
    return RunCommand(std::string(DRIFT_LDB_BIN) + " --db=" + dir_ + " " +
                      args);
  }

  std::string dir_;
  std::string sst_;
};

TEST_F(ToolsTest, DumpProperties) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  const Result r = Dump("--file=" + sst_);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* expected :
       {"format version 1", "# entries: 301", "# deletions: 1",
        "column family name: vectors", "dimension: 8", "vectors: 299",
        "raw value records: 1",
        "codebook epoch: ", "buckets: ", "drift.key_index",
        "float chunks (ALP)", "float chunks / raw floats: "}) {
    EXPECT_NE(r.output.find(expected), std::string::npos)
        << "missing '" << expected << "' in:\n"
        << r.output;
  }
}

TEST_F(ToolsTest, ToolsLogWhatTheyDidThroughGlog) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  const std::string log_dir = dir_ + "/glog";
  ASSERT_EQ(mkdir(log_dir.c_str(), 0755), 0);
  const Result r =
      Dump("--log_dir=" + log_dir + " --command=verify --file=" + sst_);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("command: "), std::string::npos)  // stdout clean
      << r.output;
  std::ifstream in(log_dir + "/drift_dump.INFO");
  const std::string log((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
  EXPECT_NE(log.find("command: "), std::string::npos) << log;
  EXPECT_NE(log.find("--command=verify"), std::string::npos) << log;
  EXPECT_NE(log.find("exit code 0 after "), std::string::npos) << log;
}

// Without --log_dir / $GLOG_log_dir a run leaves no glog file behind (glog's
// default is one file per run in $TMPDIR or /tmp).
TEST_F(ToolsTest, ToolsWriteNoLogFileByDefault) {
  const std::string tmp = dir_ + "/tmp";
  ASSERT_EQ(mkdir(tmp.c_str(), 0755), 0);
  const std::string env =
      "env -u GLOG_log_dir -u GOOGLE_LOG_DIR -u TEST_TMPDIR TMPDIR=" + tmp +
      " ";
  Result r = RunCommand(env + DRIFT_LDB_BIN + " --db=" + dir_ +
                        " --column_family=vectors vget key0001");
  ASSERT_EQ(r.code, 0) << r.output;
  if (HaveDump()) {
    r = RunCommand(env + DRIFT_DUMP_BIN + " --command=verify --file=" + sst_);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  const Result ls = RunCommand("ls -A " + tmp);
  EXPECT_EQ(ls.output, "") << "log files left in " << tmp;
}

TEST_F(ToolsTest, DumpScanShowsVisibleEntries) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  Result r = Dump("--file=" + sst_ + " --command=scan --limit=2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output,
            "key0000 => " + VecText(0) + "\nkey0001 => " + VecText(1) + "\n");
  // The deleted key0007 is not visible; --to is exclusive.
  r = Dump("--file=" + sst_ +
           " --command=scan --from=key0006 --to=key0009 --max_values=2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "key0006 => 6,6.5,...\nkey0008 => 8,8.5,...\n");
}

TEST_F(ToolsTest, DumpRawShowsInternalKeys) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  const Result r =
      Dump("--file=" + sst_ + " --command=raw --from=key0007 --limit=2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(CountLines(r.output), 2u) << r.output;  // key0007 DEL, key0008
  EXPECT_NE(r.output.find("key0007 @ seq:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("type:DEL"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("type:PUT (vector b="), std::string::npos)
      << r.output;
}

TEST_F(ToolsTest, DumpBucketsAndDirectory) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  Result r = Dump("--file=" + sst_ + " --command=buckets");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("bucket     rows"), std::string::npos) << r.output;
  // A DB directory: the default column family's block-based table is skipped.
  r = Dump("--file=" + dir_ + " --command=verify");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("OK: " + sst_), std::string::npos) << r.output;
}

TEST_F(ToolsTest, DumpVerifyDetectsCorruption) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  Result r = Dump("--file=" + sst_ + " --command=verify");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("OK: "), std::string::npos) << r.output;

  std::string bytes;
  {
    std::ifstream in(sst_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in),
                 std::istreambuf_iterator<char>());
  }
  // Flip the first non-zero byte from the middle on (zeros may be padding,
  // which no checksum covers).
  size_t pos = bytes.size() / 2;
  while (pos < bytes.size() && bytes[pos] == 0) ++pos;
  ASSERT_LT(pos, bytes.size());
  bytes[pos] = static_cast<char>(~bytes[pos]);
  const std::string bad = dir_ + "/corrupt.drift";
  {
    std::ofstream out(bad, std::ios::binary);
    out << bytes;
  }
  r = Dump("--file=" + bad + " --command=verify");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("Corruption"), std::string::npos) << r.output;
}

TEST_F(ToolsTest, DumpUsageErrors) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  EXPECT_EQ(Dump("--file=" + sst_ + " --command=nope").code, 1);
  EXPECT_EQ(Dump("").code, 1);
  EXPECT_EQ(Dump("--file=" + dir_ + "/missing.sst").code, 2);
  const Result help = Dump("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("default: \"properties\""), std::string::npos)
      << help.output;
}

TEST_F(ToolsTest, LdbStockCommandsOnVectorColumnFamily) {
  Result r = Ldb("--column_family=vectors get key0003 --value_hex");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, VecHex(3) + "\n");
  r = Ldb("--column_family=vectors scan --max_keys=2 --value_hex");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output,
            "key0000 : " + VecHex(0) + "\nkey0001 : " + VecHex(1) + "\n");
  r = Ldb("list_column_families");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("vectors"), std::string::npos) << r.output;
  r = Ldb("--column_family=vectors compact");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Ldb("checkconsistency");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Ldb("--column_family=vectors get key0299 --value_hex");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, VecHex(299) + "\n");
}

TEST_F(ToolsTest, LdbVectorCommands) {
  Result r = Ldb("--column_family=vectors vget key0005");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, VecText(5) + "\n");

  r = Ldb("--column_family=vectors vput fresh 1,2,3,4,5,6,7,8.25");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Ldb("--column_family=vectors vget fresh");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "1,2,3,4,5,6,7,8.25\n");

  r = Ldb("--column_family=vectors vput bad 1,2,3");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("dimension"), std::string::npos) << r.output;
  r = Ldb("--column_family=vectors vput bad 1,2,3,4,nan,6,7,8");
  EXPECT_NE(r.code, 0) << r.output;
  r = Ldb("--column_family=vectors vput bad 1,2,x,4,5,6,7,8");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("component 2"), std::string::npos) << r.output;
  r = Ldb("--column_family=vectors vget bad");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("NotFound"), std::string::npos) << r.output;

  r = Ldb("vget key0005");  // the default column family holds no vectors
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("not a Drift vector column family"),
            std::string::npos)
      << r.output;

  r =
      Ldb("--column_family=vectors vsearch 10,10.5,11,11.5,12,12.5,13,13.5 "
          "--k=2 --exhaustive");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.substr(0, 10), "key0010 0\n") << r.output;
  EXPECT_EQ(CountLines(r.output), 2u) << r.output;

  // --query_file: one query per line; comments and blank lines skipped.
  const std::string queries = dir_ + "/queries.txt";
  std::ofstream(queries) << "# two queries\n10,10.5,11,11.5,12,12.5,13,13.5\n\n"
                         << "20,20.5,21,21.5,22,22.5,23,23.5\n";
  r = Ldb("--column_family=vectors vsearch --query_file=" + queries +
          " --k=1 --exhaustive");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "# query 1\nkey0010 0\n# query 2\nkey0020 0\n");
  std::ofstream(queries) << "1,2,x\n";
  r = Ldb("--column_family=vectors vsearch --query_file=" + queries);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("queries.txt:1: "), std::string::npos) << r.output;

  r = Ldb("--column_family=vectors drift_stats");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* line :
       {"dimension: 8\n", "codebook epoch: ", "largest bucket: ",
        "segments at level ", "unreferenced table files: 0\n"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << r.output;
  }
  r = Ldb("--column_family=vectors drift_stats extra");
  EXPECT_NE(r.code, 0) << r.output;
}

class BenchTest : public testing::Test {
 protected:
  void SetUp() override {
    if (std::strlen(DB_BENCH_DRIFT_BIN) == 0) {
      GTEST_SKIP() << "db_bench_drift is not built";
    }
    dir_ = test::TempDir("bench");
  }
  void TearDown() override {
    if (!dir_.empty()) test::RemoveDir(dir_);
  }
  Result Bench(const std::string& args) {
    return RunCommand(std::string(DB_BENCH_DRIFT_BIN) + " --db=" + dir_ +
                      "/db " + args);
  }
  bool DbDirExists() {
    struct stat st;
    return stat((dir_ + "/db").c_str(), &st) == 0;
  }
  std::string dir_;
};

// A misspelt benchmark or system fails before anything runs (no data set
// loaded, no database created), naming it and the known names.
TEST_F(BenchTest, UnknownNamesFailBeforeAnythingRuns) {
  Result r = Bench("--dataset=gaussian --num=100 --benchmarks=fillvec,serach");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("--benchmarks: unknown serach (known: fillvec,"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("fillvec "), std::string::npos) << r.output;
  EXPECT_FALSE(DbDirExists());
  r = Bench("--dataset=gaussian --num=100 --systems=drift,hnsw");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("--systems: unknown hnsw"), std::string::npos)
      << r.output;
  r = Bench("--benchmarks=,");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("--benchmarks: empty list"), std::string::npos)
      << r.output;
  EXPECT_FALSE(DbDirExists());
}

TEST_F(BenchTest, FvecsWithoutBaseIsAClearError) {
  const Result r = Bench("--dataset=fvecs --benchmarks=fillvec");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("--dataset=fvecs needs --base="), std::string::npos)
      << r.output;
}

// The db_bench-style header (version, date, CPU, ISA, the queries a search
// really runs), and a warning when the searched database is empty.
TEST_F(BenchTest, HeaderAndEmptyDatabaseWarning) {
  const Result r = Bench(
      "--dataset=gaussian --num=500 --dim=8 --clusters=4 --num_queries=20 "
      "--benchmarks=search --systems=drift --nprobe_list=1 "
      "--recall_targets=0.9");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* line :
       {"Drift:      version ", "Date:       ", "CPU:        ", "ISA:        ",
        "Dataset:    gaussian, 500 base vectors, dim 8\n",
        "Queries:    20 (of 1000 in the data set)\n",
        "Benchmarks: search on drift\n",
        "WARNING: search on an empty drift database"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << r.output;
  }
  const Result filled = Bench(
      "--dataset=gaussian --num=500 --dim=8 --clusters=4 --num_queries=20 "
      "--benchmarks=fillvec,search --systems=drift --nprobe_list=1 "
      "--recall_targets=0.9");
  ASSERT_EQ(filled.code, 0) << filled.output;
  EXPECT_EQ(filled.output.find("WARNING"), std::string::npos) << filled.output;
}

}  // namespace
}  // namespace drift
