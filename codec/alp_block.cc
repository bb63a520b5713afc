#include "codec/alp_block.h"

#include <algorithm>
#include <cstring>

namespace drift {
namespace alp {

using rocksdb::Status;

namespace {

// A block-local ALP_RD plan when the shared one leaves 1/16 of the values more
// as exceptions than it did on its sample (the block differs from the sample).
constexpr double kRdReplanMargin = 1.0 / 16;

// A block whose ALP encoding has more than 1/kAlpRecheckFraction exceptions
// re-checks its exponent on kAlpRecheckSamples values: 32 samples of a sparse
// row can be all zeros but two, which makes an exponent look best that turns
// every non-zero pixel into an exception.
constexpr size_t kAlpRecheckFraction = 32;
constexpr size_t kAlpRecheckSamples = 256;

// Re-encodes the ALP block at out[start..) with the exponent that wins on a
// larger sample, if that differs from `d` and is smaller.
void RecheckAlpExponent(const float* in, size_t n, const EncodePlan& plan,
                        int d, size_t start, std::string* out) {
  size_t sample[kAlpRecheckSamples];
  const size_t s = std::min(n, kAlpRecheckSamples);
  for (size_t k = 0; k < s; ++k) sample[k] = SampleIndex(k, n);
  AlpChoice c = ChooseAlpExponent(in, sample, s, plan.tries);
  const AlpChoice all = ChooseAlpExponent(in, sample, s, Exponents::All());
  if (all.est_bits < c.est_bits) c = all;
  if (c.d == d) return;
  std::string other;
  EncodeAlpBlock(in, n, c.d, &other);
  if (other.size() < out->size() - start) {
    out->resize(start);
    out->append(other);
  }
}

// ALP_RD is also tried unless ALP is this factor below its estimate.
constexpr double kCloseEstimates = 1.25;

// Appends the ALP_RD encoding of the block to `out` if it is smaller than
// `limit` bytes; true if it did.
bool TryRdBlock(const uint32_t* bits, size_t n, const RdPlan& plan,
                size_t limit, std::string* out) {
  if (plan.right_bits == 0) return false;
  const size_t start = out->size();
  const size_t exceptions = EncodeRdBlock(bits, n, plan, out);
  if (static_cast<double>(exceptions) >
      (plan.exception_fraction + kRdReplanMargin) * static_cast<double>(n)) {
    uint32_t sample[kRdSamples];
    const size_t s = std::min(n, kRdSamples);
    for (size_t k = 0; k < s; ++k) sample[k] = bits[SampleIndex(k, n)];
    std::string local;
    EncodeRdBlock(bits, n, MakeRdPlan(sample, s), &local);
    if (local.size() < out->size() - start) {
      out->resize(start);
      out->append(local);
    }
  }
  if (out->size() - start < limit) return true;
  out->resize(start);
  return false;
}

}  // namespace

void EncodeRawBlock(const float* in, size_t n, std::string* out) {
  out->push_back(static_cast<char>(kRaw));
  PutLE<uint16_t>(out, static_cast<uint16_t>(n));
  out->append(reinterpret_cast<const char*>(in), 4 * n);
}

void EncodeBlock(const float* in, size_t n, const EncodePlan& plan,
                 std::string* out) {
  uint32_t bits[kAlpBlockValues];
  std::memcpy(bits, in, n * 4);
  bool constant = true;
  for (size_t i = 1; i < n; ++i) constant &= bits[i] == bits[0];
  if (constant) {
    out->push_back(static_cast<char>(kConstant));
    PutLE<uint16_t>(out, static_cast<uint16_t>(n));
    PutLE<uint32_t>(out, bits[0]);
    return;
  }
  const size_t raw_size = kBlockHeader + 4 * n;
  // ALP estimate from <= 32 sampled values (SampleIndex).
  size_t sample[kAlpSamples];
  const size_t s = std::min(n, kAlpSamples);
  for (size_t k = 0; k < s; ++k) sample[k] = SampleIndex(k, n);
  AlpChoice alp = ChooseAlpExponent(in, sample, s, plan.tries);
  if (alp.est_bits > 16 * s && plan.retry_all &&
      plan.tries.count < 2 * kMaxExponent + 1) {
    alp = ChooseAlpExponent(in, sample, s, Exponents::All());
  }
  const bool alp_fits = alp.est_bits < 32 * s;
  const double rd_est = plan.rd.est_bits_per_value * static_cast<double>(s);
  // ALP when its estimate is the smaller one, kept without trying ALP_RD when
  // its real size is clearly below ALP_RD's estimate (32 samples are noisy:
  // e.g. all zeros in a sparse image row); otherwise the smaller of both, and
  // raw when neither is smaller than that.
  if (alp_fits && static_cast<double>(alp.est_bits) <= rd_est) {
    const size_t start = out->size();
    const size_t exceptions = EncodeAlpBlock(in, n, alp.d, out);
    if (exceptions > n / kAlpRecheckFraction) {
      RecheckAlpExponent(in, n, plan, alp.d, start, out);
    }
    const size_t alp_size = out->size() - start;
    const double alp_bits = 8.0 * static_cast<double>(alp_size) * s / n;
    // ALP_RD spends >= kRdMinRight bits per value on right parts alone.
    if (alp_size <= kBlockHeader + n * kRdMinRight / 8) return;
    if (alp_size < raw_size && alp_bits * kCloseEstimates < rd_est) return;
    std::string rd;
    if (TryRdBlock(bits, n, plan.rd, std::min(alp_size, raw_size), &rd)) {
      out->resize(start);
      out->append(rd);
      return;
    }
    if (alp_size < raw_size) return;
    out->resize(start);
  } else {
    if (TryRdBlock(bits, n, plan.rd, raw_size, out)) return;
    if (alp_fits) {
      const size_t start = out->size();
      EncodeAlpBlock(in, n, alp.d, out);
      if (out->size() - start < raw_size) return;
      out->resize(start);
    }
  }
  EncodeRawBlock(in, n, out);
}

Status DecodeBlock(Reader* in, size_t n, float* out) {
  uint8_t scheme;
  uint16_t count;
  if (!in->Get(&scheme) || !in->Get(&count))
    return Corrupt("truncated block header");
  if (count != n) return Corrupt("block value count mismatch");
  switch (scheme) {
    case kRaw: {
      const uint8_t* src = in->Take(4 * n);
      if (src == nullptr) return Corrupt("truncated raw block");
      std::memcpy(out, src, 4 * n);
      return Status::OK();
    }
    case kConstant: {
      float v;
      if (!in->Get(&v)) return Corrupt("truncated constant block");
      std::fill(out, out + n, v);
      return Status::OK();
    }
    case kAlp:
      return DecodeAlpBlock(in, n, out);
    case kAlpRd:
      return DecodeRdBlock(in, n, out);
    default:
      return Corrupt("unknown block scheme");
  }
}

}  // namespace alp
}  // namespace drift
