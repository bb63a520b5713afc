// The ALP loops compiled with -mavx2 (as GCC's former target_clones("avx2"):
// no FMA, so every float operation is the scalar one); only reached through
// AlpKernelsFor() after the CPU check. See alp_kernels_impl.h.
#include "codec/alp_kernels_impl.h"

namespace drift {
namespace alp {

const AlpKernels kAlpAvx2Kernels = MakeAlpKernels(IsaLevel::kAvx2);

}  // namespace alp
}  // namespace drift
