// AVX2 + FMA kernels. Compiled with -mavx2 -mfma; only reached through
// KernelsFor() after the CPU check. See kernels_impl.h.
#include "index/kernels_impl.h"

namespace drift {
namespace internal {

const Kernels kAvx2Kernels = MakeKernels<Avx2Ops>(IsaLevel::kAvx2);

}  // namespace internal
}  // namespace drift
