// The `drift` CLI end to end against a drift_server process on loopback port
// 0: create, load of fvecs, .npy and CSV files, exhaustive searches equal to
// brute force over what was loaded, get, delete, stats, read-only tokens, and
// the exit codes of RPC errors (1) and bad usage or input (2), snapshot
// tokens (reads at a token see the state it was created at, until released).
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "server/testing/server_process.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"

namespace drift {
namespace client {
namespace {

constexpr uint32_t kDim = 8;
constexpr char kAnyPort[] = "--listen=127.0.0.1:0";

using server::test::ServerProcess;

// Runs `drift --server=<server> <args>`: exit code, stdout+stderr.
drift::test::CommandResult RunDrift(const std::string& server,
                                    const std::string& args) {
  return drift::test::RunCommand(std::string(DRIFT_CLI_BIN) +
                                 " --server=" + server + " " + args + " 2>&1");
}

void WriteFvecs(const std::string& path, const std::vector<float>& rows);
void WriteCsv(const std::string& path, const std::string& prefix,
              const std::vector<float>& rows);

class CliTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(drift::test::TempDir("cli_test"));
    server_ = new ServerProcess();
    ASSERT_TRUE(server_->Start({kAnyPort, "--db=" + *dir_ + "/db"}));
  }
  static void TearDownTestSuite() {
    delete server_;
    drift::test::RemoveDir(*dir_);
    delete dir_;
  }

  // `drift <args>` against the suite's server.
  static drift::test::CommandResult Drift(const std::string& args) {
    return RunDrift(server_->address(), args);
  }
  static std::string Path(const std::string& name) {
    return *dir_ + "/" + name;
  }

  // Integer components: distances are exact, ties broken by key.
  static std::vector<float> Random(std::mt19937* rng, size_t rows) {
    std::vector<float> v(rows * kDim);
    for (float& x : v) x = static_cast<float>((*rng)() % 16);
    return v;
  }
  static void AddToModel(const std::string& prefix,
                         const std::vector<float>& rows,
                         drift::test::Model* model) {
    for (size_t i = 0; i * kDim < rows.size(); ++i) {
      (*model)[prefix + std::to_string(i)] = std::vector<float>(
          rows.begin() + i * kDim, rows.begin() + (i + 1) * kDim);
    }
  }
  static std::string VectorArg(const std::vector<float>& v) {
    std::string out;
    for (float x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
    return out;
  }

  // The (key, distance) rows of `drift search`'s table.
  static std::vector<SearchHit> ParseHits(const std::string& table) {
    std::istringstream in(table);
    std::string line;
    std::getline(in, line);  // header
    std::vector<SearchHit> hits;
    while (std::getline(in, line)) {
      std::istringstream row(line);
      int rank;
      SearchHit h;
      row >> rank >> h.key >> h.distance;
      hits.push_back(h);
    }
    return hits;
  }

  // Exhaustive searches of random queries, and of `extra` (e.g. the vectors
  // of deleted keys), equal brute force over `model`.
  // `flags` go to every search (e.g. --snapshot=TOKEN).
  static void ExpectExactSearches(const std::string& collection,
                                  const drift::test::Model& model,
                                  std::vector<std::vector<float>> extra = {},
                                  const std::string& flags = "") {
    std::mt19937 rng(7);
    for (int i = 0; i < 5; ++i) extra.push_back(Random(&rng, 1));
    for (size_t q = 0; q < extra.size(); ++q) {
      const std::vector<float>& query = extra[q];
      const auto r = Drift("search " + collection + " --exhaustive -k 10 " +
                           "--vector=" + VectorArg(query) + " " + flags);
      ASSERT_EQ(r.code, 0) << r.output;
      const std::vector<SearchHit> want =
          drift::test::BruteForce(model, query, 10);
      const std::vector<SearchHit> got = ParseHits(r.output);
      ASSERT_EQ(got.size(), want.size()) << r.output;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].key, want[i].key) << "query " << q << " rank " << i;
        EXPECT_EQ(got[i].distance, want[i].distance);
      }
    }
  }

  // `search --queries=FILE` (SearchBatch) of an fvecs file (rows labelled by
  // number) and a keyed CSV file (labelled by key) equals brute force.
  static void ExpectExactBatchSearches(const std::string& collection,
                                       const drift::test::Model& model) {
    std::mt19937 rng(11);
    const std::vector<float> queries = Random(&rng, 4);
    WriteFvecs(Path("q.fvecs"), queries);
    WriteCsv(Path("q.csv"), "q", queries);
    for (const std::string file : {"q.fvecs", "q.csv"}) {
      const auto r = Drift("search " + collection + " --exhaustive -k 5 " +
                           "--queries=" + Path(file));
      ASSERT_EQ(r.code, 0) << r.output;
      std::istringstream in(r.output);
      std::string line;
      std::getline(in, line);  // header
      for (int q = 0; q < 4; ++q) {
        const std::vector<float> query(queries.begin() + q * kDim,
                                       queries.begin() + (q + 1) * kDim);
        for (const SearchHit& want : drift::test::BruteForce(model, query, 5)) {
          std::string label, key;
          int rank;
          float distance;
          in >> label >> rank >> key >> distance;
          EXPECT_EQ(label, (file == "q.csv" ? "q" : "") + std::to_string(q));
          EXPECT_EQ(key, want.key) << file << " query " << q;
          EXPECT_EQ(distance, want.distance);
        }
      }
      EXPECT_FALSE(in >> line) << "more hits than k: " << r.output;
    }
  }

  static std::string* dir_;
  static ServerProcess* server_;
};

