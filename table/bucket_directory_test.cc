#include "table/bucket_directory.h"

#include <random>

#include "gtest/gtest.h"
#include "table/rocksdb_internals.h"
#include "tests/test_util.h"

namespace drift {
namespace {

BucketDirectory MakeDirectory(uint32_t dim, uint32_t buckets) {
  BucketDirectory dir;
  dir.dim = dim;
  dir.rows_per_chunk = BucketDirectory::RowsPerChunk(dim);
  dir.codebook_epoch = 7;
  for (uint32_t b = 0; b < buckets; ++b) {
    BucketHeader h;
    dir.centroids.insert(dir.centroids.end(), dim, 0.5f * b);
    h.num_rows = 3 + b * 5;
    h.data.set_offset(4096 * b);
    h.data.set_size(100 + b);
    const uint32_t chunks =
        (h.num_rows + dir.rows_per_chunk - 1) / dir.rows_per_chunk;
    for (uint32_t c = 0; c < chunks; ++c) h.AddChunk(50u + c);
    dir.buckets.push_back(h);
  }
  return dir;
}

TEST(BucketDirectoryTest, RoundTrip) {
  for (uint32_t dim : {1u, 3u, 128u, 784u, 1500u}) {
    BucketDirectory dir = MakeDirectory(dim, 4);
    std::string enc;
    dir.EncodeTo(&enc);
    BucketDirectory back;
    ASSERT_OK(back.DecodeFrom(enc, 1 << 30));
    ASSERT_EQ(back.buckets.size(), 4u);
    EXPECT_EQ(back.dim, dim);
    EXPECT_EQ(back.codebook_epoch, 7u);
    for (size_t b = 0; b < 4; ++b) {
      EXPECT_EQ(back.buckets[b].num_rows, dir.buckets[b].num_rows);
      EXPECT_EQ(back.buckets[b].data.offset(), dir.buckets[b].data.offset());
      ASSERT_EQ(back.buckets[b].num_chunks(), dir.buckets[b].num_chunks());
      for (size_t c = 0; c < dir.buckets[b].num_chunks(); ++c) {
        EXPECT_EQ(back.buckets[b].chunk(c).offset,
                  dir.buckets[b].chunk(c).offset);
        EXPECT_EQ(back.buckets[b].chunk(c).size, 50u + c);
      }
    }
    EXPECT_EQ(back.centroids, dir.centroids);
    // A reader checks the centroids but does not keep them.
    BucketDirectory lean;
    ASSERT_OK(lean.DecodeFrom(enc, 1 << 30, /*keep_centroids=*/false));
    EXPECT_TRUE(lean.centroids.empty());
    EXPECT_LT(lean.MemoryUsage(), back.MemoryUsage());
  }
}

// Chunks follow their blob back to back, 4 bytes each in RAM while a
// bucket's chunks stay under 4 GiB, 8 beyond.
TEST(BucketDirectoryTest, ChunksAreLocatedByTheirEnds) {
  BucketHeader h;
  h.data = BlockExtent(1000, 96);
  h.AddChunk(10);
  h.AddChunk(20);
  EXPECT_EQ(h.chunk(0).offset, 1100u);
  EXPECT_EQ(h.chunk(0).size, 10u);
  EXPECT_EQ(h.chunk(1).offset, 1114u);
  EXPECT_EQ(h.chunk(1).size, 20u);
  const size_t small = h.MemoryUsage();
  h.AddChunk(UINT32_MAX - 8);
  h.AddChunk(7);
  ASSERT_EQ(h.num_chunks(), 4u);
  EXPECT_EQ(h.chunk(1).offset, 1114u);
  EXPECT_EQ(h.chunk(2).offset, 1138u);
  EXPECT_EQ(h.chunk(2).size, UINT32_MAX - 8);
  EXPECT_EQ(h.chunk(3).offset, uint64_t{1138} + UINT32_MAX - 8 + 4);
  EXPECT_EQ(h.chunk(3).size, 7u);
  EXPECT_GT(h.MemoryUsage(), small);
}

TEST(BucketDirectoryTest, ChunksNotBackToBackAreCorruption) {
  BucketDirectory dir = MakeDirectory(784, 1);  // 3 chunks of a row
  std::string enc;
  dir.EncodeTo(&enc);
  ASSERT_OK(BucketDirectory().DecodeFrom(enc, 1 << 30));
  // The second chunk's offset (varint64 after the first chunk's size) moved
  // by one byte: an encoding the writer never produced.
  const ChunkHandle c1 = dir.buckets[0].chunk(1);
  std::string offset;
  rocksdb::PutVarint64(&offset, c1.offset);
  const size_t at = enc.find(offset, 784 * sizeof(float));
  ASSERT_NE(at, std::string::npos);
  std::string moved;
  rocksdb::PutVarint64(&moved, c1.offset + 1);
  ASSERT_EQ(moved.size(), offset.size());
  enc.replace(at, offset.size(), moved);
  rocksdb::Status s = BucketDirectory().DecodeFrom(enc, 1 << 30);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("not consecutive"), std::string::npos);
}

TEST(BucketDirectoryTest, CorruptionIsDetectedNeverCrashes) {
  BucketDirectory dir = MakeDirectory(16, 5);
  std::string enc;
  dir.EncodeTo(&enc);
  for (size_t len = 0; len < enc.size(); ++len) {
    BucketDirectory back;
    EXPECT_TRUE(back.DecodeFrom(rocksdb::Slice(enc.data(), len), 1 << 30)
                    .IsCorruption())
        << len;
  }
  // Handles past the end of the file are rejected.
  BucketDirectory back;
  EXPECT_TRUE(back.DecodeFrom(enc, 1000).IsCorruption());
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::string bad = enc;
    bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    BucketDirectory b2;
    b2.DecodeFrom(bad, 1 << 30).PermitUncheckedError();  // any status, no crash
  }
}

