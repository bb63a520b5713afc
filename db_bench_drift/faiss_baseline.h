// faiss baseline (when libfaiss-dev is installed): IVF<nlist>,SQ8 over the same
// base vectors, searched one query per call on one thread. Debian's libfaiss
// is built without AVX2 (simd=generic); a build configured with
// DRIFT_FAISS_ROOT links scripts/build_faiss_simd.sh's AVX2 library instead.
// Results and the header name the library and its SIMD level.
#pragma once

#include <memory>
#include <string>

#include "db_bench_drift/system.h"

namespace drift {
namespace bench {

// True if this binary was built with faiss.
bool HaveFaiss();
// The linked faiss: version, SIMD level as faiss compiled it
// (get_compile_options) and library file, e.g.
// "1.7.3, simd=avx2, /x/.deps/faiss-simd/lib/libfaiss_avx2.a"; "" without
// faiss.
std::string FaissBuild();
// fillvec = train + add (all cores); search = sweep over `nprobe_list` (one
// thread).
// Null if built without faiss.
std::unique_ptr<System> NewFaissSystem(const BenchContext& ctx, size_t nlist,
                                       const std::string& nprobe_list);

}  // namespace bench
}  // namespace drift
