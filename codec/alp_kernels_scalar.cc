// The ALP loops for any x86-64 (SSE2), and the choice between the tables.
#include "codec/alp_kernels_impl.h"

namespace drift {
namespace alp {

const AlpKernels kAlpScalarKernels = MakeAlpKernels(IsaLevel::kScalar);

const AlpKernels& AlpKernelsFor(IsaLevel level) {
  return ClampToSupported(level) >= IsaLevel::kAvx2 ? kAlpAvx2Kernels
                                                    : kAlpScalarKernels;
}

const AlpKernels& ActiveAlpKernels() {
  static const AlpKernels* const kernels = &AlpKernelsFor(ActiveIsa());
  return *kernels;
}

}  // namespace alp
}  // namespace drift
