#include "index/density_routing.h"

#include <algorithm>
#include <cmath>

namespace drift {
namespace {

constexpr float kLambdas[] = {0.5f, 1, 2, 4, 8, 16, 32};
constexpr float kTaus[] = {0.3f,  0.4f,  0.5f,   0.6f,   0.7f,   0.75f,
                           0.8f,  0.85f, 0.9f,   0.93f,  0.95f,  0.97f,
                           0.98f, 0.99f, 0.995f, 0.999f, 0.9999f};
// The targets lambda is chosen for (what SearchOptions::recall_target users
// ask for).
constexpr float kTargets[] = {0.9f, 0.95f, 0.97f, 0.99f};

struct Outcome {
  double recall = 0;
  double scanned = 0;  // share of the vectors in probed slots, per query
};

}  // namespace

float DensityRouting::TauForRecall(float target) const {
  for (const Point& p : curve) {
    if (p.recall >= target) return p.tau;
  }
  return curve.empty() ? 1.0f : curve.back().tau;
}

size_t DensityRouting::Probes(const uint32_t* slots, const float* dist,
                              size_t m, float tau) const {
  if (m <= kMinDensityProbes) return m;
  const float floor =
      0.5f / static_cast<float>(std::max<size_t>(1, share.size()));
  float w[kDensityCandidates];
  m = std::min(m, kDensityCandidates);
  float total = 0;
  for (size_t j = 0; j < m; ++j) {
    const float s = slots[j] < share.size() ? share[slots[j]] : 0;
    w[j] = std::max(s, floor) * std::exp(-lambda * (dist[j] - dist[0]) / scale);
    total += w[j];
  }
  float covered = 0;
  for (size_t j = 0; j < m; ++j) {
    covered += w[j];
    if (j + 1 >= kMinDensityProbes && covered >= tau * total) return j + 1;
  }
  return m;
}

void CalibrateDensityRouting(const std::vector<DensityQuery>& queries,
                             const std::vector<uint64_t>& counts,
                             DensityRouting* routing) {
  *routing = DensityRouting();
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (queries.empty() || total == 0) return;
  routing->share.resize(counts.size());
  for (size_t s = 0; s < counts.size(); ++s) {
    routing->share[s] = static_cast<float>(counts[s]) / total;
  }
  std::vector<float> nearest;
  for (const DensityQuery& q : queries) {
    if (!q.dist.empty()) nearest.push_back(q.dist[0]);
  }
  std::nth_element(nearest.begin(), nearest.begin() + nearest.size() / 2,
                   nearest.end());
  routing->scale = std::max(nearest[nearest.size() / 2], 1e-12f);

  auto run = [&](float lambda, float tau) {
    DensityRouting r = *routing;
    r.lambda = lambda;
    Outcome o;
    size_t found = 0, wanted = 0;
    for (const DensityQuery& q : queries) {
      const size_t probes =
          r.Probes(q.slots.data(), q.dist.data(), q.slots.size(), tau);
      for (size_t j = 0; j < probes; ++j) o.scanned += r.share[q.slots[j]];
      for (uint32_t s : q.neighbour_slots) {
        found += std::find(q.slots.begin(), q.slots.begin() + probes, s) !=
                 q.slots.begin() + probes;
      }
      wanted += q.neighbour_slots.size();
    }
    o.recall = wanted == 0 ? 1.0 : static_cast<double>(found) / wanted;
    o.scanned /= queries.size();
    return o;
  };
  double best_cost = -1;
  for (float lambda : kLambdas) {
    std::vector<DensityRouting::Point> curve;
    std::vector<Outcome> outcomes;
    for (float tau : kTaus) {
      const Outcome o = run(lambda, tau);
      const float recall = static_cast<float>(o.recall);  // as stored
      if (curve.empty() || recall > curve.back().recall) {
        curve.push_back({tau, recall});
        outcomes.push_back(o);
      }
    }
    // Cost: vectors scanned at each target (the most, 1, if unreachable).
    double cost = 0;
    for (float target : kTargets) {
      double scanned = 1;
      for (size_t i = 0; i < curve.size(); ++i) {
        if (curve[i].recall >= target) {
          scanned = outcomes[i].scanned;
          break;
        }
      }
      cost += scanned;
    }
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      routing->lambda = lambda;
      routing->curve = std::move(curve);
    }
  }
}

}  // namespace drift