std::string* CliTest::dir_ = nullptr;
ServerProcess* CliTest::server_ = nullptr;

void WriteFvecs(const std::string& path, const std::vector<float>& rows) {
  std::ofstream out(path, std::ios::binary);
  const int32_t d = kDim;
  for (size_t i = 0; i < rows.size(); i += kDim) {
    out.write(reinterpret_cast<const char*>(&d), 4);
    out.write(reinterpret_cast<const char*>(&rows[i]), kDim * 4);
  }
}

void WriteNpy(const std::string& path, const std::vector<float>& rows) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows.size() / kDim) + ", " +
                       std::to_string(kDim) + "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(rows.data()), rows.size() * 4);
}

// key,v1,...,vd lines, keys <prefix><row>.
void WriteCsv(const std::string& path, const std::string& prefix,
              const std::vector<float>& rows) {
  std::ofstream out(path);
  for (size_t i = 0; i * kDim < rows.size(); ++i) {
    out << prefix << i;
    for (uint32_t j = 0; j < kDim; ++j) out << "," << rows[i * kDim + j];
    out << "\n";
  }
}

TEST_F(CliTest, LoadThreeFormatsSearchGetDeleteStats) {
  auto r = Drift("create c --dim=8");
  ASSERT_EQ(r.code, 0) << r.output;
  std::mt19937 rng(1);
  drift::test::Model model;
  const std::vector<float> f = Random(&rng, 300);
  const std::vector<float> n = Random(&rng, 200);
  const std::vector<float> c = Random(&rng, 100);
  WriteFvecs(Path("a.fvecs"), f);
  WriteNpy(Path("b.npy"), n);
  WriteCsv(Path("c.csv"), "csv", c);
  AddToModel("f", f, &model);
  AddToModel("n", n, &model);
  AddToModel("csv", c, &model);
  // Several stream messages per file (--batch=64).
  r = Drift("load c " + Path("a.fvecs") + " --key_prefix=f --batch=64");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("loaded 300 vectors into c"), std::string::npos)
      << r.output;
  r = Drift("load c " + Path("b.npy") + " --key_prefix=n --batch=64");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("loaded 200 vectors"), std::string::npos);
  r = Drift("--json load c " + Path("c.csv") + " --batch=64");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\"upserted\":\"100\""), std::string::npos)
      << r.output;
  ExpectExactSearches("c", model);
  ExpectExactBatchSearches("c", model);

  // put with a payload, then get it back (and a missing key).
  r = Drift("put c p1 --vector=1,2,3,4,5,6,7,8 --payload=hello");
  ASSERT_EQ(r.code, 0) << r.output;
  model["p1"] = {1, 2, 3, 4, 5, 6, 7, 8};
  r = Drift("get c p1 f7 nothing");
  ASSERT_EQ(r.code, 0) << r.output;
  std::istringstream rows(r.output);
  std::string line, key, found, payload, vec;
  std::getline(rows, line);  // header
  rows >> key >> found >> payload >> vec;
  EXPECT_EQ(key + found + payload + vec, "p1yeshello1,2,3,4,5,6,7,8");
  rows >> key >> found >> payload >> vec;
  EXPECT_EQ(key + found, "f7yes");
  std::vector<float> f7;
  std::istringstream parts(vec);
  for (std::string x; std::getline(parts, x, ',');) f7.push_back(std::stof(x));
  EXPECT_EQ(f7, model["f7"]);
  rows >> key >> found;
  EXPECT_EQ(key + found, "nothingno");

  // Delete keys and a range; then flush, train and check again.
  r = Drift("delete c f1 f2 n0");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Drift("delete c --start=csv1 --limit=csv2");  // csv1, csv10..csv19
  ASSERT_EQ(r.code, 0) << r.output;
  std::vector<std::vector<float>> deleted;
  for (const char* k : {"f1", "f2", "n0", "csv1", "csv15"}) {
    deleted.push_back(model[k]);
  }
  for (const char* k : {"f1", "f2", "n0", "csv1"}) model.erase(k);
  for (int i = 10; i < 20; ++i) model.erase("csv" + std::to_string(i));
  r = Drift("get c f1 csv15");
  EXPECT_EQ(r.output.find("yes"), std::string::npos) << r.output;
  ExpectExactSearches("c", model, deleted);
  ASSERT_EQ(Drift("flush c").code, 0);
  r = Drift("train c --num_buckets=4");
  ASSERT_EQ(r.code, 0) << r.output;
  ExpectExactSearches("c", model, deleted);

  r = Drift("stats c");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("estimated_num_keys"), std::string::npos);
  r = Drift("--json stats");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\"name\":\"c\""), std::string::npos) << r.output;
  r = Drift("--json list");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("\"name\":\"c\",\"dimension\":8,\"metric\":"
                          "\"METRIC_L2\""),
            std::string::npos)
      << r.output;
}

