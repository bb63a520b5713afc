// AVX-512 kernels with the 1-bit code scan on VPOPCNTQ. Compiled with the
// AVX-512 flags plus -mavx512vpopcntdq; KernelsFor() returns this table at the
// avx512 level only on CPUs that have VPOPCNTDQ. See kernels_impl.h.
#include "index/kernels_impl.h"

namespace drift {
namespace internal {

const Kernels kAvx512PopcntKernels =
    MakeKernels<Avx512PopcntOps>(IsaLevel::kAvx512);

}  // namespace internal
}  // namespace drift
