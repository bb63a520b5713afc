// Internal to codec/alp_*.cc: the two compressing block schemes.
//  * ALP: decimals as integers n * 10^-d, exceptions stored as position + bits.
//  * ALP_RD: each value's bits cut at bit r; left parts through a dictionary
//    of <= kRdMaxDict entries, right parts bit-packed.
// Each has a chooser (from a sample), an encoder and a decoder; the block level
// (alp_block.h) picks between them, CONSTANT and RAW.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "codec/alp_format.h"

namespace drift {
namespace alp {

// The k-th of up to n sampled positions of a block of n values: a stride
// coprime to n, so samples are distinct and do not alias with the vector
// dimension (equidistant samples of a block of 8 rows x 128 would see only 4
// of the 128 columns).
inline size_t SampleIndex(size_t k, size_t n) {
  const size_t stride = n % 997 == 0 ? 991 : 997;
  return (k * stride + 13) % n;
}

struct AlpChoice {
  int d = 0;
  size_t est_bits = std::numeric_limits<size_t>::max();
};

// A list of exponents to try; All() is 0..10, then -1..-10.
struct Exponents {
  int8_t d[2 * kMaxExponent + 1];
  size_t count = 0;

  static Exponents All() {
    Exponents e;
    for (int i = 0; i <= 2 * kMaxExponent; ++i) {
      e.d[e.count++] =
          static_cast<int8_t>(i <= kMaxExponent ? i : kMaxExponent - i);
    }
    return e;
  }
};

// Picks d from a sample of the block by estimated size (width * values +
// 48 bits per exception); ties go to the exponent tried first.
AlpChoice ChooseAlpExponent(const float* in, const size_t* sample, size_t s,
                            const Exponents& tries);

// Appends the ALP block; returns its exception count.
size_t EncodeAlpBlock(const float* in, size_t n, int d, std::string* out);

// Decodes an ALP block's body (after the block header) into out[0..n).
rocksdb::Status DecodeAlpBlock(Reader* in, size_t n, float* out);

// An ALP_RD cut point and dictionary, shared by the blocks of a matrix.
struct RdPlan {
  unsigned right_bits = 0;  // 0: no plan.
  size_t dict_size = 0;
  uint16_t dict[kRdMaxDict] = {};
  double est_bits_per_value = 33.0;
  double exception_fraction = 1.0;  // Of the sample.
};

// Builds an RdPlan from `s` (1..kAlpBlockValues) sampled bit patterns.
RdPlan MakeRdPlan(const uint32_t* sample, size_t s);

// Encodes with the plan's cut and dictionary; returns the exception count.
size_t EncodeRdBlock(const uint32_t* bits, size_t n, const RdPlan& plan,
                     std::string* out);

// Decodes an ALP_RD block's body (after the block header) into out[0..n).
rocksdb::Status DecodeRdBlock(Reader* in, size_t n, float* out);

}  // namespace alp
}  // namespace drift
