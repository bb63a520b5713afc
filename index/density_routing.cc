#include "index/density_routing.h"

#include <algorithm>
#include <cmath>

namespace drift {
namespace {

constexpr float kLambdas[] = {0.5f, 1, 2, 4, 8, 16, 32};
// Ends at 1: every candidate, so the curve reaches what the candidates can.
constexpr float kTaus[] = {0.3f,  0.4f,  0.5f,   0.6f,   0.7f,    0.75f,
                           0.8f,  0.85f, 0.9f,   0.93f,  0.95f,   0.97f,
                           0.98f, 0.99f, 0.995f, 0.999f, 0.9999f, 1.0f};
// The targets lambda is chosen for (what SearchOptions::recall_target users
// ask for).
constexpr float kTargets[] = {0.9f, 0.95f, 0.97f, 0.99f};

struct Outcome {
  double recall = 0;
  double scanned = 0;  // share of the vectors in probed slots, per query
};

// The cumulative estimated mass of the m candidates, as a share of their
// total (w[j] = mass of candidates 0..j / total; w[m - 1] = 1).
void CumulativeMass(const DensityRouting& r, const uint32_t* slots,
                    const float* dist, size_t m, std::vector<float>* w) {
  const float floor =
      0.5f / static_cast<float>(std::max<size_t>(1, r.share.size()));
  w->resize(m);
  float total = 0;
  for (size_t j = 0; j < m; ++j) {
    const float s = slots[j] < r.share.size() ? r.share[slots[j]] : 0;
    total += std::max(s, floor) *
             std::exp(-r.lambda * (dist[j] - dist[0]) / r.scale);
    (*w)[j] = total;
  }
  for (float& c : *w) c /= total;
}

// Candidates probed at `tau` given their cumulative mass.
size_t ProbesAt(const std::vector<float>& w, float tau) {
  const size_t m = w.size();
  if (m <= kMinDensityProbes || tau >= 1) return m;
  const size_t j = static_cast<size_t>(
      std::lower_bound(w.begin() + (kMinDensityProbes - 1), w.end(), tau) -
      w.begin());
  return std::min(m, j + 1);
}

}  // namespace

size_t DensityRouting::Probes(const uint32_t* slots, const float* dist,
                              size_t m, float tau) const {
  if (m <= kMinDensityProbes || tau >= 1) return m;
  std::vector<float> w;
  CumulativeMass(*this, slots, dist, m, &w);
  return ProbesAt(w, tau);
}

float DensityRouting::TauForRecall(float target) const {
  for (const Point& p : curve) {
    if (p.recall >= target) return p.tau;
  }
  return curve.empty() ? 1.0f : curve.back().tau;
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

  // Per lambda, each query's cumulative mass is computed once; every tau
  // then cuts it by a binary search.
  std::vector<std::vector<float>> mass(queries.size());
  std::vector<std::vector<size_t>> neighbour_pos(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    const DensityQuery& q = queries[i];
    for (uint32_t s : q.neighbour_slots) {
      neighbour_pos[i].push_back(static_cast<size_t>(
          std::find(q.slots.begin(), q.slots.end(), s) - q.slots.begin()));
    }
  }
  auto run = [&](float tau) {
    Outcome o;
    size_t found = 0, wanted = 0;
    for (size_t i = 0; i < queries.size(); ++i) {
      const size_t probes = ProbesAt(mass[i], tau);
      for (size_t j = 0; j < probes; ++j) {
        o.scanned += routing->share[queries[i].slots[j]];
      }
      for (size_t pos : neighbour_pos[i]) found += pos < probes;
      wanted += neighbour_pos[i].size();
    }
    o.recall = wanted == 0 ? 1.0 : static_cast<double>(found) / wanted;
    o.scanned /= queries.size();
    return o;
  };
  double best_cost = -1;
  float best_lambda = 0;
  for (float lambda : kLambdas) {
    routing->lambda = lambda;
    for (size_t i = 0; i < queries.size(); ++i) {
      const DensityQuery& q = queries[i];
      CumulativeMass(*routing, q.slots.data(), q.dist.data(), q.slots.size(),
                     &mass[i]);
    }
    std::vector<DensityRouting::Point> curve;
    std::vector<Outcome> outcomes;
    for (float tau : kTaus) {
      const Outcome o = run(tau);
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
      best_lambda = lambda;
      routing->curve = std::move(curve);
    }
  }
  routing->lambda = best_lambda;
}

}  // namespace drift
