// Filtered search (SearchOptions key_start / key_limit / key_prefix / filter /
// filter_column_family) against a model: random puts, overwrites, deletes,
// range deletes, attribute writes in another column family, flushes,
// compactions and snapshots; an exhaustive filtered search must equal brute
// force over the model's visible vectors that pass the same filter, at the
// same snapshot. Plus bad input, the exact key-range scan at default effort,
// and recall at default effort for selective filters.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <random>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "index/exact_knn.h"
#include "rocksdb/write_batch.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"
#include "util/dataset.h"

namespace drift {
namespace {

using test::BruteForce;
using test::Model;
using Attrs = std::map<std::string, std::string>;

// A stable hash of a key, for predicates that pass a known share of keys.
uint64_t KeyHash(const rocksdb::Slice& key) {
  uint64_t h = 14695981039346656037ull;
  for (char c : key.ToString())
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h ^ (h >> 29);
}

class SearchFilterTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("search_filter");
  }
  void TearDown() override {
    if (index_ != nullptr) {
      ASSERT_OK(index_->Close());
    }
    index_.reset();
    for (auto* h : handles_) ASSERT_OK(db_->DestroyColumnFamilyHandle(h));
    handles_.clear();
    db_.reset();
    test::RemoveDir(dir_);
  }

  void Open(uint32_t dim, uint32_t codebook_bucket_size = 32,
            size_t write_buffer = 256 << 10) {
    dim_ = dim;
    rocksdb::ColumnFamilyOptions base;
    base.write_buffer_size = write_buffer;
    base.target_file_size_base = write_buffer;
    base.level0_file_num_compaction_trigger = 3;
    ASSERT_OK(test::OpenWithVectorCf(dir_, rocksdb::DBOptions(),
                                     VectorColumnFamilyOptions(dim, base), &db_,
                                     &handles_));
    VectorIndexOptions vo;
    vo.dimension = dim;
    vo.auto_train = false;
    vo.target_bucket_size = codebook_bucket_size;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vo, &index_));
  }

  std::vector<float> RandomVector(std::mt19937* rng, int grid) {
    std::vector<float> v(dim_);
    for (float& x : v) {
      x = static_cast<float>(static_cast<int>((*rng)() % grid) - grid / 2);
    }
    return v;
  }

  // The model's answer: visible vectors that pass `so`'s filters.
  static std::vector<SearchHit> Expected(const SearchOptions& so,
                                         const Model& model, const Attrs& attrs,
                                         const std::vector<float>& q,
                                         size_t k) {
    return BruteForce(test::Passing(so, model, &attrs), q, k);
  }

  // A random filter over keys "k000".."k299" and attributes "0".."3".
  SearchOptions RandomFilter(std::mt19937* rng) {
    SearchOptions so;
    auto key = [&] {
      char buf[8];
      snprintf(buf, sizeof(buf), "k%03u",
               static_cast<unsigned>((*rng)() % 300));
      return std::string(buf);
    };
    switch ((*rng)() % 6) {
      case 0: {  // a range
        std::string a = key(), b = key();
        if (a == b) b += "~";
        so.key_start = std::min(a, b);
        so.key_limit = std::max(a, b);
        break;
      }
      case 1:  // an open-ended range
        if ((*rng)() % 2) {
          so.key_start = key();
        } else {
          so.key_limit = key();
        }
        break;
      case 2:  // a prefix
        so.key_prefix = "k" + std::to_string((*rng)() % 3) +
                        ((*rng)() % 2 ? std::to_string((*rng)() % 10) : "");
        break;
      case 3: {  // a key predicate passing about 1 / m of the keys
        const uint64_t m = 1 + (*rng)() % 10;
        so.filter = [m](const rocksdb::Slice& k, const rocksdb::Slice*) {
          return KeyHash(k) % m == 0;
        };
        break;
      }
      case 4: {  // an attribute predicate in the other column family
        const std::string want = std::to_string((*rng)() % 4);
        so.filter_column_family = handles_[0];
        so.filter = [want](const rocksdb::Slice&, const rocksdb::Slice* v) {
          return v != nullptr && *v == want;
        };
        break;
      }
      default:  // all of them: prefix, range and attribute
        so.key_prefix = "k1";
        so.key_start = key();
        so.filter_column_family = handles_[0];
        so.filter = [](const rocksdb::Slice&, const rocksdb::Slice* v) {
          return v == nullptr || *v != "0";
        };
        break;
    }
    return so;
  }

  void ExpectExact(const Model& model, const Attrs& attrs,
                   const rocksdb::Snapshot* snap, std::mt19937* rng) {
    for (int i = 0; i < 4; ++i) {
      SearchOptions so = RandomFilter(rng);
      so.exhaustive = true;
      so.snapshot = snap;
      const std::vector<float> q = RandomVector(rng, 9);
      const size_t k = 1 + (*rng)() % 12;
      std::vector<SearchHit> hits;
      ASSERT_OK(index_->Search(so, q, k, &hits));
      ASSERT_EQ(hits, Expected(so, model, attrs, q, k));
      // A key range (or prefix) small enough is read in key order at the
      // default effort: exact too.
      if (so.key_start || so.key_limit || !so.key_prefix.empty()) {
        so.exhaustive = false;
        SearchStats stats;
        ASSERT_OK(index_->Search(so, q, k, &hits, &stats));
        ASSERT_EQ(hits, Expected(so, model, attrs, q, k));
        EXPECT_EQ(stats.buckets_probed, 0u);
      }
    }
  }

  std::string dir_;
  uint32_t dim_ = 0;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
};

