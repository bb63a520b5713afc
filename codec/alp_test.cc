#include "codec/alp.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "util/dataset.h"

namespace drift {
namespace {

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Index of the first bitwise difference, or -1.
long FirstMismatch(const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (Bits(a[i]) != Bits(b[i])) return static_cast<long>(i);
  }
  return -1;
}

// Encodes one block, decodes it, checks bits; returns the encoded size.
size_t BlockRoundTrip(const std::vector<float>& v) {
  std::string enc;
  EXPECT_TRUE(AlpEncodeFloatBlock(v.data(), v.size(), &enc).ok());
  std::vector<float> dec(v.size());
  size_t consumed = 0;
  rocksdb::Status s = AlpDecodeFloatBlock(enc, v.size(), dec.data(), &consumed);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(consumed, enc.size());
  const long bad = FirstMismatch(v.data(), dec.data(), v.size());
  EXPECT_EQ(bad, -1) << "n=" << v.size() << " value " << v[bad >= 0 ? bad : 0];
  return enc.size();
}

// Encodes a matrix, checks decode-all and returns the encoding.
std::string MatrixRoundTrip(const std::vector<float>& v, size_t rows,
                            size_t dim) {
  std::string enc;
  EXPECT_TRUE(EncodeFloatMatrix(v.data(), rows, dim, &enc).ok());
  AlpMatrixInfo info;
  EXPECT_TRUE(GetFloatMatrixInfo(enc, &info).ok());
  EXPECT_EQ(info.rows, rows);
  EXPECT_EQ(info.dim, dim);
  std::vector<float> dec;
  rocksdb::Status s = DecodeFloatMatrix(enc, &dec);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(dec.size(), v.size());
  if (dec.size() == v.size()) {
    EXPECT_EQ(FirstMismatch(v.data(), dec.data(), v.size()), -1);
  }
  return enc;
}

const uint32_t kSpecialBits[] = {
    0x00000000u, 0x80000000u,  // +-0
    0x7F800000u, 0xFF800000u,  // +-inf
    0x7FC00000u, 0xFFC00000u,  // quiet NaNs
    0x7FC00001u, 0x7FA5A5A5u, 0xFF800001u,
    0x7F800001u, 0xFFFFFFFFu,  // payloads
    0x00000001u, 0x80000001u, 0x007FFFFFu,
    0x00400000u, 0x80123456u,               // denormals
    0x00800000u, 0x7F7FFFFFu, 0xFF7FFFFFu,  // FLT_MIN, +-FLT_MAX
};

float Decimal(std::mt19937_64& rng, int digits, double scale) {
  std::normal_distribution<double> g(0.0, scale);
  const double p = std::pow(10.0, digits);
  return static_cast<float>(std::round(g(rng) * p) / p);
}

// A block mixing decimals with a few special values (ALP exceptions).
std::vector<float> MixedBlock(std::mt19937_64& rng, size_t n) {
  std::vector<float> v(n);
  const int digits = static_cast<int>(rng() % 9);
  for (auto& x : v) x = Decimal(rng, digits, 10.0);
  for (size_t k = 0; k < n / 50; ++k) {
    v[rng() % n] = FromBits(kSpecialBits[rng() % std::size(kSpecialBits)]);
  }
  return v;
}

TEST(AlpBlock, RandomBits) {
  std::mt19937_64 rng(1);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<float> v(1 + rng() % kAlpBlockValues);
    for (auto& x : v) x = FromBits(static_cast<uint32_t>(rng()));
    const size_t size = BlockRoundTrip(v);
    EXPECT_LE(size, 3 + 4 * v.size());  // Never more than the raw fallback.
  }
}

