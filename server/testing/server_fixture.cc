#include "server/testing/server_fixture.h"

#include "tests/test_util.h"

namespace drift {
namespace server {
namespace test {

void ServerFixture::SetUp() {
  dir_ = drift::test::TempDir(
      testing::UnitTest::GetInstance()->current_test_info()->test_suite_name());
}

void ServerFixture::TearDown() {
  for (auto it = servers_.rbegin(); it != servers_.rend(); ++it) {
    EXPECT_OK(it->Stop());
  }
  servers_.clear();
  drift::test::RemoveDir(dir_);
}

InProcessServer* ServerFixture::NewServer() {
  servers_.emplace_back();
  return &servers_.back();
}

ServerOptions ServerFixture::LoopbackOptions(const std::string& db) const {
  ServerOptions o;
  if (!db.empty()) o.db_path = dir_ + "/" + db;
  o.listen = "127.0.0.1:0";
  o.shutdown_grace_ms = 2000;
  return o;
}

}  // namespace test
}  // namespace server
}  // namespace drift
