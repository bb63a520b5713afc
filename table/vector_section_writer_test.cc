#include "table/vector_section_writer.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "gtest/gtest.h"
#include "index/kmeans.h"
#include "table/drift_format.h"
#include "tests/test_util.h"
#include "util/dataset.h"
#include "util/vector_value.h"

namespace drift {
namespace {

// Clustered gaussian vectors, values rounded to 1/64 so that ALP has work.
std::vector<float> MakeVectors(size_t n, uint32_t dim, uint64_t seed) {
  std::vector<float> x = GaussianClusters(n, dim, 16, 4, seed);
  for (float& v : x) v = std::round(v * 64) / 64;
  return x;
}

struct Section {
  std::string file;  // the bytes Write appended
  std::string directory;
  std::string sq8, rabitq;
  std::vector<uint32_t> buckets, rows;  // location of each vector
  size_t num_buckets = 0;
};

Section WriteSection(const std::vector<float>& x, uint32_t dim,
                     uint32_t threads, std::shared_ptr<const Codebook> cb,
                     BucketCodes codes = BucketCodes::kSQ8,
                     Metric metric = Metric::kL2) {
  DriftTableOptions options;
  options.codes = codes;
  options.metric = metric;
  options.target_bucket_size = 200;
  options.build_threads = threads;
  VectorSectionWriter writer(options, dim, std::move(cb));
  const size_t n = x.size() / dim;
  for (size_t i = 0; i < n; ++i) {
    char key[24];
    snprintf(key, sizeof(key), "key%08zu", i);
    std::string ikey(key);
    ikey.append(8, '\1');  // a fixed64 seq/type trailer
    EXPECT_EQ(writer.Add(ikey, VectorAsSlice(&x[i * dim], dim)),
              static_cast<int64_t>(i));
  }
  // A directory of this process's own: ctest runs tests of this file in
  // parallel processes, which must not write one another's file.
  const std::string dir_path = test::TempDir("vector_section");
  const std::string path =
      dir_path + "/threads_" + std::to_string(threads) + ".bin";
  std::unique_ptr<rocksdb::FSWritableFile> f;
  auto fs = rocksdb::FileSystem::Default();
  EXPECT_OK(fs->NewWritableFile(path, rocksdb::FileOptions(), &f, nullptr));
  rocksdb::WritableFileWriter file(std::move(f), path, rocksdb::FileOptions());
  Section out;
  BucketDirectory dir;
  uint64_t offset = 0;
  EXPECT_OK(writer.Write(&file, &offset, &dir, &out.sq8, &out.rabitq));
  EXPECT_OK(file.Close());
  EXPECT_OK(rocksdb::ReadFileToString(fs.get(), path, &out.file));
  test::RemoveDir(dir_path);
  EXPECT_EQ(out.file.size(), offset);
  dir.EncodeTo(&out.directory);
  out.num_buckets = dir.buckets.size();
  for (size_t i = 0; i < n; ++i) {
    out.buckets.push_back(writer.location(i).bucket);
    out.rows.push_back(writer.location(i).row);
  }
  return out;
}

void ExpectSame(const Section& a, const Section& b) {
  EXPECT_TRUE(a.file == b.file);
  EXPECT_TRUE(a.directory == b.directory);
  EXPECT_EQ(a.sq8, b.sq8);
  EXPECT_EQ(a.rabitq, b.rabitq);
  EXPECT_EQ(a.buckets, b.buckets);
  EXPECT_EQ(a.rows, b.rows);
}

// The threads that build a section never change its bytes.
TEST(VectorSectionWriterTest, BytesDoNotDependOnBuildThreads) {
  const uint32_t dim = 24;
  const std::vector<float> x = MakeVectors(30000, dim, 7);
  const Section one = WriteSection(x, dim, 1, nullptr);
  EXPECT_GT(one.num_buckets, 100u);  // ~150, so the threads share them
  for (uint32_t threads : {2u, 3u, 8u}) {
    SCOPED_TRACE(threads);
    ExpectSame(one, WriteSection(x, dim, threads, nullptr));
  }

  // An engine codebook (with a coarse layer) too.
  auto cb = std::make_shared<Codebook>();
  cb->epoch = 3;
  cb->dim = dim;
  ASSERT_OK(KMeans(x.data(), x.size() / dim, dim, 150, KMeansOptions(),
                   &cb->centroids));
  ASSERT_OK(cb->BuildCoarseLayer());
  const Section engine_one = WriteSection(x, dim, 1, cb);
  ExpectSame(engine_one, WriteSection(x, dim, 2, cb));
  EXPECT_TRUE(engine_one.rabitq.empty());

  // With RaBitQ codes: same bytes too, and every blob carries them instead
  // of SQ8 codes (RaBitQ block version 3).
  const Section rabitq_one = WriteSection(x, dim, 1, cb, BucketCodes::kRabitQ);
  ExpectSame(rabitq_one, WriteSection(x, dim, 3, cb, BucketCodes::kRabitQ));
  RabitqParams params;
  ASSERT_OK(params.DecodeFrom(rabitq_one.rabitq));
  EXPECT_EQ(params.dim, dim);
  EXPECT_EQ(params.padded_dim, 64u);
  EXPECT_FALSE(params.sq8_codes());
  EXPECT_EQ(params.ex_bits, RabitqAutoExBits(64));  // the default: auto
  const size_t n = x.size() / dim;
  const size_t rabitq_row = RabitqCodeBytes(64) + kRabitqFactorsPerRow * 4 +
                            RabitqExCodeBytes(64, params.ex_bits) +
                            kRabitqExFactorsPerRow * 4;
  // Smaller than both codes would take (the RaBitQ section adds a rotated
  // centroid per bucket).
  EXPECT_LT(rabitq_one.file.size(), engine_one.file.size() + n * rabitq_row);
}

// codes=auto resolves per segment from the padded dimension: RaBitQ from
// kRabitqTightPaddedDim on, else SQ8; metrics other than l2 keep SQ8.
TEST(VectorSectionWriterTest, AutoCodesFollowThePaddedDimension) {
  DriftTableOptions options;
  EXPECT_EQ(options.codes, BucketCodes::kAuto);  // the default
  EXPECT_EQ(SegmentCodes(options, 128), BucketCodes::kSQ8);
  EXPECT_EQ(SegmentCodes(options, 256), BucketCodes::kSQ8);
  EXPECT_EQ(SegmentCodes(options, 257), BucketCodes::kRabitQ);  // pads to 512
  EXPECT_EQ(SegmentCodes(options, 784), BucketCodes::kRabitQ);
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    options.metric = m;
    EXPECT_EQ(SegmentCodes(options, 784), BucketCodes::kSQ8);
    options.codes = BucketCodes::kRabitQ;
    EXPECT_EQ(SegmentCodes(options, 784), BucketCodes::kSQ8);
    options.codes = BucketCodes::kAuto;
  }
  options.metric = Metric::kL2;
  options.codes = BucketCodes::kSQ8;
  EXPECT_EQ(SegmentCodes(options, 784), BucketCodes::kSQ8);
  options.codes = BucketCodes::kRabitQ;
  EXPECT_EQ(SegmentCodes(options, 128), BucketCodes::kRabitQ);

