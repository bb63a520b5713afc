// Baselines measured in the same run on the same data: hnswlib (Debian's
// headers, compiled with our flags) and an exact brute-force scan with Drift's
// own distance kernel.
#pragma once

#include <memory>
#include <string>

#include "db_bench_drift/system.h"

namespace drift {
namespace bench {

// fillvec = graph build (single thread); search = sweep over `ef_list`.
// `name` is the system's name in results and ratios.
std::unique_ptr<System> NewHnswlibSystem(const BenchContext& ctx,
                                         std::string name, size_t m,
                                         size_t ef_construction,
                                         const std::string& ef_list);
// search = exact scan of every base vector.
std::unique_ptr<System> NewBruteForceSystem(const BenchContext& ctx);

}  // namespace bench
}  // namespace drift
