#include "db_bench_drift/summary.h"

#include "gtest/gtest.h"

namespace drift {
namespace bench {
namespace {

TEST(QpsAtRecallTest, InterpolatesOnTheFrontier) {
  // (0.95, 500) is dominated by (0.97, 800) and must not pull the line down.
  const std::vector<std::pair<double, double>> points = {
      {0.90, 1000}, {0.95, 500}, {0.97, 800}, {0.99, 400}};
  EXPECT_DOUBLE_EQ(*QpsAtRecall(points, 0.90), 1000);
  EXPECT_DOUBLE_EQ(*QpsAtRecall(points, 0.95), 1000 - 200.0 * 5 / 7);
  EXPECT_DOUBLE_EQ(*QpsAtRecall(points, 0.98), 600);
  EXPECT_DOUBLE_EQ(*QpsAtRecall(points, 0.99), 400);
  EXPECT_DOUBLE_EQ(*QpsAtRecall(points, 0.50), 1000);  // a higher-recall point
  EXPECT_FALSE(QpsAtRecall(points, 0.995).has_value());
  EXPECT_FALSE(QpsAtRecall({}, 0.9).has_value());
}

Result Measurement(const std::string& benchmark, const std::string& system,
                   double ops, double recall = -1) {
  Result r;
  r.benchmark = benchmark;
  r.system = system;
  r.metrics["ops_per_sec"] = ops;
  if (recall >= 0) r.metrics["recall_at_k"] = recall;
  return r;
}

TEST(ComputeRatiosTest, ThroughputAndSearchAtEqualRecall) {
  const std::vector<Result> results = {
      Measurement("fillvec", "drift", 600),
      Measurement("fillvec", "rocksdb", 800),
      Measurement("fillvec", "hnswlib", 20),
      Measurement("search", "drift", 900, 0.94),
      Measurement("search", "drift", 700, 0.98),
      Measurement("search", "hnswlib", 1000, 0.93),
      Measurement("search", "hnswlib", 500, 0.99),
      Measurement("search", "bruteforce", 100, 1.0),
  };
  const std::vector<Result> ratios = ComputeRatios(results, {0.95, 0.995});
  ASSERT_EQ(ratios.size(), 3u);  // fillvec x2, search at 0.95 only
  EXPECT_EQ(ratios[0].params.at("baseline"), "hnswlib");
  EXPECT_DOUBLE_EQ(ratios[0].metrics.at("ratio"), 30);
  EXPECT_EQ(ratios[1].params.at("baseline"), "rocksdb");
  EXPECT_DOUBLE_EQ(ratios[1].metrics.at("ratio"), 0.75);
  EXPECT_EQ(ratios[2].params.at("of"), "search");
  EXPECT_EQ(ratios[2].params.at("recall_at_k"), "0.95");
  // drift: 900 + (700-900)*0.25 = 850; hnswlib: 1000 - 500/6*2 = 833.3
  EXPECT_NEAR(ratios[2].metrics.at("ratio"), 850 / (1000 - 500.0 / 3), 1e-9);
}

}  // namespace
}  // namespace bench
}  // namespace drift
