#include "tests/test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace drift {
namespace test {

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = base != nullptr ? base : "/tmp";
  dir /= "drift_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void RemoveDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace test
}  // namespace drift
