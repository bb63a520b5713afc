// AVX-512 (F, BW, VL) kernels. Compiled with -mavx512f -mavx512bw -mavx512vl;
// only reached through KernelsFor() after the CPU check. See kernels_impl.h.
#include "index/kernels_impl.h"

namespace drift {
namespace internal {

const Kernels kAvx512Kernels = MakeKernels<Avx512Ops>(IsaLevel::kAvx512);

}  // namespace internal
}  // namespace drift
