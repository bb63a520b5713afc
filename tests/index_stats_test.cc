// IndexStats::ForEachStat is the one list of the statistics: it visits every
// member of IndexStats exactly once (plus max_over_mean()), with unique keys
// and labels, and GetProperty("drift.stats") prints each of them on one line.
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/test_util.h"

namespace drift {
namespace {

struct Visited {
  std::string key, label;
  const void* address;  // the member, or nullptr for a computed value
  size_t size;
};

std::vector<Visited> VisitAll(const IndexStats& st) {
  std::vector<Visited> out;
  st.ForEachStat([&](const char* key, const char* label, auto&& value) {
    using V = decltype(value);
    const bool member = std::is_lvalue_reference<V>::value;
    out.push_back({key, label, member ? &value : nullptr,
                   sizeof(std::remove_reference_t<V>)});
  });
  return out;
}

TEST(IndexStatsTest, ForEachStatVisitsEveryMemberOnce) {
  IndexStats st;
  const std::vector<Visited> visited = VisitAll(st);
  // Every byte of IndexStats belongs to exactly one visited member: no member
  // is missing from the list and none is visited twice. (Padding between
  // members would show as uncovered bytes too: keep the members packed.)
  std::vector<int> covered(sizeof(IndexStats), 0);
  size_t computed = 0;
  std::set<std::string> keys, labels;
  for (const Visited& v : visited) {
    EXPECT_TRUE(keys.insert(v.key).second) << "key twice: " << v.key;
    EXPECT_TRUE(labels.insert(v.label).second) << "label twice: " << v.label;
    if (v.address == nullptr) {
      ++computed;
      continue;
    }
    const size_t offset = static_cast<const char*>(v.address) -
                          reinterpret_cast<const char*>(&st);
    ASSERT_LE(offset + v.size, sizeof(IndexStats)) << v.key;
    for (size_t i = 0; i < v.size; ++i) ++covered[offset + i];
  }
  for (size_t i = 0; i < covered.size(); ++i) {
    EXPECT_EQ(covered[i], 1) << "byte " << i << " of IndexStats";
  }
  EXPECT_EQ(computed, 1u);  // max_over_mean_bucket
  // The label of default_nprobe names the default recall target.
  char target[32];
  std::snprintf(target, sizeof(target), "(recall target %.2f)",
                kDefaultRecallTarget);
  EXPECT_TRUE(labels.count(std::string("default nprobe ") + target));
}

TEST(IndexStatsTest, PropertyPrintsEveryStatOnce) {
  constexpr int kDim = 8;
  RegisterDrift();
  const std::string dir = test::TempDir("index_stats");
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_OK(test::OpenWithVectorCf(dir, rocksdb::DBOptions(),
                                   VectorColumnFamilyOptions(kDim), &db,
                                   &handles));
  VectorIndexOptions vo;
  vo.dimension = kDim;
  std::unique_ptr<VectorIndex> index;
  ASSERT_OK(VectorIndex::Attach(db.get(), handles[1], vo, &index));
  ASSERT_OK(index->Put(rocksdb::WriteOptions(), "k", std::vector<float>(kDim)));
  ASSERT_OK(db->Flush(rocksdb::FlushOptions(), handles[1]));
  ASSERT_OK(index->Train(TrainOptions()));
  IndexStats st;
  ASSERT_OK(index->GetStats(&st));
  std::string text;
  ASSERT_OK(index->GetProperty("drift.stats", &text));
  const std::vector<Visited> visited = VisitAll(st);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, visited.size()) << text;
  const std::string all = "\n" + text;
  for (const Visited& v : visited) {
    const std::string line = "\n" + v.label + ": ";
    const size_t at = all.find(line);
    EXPECT_NE(at, std::string::npos) << v.label << "\n" << text;
    EXPECT_EQ(all.find(line, at + 1), std::string::npos) << v.label;
  }
  EXPECT_NE(text.find("codebook epoch: 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("trainings: 1\n"), std::string::npos) << text;
  ASSERT_OK(index->Close());
  for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
  ASSERT_OK(db->Close());
}

}  // namespace
}  // namespace drift
