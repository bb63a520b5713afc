#include "db/pinned_view.h"

#include "drift/table_files.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace drift {
namespace {

class PinnedViewTest : public test::VectorDbTest {
 protected:
  PinnedViewTest() : VectorDbTest("pinned_view", 4) {}
};

// A search that held the last reference to a Version deletes the files only
// that Version kept, as an iterator does, instead of leaving them to the next
// flush or compaction (which may not come, e.g. while background work is
// paused).
TEST_F(PinnedViewTest, LastReleaseDeletesObsoleteTables) {
  for (int file = 0; file < 2; ++file) {
    for (int i = 0; i < 100; ++i) {
      const float v[4] = {float(i), float(file), 2, 3};
      PutVector("k" + std::to_string(i), v);
    }
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  }

  auto view = std::make_unique<PinnedView>();
  ASSERT_OK(view->Pin(db_.get(), handles_[1]));
  ASSERT_EQ(view->segments().size(), 2u);
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  std::vector<std::string> files;
  ASSERT_OK(ListUnreferencedTableFiles(db_.get(), &files));
  EXPECT_EQ(files.size(), 2u);  // the view still reads them

  ASSERT_OK(db_->PauseBackgroundWork());
  view.reset();
  ASSERT_OK(ListUnreferencedTableFiles(db_.get(), &files));
  EXPECT_EQ(files, std::vector<std::string>());
  ASSERT_OK(db_->ContinueBackgroundWork());
}

}  // namespace
}  // namespace drift