TEST(BucketDirectoryTest, MomentsRoundTripAndCorruption) {
  BucketDirectory dir = MakeDirectory(6, 3);
  for (BucketHeader& b : dir.buckets) {
    dir.means.insert(dir.means.end(), 6, 0.25f * b.slot - 1);
    b.m2 = 10.5 * b.slot;
  }
  std::string enc;
  dir.EncodeMomentsTo(&enc);
  BucketDirectory back = MakeDirectory(6, 3);
  EXPECT_FALSE(back.has_moments());
  ASSERT_OK(back.DecodeMomentsFrom(enc));
  ASSERT_TRUE(back.has_moments());
  EXPECT_EQ(back.means, dir.means);
  for (size_t b = 0; b < 3; ++b) {
    EXPECT_EQ(back.buckets[b].m2, dir.buckets[b].m2);
  }
  BucketDirectory lean = MakeDirectory(6, 3);
  ASSERT_OK(lean.DecodeMomentsFrom(enc, /*keep_means=*/false));
  EXPECT_TRUE(lean.has_moments());
  EXPECT_TRUE(lean.means.empty());
  EXPECT_EQ(lean.buckets[2].m2, dir.buckets[2].m2);
  for (size_t len = 0; len < enc.size(); ++len) {
    BucketDirectory d = MakeDirectory(6, 3);
    EXPECT_TRUE(
        d.DecodeMomentsFrom(rocksdb::Slice(enc.data(), len)).IsCorruption())
        << len;
  }
  // Another bucket count or dimension, a NaN mean, a negative scatter.
  BucketDirectory fewer = MakeDirectory(6, 2), wider = MakeDirectory(7, 3);
  EXPECT_TRUE(fewer.DecodeMomentsFrom(enc).IsCorruption());
  EXPECT_TRUE(wider.DecodeMomentsFrom(enc).IsCorruption());
  std::string nan = enc;
  nan[2] = nan[3] = '\xff';
  nan[4] = nan[5] = '\xff';
  EXPECT_TRUE(back.DecodeMomentsFrom(nan).IsCorruption());
  dir.buckets[1].m2 = -1;
  std::string negative;
  dir.EncodeMomentsTo(&negative);
  EXPECT_TRUE(back.DecodeMomentsFrom(negative).IsCorruption());
}

TEST(BucketDataTest, RoundTripAndTruncation) {
  const uint32_t dim = 5;
  std::string codes(3 * dim, '\x07');
  std::string k1 = "key1" + std::string(8, '\1'),
              k2 = "k2" + std::string(8, '\2'),
              k3 = "another key" + std::string(8, '\3');
  std::string blob;
  EncodeBucketData(dim, codes, {k1, k2, k3}, &blob);
  BucketDataView view;
  ASSERT_OK(view.Parse(blob));
  EXPECT_EQ(view.num_rows, 3u);
  EXPECT_EQ(view.codes.ToString(), codes);
  EXPECT_EQ(view.keys[2].ToString(), k3);
  std::string prefixed, blob2;
  for (const std::string* k : {&k1, &k2, &k3}) {
    rocksdb::PutLengthPrefixedSlice(&prefixed, *k);
  }
  EncodeBucketData(dim, 3, codes, prefixed, &blob2);
  EXPECT_EQ(blob2, blob);
  for (size_t len = 0; len < blob.size(); ++len) {
    BucketDataView v;
    EXPECT_TRUE(v.Parse(rocksdb::Slice(blob.data(), len)).IsCorruption())
        << len;
  }
}

