#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "index/kernel_table.h"
#include "index/runnable_kernels_test_util.h"
#include "index/sq8_scan.h"
#include "util/cpu_features.h"
#include "util/dataset.h"

namespace drift {
namespace {

const size_t kDims[] = {1, 3, 17, 128, 784, 1000};
const size_t kCounts[] = {1, 7, 33, 101};
const SQ8ScanForm kForms[] = {SQ8ScanForm::kLut, SQ8ScanForm::kDecodeFma,
                              SQ8ScanForm::kInteger};

// Components of dimension j ~ N(j % 5 - 2, 0.2 + j % 7): ranges differ.
std::vector<float> Data(size_t n, size_t d, uint32_t seed) {
  std::vector<float> v = GaussianVectors(n, d, seed);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      v[i * d + j] = (j % 5 - 2.0f) + (0.2f + j % 7) * v[i * d + j];
    }
  }
  return v;
}

using test::RunnableIsas;
using test::RunnableTables;

// The definition: squared L2 between q and the decoded code, in double.
double Reference(const SQ8Quantizer& sq, const float* q, const uint8_t* code) {
  std::vector<float> x(sq.dim());
  sq.Decode(code, x.data());
  double s = 0;
  for (size_t j = 0; j < sq.dim(); ++j) {
    s += (double(q[j]) - x[j]) * (double(q[j]) - x[j]);
  }
  return s;
}

SQ8Quantizer Trained(const std::vector<float>& x, size_t d,
                     float margin = SQ8Quantizer::kDefaultMargin) {
  SQ8Quantizer sq;
  EXPECT_TRUE(sq.Train(x.data(), x.size() / d, d, margin).ok());
  return sq;
}

TEST(SQ8Test, EncodeDecodeErrorIsHalfAStep) {
  const size_t d = 33, n = 500;
  std::vector<float> x = Data(n, d, 1);
  SQ8Quantizer sq = Trained(x, d, 0.0f);
  std::vector<uint8_t> code(d);
  std::vector<float> y(d);
  for (size_t i = 0; i < n; ++i) {
    sq.Encode(x.data() + i * d, code.data());
    sq.Decode(code.data(), y.data());
    for (size_t j = 0; j < d; ++j) {
      const float step = sq.vdiff()[j] / 255;
      ASSERT_LE(std::fabs(y[j] - x[i * d + j]), 0.5f * step * 1.001f);
    }
  }
  // The sample's extremes map to 0 and 255 without margin.
  std::vector<float> lo(d), hi(d);
  for (size_t j = 0; j < d; ++j) {
    lo[j] = sq.vmin()[j];
    hi[j] = sq.vmin()[j] + sq.vdiff()[j];
  }
  sq.Encode(lo.data(), code.data());
  for (uint8_t c : code) EXPECT_EQ(c, 0);
  sq.Encode(hi.data(), code.data());
  for (uint8_t c : code) EXPECT_EQ(c, 255);
}

