// Runs the built drift_dump and drift_ldb binaries on a Drift database: exit
// codes and output of drift_dump's commands on a good and a corrupted .drift
// file, and ldb's stock and vector commands on the vector column family.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/metadata.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"

#ifndef DRIFT_DUMP_BIN
#define DRIFT_DUMP_BIN ""  // not built (no gflags): its tests skip
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

using Result = test::CommandResult;
using test::RunCommand;

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

// Regression: a file that is no table said "Corrupt or unsupported
// format_version"; the table magic number is checked first now.
TEST_F(ToolsTest, DumpOfAFileThatIsNoTable) {
  if (!HaveDump()) GTEST_SKIP() << "drift_dump is not built";
  for (const char* name : {"/LOG", "/CURRENT", "/IDENTITY"}) {
    const Result r = Dump("--file=" + dir_ + name);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("not a table file"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("format_version"), std::string::npos) << r.output;
  }
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

// Regression: `dump --path=X --db=D` aborted on a RocksDB assertion (exit
// 134: stock ldb opens D too, then asserts that no path was given). --db is
// dropped; a Drift table is refused with a pointer to drift_dump (RocksDB's
// SST dumper cannot read it); other files dump as with stock ldb.
TEST_F(ToolsTest, LdbDumpPath) {
  Result r = Ldb("dump --path=" + sst_);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("a Drift table file"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("use drift_dump --file=" + sst_), std::string::npos)
      << r.output;
  // A table of the default column family (block-based) dumps.
  ASSERT_EQ(Ldb("put plain value").code, 0);
  ASSERT_EQ(Ldb("compact").code, 0);
  std::string plain_sst;
  std::vector<std::string> children;
  ASSERT_OK(rocksdb::Env::Default()->GetChildren(dir_, &children));
  for (const std::string& f : children) {
    if (f.size() > 4 && f.compare(f.size() - 4, 4, ".sst") == 0 &&
        dir_ + "/" + f != sst_) {
      plain_sst = dir_ + "/" + f;
    }
  }
  ASSERT_FALSE(plain_sst.empty());
  r = Ldb("dump --path=" + plain_sst);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("'plain' seq:"), std::string::npos) << r.output;
  r = Ldb("dump --path=" + dir_ + "/missing.sst");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("No such file"), std::string::npos) << r.output;
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
  // Regression: it printed "Failed: NotFound: " without naming the key.
  EXPECT_NE(
      r.output.find("NotFound: key 'bad' is not in column family 'vectors'"),
      std::string::npos)
      << r.output;
  r = Ldb("--column_family=vectors vget 0x626164 --key_hex");
  EXPECT_NE(r.output.find("NotFound: key 0x626164 is not in column family"),
            std::string::npos)
      << r.output;

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

