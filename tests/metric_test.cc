// Metrics (drift/metric.h): option strings, the Attach checks against the
// factories, the persisted codebook and the segments; per metric, the
// randomized MVCC model (exhaustive search, SearchRadius, filtered search and
// return_vectors equal brute force by the metric's exact distance after every
// step), bad input, and recall at default effort on fashion-mnist against the
// metric's true top-10.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "index/exact_knn.h"
#include "index/metric_distance.h"
#include "rocksdb/convenience.h"
#include "tests/random_ops.h"
#include "tests/test_util.h"
#include "tests/vector_index_fixture.h"
#include "tests/vector_model.h"
#include "util/dataset.h"

namespace drift {
namespace {

// The fixture's directory, DB and index; its own Open sets the metrics.
class MetricTest : public test::VectorIndexFixture {
 protected:
  MetricTest() { auto_train_ = false; }

  // Opens the DB with factories of `factory_metric` (memtable: mem_metric)
  // and attaches with `index_metric`; returns Attach's status.
  rocksdb::Status Open(Metric factory_metric, Metric mem_metric,
                       Metric index_metric, uint32_t dim = 8,
                       bool disable_auto_compactions = false) {
    Close();
    rocksdb::ColumnFamilyOptions base;
    base.disable_auto_compactions = disable_auto_compactions;
    rocksdb::ColumnFamilyOptions vec =
        VectorColumnFamilyOptions(dim, factory_metric, base);
    DriftMemTableOptions mopts;
    mopts.dimension = dim;
    mopts.metric = mem_metric;
    mopts.graph_min_rows = 16;
    vec.memtable_factory = NewDriftMemTableFactory(mopts);
    rocksdb::Status s = test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec,
                                               &db_, &handles_);
    if (!s.ok()) return s;
    VectorIndexOptions vopts;
    vopts.dimension = dim;
    vopts.metric = index_metric;
    vopts.auto_train = auto_train_;
    vopts.min_train_vectors = 500;
    return VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_);
  }
};

TEST_F(MetricTest, OptionStringsSetAndPrintTheMetric) {
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;
  rocksdb::ColumnFamilyOptions cf;
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8;metric=cosine};"
      "memtable_factory={id=DriftMemTable;dimension=8;metric=ip}",
      &cf));
  EXPECT_EQ(cf.table_factory->GetOptions<DriftTableOptions>()->metric,
            Metric::kCosine);
  EXPECT_EQ(cf.memtable_factory->GetOptions<DriftMemTableOptions>()->metric,
            Metric::kInnerProduct);
  std::string printed;
  ASSERT_OK(cf.table_factory->GetOptionString(config, &printed));
  EXPECT_NE(printed.find("metric=cosine"), std::string::npos) << printed;
  // The default is l2.
  EXPECT_EQ(DriftTableOptions().metric, Metric::kL2);
  EXPECT_EQ(VectorIndexOptions().metric, Metric::kL2);
  // An unknown name is a clear error naming it and the accepted ones.
  for (const char* bad :
       {"table_factory={id=DriftTable;dimension=8;metric=euclid}",
        "memtable_factory={id=DriftMemTable;dimension=8;metric=euclid}"}) {
    const rocksdb::Status s = rocksdb::GetColumnFamilyOptionsFromString(
        config, rocksdb::ColumnFamilyOptions(), bad, &cf);
    ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find("euclid"), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("l2, ip, cosine"), std::string::npos)
        << s.ToString();
  }
}

TEST_F(MetricTest, AttachRejectsAMetricOtherThanTheFactories) {
  rocksdb::Status s = Open(Metric::kL2, Metric::kL2, Metric::kCosine);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("DriftTable metric l2"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.ToString().find("cosine"), std::string::npos) << s.ToString();
  s = Open(Metric::kInnerProduct, Metric::kL2, Metric::kInnerProduct);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("DriftMemTable metric l2"), std::string::npos)
      << s.ToString();
  VectorIndexOptions bad;
  bad.dimension = 8;
  bad.metric = static_cast<Metric>(7);
  Close();
  ASSERT_OK(test::OpenWithVectorCf(dir_, rocksdb::DBOptions(),
                                   VectorColumnFamilyOptions(8), &db_,
                                   &handles_));
  s = VectorIndex::Attach(db_.get(), handles_[1], bad, &index_);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  ASSERT_OK(Open(Metric::kL2, Metric::kL2, Metric::kL2));
}

using test::Model;