// A range kept row by row (ExtendRange, as a segment writer keeps it while
// buffering) trains the same quantizer as a pass over the rows.
TEST(SQ8Test, TrainOnRangeEqualsTrain) {
  const size_t d = 37, n = 300;
  const std::vector<float> x = Data(n, d, 5);
  std::vector<float> lo(x.begin(), x.begin() + d), hi = lo;
  for (size_t i = 1; i < n; ++i) {
    SQ8Quantizer::ExtendRange(x.data() + i * d, d, lo.data(), hi.data());
  }
  for (float margin : {0.0f, SQ8Quantizer::kDefaultMargin}) {
    SQ8Quantizer from_range, from_rows;
    ASSERT_TRUE(from_range.TrainOnRange(lo.data(), hi.data(), d, margin).ok());
    ASSERT_TRUE(from_rows.Train(x.data(), n, d, margin).ok());
    std::string a, b;
    from_range.Serialize(&a);
    from_rows.Serialize(&b);
    EXPECT_EQ(a, b) << margin;
  }
  SQ8Quantizer sq;
  EXPECT_TRUE(sq.TrainOnRange(hi.data(), lo.data(), d).IsInvalidArgument());
  lo[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(sq.TrainOnRange(lo.data(), hi.data(), d).IsInvalidArgument());
  EXPECT_TRUE(sq.TrainOnRange(lo.data(), hi.data(), 0).IsInvalidArgument());
  EXPECT_TRUE(
      sq.TrainOnRange(hi.data(), hi.data(), d, -1.0f).IsInvalidArgument());
}

TEST(SQ8Test, MarginWidensRangeAndClipsOutliers) {
  const size_t d = 4;
  std::vector<float> x = {0, 0, 5, -1, 10, 1, 5, 1};  // dim 2 is constant
  SQ8Quantizer sq = Trained(x, d, 0.1f);
  EXPECT_FLOAT_EQ(sq.vmin()[0], -1.0f);
  EXPECT_FLOAT_EQ(sq.vdiff()[0], 12.0f);
  EXPECT_FLOAT_EQ(sq.vmin()[2], 5.0f);
  EXPECT_GT(sq.vdiff()[2], 0.0f);
  // 10.5 is outside the sample but inside the margin: not clipped.
  const float v[4] = {10.5f, -100.0f, 5.0f, 100.0f};
  uint8_t code[4];
  sq.Encode(v, code);
  float y[4];
  sq.Decode(code, y);
  EXPECT_NEAR(y[0], 10.5f, 12.0f / 255);
  EXPECT_EQ(code[1], 0);    // clipped low
  EXPECT_EQ(code[3], 255);  // clipped high
  EXPECT_FLOAT_EQ(y[2], 5.0f);
}

TEST(SQ8Test, TrainRejectsBadInput) {
  SQ8Quantizer sq;
  float x[2] = {1, NAN};
  EXPECT_TRUE(sq.Train(x, 0, 2).IsInvalidArgument());
  EXPECT_TRUE(sq.Train(x, 1, 0).IsInvalidArgument());
  EXPECT_TRUE(sq.Train(x, 1, 2).IsInvalidArgument());
  EXPECT_TRUE(sq.Train(x, 1, 1, -0.5f).IsInvalidArgument());
  EXPECT_TRUE(sq.Train(x, 1, 1).ok());
}

TEST(SQ8Test, SerializeRoundTrip) {
  const size_t d = 17;
  SQ8Quantizer sq = Trained(Data(50, d, 2), d);
  std::string bytes;
  sq.Serialize(&bytes);
  EXPECT_EQ(bytes.size(), 1 + 4 + 2 * 4 * d);
  EXPECT_EQ(bytes[0], 1);  // format version
  SQ8Quantizer back;
  ASSERT_TRUE(back.Deserialize(bytes).ok());
  EXPECT_EQ(back.vmin(), sq.vmin());
  EXPECT_EQ(back.vdiff(), sq.vdiff());
  std::vector<float> q = Data(1, d, 3);
  std::vector<uint8_t> codes(5 * d);
  sq.EncodeMany(Data(5, d, 4).data(), 5, codes.data());
  std::vector<float> a(5), b(5);
  SQ8ScanL2(sq, q.data(), codes.data(), 5, a.data());
  SQ8ScanL2(back, q.data(), codes.data(), 5, b.data());
  EXPECT_EQ(a, b);
}

TEST(SQ8Test, DeserializeRejectsMalformedInput) {
  const size_t d = 3;
  SQ8Quantizer sq = Trained(Data(10, d, 5), d);
  std::string good;
  sq.Serialize(&good);
  auto corrupt = [](std::string s) {
    SQ8Quantizer q;
    return q.Deserialize(s).IsCorruption();
  };
  EXPECT_TRUE(corrupt(""));
  EXPECT_TRUE(corrupt(good.substr(0, 4)));
  EXPECT_TRUE(corrupt(good.substr(0, good.size() - 1)));
  EXPECT_TRUE(corrupt(good + "x"));
  std::string s = good;
  s[0] = 2;  // unknown version
  EXPECT_TRUE(corrupt(s));
  s = good;
  std::memset(&s[1], 0, 4);  // dim 0
  EXPECT_TRUE(corrupt(s.substr(0, 5)));
  s = good;
  s[1] = 100;  // dim does not match the size
  EXPECT_TRUE(corrupt(s));
  const float bad_values[] = {NAN, INFINITY, 0.0f, -1.0f};
  for (float bad : bad_values) {
    s = good;  // vdiff[1]
    std::memcpy(&s[5 + 4 * d + 4], &bad, 4);
    EXPECT_TRUE(corrupt(s)) << bad;
  }
  s = good;  // vmin[0] NaN
  std::memcpy(&s[5], &bad_values[0], 4);
  EXPECT_TRUE(corrupt(s));
  // A failed Deserialize leaves the quantizer as it was.
  SQ8Quantizer keep = sq;
  EXPECT_TRUE(keep.Deserialize(s).IsCorruption());
  EXPECT_EQ(keep.vmin(), sq.vmin());
}

// LUT and decode+FMA: float sums of the definition, every ISA, odd sizes.
TEST(SQ8ScanTest, FloatFormsMatchReference) {
  for (size_t d : kDims) {
    std::vector<float> base = Data(200, d, 6 + d);
    SQ8Quantizer sq = Trained(base, d);
    std::vector<float> q = Data(1, d, 7 + d);
    for (size_t n : kCounts) {
      std::vector<uint8_t> codes(n * d);
      sq.EncodeMany(base.data(), n, codes.data());
      std::vector<float> out(n);
      for (IsaLevel isa : RunnableIsas()) {
        for (SQ8ScanForm form : {SQ8ScanForm::kLut, SQ8ScanForm::kDecodeFma}) {
          SQ8Scanner scanner(sq, q.data(), form, isa);
          ASSERT_EQ(scanner.isa(), isa);
          scanner.ScanL2(codes.data(), n, out.data());
          for (size_t i = 0; i < n; ++i) {
            const double ref = Reference(sq, q.data(), codes.data() + i * d);
            ASSERT_NEAR(out[i], ref, 2e-5 * ref + 1e-5)
                << IsaName(isa) << " " << SQ8ScanFormName(form) << " d=" << d
                << " n=" << n << " i=" << i;
          }
        }
      }
    }
  }
}

// The inner-product scan: -q.decode(code) in double, every ISA, odd sizes
// (dimensions not a multiple of any vector width exercise the tails).
TEST(SQ8ScanTest, NegDotMatchesReference) {
  for (size_t d : kDims) {
    std::vector<float> base = Data(200, d, 16 + d);
    SQ8Quantizer sq = Trained(base, d);
    std::vector<float> q = Data(1, d, 17 + d);
    for (size_t n : kCounts) {
      std::vector<uint8_t> codes(n * d);
      sq.EncodeMany(base.data(), n, codes.data());
      std::vector<float> out(n), x(d);
      for (IsaLevel isa : RunnableIsas()) {
        SQ8DotScanner scanner(sq, q.data(), isa);
        ASSERT_EQ(scanner.isa(), isa);
        scanner.ScanNegDot(codes.data(), n, out.data());
        for (size_t i = 0; i < n; ++i) {
          sq.Decode(codes.data() + i * d, x.data());
          double ref = 0, mag = 0;
          for (size_t j = 0; j < d; ++j) {
            ref -= double{q[j]} * x[j];
            mag += std::abs(double{q[j]} * x[j]);
          }
          ASSERT_NEAR(out[i], ref, 2e-5 * mag + 1e-5)
              << IsaName(isa) << " d=" << d << " n=" << n << " i=" << i;
        }
      }
    }
  }
}

// The integer form is exact integer arithmetic: every ISA is bit-identical.
TEST(SQ8ScanTest, IntegerFormIsIdenticalOnEveryIsa) {
  for (size_t d : kDims) {
    std::vector<float> base = Data(200, d, 8 + d);
    SQ8Quantizer sq = Trained(base, d);
    std::vector<float> q = Data(1, d, 9 + d);
    for (size_t n : kCounts) {
      std::vector<uint8_t> codes(n * d);
      sq.EncodeMany(base.data(), n, codes.data());
      std::vector<float> want(n), got(n);
      SQ8Scanner(sq, q.data(), SQ8ScanForm::kInteger, IsaLevel::kScalar)
          .ScanL2(codes.data(), n, want.data());
      for (IsaLevel isa : RunnableIsas()) {
        SQ8Scanner(sq, q.data(), SQ8ScanForm::kInteger, isa)
            .ScanL2(codes.data(), n, got.data());
        EXPECT_EQ(got, want) << IsaName(isa) << " d=" << d << " n=" << n;
      }
    }
  }
}

// The integer scan of every runnable kernel table (both avx512 ones where the
// CPU has VNNI and VPOPCNTDQ) against the scalar table's, at the extreme
// bounds of the contract (codes 0 and 255 against query 255 and 0, weight
// 128) and on random values, over dimensions with and without tails.
TEST(SQ8ScanTest, IntegerKernelIsIdenticalInEveryTable) {
  std::mt19937 rng(7);
  for (size_t d : kDims) {
    const size_t padded = (d + 63) / 64 * 64;
    for (int extreme = 0; extreme < 2; ++extreme) {
      std::vector<int16_t> qc(padded, 0), w(padded, 0);
      for (size_t n : kCounts) {
        std::vector<uint8_t> codes(n * d);
        for (size_t j = 0; j < d; ++j) {
          qc[j] = extreme ? (j % 2 ? 255 : 0) : rng() % 256;
          w[j] = extreme ? 128 : rng() % 129;
        }
        for (size_t i = 0; i < codes.size(); ++i) {
          codes[i] = extreme ? (i % 2 ? 0 : 255) : rng() % 256;
        }
        std::vector<float> want(n), got(n);
        internal::kScalarKernels.scan_int(qc.data(), w.data(), 0.5f,
                                          codes.data(), n, d, want.data());
        for (const internal::Kernels* table : RunnableTables()) {
          table->scan_int(qc.data(), w.data(), 0.5f, codes.data(), n, d,
                          got.data());
          EXPECT_EQ(got, want) << IsaName(table->level) << " d=" << d
                               << " n=" << n << " extreme=" << extreme;
        }
      }
    }
  }
}

// With one shared range and a query on the code grid, the integer form has
// no rounding at all: it equals the definition.
TEST(SQ8ScanTest, IntegerFormExactOnSharedScaleGridQuery) {
  const size_t d = 784, n = 65;
  std::mt19937 rng(10);
  std::uniform_int_distribution<int> pixel(0, 255);
  std::vector<float> base(n * d);
  for (float& v : base) v = static_cast<float>(pixel(rng));
  for (size_t j = 0; j < d; ++j) base[j] = 0, base[d + j] = 255;
  SQ8Quantizer sq = Trained(base, d, 0.0f);
  std::vector<uint8_t> codes(n * d);
  sq.EncodeMany(base.data(), n, codes.data());
  std::vector<float> q(d);
  sq.Decode(codes.data() + 7 * d, q.data());
  for (IsaLevel isa : RunnableIsas()) {
    std::vector<float> out(n);
    SQ8Scanner(sq, q.data(), SQ8ScanForm::kInteger, isa)
        .ScanL2(codes.data(), n, out.data());
    for (size_t i = 0; i < n; ++i) {
      const double ref = Reference(sq, q.data(), codes.data() + i * d);
      ASSERT_NEAR(out[i], ref, 1e-6 * ref) << IsaName(isa) << " i=" << i;
    }
    EXPECT_EQ(out[7], 0.0f);
  }
}

// Differing per-dimension ranges and an off-grid query: the integer form is
// approximate; its error stays within the documented bound.
TEST(SQ8ScanTest, IntegerFormAccuracy) {
  for (size_t d : {size_t{17}, size_t{128}, size_t{784}}) {
    const size_t n = 300;
    std::vector<float> base = Data(n, d, 11);
    SQ8Quantizer sq = Trained(base, d);
    std::vector<uint8_t> codes(n * d);
    sq.EncodeMany(base.data(), n, codes.data());
    std::vector<float> q = Data(1, d, 12);
    std::vector<float> out(n);
    SQ8Scanner(sq, q.data(), SQ8ScanForm::kInteger)
        .ScanL2(codes.data(), n, out.data());
    double max_rel = 0;
    for (size_t i = 0; i < n; ++i) {
      const double ref = Reference(sq, q.data(), codes.data() + i * d);
      // Bound: per dimension, query rounding (|dq| <= step / 2) changes
      // (q - x)^2 by at most step * |q - x| + step^2 / 4, and the weight
      // rounding by at most 0.5 / 128 * max_step^2 * 255^2.
      std::vector<float> x(d);
      sq.Decode(codes.data() + i * d, x.data());
      double bound = 0, max_step = 0;
      for (size_t j = 0; j < d; ++j) {
        max_step = std::max<double>(max_step, sq.vdiff()[j] / 255);
      }
      for (size_t j = 0; j < d; ++j) {
        const double step = sq.vdiff()[j] / 255;
        const double diff = std::fabs(double(q[j]) - x[j]);
        bound += step * diff + step * step / 4 +
                 0.5 / 128 * max_step * max_step * (diff / step + 1) *
                     (diff / step + 1);
      }
      ASSERT_LE(std::fabs(out[i] - ref), bound + 1e-6 * ref) << "d=" << d;
      max_rel = std::max(max_rel, std::fabs(out[i] - ref) / ref);
    }
    std::printf("d=%zu integer form max relative error %.4f\n", d, max_rel);
    EXPECT_LT(max_rel, 0.05);
  }
}

TEST(SQ8ScanTest, DefaultScanUsesDefaultForm) {
  const size_t d = 128, n = 40;
  std::vector<float> base = Data(n, d, 13);
  SQ8Quantizer sq = Trained(base, d);
  std::vector<uint8_t> codes(n * d);
  sq.EncodeMany(base.data(), n, codes.data());
  std::vector<float> a(n), b(n);
  SQ8ScanL2(sq, base.data(), codes.data(), n, a.data());
  SQ8Scanner scanner(sq, base.data());
  EXPECT_EQ(scanner.form(), kDefaultSQ8ScanForm);
  scanner.ScanL2(codes.data(), n, b.data());
  EXPECT_EQ(a, b);
  // Each vector is nearest to its own code.
  for (size_t i = 0; i < n; ++i) {
    SQ8ScanL2(sq, base.data() + i * d, codes.data(), n, a.data());
    EXPECT_EQ(std::min_element(a.begin(), a.end()) - a.begin(), long(i));
  }
}

}  // namespace
}  // namespace drift