// drift_ldb builds a vector column family from nothing: create_vector_cf
// (with --create_if_missing), vload of an .fvecs file, vtrain. vsearch then
// answers exactly what brute force does with --exhaustive and with an nprobe
// covering every bucket, and bad effort flags are errors.
TEST(LdbBuildTest, CreateLoadTrainSearch) {
  constexpr int kDim = 6, kNum = 2000, kK = 5;
  const std::string dir = test::TempDir("ldb_build");
  std::vector<float> data(size_t{kNum} * kDim);
  std::mt19937 rng(7);
  std::normal_distribution<float> gauss;
  for (float& x : data) x = gauss(rng);
  auto write_fvecs = [](const std::string& path, const float* v, int n,
                        int dim) {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < n; ++i) {
      out.write(reinterpret_cast<const char*>(&dim), sizeof(dim));
      out.write(reinterpret_cast<const char*>(v + static_cast<size_t>(i) * dim),
                sizeof(float) * dim);
    }
  };
  write_fvecs(dir + "/base.fvecs", data.data(), kNum, kDim);
  write_fvecs(dir + "/four.fvecs", data.data(), 1, 4);
  auto ldb = [&](const std::string& args) {
    return RunCommand(std::string(DRIFT_LDB_BIN) + " --db=" + dir + "/db " +
                      args);
  };

  Result r = ldb("--create_if_missing create_vector_cf vec --dimension=6");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output,
            "OK: vector column family 'vec', dimension 6, metric l2\n");
  r = ldb("create_vector_cf vec --dimension=6");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  r =
      ldb("create_vector_cf other --dimension=6 "
          "'--cf_options=table_factory={id=DriftTable;dimension=4}'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("of dimension 6"), std::string::npos) << r.output;

  r = ldb("--column_family=vec vload " + dir + "/base.fvecs");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output,
            "OK: 2000 vectors of dimension 6 as vec0000000000 .. "
            "vec0000001999, flushed\n");
  r = ldb("--column_family=vec vload " + dir + "/four.fvecs");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("holds 4-d vectors, column family 'vec' has "
                          "dimension 6"),
            std::string::npos)
      << r.output;
  r = ldb("--column_family=vec vtrain --num_buckets=8");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "OK: codebook epoch 1, segments re-bucketed\n");

  // Brute force for a query near vector 17.
  std::vector<float> query(data.begin() + 17 * kDim, data.begin() + 18 * kDim);
  query[0] += 0.25f;
  std::vector<std::pair<double, int>> by_distance;
  for (int i = 0; i < kNum; ++i) {
    double d = 0;
    for (int j = 0; j < kDim; ++j) {
      const double diff = data[static_cast<size_t>(i) * kDim + j] - query[j];
      d += diff * diff;
    }
    by_distance.emplace_back(d, i);
  }
  std::sort(by_distance.begin(), by_distance.end());
  std::string expected_keys;
  for (int i = 0; i < kK; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "vec%010d\n", by_distance[i].second);
    expected_keys += key;
  }
  std::string query_text;
  for (float x : query) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s%.9g", query_text.empty() ? "" : ",",
                  static_cast<double>(x));
    query_text += buf;
  }
  auto keys_of = [](const std::string& output) {
    std::string keys;
    size_t pos = 0;
    while (pos < output.size()) {
      const size_t eol = output.find('\n', pos);
      const std::string line = output.substr(pos, eol - pos);
      if (!line.empty() && line[0] != '#') {
        keys += line.substr(0, line.find(' ')) + "\n";
      }
      pos = eol == std::string::npos ? output.size() : eol + 1;
    }
    return keys;
  };
  const std::string search =
      "--column_family=vec vsearch " + query_text + " --k=5 ";
  r = ldb(search + "--exhaustive");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(keys_of(r.output), expected_keys) << r.output;
  r = ldb(search + "--nprobe=8 --stats");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(keys_of(r.output), expected_keys) << r.output;
  EXPECT_NE(r.output.find("# buckets probed 8, SQ8 codes scanned 2000,"),
            std::string::npos)
      << r.output;
  r = ldb(search + "--nprobe=1 --stats");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("# buckets probed 1, "), std::string::npos)
      << r.output;
  r = ldb(search + "--recall_target=0.95");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(CountLines(r.output), 5u) << r.output;

  for (const auto& bad : std::vector<std::pair<std::string, std::string>>{
           {"--nprobe=0", "--nprobe=0: not an integer in [1, "},
           {"--recall_target=1.5", "--recall_target must be in (0, 1]"},
           {"--recall_target=0", "--recall_target must be in (0, 1]"},
           {"--nprobe=2 --exhaustive", "give at most one of --exhaustive"}}) {
    r = ldb(search + bad.first);
    EXPECT_EQ(r.code, 1) << bad.first << r.output;
    EXPECT_NE(r.output.find(bad.second), std::string::npos)
        << bad.first << r.output;
  }

  // A column family of another metric: vsearch measures by it (read from the
  // OPTIONS file), drift_stats names it.
  r = ldb("--column_family=vec drift_stats");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\ndimension: 6\nmetric: l2\n"), std::string::npos)
      << r.output;
  r = ldb("create_vector_cf ip --dimension=6 --metric=ip");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output,
            "OK: vector column family 'ip', dimension 6, metric ip\n");
  r = ldb("create_vector_cf bad --dimension=6 --metric=euclid");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("--metric: drift: unknown metric 'euclid'"),
            std::string::npos)
      << r.output;
  ASSERT_EQ(ldb("--column_family=ip vload " + dir + "/base.fvecs").code, 0);
  ASSERT_EQ(ldb("--column_family=ip vtrain --num_buckets=8").code, 0);
  test::Model model;
  for (int i = 0; i < kNum; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "vec%010d", i);
    model[key].assign(data.begin() + i * kDim, data.begin() + (i + 1) * kDim);
  }
  std::string expected;
  for (const SearchHit& h :
       test::BruteForce(model, query, kK, Metric::kInnerProduct)) {
    char line[64];
    std::snprintf(line, sizeof(line), "%s %g\n", h.key.c_str(),
                  static_cast<double>(h.distance));
    expected += line;
  }
  r = ldb("--column_family=ip vsearch " + query_text + " --k=5 --exhaustive");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, expected);
  r = ldb("--column_family=ip drift_stats");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\ndimension: 6\nmetric: ip\n"), std::string::npos)
      << r.output;
  test::RemoveDir(dir);
}

}  // namespace
}  // namespace drift