  // The bytes written: a 784-d segment under auto is the codes=rabitq one
  // (RaBitQ codes, no SQ8 codes in the blobs), a 128-d one the codes=sq8 one.
  const uint32_t wide = 784, narrow = 128;
  const std::vector<float> xw = MakeVectors(600, wide, 11);
  const Section auto_wide =
      WriteSection(xw, wide, 1, nullptr, BucketCodes::kAuto);
  RabitqParams params;
  ASSERT_OK(params.DecodeFrom(auto_wide.rabitq));
  EXPECT_EQ(params.padded_dim, 1024u);
  EXPECT_FALSE(params.sq8_codes());
  ExpectSame(auto_wide,
             WriteSection(xw, wide, 1, nullptr, BucketCodes::kRabitQ));
  const std::vector<float> xn = MakeVectors(600, narrow, 12);
  const Section auto_narrow =
      WriteSection(xn, narrow, 1, nullptr, BucketCodes::kAuto);
  EXPECT_TRUE(auto_narrow.rabitq.empty());
  ExpectSame(auto_narrow,
             WriteSection(xn, narrow, 1, nullptr, BucketCodes::kSQ8));
  // Under ip and cosine a 784-d segment keeps SQ8 codes alone.
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine}) {
    SCOPED_TRACE(static_cast<int>(m));
    const Section s = WriteSection(xw, wide, 1, nullptr, BucketCodes::kAuto, m);
    EXPECT_TRUE(s.rabitq.empty());
    ExpectSame(s, WriteSection(xw, wide, 1, nullptr, BucketCodes::kSQ8, m));
  }
}

// NaN and infinities anywhere are not buffered; every finite value is.
TEST(VectorSectionWriterTest, AddRejectsNonFinite) {
  const uint32_t dim = 37;
  VectorSectionWriter writer(DriftTableOptions(), dim, nullptr);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  std::vector<float> v(dim);
  int64_t expected = 0;
  for (uint32_t at = 0; at < dim; ++at) {
    for (float special : specials) {
      for (uint32_t j = 0; j < dim; ++j) v[j] = 1e30f * (j % 3) - 5.0f * j;
      v[at] = special;
      EXPECT_EQ(writer.Add("k", VectorAsSlice(v.data(), dim)), -1) << at;
    }
    v[at] = std::numeric_limits<float>::max();
    EXPECT_EQ(writer.Add("k", VectorAsSlice(v.data(), dim)), expected++);
    v[at] = -std::numeric_limits<float>::denorm_min();
    EXPECT_EQ(writer.Add("k", VectorAsSlice(v.data(), dim)), expected++);
  }
  EXPECT_EQ(writer.num_vectors(), static_cast<size_t>(expected));
}

}  // namespace
}  // namespace drift
