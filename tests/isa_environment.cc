// Linked into every test that ctest also runs per ISA level (drift_isa_test in
// cmake/DriftHelpers.cmake): when DRIFT_ISA names a level this CPU lacks,
// ActiveIsa() would quietly run a lower one, so the whole binary is skipped
// instead (ctest matches the message below and reports the run as skipped).
#include <cstdlib>

#include "gtest/gtest.h"
#include "util/cpu_features.h"

namespace drift {
namespace {

class IsaEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    const char* env = std::getenv("DRIFT_ISA");
    IsaLevel wanted;
    if (env != nullptr && ParseIsaLevel(env, &wanted) &&
        static_cast<int>(wanted) > static_cast<int>(DetectedIsa())) {
      GTEST_SKIP() << "DRIFT_ISA=" << env << " not supported by this CPU";
    }
  }
};

const testing::Environment* const kIsaEnvironment =
    testing::AddGlobalTestEnvironment(new IsaEnvironment);

}  // namespace
}  // namespace drift
