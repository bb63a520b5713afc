// Internal to codec/alp_*.cc: one block of up to kAlpBlockValues values, in
// the scheme (ALP, ALP_RD, CONSTANT or RAW) chosen from a sample by estimated
// size, then checked against the real size.
#pragma once

#include <cstddef>
#include <string>

#include "codec/alp_format.h"
#include "codec/alp_schemes.h"

namespace drift {
namespace alp {

// How a matrix is encoded, from a sample of the whole input (the paper's first
// sampling level): the ALP exponents worth trying and an ALP_RD cut point and
// dictionary, so a block only estimates ALP on a few values and encodes once.
struct EncodePlan {
  Exponents tries = Exponents::All();
  bool retry_all = true;  // Try every exponent when `tries` fit poorly.
  RdPlan rd;
};

// Appends the smallest encoding the plan finds for in[0..n).
void EncodeBlock(const float* in, size_t n, const EncodePlan& plan,
                 std::string* out);

// Appends in[0..n) as a RAW block.
void EncodeRawBlock(const float* in, size_t n, std::string* out);

// Decodes one block of exactly `n` values; `in->end + kSlack` must be readable.
rocksdb::Status DecodeBlock(Reader* in, size_t n, float* out);

}  // namespace alp
}  // namespace drift