// The RaBitQ section: parsed only when the segment says it is there, at
// exactly its size; the block rejects malformed or inconsistent input.
TEST(BucketDataTest, RabitqSectionRoundTripAndCorruption) {
  const uint32_t dim = 5, pd = RabitqRotation::PaddedDim(dim), rows = 2;
  std::string blob;
  EncodeBucketData(dim, std::string(rows * dim, '\x07'),
                   {"key1" + std::string(8, '\1'), "k2" + std::string(8, '\2')},
                   &blob);
  const std::string plain = blob;
  std::vector<float> centroid(pd, 0.5f);
  std::vector<uint8_t> codes(rows * RabitqCodeBytes(pd), 0xa5);
  std::vector<float> factors(rows * kRabitqFactorsPerRow, 2.0f);
  AppendRabitqSection(pd, rows, centroid.data(), codes.data(), factors.data(),
                      RabitqExCodes(), &blob);
  BucketDataView view;
  ASSERT_OK(view.Parse(blob, pd));
  ASSERT_TRUE(view.has_rabitq());
  EXPECT_EQ(view.rabitq_centroid[pd - 1], 0.5f);
  EXPECT_EQ(view.rabitq_codes[codes.size() - 1], 0xa5);
  EXPECT_EQ(view.rabitq_factors[factors.size() - 1], 2.0f);
  // Without the block, the section is trailing garbage; with it, a blob
  // without the section (or of another padded dimension) is corrupt.
  EXPECT_TRUE(view.Parse(blob).IsCorruption());
  EXPECT_TRUE(view.Parse(plain, pd).IsCorruption());
  EXPECT_TRUE(view.Parse(blob, 2 * pd).IsCorruption());
  EXPECT_TRUE(view.Parse(rocksdb::Slice(blob.data(), blob.size() - 1), pd)
                  .IsCorruption());
  ASSERT_OK(view.Parse(plain));
  EXPECT_FALSE(view.has_rabitq());

  // Without SQ8 codes (RaBitQ block version 2): keys, then the section.
  std::string lean;
  EncodeBucketData(dim, std::string(),
                   {"key1" + std::string(8, '\1'), "k2" + std::string(8, '\2')},
                   &lean);
  AppendRabitqSection(pd, rows, centroid.data(), codes.data(), factors.data(),
                      RabitqExCodes(), &lean);
  ASSERT_OK(view.Parse(lean, pd, /*sq8_codes=*/false));
  EXPECT_TRUE(view.codes.empty());
  EXPECT_EQ(view.keys[1].ToString(), "k2" + std::string(8, '\2'));
  EXPECT_EQ(view.rabitq_factors[factors.size() - 1], 2.0f);
  EXPECT_TRUE(view.Parse(lean, pd).IsCorruption());  // read as with codes
  EXPECT_TRUE(view.Parse(blob, pd, false).IsCorruption());
  EXPECT_TRUE(view.Parse(lean, 0, false).IsInvalidArgument());
  for (size_t len = 0; len < lean.size(); ++len) {
    EXPECT_TRUE(
        view.Parse(rocksdb::Slice(lean.data(), len), pd, false).IsCorruption())
        << len;
  }
  std::string huge = lean;  // a row count no blob of this size can hold
  huge[3] = '\x7f';
  EXPECT_TRUE(view.Parse(huge, pd, false).IsCorruption());

  // With extended codes (RaBitQ block version 3): after the 1-bit factors,
  // the ex codes and ex factors, at exactly their size.
  const uint32_t ex_bits = 3;
  std::vector<uint8_t> ex_codes(rows * RabitqExCodeBytes(pd, ex_bits), 0x3c);
  std::vector<float> ex_factors(rows * kRabitqExFactorsPerRow, 4.0f);
  std::string ex_blob;
  EncodeBucketData(dim, std::string(),
                   {"key1" + std::string(8, '\1'), "k2" + std::string(8, '\2')},
                   &ex_blob);
  AppendRabitqSection(pd, rows, centroid.data(), codes.data(), factors.data(),
                      {ex_bits, ex_codes.data(), ex_factors.data()}, &ex_blob);
  ASSERT_OK(view.Parse(ex_blob, pd, false, ex_bits));
  EXPECT_EQ(view.rabitq_ex.ex_bits, ex_bits);
  EXPECT_EQ(view.rabitq_factors[factors.size() - 1], 2.0f);
  EXPECT_EQ(view.rabitq_ex.codes[ex_codes.size() - 1], 0x3c);
  EXPECT_EQ(view.rabitq_ex.factors[ex_factors.size() - 1], 4.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(view.rabitq_ex.factors) % 4, 0u);
  ASSERT_OK(view.Parse(lean, pd, false, 0));
  EXPECT_EQ(view.rabitq_ex.ex_bits, 0u);
  // Another ex_bits than the block's, or a cut section: Corruption.
  EXPECT_TRUE(view.Parse(ex_blob, pd, false, 0).IsCorruption());
  EXPECT_TRUE(view.Parse(ex_blob, pd, false, 2).IsCorruption());
  EXPECT_TRUE(view.Parse(lean, pd, false, ex_bits).IsCorruption());
  for (size_t len = 0; len < ex_blob.size(); ++len) {
    EXPECT_TRUE(
        view.Parse(rocksdb::Slice(ex_blob.data(), len), pd, false, ex_bits)
            .IsCorruption())
        << len;
  }

  RabitqParams params;
  params.dim = 784;
  params.padded_dim = 1024;
  params.seed = 42;
  params.ex_bits = 5;
  std::string enc;
  params.EncodeTo(&enc);
  RabitqParams back;
  ASSERT_OK(back.DecodeFrom(enc));
  EXPECT_EQ(back.version, RabitqParams::kWithExBits);  // written since
  EXPECT_EQ(back.dim, 784u);
  EXPECT_EQ(back.padded_dim, 1024u);
  EXPECT_EQ(back.seed, 42u);
  EXPECT_EQ(back.ex_bits, 5u);
  EXPECT_FALSE(back.sq8_codes());
  for (size_t len = 0; len < enc.size(); ++len) {
    EXPECT_TRUE(back.DecodeFrom(rocksdb::Slice(enc.data(), len)).IsCorruption())
        << len;
  }
  std::string bad_ex = enc;
  bad_ex.back() = static_cast<char>(kRabitqMaxExBits + 1);
  EXPECT_TRUE(back.DecodeFrom(bad_ex).IsCorruption());
  EXPECT_TRUE(back.DecodeFrom(enc + '\0').IsCorruption());
  // Versions 1 and 2 have no ex_bits byte.
  std::string version = enc.substr(0, enc.size() - 1);
  version[0] = 2;
  ASSERT_OK(back.DecodeFrom(version));
  EXPECT_FALSE(back.sq8_codes());
  EXPECT_EQ(back.ex_bits, 0u);
  version[0] = 1;  // the first layout: SQ8 codes too
  ASSERT_OK(back.DecodeFrom(version));
  EXPECT_TRUE(back.sq8_codes());
  EXPECT_TRUE(back.DecodeFrom(version + '\3').IsCorruption());
  for (int v : {0, 4, 255}) {
    version[0] = static_cast<char>(v);
    EXPECT_TRUE(back.DecodeFrom(version).IsCorruption()) << v;
  }
  params.padded_dim = 2048;  // not the rotation's for 784
  std::string inconsistent;
  params.EncodeTo(&inconsistent);
  EXPECT_TRUE(back.DecodeFrom(inconsistent).IsCorruption());
}