class MetricModelTest : public MetricTest,
                        public testing::WithParamInterface<Metric> {
 protected:
  void OpenMetric() {
    ASSERT_OK(Open(GetParam(), GetParam(), GetParam(), kDim));
  }

  // Small integer grids make exact distance ties frequent: ties must break
  // by key. Zero vectors happen (and are stored under cosine by a plain Put).
  std::vector<float> RandomVector(std::mt19937* rng) {
    std::vector<float> v(kDim);
    for (float& x : v)
      x = static_cast<float>(static_cast<int>((*rng)() % 9) - 4);
    return v;
  }

  void ExpectExact(const Model& model, const rocksdb::Snapshot* snap,
                   std::mt19937* rng) {
    for (int i = 0; i < 3; ++i) {
      std::vector<float> q = RandomVector(rng);
      q[0] += 0.5f;  // never a zero query
      const size_t k = 1 + (*rng)() % 12;
      SearchOptions so;
      so.exhaustive = true;
      so.snapshot = snap;
      std::vector<SearchHit> hits;
      ASSERT_OK(index_->Search(so, q, k, &hits));
      const std::vector<SearchHit> truth =
          test::BruteForce(model, q, k, GetParam());
      ASSERT_EQ(hits, truth);
      ASSERT_NO_FATAL_FAILURE(ExpectExactVariants(model, so, q, k, rng));
      // Default effort may miss neighbours, but every hit is a visible key
      // with its exact distance, once, in order.
      so.exhaustive = false;
      ASSERT_OK(index_->Search(so, q, k, &hits));
      test::ExpectValidHits(model, hits, q, k, GetParam());
    }
  }

  // The other exhaustive searches under the metric, at the same snapshot:
  // SearchRadius, filtered searches (a key range, read in key order at the
  // default effort too, and a key predicate), and return_vectors.
  void ExpectExactVariants(const Model& model, SearchOptions so,
                           const std::vector<float>& q, size_t k,
                           std::mt19937* rng) {
    const Metric metric = GetParam();
    std::vector<SearchHit> hits;
    // A radius at the distance of a brute-force hit (negative ones happen
    // under ip), so ties on the boundary are in.
    const std::vector<SearchHit> all =
        test::BruteForce(model, q, 1u << 20, metric);
    const float radius =
        all.empty() ? 1.0f : all[(*rng)() % all.size()].distance;
    ASSERT_OK(index_->SearchRadius(so, q, radius, &hits));
    ASSERT_EQ(hits, test::BruteForceRadius(model, q, radius, metric))
        << "radius " << radius;
    // A key range of about a tenth of the keys, and a predicate.
    SearchOptions range = so;
    const int a = static_cast<int>((*rng)() % 400);
    range.key_start = test::RandomOpsKey(a);
    range.key_limit = test::RandomOpsKey(a + 40);
    ASSERT_OK(index_->Search(range, q, k, &hits));
    ASSERT_EQ(hits, test::BruteForce(test::Passing(range, model, nullptr), q, k,
                                     metric));
    range.exhaustive = false;  // small enough to be read in key order
    SearchStats stats;
    ASSERT_OK(index_->Search(range, q, k, &hits, &stats));
    ASSERT_EQ(hits, test::BruteForce(test::Passing(range, model, nullptr), q, k,
                                     metric));
    EXPECT_EQ(stats.buckets_probed, 0u);
    SearchOptions predicate = so;
    const size_t m = 2 + (*rng)() % 3;
    predicate.filter = [m](const rocksdb::Slice& key, const rocksdb::Slice*) {
      return static_cast<uint8_t>(key[key.size() - 1]) % m == 0;
    };
    ASSERT_OK(index_->Search(predicate, q, k, &hits));
    ASSERT_EQ(hits, test::BruteForce(test::Passing(predicate, model, nullptr),
                                     q, k, metric));
    // return_vectors: each hit carries its stored (original) floats.
    so.return_vectors = true;
    ASSERT_OK(index_->Search(so, q, k, &hits));
    std::vector<SearchHit> with_vectors = test::BruteForce(model, q, k, metric);
    for (SearchHit& h : with_vectors) h.vector = model.at(h.key);
    ASSERT_EQ(hits, with_vectors);
  }

  static constexpr uint32_t kDim = 6;
};

