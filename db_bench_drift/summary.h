// The ratios of Drift against the baselines measured in the same run: what the
// goals in docs/benchmark.md are stated in.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "db_bench_drift/report.h"

namespace drift {
namespace bench {

// QPS a system reaches at `recall`, read off its search measurements: the
// recall/QPS Pareto frontier, linear between its points; a frontier point of
// higher recall counts for a lower target. Empty if no point reaches `recall`.
// `points` are (recall, qps) pairs in any order.
std::optional<double> QpsAtRecall(std::vector<std::pair<double, double>> points,
                                  double recall);

// One "ratio" result per comparison of drift with a baseline: throughput of
// fillvec, flush, compact, getvec, overwrite and deletevec, and search QPS at
// each of `recall_levels` (where both systems reach it). Printed as lines
// "ratio ..." by the caller via PrintRatios.
std::vector<Result> ComputeRatios(const std::vector<Result>& results,
                                  const std::vector<double>& recall_levels);
void PrintRatios(const std::vector<Result>& ratios);

}  // namespace bench
}  // namespace drift
