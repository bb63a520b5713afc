// db_bench_drift's command line, run as a user would: names checked before
// anything runs, the header, and the warnings and errors of bad set-ups.
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/test_util.h"

#ifndef DB_BENCH_DRIFT_BIN
#error "DB_BENCH_DRIFT_BIN must name the db_bench_drift binary"
#endif

namespace drift {
namespace {

class BenchTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = test::TempDir("bench"); }
  void TearDown() override { test::RemoveDir(dir_); }
  test::CommandResult Bench(const std::string& args) {
    return test::RunCommand(std::string(DB_BENCH_DRIFT_BIN) + " --db=" + dir_ +
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
  test::CommandResult r =
      Bench("--dataset=gaussian --num=100 --benchmarks=fillvec,serach");
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
  const test::CommandResult r = Bench("--dataset=fvecs --benchmarks=fillvec");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("--dataset=fvecs needs --base="), std::string::npos)
      << r.output;
}

// The db_bench-style header (version, date, CPU, ISA, the queries a search
// really runs), and a warning when the searched database is empty.
TEST_F(BenchTest, HeaderAndEmptyDatabaseWarning) {
  const test::CommandResult r = Bench(
      "--dataset=gaussian --num=500 --dim=8 --clusters=4 --num_queries=20 "
      "--benchmarks=search --systems=drift --nprobe_list=1 "
      "--recall_targets=0.9");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* line :
       {"Drift:      version ", "Date:       ", "CPU:        ", "ISA:        ",
        "Dataset:    gaussian, 500 base vectors, dim 8, metric l2\n",
        "Queries:    20 (of 1000 in the data set)\n",
        "Benchmarks: search on drift\n",
        "WARNING: search on an empty drift database"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << r.output;
  }
  const test::CommandResult filled = Bench(
      "--dataset=gaussian --num=500 --dim=8 --clusters=4 --num_queries=20 "
      "--benchmarks=fillvec,search --systems=drift --nprobe_list=1 "
      "--recall_targets=0.9");
  ASSERT_EQ(filled.code, 0) << filled.output;
  EXPECT_EQ(filled.output.find("WARNING"), std::string::npos) << filled.output;
}

// serverload: a result per stream count and operation type, each with QPS
// and latency percentiles, and the progress line.
TEST_F(BenchTest, ServerLoadReportsEveryStreamCountAndOperation) {
  const test::CommandResult r = Bench(
      "--dataset=gaussian --num=300 --dim=8 --clusters=4 --num_queries=20 "
      "--systems=drift_server --benchmarks=fillvec,serverload "
      "--load_seconds=0.5 --load_streams=1,2 --load_write_percent=50");
  if (r.output.find("built without drift_server") != std::string::npos) {
    GTEST_SKIP() << "built without drift_server";
  }
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* line : {"serverload drift_server streams=1: ",
                           "serverload drift_server streams=2: "}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << r.output;
  }
  for (const char* op : {"op=search streams=1", "op=upsert streams=1",
                         "op=search streams=2", "op=upsert streams=2"}) {
    const size_t at = r.output.find(op);
    ASSERT_NE(at, std::string::npos) << op << r.output;
    const size_t begin = r.output.rfind("\nserverload ", at);
    ASSERT_NE(begin, std::string::npos) << op << r.output;
    const std::string line = r.output.substr(begin, at - begin);
    for (const char* metric :
         {" ops/sec;", "p50_us=", "p99_us=", "p99.9_us="}) {
      EXPECT_NE(line.find(metric), std::string::npos) << metric << line;
    }
  }
}

// --hnsw_m with several values builds and searches one hnswlib per M in the
// same run, each named by its M in the results and the ratios; the JSON
// carries the header (CPU, ISA) the run printed.
TEST_F(BenchTest, SeveralHnswMAndHeaderInJson) {
  const std::string json = dir_ + "/out.json";
  const test::CommandResult r = Bench(
      "--dataset=gaussian --num=500 --dim=8 --clusters=4 --num_queries=20 "
      "--benchmarks=fillvec,flush,search --systems=drift,hnswlib "
      "--hnsw_m=4,8 --ef_list=10,40 --nprobe_list=2,8 --recall_targets= "
      "--json=" +
      json);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* text : {"fillvec                hnswlib-M4 ",
                           "fillvec                hnswlib-M8 ",
                           "search                 hnswlib-M4 ",
                           "search                 hnswlib-M8 ",
                           "drift/hnswlib-M4", "drift/hnswlib-M8"}) {
    EXPECT_NE(r.output.find(text), std::string::npos) << text << r.output;
  }
  std::ifstream in(json);
  std::stringstream body;
  body << in.rdbuf();
  const std::string out = body.str();
  for (const char* field :
       {"{\"header\": {\"version\": \"", "\"cpu\": \"", "\"cpu_signature\": \"",
        "\"isa\": \"", "\"detected_isa\": \"", "\"dataset\": \"gaussian\"",
        "\"queries\": \"20\"", "\"results\": [", "\"system\": \"hnswlib-M8\"",
        "\"M\": \"8\"", "\"cpu_us_per_query\": ", "\"reranked_per_query\": "}) {
    EXPECT_NE(out.find(field), std::string::npos) << field << out;
  }
  EXPECT_EQ(Bench("--dataset=gaussian --num=100 --hnsw_m=0").code, 1);
}

}  // namespace
}  // namespace drift
