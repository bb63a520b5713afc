// Vector data sets for tests and benchmarks: the Debian package
// dataset-fashion-mnist (idx files), fvecs/ivecs files (the usual format of
// public ANN data sets) and synthetic gaussian clusters.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rocksdb/status.h"

namespace drift {

struct Dataset {
  std::string name;
  uint32_t dim = 0;
  std::vector<float> base;           // num_base() x dim
  std::vector<float> queries;        // num_queries() x dim
  std::vector<uint8_t> base_labels;  // class per base vector, when known
  size_t num_base() const { return dim ? base.size() / dim : 0; }
  size_t num_queries() const { return dim ? queries.size() / dim : 0; }
};

// Reads a gzip'd idx3 image file (uint8 pixels) as float32 rows.
rocksdb::Status ReadIdxImages(const std::string& gz_path,
                              std::vector<float>* rows, uint32_t* dim);
// Reads a gzip'd idx1 label file.
rocksdb::Status ReadIdxLabels(const std::string& gz_path,
                              std::vector<uint8_t>* labels);

// fashion-mnist from `dir` (default: the Debian package's directory): 60,000
// train images as base (with labels), 10,000 test images as queries; 784-d.
rocksdb::Status LoadFashionMnist(const std::string& dir, Dataset* out);

// fvecs: per vector, int32 dim then dim float32. ivecs: the same with int32.
rocksdb::Status ReadFvecs(const std::string& path, std::vector<float>* data,
                          uint32_t* dim);
rocksdb::Status ReadIvecs(const std::string& path, std::vector<int32_t>* data,
                          uint32_t* dim);
rocksdb::Status WriteIvecs(const std::string& path,
                           const std::vector<int32_t>& data, uint32_t dim);

// The one generator of synthetic gaussian test data: a deterministic stream
// (a seed gives the same values on every platform libstdc++ builds on).
class GaussianSource {
 public:
  explicit GaussianSource(uint64_t seed) : rng_(seed) {}

  // Appends `n` points of `dim` components, centre + sigma * N(0, 1) per
  // component, to *out (centre nullptr: the origin).
  void Append(const float* centre, size_t dim, size_t n, float sigma,
              std::vector<float>* out);
  // A uniform draw in [0, n), from the same stream (cluster choice).
  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  // The underlying engine, for other distributions interleaved with these.
  std::mt19937_64* rng() { return &rng_; }

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<float> normal_;
};

// n x dim values ~ N(0, sigma^2), deterministic for a seed.
std::vector<float> GaussianVectors(size_t n, size_t dim, uint64_t seed,
                                   float sigma = 1.0f);

// `n` vectors around `clusters` gaussian centres (centres ~ N(0, spread^2),
// points ~ centre + N(0, 1)), deterministic for a seed. Labels are cluster ids.
void MakeGaussianClusters(size_t n, uint32_t dim, uint32_t clusters,
                          float spread, uint64_t seed, std::vector<float>* out,
                          std::vector<uint8_t>* labels = nullptr);
// The same as a return value, without labels.
std::vector<float> GaussianClusters(size_t n, uint32_t dim, uint32_t clusters,
                                    float spread, uint64_t seed);

}  // namespace drift
