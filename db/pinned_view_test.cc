#include "db/pinned_view.h"

#include "drift/plugin.h"
#include "drift/table_files.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace drift {
namespace {

// A search that held the last reference to a Version deletes the files only
// that Version kept, as an iterator does, instead of leaving them to the next
// flush or compaction (which may not come, e.g. while background work is
// paused).
TEST(PinnedViewTest, LastReleaseDeletesObsoleteTables) {
  RegisterDrift();
  const std::string dir = test::TempDir("pinned_view");
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_OK(test::OpenWithVectorCf(
      dir, rocksdb::DBOptions(),
      VectorColumnFamilyOptions(4, rocksdb::ColumnFamilyOptions()), &db,
      &handles));
  for (int file = 0; file < 2; ++file) {
    for (int i = 0; i < 100; ++i) {
      const float v[4] = {float(i), float(file), 2, 3};
      ASSERT_OK(
          db->Put(rocksdb::WriteOptions(), handles[1], "k" + std::to_string(i),
                  rocksdb::Slice(reinterpret_cast<const char*>(v), sizeof(v))));
    }
    ASSERT_OK(db->Flush(rocksdb::FlushOptions(), handles[1]));
  }

  auto view = std::make_unique<PinnedView>();
  ASSERT_OK(view->Pin(db.get(), handles[1]));
  ASSERT_EQ(view->segments().size(), 2u);
  ASSERT_OK(db->CompactRange(rocksdb::CompactRangeOptions(), handles[1],
                             nullptr, nullptr));
  std::vector<std::string> files;
  ASSERT_OK(ListUnreferencedTableFiles(db.get(), &files));
  EXPECT_EQ(files.size(), 2u);  // the view still reads them

  ASSERT_OK(db->PauseBackgroundWork());
  view.reset();
  ASSERT_OK(ListUnreferencedTableFiles(db.get(), &files));
  EXPECT_EQ(files, std::vector<std::string>());
  ASSERT_OK(db->ContinueBackgroundWork());

  for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
  ASSERT_OK(db->Close());
  test::RemoveDir(dir);
}

}  // namespace
}  // namespace drift