TEST_F(SearchFilterTest, ExhaustiveEqualsBruteForceUnderRandomOperations) {
  Open(8);
  std::mt19937 rng(2323);
  Model model;
  Attrs attrs;
  struct Saved {
    const rocksdb::Snapshot* snap;
    Model model;
    Attrs attrs;
  };
  std::vector<Saved> saved;
  auto key = [&] {
    char buf[8];
    snprintf(buf, sizeof(buf), "k%03u", static_cast<unsigned>(rng() % 300));
    return std::string(buf);
  };
  for (int step = 0; step < 400; ++step) {
    const uint32_t op = rng() % 100;
    if (op < 45) {
      const std::string k = key();
      const std::vector<float> v = RandomVector(&rng, 100);
      ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, v));
      model[k] = v;
    } else if (op < 55) {
      const std::string k = key();
      ASSERT_OK(index_->Delete(rocksdb::WriteOptions(), k));
      model.erase(k);
    } else if (op < 70) {
      const std::string k = key(), a = std::to_string(rng() % 4);
      if (rng() % 5 == 0) {
        ASSERT_OK(db_->Delete(rocksdb::WriteOptions(), handles_[0], k));
        attrs.erase(k);
      } else {
        ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[0], k, a));
        attrs[k] = a;
      }
    } else if (op < 72) {
      std::string a = key(), b = key();
      if (b < a) std::swap(a, b);
      ASSERT_OK(db_->DeleteRange(rocksdb::WriteOptions(), handles_[1], a, b));
      model.erase(model.lower_bound(a), model.lower_bound(b));
    } else if (op < 80) {
      ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    } else if (op < 83) {
      ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                  nullptr, nullptr));
    } else if (op < 85 && model.size() > 100) {
      ASSERT_OK(index_->Train(TrainOptions()));
    } else if (op < 88 && saved.size() < 3) {
      saved.push_back({db_->GetSnapshot(), model, attrs});
    } else if (op < 90 && !saved.empty()) {
      db_->ReleaseSnapshot(saved.back().snap);
      saved.pop_back();
    }
    if (step % 10 == 0) {
      ExpectExact(model, attrs, nullptr, &rng);
      for (const Saved& s : saved) ExpectExact(s.model, s.attrs, s.snap, &rng);
    }
  }
  for (const Saved& s : saved) db_->ReleaseSnapshot(s.snap);
}