TEST(AlpBlock, SpecialValuesEverywhere) {
  std::mt19937_64 rng(2);
  for (uint32_t special : kSpecialBits) {
    const float s = FromBits(special);
    BlockRoundTrip({s});  // Single value.
    EXPECT_LE(BlockRoundTrip(std::vector<float>(1024, s)), 7u);  // Constant.
    std::vector<float> v(1000);
    for (auto& x : v) x = Decimal(rng, 3, 100.0);
    v[0] = v[999] = v[rng() % 1000] = s;
    BlockRoundTrip(v);  // ALP with exceptions.
    for (auto& x : v) x = FromBits(0x3F800000u | (rng() & 0xFFFF));
    v[0] = v[500] = s;
    BlockRoundTrip(v);  // ALP_RD with exceptions.
  }
  // Only special values, random order.
  std::vector<float> v(1024);
  for (auto& x : v) x = FromBits(kSpecialBits[rng() % std::size(kSpecialBits)]);
  BlockRoundTrip(v);
  // All denormals; all NaNs with random payloads.
  for (auto& x : v) x = FromBits(static_cast<uint32_t>(rng()) & 0x807FFFFFu);
  BlockRoundTrip(v);
  for (auto& x : v)
    x = FromBits(0x7F800001u | (static_cast<uint32_t>(rng()) & 0x807FFFFFu));
  BlockRoundTrip(v);
}

TEST(AlpBlock, IntegersCompress) {
  std::mt19937_64 rng(3);
  for (int64_t range : {1LL, 2LL, 255LL, 65535LL, 1LL << 24, 1LL << 31}) {
    std::vector<float> v(1024);
    for (auto& x : v) {
      x = static_cast<float>(static_cast<int64_t>(rng() % range) - range / 3);
    }
    const size_t size = BlockRoundTrip(v);
    if (range <= 65535) {
      EXPECT_LT(size, 2 * 1024 + 200) << range;
    }
  }
}

TEST(AlpBlock, DecimalsOneToEightDigits) {
  std::mt19937_64 rng(4);
  for (int digits = 1; digits <= 8; ++digits) {
    for (double scale : {0.01, 1.0, 100.0, 1e4}) {
      std::vector<float> v(1024);
      for (auto& x : v) x = Decimal(rng, digits, scale);
      const size_t size = BlockRoundTrip(v);
      // Short decimals of moderate magnitude must use ALP, not raw.
      if (digits <= 4 && scale <= 100.0) {
        EXPECT_LT(size, 3 * 1024) << digits << " digits, scale " << scale;
      }
    }
  }
}

TEST(AlpBlock, EveryBlockLength) {
  std::mt19937_64 rng(5);
  for (size_t n = 1; n <= kAlpBlockValues; ++n) {
    BlockRoundTrip(MixedBlock(rng, n));
    std::vector<float> v(n);
    for (auto& x : v) x = FromBits(static_cast<uint32_t>(rng()));
    BlockRoundTrip(v);
    for (auto& x : v) x = static_cast<float>(rng() % 256);
    BlockRoundTrip(v);
  }
}

TEST(AlpBlock, GaussianNearRaw) {
  const std::vector<float> v = GaussianVectors(1024 * 16, 16, 6);
  const std::string enc = MatrixRoundTrip(v, v.size() / 16, 16);
  EXPECT_GE(4.0 * v.size() / enc.size(), 0.98);
}

// A plan sampled from other data (or from nothing) costs ratio, never
// correctness: every kind of block still round-trips bit-exactly.
TEST(AlpMatrixEncoder, ForeignPlanRoundTrips) {
  std::mt19937_64 rng(8);
  std::normal_distribution<float> g;
  const size_t dim = 96, rows = 200;
  std::vector<float> gaussian(rows * dim), pixels(rows * dim), mixed;
  for (auto& x : gaussian) x = g(rng);
  for (auto& x : pixels)
    x = static_cast<float>(rng() % 4 == 0 ? rng() % 256 : 0);
  for (size_t r = 0; r < rows; ++r) {
    const std::vector<float> row = MixedBlock(rng, dim);
    mixed.insert(mixed.end(), row.begin(), row.end());
  }
  for (const auto* sample : {&gaussian, &pixels, &mixed}) {
    for (size_t sample_rows : {size_t{0}, size_t{1}, rows}) {
      const AlpMatrixEncoder encoder(sample->data(), sample_rows, dim);
      for (const auto* data : {&gaussian, &pixels, &mixed}) {
        std::string enc;
        ASSERT_TRUE(encoder.Encode(data->data(), rows, &enc).ok());
        std::vector<float> dec;
        ASSERT_TRUE(DecodeFloatMatrix(enc, &dec).ok());
        ASSERT_EQ(dec.size(), data->size());
        EXPECT_EQ(FirstMismatch(data->data(), dec.data(), data->size()), -1);
        EXPECT_LE(enc.size(), 4 * data->size() + 3 * rows + 64 + 4 * rows);
      }
    }
  }
}

