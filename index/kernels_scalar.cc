// Baseline kernels (any x86-64). See kernels_impl.h.
#include "index/kernels_impl.h"

namespace drift {
namespace internal {

const Kernels kScalarKernels = MakeKernels<ScalarOps>(IsaLevel::kScalar);

}  // namespace internal
}  // namespace drift
