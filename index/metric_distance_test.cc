#include "index/metric_distance.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace drift {
namespace {

TEST(MetricDistanceTest, NamesParseAndPrint) {
  for (Metric m : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    Metric back = Metric::kL2;
    ASSERT_TRUE(ParseMetric(MetricName(m), &back).ok());
    EXPECT_EQ(back, m);
  }
  Metric m = Metric::kCosine;
  const rocksdb::Status s = ParseMetric("euclid", &m);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("euclid"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("l2, ip, cosine"), std::string::npos);
  EXPECT_EQ(m, Metric::kCosine);  // unchanged
}

// Each metric's exact distance against a double-precision reference, and the
// index space: under cosine, |q' - x'|^2 / 2 is 1 - cos.
TEST(MetricDistanceTest, ExactDistancesAndIndexSpace) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 2);
  for (size_t d : {1, 7, 16, 100, 784}) {
    std::vector<float> q(d), x(d), qi(d), xi(d);
    for (int rep = 0; rep < 20; ++rep) {
      for (size_t j = 0; j < d; ++j) q[j] = g(rng), x[j] = g(rng);
      double l2 = 0, dot = 0, nq = 0, nx = 0;
      for (size_t j = 0; j < d; ++j) {
        l2 += (double{q[j]} - x[j]) * (double{q[j]} - x[j]);
        dot += double{q[j]} * x[j];
        nq += double{q[j]} * q[j];
        nx += double{x[j]} * x[j];
      }
      const double cos = dot / std::sqrt(nq * nx);
      const double tol = 1e-4 * (1 + std::abs(dot) + l2);
      EXPECT_NEAR(ExactDistance(Metric::kL2, q.data(), d)(x.data()), l2, tol);
      EXPECT_NEAR(ExactDistance(Metric::kInnerProduct, q.data(), d)(x.data()),
                  -dot, tol);
      EXPECT_NEAR(ExactDistance(Metric::kCosine, q.data(), d)(x.data()),
                  1 - cos, 1e-5);
      ASSERT_TRUE(ToIndexSpace(Metric::kCosine, q.data(), d, qi.data()));
      ASSERT_TRUE(ToIndexSpace(Metric::kCosine, x.data(), d, xi.data()));
      float l2i = 0;
      RoutingDistances(Metric::kCosine, qi.data(), xi.data(), 1, d, &l2i);
      EXPECT_NEAR(FromIndexSpaceL2(Metric::kCosine, l2i), 1 - cos, 1e-5);
      float neg_dot = 0;
      RoutingDistances(Metric::kInnerProduct, q.data(), x.data(), 1, d,
                       &neg_dot);
      EXPECT_NEAR(neg_dot, -dot, tol);
      EXPECT_EQ(RoutingDistance(Metric::kInnerProduct, q.data(), x.data(), d),
                neg_dot);
      // l2 and ip leave vectors as they are.
      ASSERT_TRUE(ToIndexSpace(Metric::kInnerProduct, x.data(), d, xi.data()));
      EXPECT_EQ(xi, x);
    }
  }
}

TEST(MetricDistanceTest, ZeroVectorsUnderCosineNeverMatch) {
  const std::vector<float> zero(5, 0.0f), x = {1, 2, 3, 4, 5};
  std::vector<float> out(5, 7.0f);
  EXPECT_FALSE(ToIndexSpace(Metric::kCosine, zero.data(), 5, out.data()));
  EXPECT_EQ(out, zero);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ExactDistance(Metric::kCosine, x.data(), 5)(zero.data()), inf);
  EXPECT_EQ(ExactDistance(Metric::kCosine, zero.data(), 5)(x.data()), inf);
  EXPECT_NEAR(ExactDistance(Metric::kCosine, x.data(), 5)(x.data()), 0, 1e-6);
}

}  // namespace
}  // namespace drift