// Raw blocks: every bit pattern (NaN payloads, -0, denormals) round-trips,
// rows decode one at a time, and the size is the raw size plus headers.
TEST(AlpMatrixEncoder, UncompressedRoundTripsEveryBitPattern) {
  std::mt19937_64 rng(9);
  const size_t dim = 1100, rows = 7;  // blocks that span rows
  std::vector<float> v(rows * dim);
  for (auto& x : v) x = FromBits(static_cast<uint32_t>(rng()));
  const AlpMatrixEncoder encoder = AlpMatrixEncoder::Uncompressed(dim);
  std::string enc;
  ASSERT_TRUE(encoder.Encode(v.data(), rows, &enc).ok());
  std::vector<float> dec;
  ASSERT_TRUE(DecodeFloatMatrix(enc, &dec).ok());
  ASSERT_EQ(dec.size(), v.size());
  EXPECT_EQ(FirstMismatch(v.data(), dec.data(), v.size()), -1);
  std::vector<float> row(dim);
  ASSERT_TRUE(DecodeFloatRows(enc, 5, 1, row.data()).ok());
  EXPECT_EQ(FirstMismatch(v.data() + 5 * dim, row.data(), dim), -1);
  EXPECT_GE(enc.size(), 4 * v.size());
  // Each block (at most ceil(dim / 1024) per row) costs a 3-byte header and a
  // 4-byte offset-table entry.
  const size_t max_blocks = rows * ((dim + 1023) / 1024);
  EXPECT_LE(enc.size(), 4 * v.size() + 7 * (max_blocks + 1) + 64);
  EXPECT_TRUE(encoder.Encode(v.data(), rows, &enc).ok());  // reusable
}

TEST(AlpBlock, InvalidArguments) {
  std::string enc;
  float x = 1.0f;
  EXPECT_TRUE(AlpEncodeFloatBlock(&x, 0, &enc).IsInvalidArgument());
  std::vector<float> big(1025);
  EXPECT_TRUE(AlpEncodeFloatBlock(big.data(), 1025, &enc).IsInvalidArgument());
  EXPECT_TRUE(EncodeFloatMatrix(&x, 1, 0, &enc).IsInvalidArgument());
}

// Millions of values from all generators, through the matrix container.
TEST(AlpMatrix, PropertyMillions) {
  std::mt19937_64 rng(7);
  size_t total = 0;
  for (int iter = 0; total < 4000000; ++iter) {
    const size_t dim = 1 + rng() % 1100;
    const size_t rows = 1 + rng() % (200000 / dim + 1);
    std::vector<float> v(rows * dim);
    switch (iter % 4) {
      case 0:
        for (auto& x : v) x = FromBits(static_cast<uint32_t>(rng()));
        break;
      case 1: {
        const int digits = static_cast<int>(rng() % 9);
        for (auto& x : v) x = Decimal(rng, digits, 1.0);
        break;
      }
      case 2:
        for (size_t i = 0; i < v.size(); i += 512) {
          auto block = MixedBlock(rng, std::min<size_t>(512, v.size() - i));
          std::copy(block.begin(), block.end(), v.begin() + i);
        }
        break;
      default:
        for (auto& x : v)
          x = static_cast<float>(rng() % 5 == 0 ? rng() % 256 : 0);
    }
    MatrixRoundTrip(v, rows, dim);
    total += v.size();
  }
}