TEST_F(SearchFilterTest, BadFiltersAreInvalidArgument) {
  Open(4);
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "a", {1, 2, 3, 4}));
  std::vector<SearchHit> hits;
  const std::vector<float> q{0, 0, 0, 0};
  SearchOptions so;
  so.key_start = "b";
  so.key_limit = "b";  // empty
  EXPECT_TRUE(index_->Search(so, q, 1, &hits).IsInvalidArgument());
  so.key_start = "c";  // inverted
  EXPECT_TRUE(index_->Search(so, q, 1, &hits).IsInvalidArgument());
  so = SearchOptions();
  so.filter_column_family = handles_[0];  // without a predicate
  EXPECT_TRUE(index_->Search(so, q, 1, &hits).IsInvalidArgument());
  std::vector<std::vector<SearchHit>> batch;
  EXPECT_TRUE(index_->SearchBatch(so, q, 1, &batch).IsInvalidArgument());
  // A filter that passes nothing is no error: no hits.
  so = SearchOptions();
  so.filter = [](const rocksdb::Slice&, const rocksdb::Slice*) {
    return false;
  };
  ASSERT_OK(index_->Search(so, q, 1, &hits));
  EXPECT_TRUE(hits.empty());
  so.filter = nullptr;
  so.key_prefix = "\xff\xff";  // no successor: unbounded above
  ASSERT_OK(index_->Search(so, q, 1, &hits));
  EXPECT_TRUE(hits.empty());
}

// At the default effort, a filter passing 1%, 10% or 50% of the keys still
// meets the recall target (within the calibration's error): the probes widen
// by the sampled pass rate.
TEST_F(SearchFilterTest, SelectiveFiltersKeepRecallAtDefaultEffort) {
  constexpr uint32_t kDim = 16;
  constexpr size_t kNum = 20000, kQueries = 100, kK = 10;
  Open(kDim, 64, 64 << 20);
  const std::vector<float> all =
      GaussianClusters(kNum + kQueries, kDim, 50, 3.0f, 17);
  const float* queries = all.data() + kNum * kDim;
  std::vector<std::string> keys(kNum);
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < kNum; ++i) {
    keys[i] = "v" + std::to_string(i);
    ASSERT_OK(index_->Put(&batch, keys[i],
                          std::vector<float>(all.begin() + i * kDim,
                                             all.begin() + (i + 1) * kDim)));
  }
  ASSERT_OK(db_->Write(rocksdb::WriteOptions(), &batch));
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(index_->Train(TrainOptions()));
  for (uint64_t per_mille : {10, 100, 500}) {
    auto pass = [per_mille](const rocksdb::Slice& k) {
      return KeyHash(k) % 1000 < per_mille;
    };
    std::vector<float> base;
    std::vector<size_t> ids;
    for (size_t i = 0; i < kNum; ++i) {
      if (pass(keys[i])) {
        base.insert(base.end(), all.begin() + i * kDim,
                    all.begin() + (i + 1) * kDim);
        ids.push_back(i);
      }
    }
    std::vector<uint32_t> truth(kQueries * kK);
    ExactKnn(base.data(), ids.size(), queries, kQueries, kDim, kK,
             truth.data());
    SearchOptions so;
    so.filter = [pass](const rocksdb::Slice& k, const rocksdb::Slice*) {
      return pass(k);
    };
    size_t found = 0, scanned = 0;
    std::vector<SearchHit> hits;
    for (size_t q = 0; q < kQueries; ++q) {
      SearchStats stats;
      ASSERT_OK(index_->Search(
          so, std::vector<float>(queries + q * kDim, queries + (q + 1) * kDim),
          kK, &hits, &stats));
      ASSERT_EQ(hits.size(), kK);
      scanned += stats.segment_vectors_scanned;
      for (const SearchHit& h : hits) {
        ASSERT_TRUE(pass(h.key));
        for (size_t j = 0; j < kK; ++j) {
          found += keys[ids[truth[q * kK + j]]] == h.key;
        }
      }
    }
    const double recall = static_cast<double>(found) / (kQueries * kK);
    printf("pass rate %.3f: recall %.4f, %.0f vectors scanned per query\n",
           per_mille / 1000.0, recall, static_cast<double>(scanned) / kQueries);
    EXPECT_GE(recall, kDefaultRecallTarget - 0.03);
  }
}

}  // namespace
}  // namespace drift