// `snapshot create`, writes, then searches and gets with the token equal
// brute force over the state before the writes and without it over the new
// state; after `snapshot release` a read with the token fails NOT_FOUND.
TEST_F(CliTest, SnapshotCreateReadRelease) {
  ASSERT_EQ(Drift("create snap --dim=8").code, 0);
  std::mt19937 rng(5);
  drift::test::Model before;
  const std::vector<float> rows = Random(&rng, 200);
  WriteCsv(Path("snap.csv"), "s", rows);
  AddToModel("s", rows, &before);
  ASSERT_EQ(Drift("load snap " + Path("snap.csv")).code, 0);

  auto r = Drift("--json snapshot create --ttl=120");
  ASSERT_EQ(r.code, 0) << r.output;
  // {"snapshot_token":"<n>","sequence_number":"<n>","ttl_seconds":120}
  const size_t at = r.output.find("\"snapshot_token\":\"");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string token =
      std::to_string(std::stoull(r.output.substr(at + 18)));
  EXPECT_NE(token, "0");
  EXPECT_NE(r.output.find("\"ttl_seconds\":120"), std::string::npos)
      << r.output;
  r = Drift("snapshot create");  // a table; the server's default lease
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("snapshot_token"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" 300 "), std::string::npos) << r.output;
  r = Drift("snapshot create --token_only");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, std::to_string(std::stoull(r.output)) + "\n");

  // New state: 100 rewritten keys, 50 new ones, 30 deleted.
  drift::test::Model after = before;
  const std::vector<float> changed = Random(&rng, 150);
  {
    std::ofstream out(Path("snap2.csv"));
    for (int i = 0; i < 150; ++i) {
      const std::string key = "s" + std::to_string(i < 100 ? i * 2 : 100 + i);
      out << key;
      std::vector<float> v(changed.begin() + i * kDim,
                           changed.begin() + (i + 1) * kDim);
      for (float x : v) out << "," << x;
      out << "\n";
      after[key] = v;
    }
  }
  ASSERT_EQ(Drift("load snap " + Path("snap2.csv")).code, 0);
  std::string deleted;
  std::vector<std::vector<float>> gone;
  for (int i = 1; i < 60; i += 2) {
    const std::string key = "s" + std::to_string(i);
    deleted += " " + key;
    gone.push_back(after[key]);
    after.erase(key);
  }
  ASSERT_EQ(Drift("delete snap" + deleted).code, 0);

  ExpectExactSearches("snap", before, gone, "--snapshot=" + token);
  ExpectExactSearches("snap", after, gone);
  r = Drift("get snap s1 s249 --snapshot=" + token);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("s1    yes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("s249  no"), std::string::npos) << r.output;
  r = Drift("get snap s1 s249");
  EXPECT_NE(r.output.find("s1    no"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("s249  yes"), std::string::npos) << r.output;

  r = Drift("snapshot release --snapshot=" + token);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "released\n");
  for (const std::string read :
       {"search snap --vector=1,2,3,4,5,6,7,8 --snapshot=",
        "get snap s1 --snapshot=", "snapshot release --snapshot="}) {
    r = Drift(read + token);
    EXPECT_EQ(r.code, 1) << read;
    EXPECT_NE(
        r.output.find("drift: NOT_FOUND: NotFound: snapshot token " + token),
        std::string::npos)
        << r.output;
  }
  // Usage errors, the server not asked.
  EXPECT_EQ(Drift("snapshot").code, 2);
  EXPECT_EQ(Drift("snapshot release").code, 2);
  EXPECT_EQ(Drift("snapshot release --snapshot=x").code, 2);
  EXPECT_EQ(Drift("snapshot create --ttl=-1").code, 2);
  r = Drift("snapshot --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("release"), std::string::npos) << r.output;
  r = Drift("snapshot create --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("--ttl"), std::string::npos) << r.output;
}

TEST_F(CliTest, RpcErrorsExitOneWithTheCodeName) {
  ASSERT_EQ(Drift("create e --dim=4").code, 0);
  auto r = Drift("create e --dim=4");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("ALREADY_EXISTS"), std::string::npos) << r.output;
  r = Drift("search nosuch --vector=1,2,3,4");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("NOT_FOUND"), std::string::npos) << r.output;
  r = Drift("put e k --vector=1,2,3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("INVALID_ARGUMENT"), std::string::npos) << r.output;
  r = Drift("load nosuch " + Path("a.fvecs"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("NOT_FOUND"), std::string::npos) << r.output;
  // A deadline of 1 us: gRPC rounds deadlines up to its millisecond clock,
  // so a fast local `list` can still finish in time now and then; it may
  // succeed, but once it fails it must say DEADLINE_EXCEEDED with exit 1.
  for (int attempt = 0; attempt < 50; ++attempt) {
    r = Drift("--timeout=0.000001 list");
    if (r.code != 0) break;
  }
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("DEADLINE_EXCEEDED"), std::string::npos) << r.output;
  // Nothing listens on port 1.
  r = drift::test::RunCommand(std::string(DRIFT_CLI_BIN) +
                              " --server=127.0.0.1:1 --timeout=10 list 2>&1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("UNAVAILABLE"), std::string::npos) << r.output;
}

TEST_F(CliTest, BadUsageOrInputExitsTwo) {
  ASSERT_EQ(Drift("create u --dim=8 --if_not_exists").code, 0);
  // Each of these is a usage or input error, and the server is not asked.
  const std::vector<std::string> bad = {
      "",                                     // no command
      "frobnicate",                           // unknown command
      "create x",                             // no --dim
      "create x --dim=4 --metric=manhattan",  // bad metric
      "search u --vector=1,x,3",              // not a number
      "search u",                             // no --vector
      "delete u",                             // no keys and no range
      "delete u --start=a",                   // --start without --limit
      "--token=a --token_file=b list",        // both tokens
      "--token_file=/nonexistent/t list",     // unreadable token file
      "load u /nonexistent.fvecs",            // no such file
      "load u " + Path("c.csv") + " --format=parquet",
      "search u --vector=1 --bogus_flag",
  };
  for (const std::string& args : bad) {
    const auto r = Drift(args);
    EXPECT_EQ(r.code, 2) << "drift " << args << "\n" << r.output;
  }
  // A file of another dimension names it; nothing is loaded.
  WriteFvecs(Path("u8.fvecs"), std::vector<float>(kDim * 3, 1.0f));
  ASSERT_EQ(Drift("create u4 --dim=4").code, 0);
  auto r = Drift("load u4 " + Path("u8.fvecs"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("dimension 8"), std::string::npos) << r.output;
  // A CSV malformed at line 3: the rows before it are loaded and counted.
  { std::ofstream(Path("bad.csv")) << "a,1,2,3,4\nb,1,2,3,4\nc,1,2\n"; }
  r = Drift("load u4 " + Path("bad.csv") + " --batch=1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("line 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("loaded 2 vectors"), std::string::npos) << r.output;
  r = Drift("get u4 a b c");
  EXPECT_EQ(r.output.find("c    yes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("b    yes"), std::string::npos) << r.output;
  // --help of a command exits 0 and names its options.
  r = Drift("load --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("--key_prefix"), std::string::npos) << r.output;
}

TEST(CliTokenTest, ReadOnlyTokenCannotWrite) {
  const std::string dir = drift::test::TempDir("cli_token_test");
  {
    std::ofstream(dir + "/tokens")
        << "rw writer-secret-0123456789\nro reader-secret-0123456789\n";
    std::ofstream(dir + "/ro") << "reader-secret-0123456789\n";
  }
  {
    ServerProcess server;
    ASSERT_TRUE(server.Start(
        {kAnyPort, "--db=" + dir + "/db", "--tokens_file=" + dir + "/tokens"}));
    auto drift = [&](const std::string& args) {
      return RunDrift(server.address(), args);
    };
    auto r = drift("list");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.output.find("UNAUTHENTICATED"), std::string::npos) << r.output;
    r = drift("--token=writer-secret-0123456789 create t --dim=2");
    ASSERT_EQ(r.code, 0) << r.output;
    r = drift("--token_file=" + dir + "/ro put t k --vector=1,2");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.output.find("PERMISSION_DENIED"), std::string::npos)
        << r.output;
    r = drift("--token_file=" + dir + "/ro search t --vector=1,2");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(drift("health").code, 0);  // no token needed
  }
  drift::test::RemoveDir(dir);
}

// Through a router over two shard processes: an exhaustive search sees both
// shards, also at a snapshot token; with one shard down it fails naming it, and
// --allow_partial returns exactly the live shard's keys and names the missing
// shard on stderr.
TEST(CliRouterTest, SearchThroughARouterAndAllowPartial) {
  const std::string dir = drift::test::TempDir("cli_router_test");
  auto a = std::make_unique<ServerProcess>();
  auto b = std::make_unique<ServerProcess>();
  ASSERT_TRUE(a->Start({kAnyPort, "--db=" + dir + "/a"}));
  ASSERT_TRUE(b->Start({kAnyPort, "--db=" + dir + "/b"}));
  const std::string dead = b->address();
  auto router = std::make_unique<ServerProcess>();
  ASSERT_TRUE(router->Start(
      {kAnyPort, "--role=router", "--shards=" + a->address() + "," + dead}));
  const std::string r = router->address();
  ASSERT_EQ(RunDrift(r, "create c --dim=2").code, 0);
  constexpr int kKeys = 12;
  std::string keys;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "k" + std::to_string(i);
    keys += " " + key;
    ASSERT_EQ(
        RunDrift(r, "put c " + key + " --vector=" + std::to_string(i) + ",0")
            .code,
        0);
  }
  // A row of a table for `key`: "<rank> <key> " (search) or "<key> yes"
  // (get), spaces collapsed.
  auto has_row = [](const std::string& table, const std::string& row) {
    std::istringstream in(table);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string word, collapsed;
      while (words >> word) collapsed += word + " ";
      if (collapsed.find(row) != std::string::npos) return true;
    }
    return false;
  };
  auto all = RunDrift(r, "search c --vector=0,0 --exhaustive -k 100");
  ASSERT_EQ(all.code, 0) << all.output;
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_TRUE(has_row(all.output,
                        std::to_string(i + 1) + " k" + std::to_string(i) + " "))
        << i << all.output;
  }
  const auto on_a = RunDrift(a->address(), "get c" + keys + " --omit_vectors");
  ASSERT_EQ(on_a.code, 0) << on_a.output;

  // A router token (its top bits are the shard-list hash, so often above
  // INT64_MAX) reads every shard at its snapshot: k0 moved away since.
  auto created = RunDrift(r, "snapshot create --token_only");
  ASSERT_EQ(created.code, 0) << created.output;
  const std::string token = created.output.substr(0, created.output.find('\n'));
  ASSERT_EQ(RunDrift(r, "put c k0 --vector=1000,0").code, 0);
  auto at = RunDrift(
      r, "search c --vector=0,0 --exhaustive -k 1 --snapshot=" + token);
  EXPECT_TRUE(has_row(at.output, "1 k0 0")) << at.output;
  auto now = RunDrift(r, "search c --vector=0,0 --exhaustive -k 1");
  EXPECT_TRUE(has_row(now.output, "1 k1 1")) << now.output;
  ASSERT_EQ(RunDrift(r, "snapshot release --snapshot=" + token).code, 0);
  at = RunDrift(r, "search c --vector=0,0 -k 1 --snapshot=" + token);
  EXPECT_EQ(at.code, 1);
  EXPECT_NE(at.output.find("NOT_FOUND: NotFound: snapshot token " + token),
            std::string::npos)
      << at.output;

  b.reset();  // SIGTERM, waited for
  auto failed = RunDrift(r, "search c --vector=0,0 --exhaustive -k 100");
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.output.find("UNAVAILABLE: shard " + dead), std::string::npos)
      << failed.output;
  auto partial =
      RunDrift(r, "search c --vector=0,0 --exhaustive -k 100 --allow_partial");
  ASSERT_EQ(partial.code, 0) << partial.output;
  EXPECT_NE(partial.output.find("partial result, shards missing: " + dead),
            std::string::npos)
      << partial.output;
  int live = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "k" + std::to_string(i);
    const bool on_live_shard = has_row(on_a.output, key + " yes");
    live += on_live_shard;
    EXPECT_EQ(has_row(partial.output, " " + key + " "), on_live_shard)
        << key << partial.output;
  }
  EXPECT_GT(live, 0);
  EXPECT_LT(live, kKeys);
  router.reset();
  a.reset();
  drift::test::RemoveDir(dir);
}

}  // namespace
}  // namespace client
}  // namespace drift