TEST(BlockChecksumTest, MatchesRocksDbCrc32c) {
  std::mt19937 rng(3);
  std::string buf(1 << 20, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; n < 300; ++n) {
      ASSERT_EQ(Crc32c(buf.data() + offset, n),
                rocksdb::crc32c::Value(buf.data() + offset, n))
          << offset << " " << n;
    }
  }
  const rocksdb::Slice all(buf.data() + 3, buf.size() - 3);
  EXPECT_EQ(BlockChecksum(all), rocksdb::crc32c::Mask(rocksdb::crc32c::Value(
                                    all.data(), all.size())));
}

TEST(ValueRefTest, RoundTripAndMalformed) {
  std::string enc;
  ValueRef ref;
  EncodeVectorRef(12, 345, &enc);
  ASSERT_OK(DecodeValueRef(enc, &ref));
  EXPECT_EQ(ref.kind, ValueKind::kVector);
  EXPECT_EQ(ref.bucket, 12u);
  EXPECT_EQ(ref.row, 345u);
  enc.clear();
  EncodeRawRef(1ull << 40, 77, &enc);
  ASSERT_OK(DecodeValueRef(enc, &ref));
  EXPECT_EQ(ref.offset, 1ull << 40);
  EXPECT_EQ(ref.size, 77u);
  EXPECT_TRUE(
      DecodeValueRef(rocksdb::Slice(enc.data(), 3), &ref).IsCorruption());
  EXPECT_TRUE(DecodeValueRef("", &ref).IsCorruption());
  EXPECT_TRUE(DecodeValueRef("\x09", &ref).IsCorruption());
  enc.clear();
  EncodeInlineRef("abc", &enc);
  ASSERT_OK(DecodeValueRef(enc, &ref));
  EXPECT_EQ(ref.inline_value.ToString(), "abc");
}

}  // namespace
}  // namespace drift
