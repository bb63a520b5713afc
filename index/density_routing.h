// Density routing: how many buckets one query probes, chosen per query
// (Quake's adaptive partition scanning is the anchor). A query looks at its
// kDensityCandidates nearest slots in order of centroid distance and gives
// slot j an estimated mass of its neighbours,
//   w_j = max(share_j, 1 / (2 K)) * exp(-lambda * (d_j - d_1) / scale),
// the slot's share of the vectors weighted by how much farther its centroid
// is than the nearest one (d: squared distances; scale: the median d_1 of
// the calibration queries; K slots). It probes slots until the probed mass
// reaches tau of the candidates' total, and at least kMinDensityProbes (the
// guardrail). The floor on the share is the geometric fallback: a new or
// small slot still counts as half an average one, so it is never starved.
//
// lambda and the tau that reaches each recall target are calibrated on the
// codebook's calibration queries (a held-out sample): the lambda whose
// probes scan the fewest vectors at the usual targets is kept, with its
// curve of tau against recall.
//
// Reach: the candidates are at least kDensityCandidates and widen with the
// codebook (Codebook::DensityCandidateCount: twice the nprobe that the
// nprobe calibration needs for kDensityReach), and the curve ends at tau = 1
// (every candidate), so on data whose neighbours spread over many buckets
// the curve still climbs to high targets. A target above the curve's last
// recall is not reachable by density routing: the planner then routes by
// the nprobe calibration instead (Reaches), never silently lower.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace drift {

// The fewest candidates a query considers, and the fewest it probes.
constexpr size_t kDensityCandidates = 32;
constexpr size_t kMinDensityProbes = 2;
// The nprobe-calibrated recall whose nprobe sizes the candidates.
constexpr float kDensityReach = 0.995f;

struct DensityRouting {
  std::vector<float> share;  // per slot: its share of the calibration sample
  float lambda = 0;          // 0: not calibrated
  float scale = 1;
  struct Point {
    float tau = 0;
    float recall = 0;
  };
  std::vector<Point> curve;  // ascending in tau and in recall

  bool calibrated() const { return lambda > 0 && !curve.empty(); }
  // Whether the calibrated curve reaches `target`.
  bool Reaches(float target) const {
    return calibrated() && curve.back().recall >= target;
  }
  // Smallest calibrated tau whose recall reaches `target` (the largest if
  // none does).
  float TauForRecall(float target) const;
  // How many of the m candidate slots (nearest first, squared distances
  // `dist`) a query probes at `tau` (all m at tau >= 1).
  size_t Probes(const uint32_t* slots, const float* dist, size_t m,
                float tau) const;
};

// One calibration query: its candidate slots (nearest first) with their
// squared distances, and the slot of each of its true neighbours.
struct DensityQuery {
  std::vector<uint32_t> slots;
  std::vector<float> dist;
  std::vector<uint32_t> neighbour_slots;
};

// Calibrates `routing` for a codebook of `k` slots whose calibration sample
// put `counts[s]` vectors in slot s.
void CalibrateDensityRouting(const std::vector<DensityQuery>& queries,
                             const std::vector<uint64_t>& counts,
                             DensityRouting* routing);

}  // namespace drift
