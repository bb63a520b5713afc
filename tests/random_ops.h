// The randomized MVCC workload of the exactness tests (vector_index_test,
// metric_test): random puts (a zero vector now and then, by a plain DB::Put),
// deletes, range deletes, non-vector values, flushes, compactions, trainings,
// reopens and snapshots on keys "v00000".."v00399", mirrored in a Model; the
// test's check runs on the newest state and on every snapshot's.
#pragma once

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "index/metric_distance.h"
#include "rocksdb/db.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"

namespace drift {
namespace test {

struct RandomOps {
  int ops = 2000;
  // The reopen hook replaces the DB and the index: they are read through
  // these on every step.
  std::function<rocksdb::DB*()> db;
  std::function<rocksdb::ColumnFamilyHandle*()> cf;
  std::function<VectorIndex*()> index;
  std::function<std::vector<float>(std::mt19937*)> random_vector;
  // Writes v under key (the default: VectorIndex::Put); the model gets v.
  std::function<void(const std::string& key, const std::vector<float>& v)> put;
  // Closes and reopens the DB and the index.
  std::function<void()> reopen;
  // The check of `model` as seen at `snapshot` (nullptr: the newest state).
  std::function<void(const Model& model, const rocksdb::Snapshot* snapshot,
                     std::mt19937* rng)>
      expect_exact;
};

inline std::string RandomOpsKey(int i) {
  char buf[16];
  snprintf(buf, sizeof(buf), "v%05d", i);
  return buf;
}

// v written by DB::Put (no VectorIndex check): the value bytes of a vector.
inline rocksdb::Status PlainPut(rocksdb::DB* db,
                                rocksdb::ColumnFamilyHandle* cf,
                                const std::string& key,
                                const std::vector<float>& v) {
  return db->Put(rocksdb::WriteOptions(), cf, key,
                 rocksdb::Slice(reinterpret_cast<const char*>(v.data()),
                                v.size() * sizeof(float)));
}

// Runs `ops` random steps from *rng; *model ends as the visible state. Stops
// at the first fatal failure.
inline void RunRandomOps(const RandomOps& ops, std::mt19937* rng,
                         Model* model) {
  struct Snap {
    const rocksdb::Snapshot* snap;
    Model model;
  };
  std::vector<Snap> snaps;
  const rocksdb::WriteOptions wo;
  std::mt19937& gen = *rng;
  auto key = &RandomOpsKey;
  for (int op = 0; op < ops.ops && !testing::Test::HasFatalFailure(); ++op) {
    const int r = gen() % 100;
    const std::string k = key(gen() % 400);
    if (r < 55) {
      const std::vector<float> v = ops.random_vector(rng);
      if (ops.put) {
        ops.put(k, v);
      } else {
        ASSERT_OK(ops.index()->Put(wo, k, v));
      }
      (*model)[k] = v;
    } else if (r < 58) {
      // A zero vector by a plain Put: stored (under cosine never returned).
      std::vector<float> v = ops.random_vector(rng);
      std::fill(v.begin(), v.end(), 0.0f);
      ASSERT_OK(PlainPut(ops.db(), ops.cf(), k, v));
      (*model)[k] = v;
    } else if (r < 68) {
      ASSERT_OK(ops.index()->Delete(wo, k));
      model->erase(k);
    } else if (r < 71) {
      const int a = gen() % 400, b = a + 1 + gen() % 30;
      ASSERT_OK(ops.db()->DeleteRange(wo, ops.cf(), key(a), key(b)));
      model->erase(model->lower_bound(key(a)), model->lower_bound(key(b)));
    } else if (r < 74) {
      // A non-vector value in the vector column family: stored, never
      // returned.
      ASSERT_OK(ops.db()->Put(wo, ops.cf(), k, "not a vector"));
      model->erase(k);
    } else if (r < 79) {
      ASSERT_OK(ops.db()->Flush(rocksdb::FlushOptions(), ops.cf()));
    } else if (r < 81) {
      ASSERT_OK(ops.db()->CompactRange(rocksdb::CompactRangeOptions(), ops.cf(),
                                       nullptr, nullptr));
    } else if (r < 82 && gen() % 2 == 0) {
      // A new codebook epoch; half the time segments are re-bucketed now.
      TrainOptions t;
      t.num_buckets = 1 + gen() % 12;
      t.rebucket = gen() % 2 == 0;
      const uint64_t before = ops.index()->codebook_epoch();
      const rocksdb::Status s = ops.index()->Train(t);
      if (s.ok()) {
        ASSERT_GT(ops.index()->codebook_epoch(), before);
      } else {
        // Nothing to train on: no vector, or (cosine) only zero vectors.
        ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
        for (const auto& [key_of, v] : *model) {
          ASSERT_TRUE(std::all_of(v.begin(), v.end(), [](float x) {
            return x == 0;
          })) << s.ToString();
        }
      }
    } else if (r < 82 && snaps.empty()) {
      const uint64_t epoch = ops.index()->codebook_epoch();
      ASSERT_NO_FATAL_FAILURE(ops.reopen());
      ASSERT_EQ(ops.index()->codebook_epoch(), epoch);  // persisted codebook
    } else if (r < 86 && snaps.size() < 3) {
      snaps.push_back({ops.db()->GetSnapshot(), *model});
    } else if (r < 89 && !snaps.empty()) {
      ops.expect_exact(snaps.back().model, snaps.back().snap, rng);
      ops.db()->ReleaseSnapshot(snaps.back().snap);
      snaps.pop_back();
    } else {
      ops.expect_exact(*model, nullptr, rng);
    }
  }
  for (auto& s : snaps) {
    ops.expect_exact(s.model, s.snap, rng);
    ops.db()->ReleaseSnapshot(s.snap);
  }
  ops.expect_exact(*model, nullptr, rng);
}

// A default-effort search may miss neighbours, but every hit must be a
// visible key of `model` with its exact distance by `metric`, once, in
// order, at most k.
inline void ExpectValidHits(const Model& model,
                            const std::vector<SearchHit>& hits,
                            const std::vector<float>& q, size_t k,
                            Metric metric = Metric::kL2) {
  ASSERT_LE(hits.size(), k);
  const ExactDistance distance(metric, q.data(), q.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < hits.size(); ++i) {
    auto it = model.find(hits[i].key);
    ASSERT_NE(it, model.end()) << hits[i].key << " is not visible";
    EXPECT_EQ(hits[i].distance, distance(it->second.data()));
    EXPECT_TRUE(seen.insert(hits[i].key).second) << "duplicate";
    if (i > 0) {
      EXPECT_LE(hits[i - 1].distance, hits[i].distance);
    }
  }
}

}  // namespace test
}  // namespace drift
