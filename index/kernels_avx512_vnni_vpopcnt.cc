// AVX-512 kernels with the 1-bit code scan on VPOPCNTQ and the SQ8 integer
// scan on VPDPWSSD. Compiled with the AVX-512 flags plus -mavx512vpopcntdq
// -mavx512vnni; KernelsFor() returns this table at the avx512 level only on
// CPUs that have both extensions. See kernels_impl.h.
#include "index/kernels_impl.h"

namespace drift {
namespace internal {

const Kernels kAvx512VnniPopcntKernels =
    MakeKernels<Avx512VnniPopcntOps>(IsaLevel::kAvx512);

}  // namespace internal
}  // namespace drift
