#include "db_bench_drift/summary.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

namespace drift {
namespace bench {
namespace {

constexpr const char* kThroughputBenchmarks[] = {
    "fillvec", "flush", "compact", "getvec", "overwrite", "deletevec"};

Result Ratio(const std::string& of, const std::string& baseline,
             double drift_ops, double baseline_ops) {
  Result r;
  r.benchmark = "ratio";
  r.system = "drift";
  r.params["of"] = of;
  r.params["baseline"] = baseline;
  r.metrics["ratio"] = drift_ops / baseline_ops;
  r.metrics["drift_ops_per_sec"] = drift_ops;
  r.metrics["baseline_ops_per_sec"] = baseline_ops;
  return r;
}

}  // namespace

std::optional<double> QpsAtRecall(std::vector<std::pair<double, double>> points,
                                  double recall) {
  // Frontier: by recall descending, each point faster than all of higher
  // recall; then ascending.
  std::sort(points.begin(), points.end(), std::greater<>());
  std::vector<std::pair<double, double>> frontier;
  for (const auto& p : points) {
    if (frontier.empty() || p.second > frontier.back().second) {
      frontier.push_back(p);
    }
  }
  std::reverse(frontier.begin(), frontier.end());
  if (frontier.empty() || frontier.back().first < recall) return std::nullopt;
  if (recall <= frontier.front().first) return frontier.front().second;
  for (size_t i = 1; i < frontier.size(); ++i) {
    const auto& [r0, q0] = frontier[i - 1];
    const auto& [r1, q1] = frontier[i];
    if (recall <= r1) return q0 + (q1 - q0) * (recall - r0) / (r1 - r0);
  }
  return frontier.back().second;
}

std::vector<Result> ComputeRatios(const std::vector<Result>& results,
                                  const std::vector<double>& recall_levels) {
  // First measurement per (benchmark, system); search points per system.
  std::map<std::pair<std::string, std::string>, double> first;
  std::map<std::string, std::vector<std::pair<double, double>>> search;
  for (const Result& r : results) {
    const double ops = Metric(r, "ops_per_sec");
    if (ops <= 0) continue;
    first.emplace(std::make_pair(r.benchmark, r.system), ops);
    const double recall = Metric(r, "recall_at_k");
    if (r.benchmark == "search" && recall >= 0) {
      search[r.system].emplace_back(recall, ops);
    }
  }
  std::set<std::string> systems;
  for (const auto& [key, ops] : first) systems.insert(key.second);
  std::vector<Result> ratios;
  for (const char* benchmark : kThroughputBenchmarks) {
    auto drift = first.find({benchmark, "drift"});
    if (drift == first.end()) continue;
    for (const std::string& baseline : systems) {
      auto other = first.find({benchmark, baseline});
      if (baseline == "drift" || other == first.end()) continue;
      ratios.push_back(
          Ratio(benchmark, baseline, drift->second, other->second));
    }
  }
  for (double recall : recall_levels) {
    const auto drift_qps = QpsAtRecall(search["drift"], recall);
    if (!drift_qps) continue;
    for (const auto& [baseline, points] : search) {
      if (baseline == "drift" || baseline == "bruteforce") continue;
      const auto qps = QpsAtRecall(points, recall);
      if (!qps) continue;
      Result r = Ratio("search", baseline, *drift_qps, *qps);
      char level[16];
      snprintf(level, sizeof(level), "%.3g", recall);
      r.params["recall_at_k"] = level;
      ratios.push_back(std::move(r));
    }
  }
  return ratios;
}

void PrintRatios(const std::vector<Result>& ratios) {
  if (ratios.empty()) return;
  printf(
      "Ratios, drift / baseline, measured in this run (search: QPS at equal "
      "recall@k on each system's recall/QPS frontier):\n");
  for (const Result& r : ratios) {
    std::string what = r.params.at("of");
    auto recall = r.params.find("recall_at_k");
    if (recall != r.params.end()) what += " at recall " + recall->second;
    printf("ratio  %-24s drift/%-10s %7.2fx  (%.0f vs %.0f ops/s)\n",
           what.c_str(), r.params.at("baseline").c_str(), Metric(r, "ratio"),
           Metric(r, "drift_ops_per_sec"), Metric(r, "baseline_ops_per_sec"));
  }
  fflush(stdout);
}

}  // namespace bench
}  // namespace drift