TEST_P(MetricModelTest, ExhaustiveSearchEqualsBruteForceUnderRandomOps) {
  auto_train_ = true;
  OpenMetric();
  std::mt19937 rng(7 + static_cast<int>(GetParam()));
  Model model;
  test::RandomOps ops;
  ops.db = [this] { return db_.get(); };
  ops.cf = [this] { return handles_[1]; };
  ops.index = [this] { return index_.get(); };
  ops.random_vector = [this](std::mt19937* g) { return RandomVector(g); };
  // Under cosine VectorIndex::Put rejects a zero vector; a plain Put
  // stores it (never returned).
  ops.put = [this](const std::string& k, const std::vector<float>& v) {
    const rocksdb::WriteOptions wo;
    const bool zero =
        std::all_of(v.begin(), v.end(), [](float x) { return x == 0; });
    if (zero && GetParam() == Metric::kCosine) {
      ASSERT_TRUE(index_->Put(wo, k, v).IsInvalidArgument());
      ASSERT_OK(test::PlainPut(db_.get(), handles_[1], k, v));
    } else {
      ASSERT_OK(index_->Put(wo, k, v));
    }
  };
  ops.reopen = [this] { OpenMetric(); };
  ops.expect_exact = [this](const Model& m, const rocksdb::Snapshot* snap,
                            std::mt19937* g) { ExpectExact(m, snap, g); };
  test::RunRandomOps(ops, &rng, &model);
  if (HasFatalFailure()) return;
  // A reopen with another metric is refused, naming both; the data is intact.
  const Metric other =
      GetParam() == Metric::kL2 ? Metric::kCosine : Metric::kL2;
  if (index_->codebook_epoch() > 0 || !model.empty()) {
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    // Without compactions: a compaction under the other factory would write
    // segments of the other metric (see docs/options.md, Metric).
    const rocksdb::Status s = Open(other, other, other, kDim, true);
    ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find(MetricName(GetParam())), std::string::npos)
        << s.ToString();
    EXPECT_NE(s.ToString().find(MetricName(other)), std::string::npos)
        << s.ToString();
    ASSERT_NO_FATAL_FAILURE(OpenMetric());
    ExpectExact(model, nullptr, &rng);
  }
}

TEST_P(MetricModelTest, BadInputGetsClearErrors) {
  OpenMetric();
  std::vector<SearchHit> hits;
  const std::vector<float> zero(kDim, 0.0f), one(kDim, 1.0f);
  rocksdb::Status s = index_->Put(rocksdb::WriteOptions(), "z", zero);
  rocksdb::Status q = index_->Search(SearchOptions(), zero, 3, &hits);
  if (GetParam() == Metric::kCosine) {
    ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find("zero vector"), std::string::npos);
    ASSERT_TRUE(q.IsInvalidArgument()) << q.ToString();
    // SearchBatch and SearchRadius too, naming the query.
    std::vector<float> batch_queries(one.begin(), one.end());
    batch_queries.insert(batch_queries.end(), zero.begin(), zero.end());
    std::vector<std::vector<SearchHit>> batch_hits;
    const rocksdb::Status b =
        index_->SearchBatch(SearchOptions(), batch_queries, 3, &batch_hits);
    ASSERT_TRUE(b.IsInvalidArgument()) << b.ToString();
    EXPECT_NE(b.ToString().find("SearchBatch query 1: a zero vector"),
              std::string::npos)
        << b.ToString();
    EXPECT_TRUE(index_->SearchRadius(SearchOptions(), zero, 1.0f, &hits)
                    .IsInvalidArgument());
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(index_->Put(&batch, "z", zero).IsInvalidArgument());
    EXPECT_EQ(batch.Count(), 0u);
  } else {
    ASSERT_OK(s);
    ASSERT_OK(q);
  }
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "one", one));
  ASSERT_OK(index_->Search(SearchOptions(), one, 3, &hits));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].key, "one");
  // The distance of a vector to itself per metric.
  const float self = GetParam() == Metric::kL2             ? 0.0f
                     : GetParam() == Metric::kInnerProduct ? -float{kDim}
                                                           : 0.0f;
  EXPECT_NEAR(hits[0].distance, self, 1e-6);
}

