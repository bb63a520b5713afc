// Run-time detection of the SIMD instruction sets the kernels can use.
#pragma once

namespace drift {

// Kernel levels, ordered: each level implies the ones below it.
enum class IsaLevel : int {
  kScalar = 0,  // any x86-64 (SSE2 baseline)
  kAvx2 = 1,    // AVX2 + FMA + F16C
  kAvx512 = 2,  // AVX-512 F + BW + VL (plus AVX2 + FMA)
};

struct CpuFeatures {
  bool avx2_fma = false;  // AVX2 + FMA + F16C
  bool avx512_f_bw_vl = false;
  bool avx512_vnni = false;
  bool avx512_vpopcntdq = false;  // VPOPCNTD/Q (with avx512_f_bw_vl)
};

// What the CPU (and OS) supports; ignores DRIFT_ISA. Computed once.
const CpuFeatures& DetectCpuFeatures();

// Highest level the CPU supports.
IsaLevel DetectedIsa();

// The level the kernels dispatch to: DetectedIsa(), lowered by the environment
// variable DRIFT_ISA=scalar|avx2|avx512 if set (it can never raise the level;
// unknown values are ignored). Read once, on first use.
IsaLevel ActiveIsa();

// min(level, DetectedIsa()): the level that can actually run here.
IsaLevel ClampToSupported(IsaLevel level);

const char* IsaName(IsaLevel level);

// Parses "scalar", "avx2" or "avx512"; false (and *level untouched) otherwise.
bool ParseIsaLevel(const char* name, IsaLevel* level);

}  // namespace drift
