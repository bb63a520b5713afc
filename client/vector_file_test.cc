// The readers of `drift load`: every format returns the rows it holds, in
// batches, and malformed files are InvalidArgument naming what is wrong.
#include "client/vector_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "tests/test_util.h"

namespace drift {
namespace client {
namespace {

constexpr uint32_t kDim = 3;

class VectorFileTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = drift::test::TempDir("vector_file_test"); }
  void TearDown() override { drift::test::RemoveDir(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  // Reads the whole file in batches of `batch` rows.
  rocksdb::Status ReadAll(const std::string& path, size_t batch,
                          VectorBatch* all) {
    VectorFormat format;
    rocksdb::Status s = ParseVectorFormat("auto", path, &format);
    std::unique_ptr<VectorFileReader> reader;
    if (s.ok()) s = VectorFileReader::Open(path, format, kDim, &reader);
    VectorBatch b;
    while (s.ok() && (s = reader->Next(batch, &b)).ok() && b.rows > 0) {
      EXPECT_LE(b.rows, batch);
      all->keys.insert(all->keys.end(), b.keys.begin(), b.keys.end());
      all->values.insert(all->values.end(), b.values.begin(), b.values.end());
      all->rows += b.rows;
    }
    if (s.ok()) {
      EXPECT_EQ(reader->bytes_read(), reader->file_size());
    }
    return s;
  }
  std::string dir_;
};

std::string Fvecs(const std::vector<float>& values, int32_t dim) {
  std::string out;
  for (size_t i = 0; i < values.size(); i += dim) {
    out.append(reinterpret_cast<const char*>(&dim), 4);
    out.append(reinterpret_cast<const char*>(&values[i]), dim * 4);
  }
  return out;
}

std::string Npy(const std::vector<float>& values, const std::string& descr,
                const std::string& shape) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  return out;
}

const std::vector<float> kRows = {1, 2, 3, 4, 5, 6, -7.5, 8, 9.25, 0, 0, 1};

TEST_F(VectorFileTest, FvecsInBatches) {
  VectorBatch all;
  ASSERT_TRUE(ReadAll(Write("a.fvecs", Fvecs(kRows, kDim)), 3, &all).ok());
  EXPECT_EQ(all.rows, 4u);
  EXPECT_TRUE(all.keys.empty());
  EXPECT_EQ(all.values, kRows);
}

TEST_F(VectorFileTest, FvecsOfAnotherDimensionOrTruncated) {
  VectorBatch all;
  rocksdb::Status s = ReadAll(Write("b.fvecs", Fvecs(kRows, 4)), 10, &all);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("dimension 4"), std::string::npos)
      << s.ToString();
  std::string cut = Fvecs(kRows, kDim);
  cut.resize(cut.size() - 2);
  EXPECT_TRUE(ReadAll(Write("c.fvecs", cut), 10, &all).IsInvalidArgument());
}

TEST_F(VectorFileTest, Npy) {
  VectorBatch all;
  ASSERT_TRUE(
      ReadAll(Write("a.npy", Npy(kRows, "<f4", "(4, 3)")), 3, &all).ok());
  EXPECT_EQ(all.rows, 4u);
  EXPECT_EQ(all.values, kRows);
}

TEST_F(VectorFileTest, NpyRejectsOtherDtypesShapesAndTruncation) {
  VectorBatch all;
  rocksdb::Status s =
      ReadAll(Write("d.npy", Npy(kRows, "<f8", "(2, 3)")), 3, &all);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("float32"), std::string::npos) << s.ToString();
  EXPECT_TRUE(ReadAll(Write("e.npy", Npy(kRows, "<f4", "(12,)")), 3, &all)
                  .IsInvalidArgument());
  EXPECT_TRUE(ReadAll(Write("f.npy", Npy(kRows, "<f4", "(2, 6)")), 3, &all)
                  .IsInvalidArgument());
  EXPECT_TRUE(ReadAll(Write("g.npy", Npy(kRows, "<f4", "(5, 3)")), 3, &all)
                  .IsInvalidArgument());
  EXPECT_TRUE(
      ReadAll(Write("h.npy", "not numpy at all"), 3, &all).IsInvalidArgument());
}

TEST_F(VectorFileTest, CsvWithAndWithoutKeys) {
  VectorBatch keyed;
  ASSERT_TRUE(ReadAll(Write("a.csv",
                            "# comment\nk1,1,2,3\n\nk2, 4,5 ,6\r\nk3,-7.5,8,"
                            "9.25\nk4,0,0,1"),
                      2, &keyed)
                  .ok());
  EXPECT_EQ(keyed.keys, (std::vector<std::string>{"k1", "k2", "k3", "k4"}));
  EXPECT_EQ(keyed.values, kRows);
  VectorBatch plain;
  ASSERT_TRUE(
      ReadAll(Write("b.csv", "1,2,3\n4,5,6\n-7.5,8,9.25\n0,0,1\n"), 3, &plain)
          .ok());
  EXPECT_TRUE(plain.keys.empty());
  EXPECT_EQ(plain.values, kRows);
}

TEST_F(VectorFileTest, CsvErrorsNameTheLine) {
  VectorBatch all;
  rocksdb::Status s = ReadAll(Write("c.csv", "1,2,3\n1,2\n"), 10, &all);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("line 2"), std::string::npos) << s.ToString();
  EXPECT_TRUE(ReadAll(Write("d.csv", "1,2,3\nk,1,2,3\n"), 10, &all)
                  .IsInvalidArgument());
  EXPECT_TRUE(
      ReadAll(Write("e.csv", "k,1,x,3\n"), 10, &all).IsInvalidArgument());
  EXPECT_TRUE(
      ReadAll(Write("f.csv", ",1,2,3\n"), 10, &all).IsInvalidArgument());
}

TEST_F(VectorFileTest, FormatFromExtension) {
  VectorFormat f;
  EXPECT_TRUE(ParseVectorFormat("auto", "x.fvecs", &f).ok());
  EXPECT_EQ(f, VectorFormat::kFvecs);
  EXPECT_TRUE(ParseVectorFormat("auto", "x.bin", &f).IsInvalidArgument());
  EXPECT_TRUE(ParseVectorFormat("csv", "x.bin", &f).ok());
  EXPECT_EQ(f, VectorFormat::kCsv);
  EXPECT_TRUE(ParseVectorFormat("parquet", "x.csv", &f).IsInvalidArgument());
}

}  // namespace
}  // namespace client
}  // namespace drift
