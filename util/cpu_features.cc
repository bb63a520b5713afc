#include "util/cpu_features.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace drift {
namespace {

// CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports has no "f16c").
bool CpuHasF16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

}  // namespace

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
    // libgcc also checks XCR0, so these are false when the OS does not save
    // the wide registers.
    __builtin_cpu_init();
    // F16C (half conversions) came before AVX2 on every x86 vendor; checked
    // because the AVX2 kernels use it.
    f.avx2_fma = __builtin_cpu_supports("avx2") &&
                 __builtin_cpu_supports("fma") && CpuHasF16c();
    f.avx512_f_bw_vl = f.avx2_fma && __builtin_cpu_supports("avx512f") &&
                       __builtin_cpu_supports("avx512bw") &&
                       __builtin_cpu_supports("avx512vl");
    f.avx512_vnni = f.avx512_f_bw_vl && __builtin_cpu_supports("avx512vnni");
    f.avx512_vpopcntdq =
        f.avx512_f_bw_vl && __builtin_cpu_supports("avx512vpopcntdq");
    return f;
  }();
  return features;
}

IsaLevel DetectedIsa() {
  const CpuFeatures& f = DetectCpuFeatures();
  if (f.avx512_f_bw_vl) return IsaLevel::kAvx512;
  if (f.avx2_fma) return IsaLevel::kAvx2;
  return IsaLevel::kScalar;
}

IsaLevel ClampToSupported(IsaLevel level) {
  IsaLevel detected = DetectedIsa();
  return static_cast<int>(level) < static_cast<int>(detected) ? level
                                                              : detected;
}

IsaLevel ActiveIsa() {
  static const IsaLevel active = [] {
    IsaLevel level = DetectedIsa();
    const char* env = std::getenv("DRIFT_ISA");
    IsaLevel forced;
    if (env != nullptr && ParseIsaLevel(env, &forced)) {
      level = ClampToSupported(forced);
    }
    return level;
  }();
  return active;
}

const char* IsaName(IsaLevel level) {
  switch (level) {
    case IsaLevel::kScalar:
      return "scalar";
    case IsaLevel::kAvx2:
      return "avx2";
    case IsaLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool ParseIsaLevel(const char* name, IsaLevel* level) {
  for (IsaLevel l : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (std::strcmp(name, IsaName(l)) == 0) {
      *level = l;
      return true;
    }
  }
  return false;
}

}  // namespace drift
