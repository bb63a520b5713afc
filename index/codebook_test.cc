#include "index/codebook.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "index/distance.h"
#include "index/exact_knn.h"
#include "util/dataset.h"

namespace drift {
namespace {

TEST(CodebookTest, TrainCalibrateEncodeDecode) {
  const uint32_t dim = 16;
  const size_t n = 20000;
  std::vector<float> x = GaussianClusters(n, dim, 50, 10, 1);
  Codebook cb;
  ASSERT_TRUE(
      TrainCodebook(x.data(), n, dim, 200, 3, KMeansOptions(), &cb).ok());
  // k-means buckets, plus splits of the ones it left over 2x the mean.
  EXPECT_GE(cb.size(), 200u);
  EXPECT_LE(cb.size(), 400u);
  EXPECT_EQ(cb.epoch, 3u);
  EXPECT_FALSE(cb.members.empty());  // 200 >= kMinCoarseSize
  ASSERT_FALSE(cb.calibration.empty());
  for (size_t i = 1; i < cb.calibration.size(); ++i) {
    EXPECT_GT(cb.calibration[i].nprobe, cb.calibration[i - 1].nprobe);
    EXPECT_GT(cb.calibration[i].recall, cb.calibration[i - 1].recall);
  }
  EXPECT_GE(cb.calibration.back().recall, 0.99f);
  EXPECT_LE(cb.NprobeForRecall(0.5f), cb.NprobeForRecall(0.99f));
  // Every nprobe up to the first that finds all: the table rises one probe
  // at a time wherever the recall rises.
  EXPECT_EQ(cb.calibration.front().nprobe, 1u);
  for (const Codebook::CalibrationPoint& p : cb.calibration) {
    EXPECT_EQ(cb.CalibratedRecall(p.nprobe), p.recall);
    EXPECT_EQ(cb.CalibratedRecall(p.nprobe + 1) >= p.recall, true);
  }
  EXPECT_EQ(cb.CalibratedRecall(0), 0.0f);
  // The probe mix meets a target between two calibrated points on average.
  for (float target : {0.5f, 0.8f, 0.9f, 0.95f}) {
    const Codebook::ProbeMix mix = cb.ProbesForRecall(target);
    ASSERT_EQ(mix.nprobe, cb.NprobeForRecall(target));
    if (mix.nprobe > 1) {
      EXPECT_GT(mix.fraction, 0.0f);
      EXPECT_LE(mix.fraction, 1.0f);
      EXPECT_NEAR(mix.recall, target, 1e-5) << target;
      EXPECT_FLOAT_EQ(mix.mean(), mix.nprobe - 1 + mix.fraction);
    }
    EXPECT_EQ(mix.ForQuery(0.0f), mix.nprobe);
    EXPECT_EQ(mix.ForQuery(std::nextafter(1.0f, 0.0f)),
              mix.fraction < 1 ? mix.nprobe - 1 : mix.nprobe);
  }
  // Above the calibrated range: the largest calibrated nprobe, for all.
  const Codebook::ProbeMix top = cb.ProbesForRecall(1.5f);
  EXPECT_EQ(top.nprobe, cb.calibration.back().nprobe);
  EXPECT_EQ(top.fraction, 1.0f);
  EXPECT_GE(cb.CalibratedRecall(cb.NprobeForRecall(0.9f)), 0.9f);
  EXPECT_LT(cb.CalibratedRecall(cb.NprobeForRecall(0.9f) - 1), 0.9f);

  std::string enc;
  cb.EncodeTo(&enc);
  Codebook back;
  ASSERT_TRUE(Codebook::DecodeFrom(enc, &back).ok());
  EXPECT_EQ(back.centroids, cb.centroids);
  EXPECT_EQ(back.epoch, cb.epoch);
  ASSERT_EQ(back.calibration.size(), cb.calibration.size());
  EXPECT_EQ(back.NprobeForRecall(0.9f), cb.NprobeForRecall(0.9f));
  EXPECT_EQ(back.members, cb.members);  // the coarse layer is re-derived
  // Trained slots are born in the training epoch, without a parent.
  ASSERT_EQ(back.lineage.size(), cb.size());
  for (const Codebook::SlotLineage& l : back.lineage) {
    EXPECT_EQ(l.born_epoch, 3u);
    EXPECT_EQ(l.parent, Codebook::kNoParent);
  }
  // Version 1 (no lineage section) still decodes, without lineage.
  std::string v1 = enc.substr(
      0, 17 + cb.centroids.size() * 4 + 4 + cb.calibration.size() * 8);
  v1[0] = 1;
  Codebook old;
  ASSERT_TRUE(Codebook::DecodeFrom(v1, &old).ok());
  EXPECT_EQ(old.centroids, cb.centroids);
  EXPECT_TRUE(old.lineage.empty());
  // A lineage born after the codebook's epoch is Corruption.
  Codebook future = back;
  future.lineage[5].born_epoch = 4;
  std::string fenc;
  future.EncodeTo(&fenc);
  EXPECT_TRUE(Codebook::DecodeFrom(fenc, &old).IsCorruption());

  // Every truncation and a bad version are Corruption, never a crash.
  for (size_t len = 0; len < enc.size(); len += 1 + len / 7) {
    Codebook c;
    EXPECT_TRUE(Codebook::DecodeFrom(rocksdb::Slice(enc.data(), len), &c)
                    .IsCorruption())
        << len;
  }
  std::string bad = enc;
  bad[0] = 9;
  EXPECT_TRUE(Codebook::DecodeFrom(bad, &back).IsCorruption());
  bad = enc + "x";
  EXPECT_TRUE(Codebook::DecodeFrom(bad, &back).IsCorruption());
}

// CountProbed counts, for every nprobe, exactly what NearestSlots probes:
// through the coarse layer (where opening more groups can push a slot out of
// the first p) and without one.
TEST(CodebookTest, CountProbedMatchesNearestSlotsAtEveryNprobe) {
  const uint32_t dim = 8;
  const size_t n = 6000;
  const std::vector<float> x = GaussianClusters(n, dim, 30, 10, 11);
  for (size_t buckets : {60, 300}) {
    Codebook cb;
    ASSERT_TRUE(
        TrainCodebook(x.data(), n, dim, buckets, 1, KMeansOptions(), &cb).ok());
    EXPECT_EQ(cb.members.empty(), buckets < Codebook::kMinCoarseSize);
    const size_t k = cb.size();
    std::mt19937_64 rng(buckets);
    std::vector<uint64_t> counted(k, 0), expected(k, 0);
    std::vector<uint32_t> probed;
    for (size_t q = 0; q < 40; ++q) {
      const float* query = x.data() + (rng() % n) * dim;
      // Targets near and far, with a repeat.
      std::vector<uint32_t> targets;
      cb.NearestSlots(query, k, &probed);
      for (size_t j = 0; j < 6; ++j) targets.push_back(rng() % k);
      targets.push_back(probed[0]);
      targets.push_back(probed[0]);
      targets.push_back(probed[std::min<size_t>(probed.size() - 1, 9)]);
      cb.CountProbed(query, targets.data(), targets.size(), &counted);
      for (size_t p = 1; p <= k; ++p) {
        cb.NearestSlots(query, p, &probed);
        for (uint32_t t : targets) {
          expected[p - 1] += std::count(probed.begin(), probed.end(), t);
        }
      }
    }
    EXPECT_EQ(counted, expected) << buckets << " buckets";
  }
}

// The recall a codebook's calibration promises for an nprobe is the
// recall@10 its routing gets on the whole data for held-out queries (the
// calibration buckets its sample as segments do: Assign, through the coarse
// layer).
TEST(CodebookTest, CalibrationEstimatesRecallOnTheWholeData) {
  const uint32_t dim = 16;
  const size_t n = 60000, ns = 12000, nq = 400;
  const std::vector<float> all = GaussianClusters(n + nq, dim, 40, 10, 7);
  const float* data = all.data();  // the first ns rows are the sample
  const float* queries = all.data() + n * dim;
  std::vector<uint32_t> truth(nq * 10);
  ExactKnn(data, n, queries, nq, dim, 10, truth.data());
  Codebook cb;
  ASSERT_TRUE(TrainCodebook(data, ns, dim, 200, 1, KMeansOptions(), &cb).ok());
  ASSERT_FALSE(cb.members.empty());  // routing through the coarse layer
  std::vector<uint32_t> slot_of(n), probed;
  cb.Assign(data, n, slot_of.data());
  size_t checked = 0;
  for (const Codebook::CalibrationPoint& p : cb.calibration) {
    if (p.recall < 0.7f || p.recall > 0.98f) continue;
    size_t found = 0;
    for (size_t q = 0; q < nq; ++q) {
      cb.NearestSlots(queries + q * dim, p.nprobe, &probed);
      for (size_t j = 0; j < 10; ++j) {
        found += std::count(probed.begin(), probed.end(),
                            slot_of[truth[q * 10 + j]]);
      }
    }
    EXPECT_NEAR(static_cast<double>(found) / (nq * 10), p.recall, 0.03)
        << "nprobe " << p.nprobe;
    ++checked;
  }
  EXPECT_GE(checked, 2u);
  // So does a probe mix, for queries spread over its positions.
  for (float target : {0.85f, 0.93f}) {
    const Codebook::ProbeMix mix = cb.ProbesForRecall(target);
    size_t found = 0, probes = 0;
    for (size_t q = 0; q < nq; ++q) {
      cb.NearestSlots(queries + q * dim, mix.ForQuery((q + 0.5f) / nq),
                      &probed);
      probes += probed.size();
      for (size_t j = 0; j < 10; ++j) {
        found += std::count(probed.begin(), probed.end(),
                            slot_of[truth[q * 10 + j]]);
      }
    }
    EXPECT_NEAR(static_cast<double>(found) / (nq * 10), target, 0.03);
    EXPECT_NEAR(static_cast<double>(probes) / nq, mix.mean(), 0.01);
  }
}

// Density routing, calibrated with the codebook: per-query probe counts
// reach each recall target on held-out queries of the whole data (within the
// calibration's sampling error), vary from query to query, and survive the
// encoding.
TEST(CodebookTest, DensityRoutingReachesItsTargets) {
  const uint32_t dim = 16;
  const size_t n = 60000, ns = 12000, nq = 400;
  const std::vector<float> all = GaussianClusters(n + nq, dim, 40, 10, 8);
  const float* data = all.data();
  const float* queries = all.data() + n * dim;
  std::vector<uint32_t> truth(nq * 10);
  ExactKnn(data, n, queries, nq, dim, 10, truth.data());
  Codebook cb;
  ASSERT_TRUE(TrainCodebook(data, ns, dim, 200, 1, KMeansOptions(), &cb).ok());
  ASSERT_TRUE(cb.density.calibrated());
  EXPECT_EQ(cb.density.share.size(), cb.size());
  std::vector<uint32_t> slot_of(n), probed;
  cb.Assign(data, n, slot_of.data());
  for (float target : {0.9f, 0.95f}) {
    size_t found = 0, probes = 0, fewest = ~size_t{0}, most = 0;
    for (size_t q = 0; q < nq; ++q) {
      cb.DensitySlots(queries + q * dim, target, &probed);
      ASSERT_GE(probed.size(), kMinDensityProbes);
      probes += probed.size();
      fewest = std::min(fewest, probed.size());
      most = std::max(most, probed.size());
      for (size_t j = 0; j < 10; ++j) {
        found += std::count(probed.begin(), probed.end(),
                            slot_of[truth[q * 10 + j]]);
      }
    }
    const double recall = static_cast<double>(found) / (nq * 10);
    printf(
        "target %.2f: recall %.4f, %.2f probes per query (%zu-%zu), "
        "nprobe table %u\n",
        target, recall, static_cast<double>(probes) / nq, fewest, most,
        cb.NprobeForRecall(target));
    EXPECT_GE(recall, target - 0.03);
    EXPECT_LT(fewest, most);  // adaptive: not one count for all
  }
  std::string enc;
  cb.EncodeTo(&enc);
  Codebook back;
  ASSERT_TRUE(Codebook::DecodeFrom(enc, &back).ok());
  EXPECT_EQ(back.density.share, cb.density.share);
  EXPECT_EQ(back.density.lambda, cb.density.lambda);
  ASSERT_EQ(back.density.curve.size(), cb.density.curve.size());
  std::vector<uint32_t> a, b;
  cb.DensitySlots(queries, 0.95f, &a);
  back.DensitySlots(queries, 0.95f, &b);
  EXPECT_EQ(a, b);
  // A negative share is Corruption.
  Codebook bad = cb;
  bad.density.share[3] = -1;
  std::string benc;
  bad.EncodeTo(&benc);
  EXPECT_TRUE(Codebook::DecodeFrom(benc, &back).IsCorruption());
}

TEST(CodebookTest, CoarseRoutingFindsTheNearestSlots) {
  const uint32_t dim = 8;
  std::vector<float> x = GaussianClusters(30000, dim, 300, 10, 2);
  Codebook cb;
  ASSERT_TRUE(
      TrainCodebook(x.data(), 30000, dim, 400, 1, KMeansOptions(), &cb).ok());
  ASSERT_FALSE(cb.members.empty());
  Codebook flat = cb;
  flat.members.clear();  // route by comparing every centroid
  std::mt19937_64 rng(5);
  size_t agree = 0, total = 0;
  std::vector<uint32_t> a, b;
  for (int q = 0; q < 200; ++q) {
    const float* query = x.data() + (rng() % 30000) * dim;
    cb.NearestSlots(query, 8, &a);
    flat.NearestSlots(query, 8, &b);
    ASSERT_EQ(a.size(), 8u);
    EXPECT_EQ(a[0], b[0]);  // the nearest centroid is always found
    for (uint32_t s : a) agree += std::count(b.begin(), b.end(), s);
    total += 8;
  }
  EXPECT_GE(static_cast<double>(agree) / total, 0.95);

  // NearestSlots compares only slots of the GroupsOpened(nprobe) nearest
  // coarse groups.
  const size_t g = cb.members.size();
  std::vector<uint32_t> group_of(cb.size());
  for (uint32_t grp = 0; grp < g; ++grp) {
    for (uint32_t slot : cb.members[grp]) group_of[slot] = grp;
  }
  for (size_t nprobe : {1, 8, 40}) {
    const size_t open = cb.GroupsOpened(nprobe);
    ASSERT_EQ(open, Codebook::GroupsOpened(nprobe, g, cb.size()));
    ASSERT_LT(open, g);
    for (int q = 0; q < 50; ++q) {
      const float* query = x.data() + (rng() % 30000) * dim;
      std::vector<std::pair<float, uint32_t>> order(g);
      for (uint32_t grp = 0; grp < g; ++grp) {
        order[grp] = {L2Sqr(query, cb.coarse_centroids.data() + grp * dim, dim),
                      grp};
      }
      std::partial_sort(order.begin(), order.begin() + open, order.end());
      std::vector<bool> opened(g, false);
      for (size_t r = 0; r < open; ++r) opened[order[r].second] = true;
      cb.NearestSlots(query, nprobe, &a);
      ASSERT_EQ(a.size(), nprobe);
      for (uint32_t s : a) EXPECT_TRUE(opened[group_of[s]]) << nprobe;
    }
  }

  // Coarse-assisted assignment mostly agrees with the exact nearest centroid.
  std::vector<uint32_t> coarse(30000), exact(30000);
  cb.Assign(x.data(), 30000, coarse.data());
  flat.Assign(x.data(), 30000, exact.data());
  size_t same = 0;
  for (size_t i = 0; i < coarse.size(); ++i) same += coarse[i] == exact[i];
  EXPECT_GE(static_cast<double>(same) / coarse.size(), 0.97);
}

// The open-groups rule: groups holding about 3 * nprobe slots, at least 6.
TEST(CodebookTest, GroupsOpenedRule) {
  // 16 groups of 16 slots: ceil(3 * nprobe / 16) groups, at least 6.
  EXPECT_EQ(Codebook::GroupsOpened(1, 16, 256), 6u);
  EXPECT_EQ(Codebook::GroupsOpened(32, 16, 256), 6u);
  EXPECT_EQ(Codebook::GroupsOpened(33, 16, 256), 7u);
  EXPECT_EQ(Codebook::GroupsOpened(64, 16, 256), 12u);
  EXPECT_EQ(Codebook::GroupsOpened(65, 16, 256), 13u);
  EXPECT_EQ(Codebook::GroupsOpened(256, 16, 256), 48u);  // not capped
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// Gaussian vectors scaled by norms spread over [0.5, 2]: the largest inner
// products are not the nearest neighbours, and spread over many buckets.
std::vector<float> ScaledGaussian(size_t n, uint32_t dim, uint64_t seed) {
  std::vector<float> x = GaussianVectors(n, dim, seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> scale(0.5f, 2.0f);
  for (size_t i = 0; i < n; ++i) {
    const float s = scale(rng);
    for (uint32_t j = 0; j < dim; ++j) x[i * dim + j] *= s;
  }
  return x;
}

TEST(CodebookMetricTest, MetricSurvivesTheEncodingAndL2KeepsItsBytes) {
  const uint32_t dim = 8;
  const size_t n = 4000;
  const std::vector<float> x = ScaledGaussian(n, dim, 3);
  for (Metric m : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    Codebook cb;
    ASSERT_TRUE(
        TrainCodebook(x.data(), n, dim, 40, 2, KMeansOptions(), &cb, m).ok());
    EXPECT_EQ(cb.metric, m);
    std::string enc;
    cb.EncodeTo(&enc);
    // l2 records keep the version-2 layout older readers know.
    EXPECT_EQ(static_cast<uint8_t>(enc[0]), m == Metric::kL2 ? 2 : 3);
    Codebook back;
    ASSERT_TRUE(Codebook::DecodeFrom(enc, &back).ok());
    EXPECT_EQ(back.metric, m);
    EXPECT_EQ(back.centroids, cb.centroids);
    EXPECT_EQ(back.density.calibrated(), cb.density.calibrated());
    // Under ip density routing is not calibrated (nprobe table instead).
    EXPECT_EQ(cb.density.calibrated(), m != Metric::kInnerProduct);
    if (m != Metric::kL2) {
      std::string bad = enc;
      bad.back() = 9;  // unknown metric
      EXPECT_TRUE(Codebook::DecodeFrom(bad, &back).IsCorruption());
      bad = enc;
      bad.pop_back();  // a version-3 record without its metric
      EXPECT_FALSE(Codebook::DecodeFrom(bad, &back).ok());
    }
  }
}

TEST(CodebookMetricTest, InnerProductRoutesByTheLargestCentroidProduct) {
  const uint32_t dim = 8;
  const size_t n = 6000;
  const std::vector<float> x = ScaledGaussian(n, dim, 5);
  Codebook cb;
  ASSERT_TRUE(TrainCodebook(x.data(), n, dim, 300, 1, KMeansOptions(), &cb,
                            Metric::kInnerProduct)
                  .ok());
  ASSERT_FALSE(cb.members.empty());  // kept for Assign, not for routing
  std::vector<uint32_t> slots;
  std::vector<float> dist;
  std::mt19937_64 rng(1);
  std::vector<uint64_t> counted(cb.size(), 0), expected(cb.size(), 0);
  for (int q = 0; q < 20; ++q) {
    const float* query = x.data() + (rng() % n) * dim;
    cb.NearestSlots(query, 5, &slots, &dist);
    // The 5 largest q.c of all centroids, by brute force.
    std::vector<std::pair<float, uint32_t>> all;
    for (uint32_t s = 0; s < cb.size(); ++s) {
      all.push_back({-InnerProduct(query, cb.centroid(s), dim), s});
    }
    std::sort(all.begin(), all.end());
    for (size_t j = 0; j < 5; ++j) {
      EXPECT_EQ(slots[j], all[j].second);
      EXPECT_EQ(dist[j], all[j].first);
    }
    // CountProbed mirrors it at every nprobe.
    std::vector<uint32_t> targets;
    for (int t = 0; t < 8; ++t) targets.push_back(rng() % cb.size());
    targets.push_back(slots[0]);
    cb.CountProbed(query, targets.data(), targets.size(), &counted);
    for (size_t p = 1; p <= cb.size(); ++p) {
      cb.NearestSlots(query, p, &slots);
      for (uint32_t t : targets) {
        expected[p - 1] += std::count(slots.begin(), slots.end(), t);
      }
    }
  }
  EXPECT_EQ(counted, expected);
}

// As CalibrationEstimatesRecallOnTheWholeData, against the true top-10 by
// inner product of held-out queries.
TEST(CodebookMetricTest, InnerProductCalibrationEstimatesRecall) {
  const uint32_t dim = 16;
  const size_t n = 40000, ns = 12000, nq = 400;
  const std::vector<float> all = ScaledGaussian(n + nq, dim, 9);
  const float* queries = all.data() + n * dim;
  std::vector<uint32_t> truth(nq * 10);
  ExactKnn(all.data(), n, queries, nq, dim, 10, truth.data(),
           Metric::kInnerProduct);
  Codebook cb;
  ASSERT_TRUE(TrainCodebook(all.data(), ns, dim, 150, 1, KMeansOptions(), &cb,
                            Metric::kInnerProduct)
                  .ok());
  std::vector<uint32_t> slot_of(n), probed;
  cb.Assign(all.data(), n, slot_of.data());
  size_t checked = 0;
  for (float target : {0.7f, 0.8f, 0.9f, 0.95f}) {
    const uint32_t nprobe = cb.NprobeForRecall(target);
    size_t found = 0;
    for (size_t q = 0; q < nq; ++q) {
      cb.NearestSlots(queries + q * dim, nprobe, &probed);
      for (size_t j = 0; j < 10; ++j) {
        found += std::count(probed.begin(), probed.end(),
                            slot_of[truth[q * 10 + j]]);
      }
    }
    EXPECT_NEAR(static_cast<double>(found) / (nq * 10),
                cb.CalibratedRecall(nprobe), 0.04)
        << "nprobe " << nprobe;
    checked += nprobe > 1;
  }
  EXPECT_EQ(checked, 4u);  // the neighbours spread over many buckets
}

}  // namespace
}  // namespace drift