TEST(AlpMatrix, RandomRowAccess) {
  std::mt19937_64 rng(8);
  for (size_t dim : {1, 3, 128, 784, 1024, 1025, 1500, 3000}) {
    const size_t rows = 1 + 300000 / dim;
    std::vector<float> v(rows * dim);
    for (size_t i = 0; i < v.size(); ++i) {
      v[i] = (i / dim) % 7 == 3 ? FromBits(static_cast<uint32_t>(rng()))
                                : Decimal(rng, 4, 1.0);
    }
    const std::string enc = MatrixRoundTrip(v, rows, dim);
    std::vector<float> out(dim * 5);
    for (int k = 0; k < 200; ++k) {
      const size_t row = rng() % rows;
      const size_t count = std::min<size_t>(1 + rng() % 5, rows - row);
      ASSERT_TRUE(DecodeFloatRows(enc, row, count, out.data()).ok());
      ASSERT_EQ(FirstMismatch(&v[row * dim], out.data(), count * dim), -1)
          << "dim " << dim << " row " << row;
    }
    EXPECT_TRUE(DecodeFloatRows(enc, rows, 0, out.data()).ok());
    EXPECT_TRUE(DecodeFloatRows(enc, rows, 1, out.data()).IsInvalidArgument());
    EXPECT_TRUE(
        DecodeFloatRows(enc, 0, rows + 1, out.data()).IsInvalidArgument());
  }
}

TEST(AlpMatrix, EmptyMatrix) {
  std::string enc;
  ASSERT_TRUE(EncodeFloatMatrix(nullptr, 0, 5, &enc).ok());
  std::vector<float> dec;
  ASSERT_TRUE(DecodeFloatMatrix(enc, &dec).ok());
  EXPECT_TRUE(dec.empty());
}

std::string SmallMixedMatrix(std::vector<float>* v, size_t rows, size_t dim) {
  std::mt19937_64 rng(9);
  v->resize(rows * dim);
  for (size_t i = 0; i < v->size(); i += dim) {
    std::vector<float> row;
    switch ((i / dim) % 5) {
      case 0:
        row = MixedBlock(rng, dim);
        break;
      case 4:  // Sparse small integers: per-row widths (nibbles).
        for (size_t j = 0; j < dim; ++j) {
          row.push_back(j % 24 < 12 ? 0.0f : static_cast<float>(rng() % 200));
        }
        break;
      case 1:
        row.assign(dim, 2.5f);
        break;
      case 2:
        for (size_t j = 0; j < dim; ++j)
          row.push_back(FromBits(0x3F800000u | (rng() & 0xFFFF)));
        break;
      default:
        for (size_t j = 0; j < dim; ++j)
          row.push_back(FromBits(static_cast<uint32_t>(rng())));
    }
    std::copy(row.begin(), row.end(), v->begin() + i);
  }
  std::string enc;
  EXPECT_TRUE(EncodeFloatMatrix(v->data(), rows, dim, &enc).ok());
  return enc;
}

TEST(AlpCorruption, EveryTruncation) {
  std::vector<float> v;
  const std::string enc = SmallMixedMatrix(&v, 8, 40);
  std::vector<float> out(v.size());
  for (size_t len = 0; len < enc.size(); ++len) {
    const rocksdb::Slice cut(enc.data(), len);
    // Heap copy of exactly `len` bytes so ASan sees any over-read.
    std::vector<char> heap(cut.data(), cut.data() + len);
    const rocksdb::Slice s(heap.data(), len);
    EXPECT_TRUE(DecodeFloatRows(s, 0, 8, out.data()).IsCorruption()) << len;
    AlpMatrixInfo info;
    EXPECT_FALSE(GetFloatMatrixInfo(s, &info).ok()) << len;
  }
  // Every truncation of single blocks of each scheme.
  std::mt19937_64 rng(10);
  for (const auto& block :
       {MixedBlock(rng, 300), std::vector<float>(300, 1.5f)}) {
    std::string b;
    ASSERT_TRUE(AlpEncodeFloatBlock(block.data(), block.size(), &b).ok());
    for (size_t len = 0; len < b.size(); ++len) {
      EXPECT_TRUE(AlpDecodeFloatBlock(rocksdb::Slice(b.data(), len),
                                      block.size(), out.data())
                      .IsCorruption());
    }
  }
}

