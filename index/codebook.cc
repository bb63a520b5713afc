#include "index/codebook.h"

#include <cmath>
#include <cstring>

namespace drift {
namespace {

constexpr uint8_t kCodebookFormatVersion = 1;
constexpr size_t kHeaderSize = 1 + 8 + 4 + 4;

template <typename T>
void AppendRaw(std::string* dst, T v) {
  dst->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
T ReadRaw(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace

void Codebook::EncodeTo(std::string* dst) const {
  dst->push_back(static_cast<char>(kCodebookFormatVersion));
  AppendRaw<uint64_t>(dst, epoch);
  AppendRaw<uint32_t>(dst, dim);
  AppendRaw<uint32_t>(dst, static_cast<uint32_t>(size()));
  dst->append(reinterpret_cast<const char*>(centroids.data()),
              centroids.size() * sizeof(float));
}

rocksdb::Status Codebook::DecodeFrom(rocksdb::Slice in, Codebook* out) {
  using rocksdb::Status;
  if (in.size() < kHeaderSize) {
    return Status::Corruption("drift codebook: truncated header");
  }
  if (static_cast<uint8_t>(in[0]) != kCodebookFormatVersion) {
    return Status::Corruption("drift codebook: unknown format version " +
                              std::to_string(static_cast<uint8_t>(in[0])));
  }
  const uint64_t epoch = ReadRaw<uint64_t>(in.data() + 1);
  const uint32_t dim = ReadRaw<uint32_t>(in.data() + 9);
  const uint32_t k = ReadRaw<uint32_t>(in.data() + 13);
  if (dim == 0 || k == 0 || epoch == 0 || k > kMaxCodebookSize) {
    return Status::Corruption("drift codebook: bad epoch, dim or size");
  }
  const uint64_t floats = uint64_t{dim} * k;
  if (in.size() - kHeaderSize != floats * sizeof(float)) {
    return Status::Corruption("drift codebook: " + std::to_string(k) + " x " +
                              std::to_string(dim) +
                              " centroids do not match the encoded size");
  }
  Codebook cb;
  cb.epoch = epoch;
  cb.dim = dim;
  cb.centroids.resize(floats);
  std::memcpy(cb.centroids.data(), in.data() + kHeaderSize,
              floats * sizeof(float));
  for (float v : cb.centroids) {
    if (!std::isfinite(v)) {
      return Status::Corruption("drift codebook: non-finite centroid");
    }
  }
  *out = std::move(cb);
  return Status::OK();
}

rocksdb::Status TrainCodebook(const float* x, size_t n, uint32_t dim,
                              size_t num_buckets, uint64_t epoch,
                              const KMeansOptions& kmeans, Codebook* out) {
  if (epoch == 0) {
    return rocksdb::Status::InvalidArgument(
        "drift codebook: epoch 0 is reserved for segment-local codebooks");
  }
  Codebook cb;
  cb.epoch = epoch;
  cb.dim = dim;
  rocksdb::Status s =
      KMeans(x, n, dim, std::min(num_buckets, n), kmeans, &cb.centroids);
  if (s.ok()) *out = std::move(cb);
  return s;
}

std::shared_ptr<const Codebook> CodebookHolder::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void CodebookHolder::Publish(std::shared_ptr<const Codebook> codebook) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(codebook);
}

bool CodebookHolder::SetListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  if (listener_) return false;
  listener_ = std::move(listener);
  return true;
}

void CodebookHolder::ClearListener() {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = nullptr;
}

void CodebookHolder::NotifySegmentWritten(
    const SegmentWrittenEvent& event) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (listener_) listener_(event);
}

}  // namespace drift
