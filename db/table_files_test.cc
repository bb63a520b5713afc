#include "drift/table_files.h"

#include <fstream>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace drift {
namespace {

TEST(ListUnreferencedTableFilesTest, FindsOnlyFilesTheVersionDoesNotReference) {
  RegisterDrift();
  const std::string dir = test::TempDir("table_files");
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_OK(test::OpenWithVectorCf(
      dir, rocksdb::DBOptions(),
      VectorColumnFamilyOptions(4, rocksdb::ColumnFamilyOptions()), &db,
      &handles));
  for (int i = 0; i < 100; ++i) {
    const float v[4] = {float(i), 1, 2, 3};
    ASSERT_OK(
        db->Put(rocksdb::WriteOptions(), handles[1], "k" + std::to_string(i),
                rocksdb::Slice(reinterpret_cast<const char*>(v), sizeof(v))));
  }
  ASSERT_OK(db->Flush(rocksdb::FlushOptions(), handles[1]));
  ASSERT_OK(db->Put(rocksdb::WriteOptions(), handles[0], "a", "b"));
  ASSERT_OK(db->Flush(rocksdb::FlushOptions(), handles[0]));
  std::vector<std::string> files;
  ASSERT_OK(ListUnreferencedTableFiles(db.get(), &files));
  EXPECT_EQ(files, std::vector<std::string>());  // a .drift and a BBT file

  // What a crash between writing a table and installing it leaves.
  std::ofstream(dir + "/999999.sst") << "partial";
  ASSERT_OK(ListUnreferencedTableFiles(db.get(), &files));
  EXPECT_EQ(files, std::vector<std::string>{dir + "/999999.sst"});

  for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
  ASSERT_OK(db->Close());
  test::RemoveDir(dir);
}

}  // namespace
}  // namespace drift