TEST(AlpCorruption, RandomBitFlips) {
  std::vector<float> v;
  const std::string enc = SmallMixedMatrix(&v, 16, 100);
  std::mt19937_64 rng(11);
  std::vector<float> out(v.size());
  size_t corrupt = 0, ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<char> bad(enc.begin(), enc.end());
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f)
      bad[rng() % bad.size()] ^= char(1 << (rng() % 8));
    const rocksdb::Slice s(bad.data(), bad.size());
    rocksdb::Status st = DecodeFloatRows(s, 0, 16, out.data());
    if (st.ok()) {
      ++ok;
    } else {
      EXPECT_TRUE(st.IsCorruption()) << st.ToString();
      ++corrupt;
    }
    const size_t row = rng() % 16;
    st = DecodeFloatRows(s, row, 1, out.data());
    EXPECT_TRUE(st.ok() || st.IsCorruption());
  }
  EXPECT_GT(corrupt, 0u);
  EXPECT_GT(ok, 0u);  // Flips inside raw payloads decode (to other values).
}

// Reads the idx3 image file of fashion-mnist: n images of rows x cols bytes.
bool ReadIdx3(const std::string& path, std::vector<uint8_t>* pixels, size_t* n,
              size_t* dim) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  unsigned char header[16];
  bool ok = gzread(f, header, 16) == 16 && header[2] == 0x08 && header[3] == 3;
  if (ok) {
    auto be32 = [&](int o) {
      return (size_t{header[o]} << 24) | (size_t{header[o + 1]} << 16) |
             (size_t{header[o + 2]} << 8) | header[o + 3];
    };
    *n = be32(4);
    *dim = be32(8) * be32(12);
    pixels->resize(*n * *dim);
    ok = gzread(f, pixels->data(), static_cast<unsigned>(pixels->size())) ==
         static_cast<int>(pixels->size());
  }
  gzclose(f);
  return ok;
}

TEST(AlpRealData, FashionMnist) {
  std::vector<uint8_t> pixels;
  size_t n = 0, dim = 0;
  const std::string path =
      std::string(DRIFT_FASHION_MNIST_DIR) + "/train-images-idx3-ubyte.gz";
  if (!ReadIdx3(path, &pixels, &n, &dim)) GTEST_SKIP() << "missing " << path;
  ASSERT_EQ(dim, 784u);
  std::vector<float> v(pixels.begin(), pixels.end());
  std::string enc = MatrixRoundTrip(v, n, dim);
  const double ratio = 4.0 * v.size() / enc.size();
  std::printf("fashion-mnist pixels: %zu bytes -> %zu, ratio %.3f\n",
              4 * v.size(), enc.size(), ratio);
  EXPECT_GT(ratio, 4.8);  // zstd -1 gets ~4.74 on the same floats.
  std::vector<float> row(dim);
  std::mt19937_64 rng(12);
  for (int k = 0; k < 1000; ++k) {
    const size_t r = rng() % n;
    ASSERT_TRUE(DecodeFloatRows(enc, r, 1, row.data()).ok());
    ASSERT_EQ(FirstMismatch(&v[r * dim], row.data(), dim), -1);
  }
  // The same pixels as 6-digit decimals in [0, 1] (as exported embeddings are).
  for (auto& x : v) x = static_cast<float>(std::round(x / 255.0 * 1e6) / 1e6);
  enc = MatrixRoundTrip(v, n, dim);
  std::printf("fashion-mnist /255, 6 digits: ratio %.3f\n",
              4.0 * v.size() / enc.size());
  EXPECT_GT(4.0 * v.size() / enc.size(), 1.6);
}

}  // namespace
}  // namespace drift