// Drift maintenance per metric: 3,000 vectors in a second direction (so
// cosine sees the shift too) overfill the buckets of a codebook trained on
// the first; Maintain splits them (in the index space), re-buckets, and
// searches stay exact and find the new region at the default effort.
TEST_P(MetricModelTest, MaintenanceFollowsDriftingData) {
  constexpr uint32_t kDriftDim = 8;
  ASSERT_OK(Open(GetParam(), GetParam(), GetParam(), kDriftDim));
  std::mt19937 rng(11);
  std::normal_distribution<float> noise;
  Model model;
  auto put_region = [&](const char* prefix, uint32_t axis) {
    for (int i = 0; i < 3000; ++i) {
      std::vector<float> v(kDriftDim);
      for (float& x : v) x = noise(rng);
      v[axis] += 10;
      const std::string key = prefix + std::to_string(i);
      ASSERT_OK(index_->Put(rocksdb::WriteOptions(), key, v));
      model[key] = v;
    }
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  };
  put_region("a", 0);
  ASSERT_OK(index_->Train(TrainOptions()));
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  const uint64_t first_epoch = st.codebook_epoch;
  put_region("b", kDriftDim - 1);
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  bool retrained = false;
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_TRUE(retrained);
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_EQ(st.codebook_epoch, first_epoch + 1);
  EXPECT_GE(st.bucket_splits + st.trainings, 2u) << "no edit, no retrain";
  EXPECT_EQ(st.other_epoch_vectors, 0u);
  EXPECT_LT(st.max_over_mean(), 3.0);
  size_t found = 0, wanted = 0;
  for (int i = 0; i < 50; ++i) {
    std::vector<float> q(kDriftDim);
    for (float& x : q) x = noise(rng);
    q[kDriftDim - 1] += 10;
    std::vector<SearchHit> hits;
    SearchOptions so;
    so.exhaustive = true;
    ASSERT_OK(index_->Search(so, q, 10, &hits));
    const std::vector<SearchHit> truth =
        test::BruteForce(model, q, 10, GetParam());
    ASSERT_EQ(hits, truth);
    ASSERT_OK(index_->Search(SearchOptions(), q, 10, &hits));
    for (const SearchHit& h : hits) {
      found += std::count(truth.begin(), truth.end(), h);
    }
    wanted += truth.size();
  }
  printf(
      "%s drift: %llu edit checks, %llu buckets split, %llu merged, %llu "
      "edits rejected, %llu deferred, %llu trainings (%llu for imbalance), "
      "recall@10 of the new region %.3f\n",
      MetricName(GetParam()), static_cast<unsigned long long>(st.edit_checks),
      static_cast<unsigned long long>(st.bucket_splits),
      static_cast<unsigned long long>(st.bucket_merges),
      static_cast<unsigned long long>(st.bucket_edits_rejected),
      static_cast<unsigned long long>(st.bucket_edits_deferred),
      static_cast<unsigned long long>(st.trainings),
      static_cast<unsigned long long>(st.retrains_imbalance),
      static_cast<double>(found) / wanted);
  EXPECT_GE(static_cast<double>(found) / wanted, 0.9);
}

// Recall@10 at the default effort against the metric's true top-10 (the
// first 20,000 fashion-mnist images, 300 queries), after an explicit Train.
TEST_P(MetricModelTest, FashionMnistRecallAtDefaultEffort) {
  Dataset data;
  rocksdb::Status s = LoadFashionMnist(DRIFT_FASHION_MNIST_DIR, &data);
  if (s.IsNotFound()) GTEST_SKIP() << s.ToString();
  ASSERT_OK(s);
  const Metric metric = GetParam();
  const size_t n = std::min<size_t>(20000, data.num_base());
  const size_t nq = std::min<size_t>(300, data.num_queries());
  ASSERT_OK(Open(metric, metric, metric, data.dim));
  PutAndFlushBase(data, n, /*batch_rows=*/n);
  TrainOptions t;
  t.num_buckets = 80;
  ASSERT_OK(index_->Train(t));
  // The truth: ExactKnn ranks cosine in its index space (unit vectors).
  std::vector<float> base(data.base.begin(), data.base.begin() + n * data.dim);
  std::vector<float> queries(data.queries.begin(),
                             data.queries.begin() + nq * data.dim);
  for (size_t i = 0; i < n; ++i) {
    ToIndexSpace(metric, &base[i * data.dim], data.dim, &base[i * data.dim]);
  }
  for (size_t i = 0; i < nq; ++i) {
    ToIndexSpace(metric, &queries[i * data.dim], data.dim,
                 &queries[i * data.dim]);
  }
  const size_t k = 10;
  std::vector<uint32_t> gt(nq * k);
  ExactKnn(base.data(), n, queries.data(), nq, data.dim, k, gt.data(), metric);
  size_t found = 0;
  std::vector<SearchHit> hits;
  for (size_t q = 0; q < nq; ++q) {
    const std::vector<float> query(data.queries.begin() + q * data.dim,
                                   data.queries.begin() + (q + 1) * data.dim);
    ASSERT_OK(index_->Search(SearchOptions(), query, k, &hits));
    for (const SearchHit& h : hits) {
      const uint32_t id = static_cast<uint32_t>(std::stoul(h.key.substr(3)));
      found += std::count(gt.begin() + q * k, gt.begin() + (q + 1) * k, id);
    }
  }
  const double recall = double(found) / (nq * k);
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  printf(
      "fashion-mnist (%zu) %s recall@10 at default effort: %.4f (nprobe "
      "%.2f, calibrated %.4f)\n",
      n, MetricName(metric), recall, st.default_nprobe,
      st.default_nprobe_recall);
  EXPECT_GE(recall, 0.93);
}

INSTANTIATE_TEST_SUITE_P(Metrics, MetricModelTest,
                         testing::Values(Metric::kL2, Metric::kInnerProduct,
                                         Metric::kCosine),
                         [](const testing::TestParamInfo<Metric>& info) {
                           return std::string(MetricName(info.param));
                         });

}  // namespace
}  // namespace drift
