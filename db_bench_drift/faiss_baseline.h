// faiss baseline (when libfaiss-dev is installed): IVF<nlist>,SQ8 over the same
// base vectors, searched one query per call on one thread. Debian's libfaiss
// is built without AVX2, so its figures are labelled simd=generic.
#pragma once

#include <memory>
#include <string>

#include "db_bench_drift/system.h"

namespace drift {
namespace bench {

// True if this binary was built with faiss.
bool HaveFaiss();
// fillvec = train + add (all cores); search = sweep over `nprobe_list` (one
// thread).
// Null if built without faiss.
std::unique_ptr<System> NewFaissSystem(const BenchContext& ctx, size_t nlist,
                                       const std::string& nprobe_list);

}  // namespace bench
}  // namespace drift
