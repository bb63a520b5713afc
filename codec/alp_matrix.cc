// ALP's matrix container (what the table stores for a bucket) and the public
// API of codec/alp.h; see alp.h for the design and docs/format-alp.md for the
// byte format. All multi-byte fields are little-endian.
#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>

#include "codec/alp.h"
#include "codec/alp_block.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace alp {
namespace {

// Header: u8 version, u8 value type (1 = float32), u16 reserved (0), u32 dim,
// u64 rows, u32 num_blocks, u32 offsets[num_blocks + 1] (into the block data;
// offsets[0] = 0, the last = data size), then block data and 8 zero bytes.

constexpr uint8_t kTypeFloat32 = 1;
constexpr size_t kFixedHeader = 20;

// Which values each block holds; a pure function of (rows, dim).
struct Layout {
  uint64_t rows = 0;
  uint32_t dim = 0;
  uint64_t rows_per_block = 0;  // >= 1 when dim <= kAlpBlockValues, else 0.
  uint32_t chunks = 1;          // Blocks per row when dim > kAlpBlockValues.
  uint64_t num_blocks = 0;

  static Layout Make(uint64_t rows, uint32_t dim) {
    Layout l;
    l.rows = rows;
    l.dim = dim;
    if (dim <= kAlpBlockValues) {
      l.rows_per_block = kAlpBlockValues / dim;
      l.num_blocks = (rows + l.rows_per_block - 1) / l.rows_per_block;
    } else {
      l.chunks =
          static_cast<uint32_t>((dim + kAlpBlockValues - 1) / kAlpBlockValues);
      l.num_blocks = rows * l.chunks;  // Caller bounds rows first.
    }
    return l;
  }
  // Start (in values, from the matrix start) and length of block b.
  void Block(uint64_t b, uint64_t* start, size_t* n) const {
    if (chunks == 1) {
      const uint64_t row = b * rows_per_block;
      *start = row * dim;
      *n = static_cast<size_t>(std::min(rows_per_block, rows - row) * dim);
    } else {
      const uint64_t row = b / chunks;
      const uint32_t c = static_cast<uint32_t>(b % chunks);
      const uint32_t q = dim / chunks, rem = dim % chunks;
      *start = row * dim + uint64_t{c} * q + std::min(c, rem);
      *n = q + (c < rem ? 1 : 0);
    }
  }
};

struct Container {
  Layout layout;
  const uint8_t* offsets;  // num_blocks + 1 little-endian u32.
  const uint8_t* data;     // Block data; data + data_size + kSlack is readable.
  uint32_t data_size;
};

Status ParseContainer(const Slice& encoded, Container* c) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(encoded.data());
  const size_t size = encoded.size();
  if (size < kFixedHeader) return Corrupt("truncated matrix header");
  if (p[0] != kAlpFormatVersion)
    return Corrupt("unsupported matrix format version");
  if (p[1] != kTypeFloat32 || p[2] != 0 || p[3] != 0) {
    return Corrupt("bad matrix value type");
  }
  uint32_t dim, num_blocks;
  uint64_t rows;
  std::memcpy(&dim, p + 4, 4);
  std::memcpy(&rows, p + 8, 8);
  std::memcpy(&num_blocks, p + 16, 4);
  if (dim == 0) return Corrupt("matrix dimension is 0");
  // Bound rows so rows * dim and the block count cannot overflow.
  if (rows > (uint64_t{1} << 50) / dim) {
    return Corrupt("matrix shape too large");
  }
  c->layout = Layout::Make(rows, dim);
  if (c->layout.num_blocks != num_blocks)
    return Corrupt("matrix block count mismatch");
  const uint64_t table = (uint64_t{num_blocks} + 1) * 4;
  if (size - kFixedHeader < table + kSlack)
    return Corrupt("truncated block table");
  c->offsets = p + kFixedHeader;
  c->data = c->offsets + table;
  const uint64_t data_size = size - kFixedHeader - table - kSlack;
  uint32_t first, last;
  std::memcpy(&first, c->offsets, 4);
  std::memcpy(&last, c->offsets + 4 * uint64_t{num_blocks}, 4);
  if (first != 0 || last != data_size) return Corrupt("matrix size mismatch");
  for (size_t i = 0; i < kSlack; ++i) {
    if (c->data[data_size + i] != 0) return Corrupt("bad matrix trailer");
  }
  c->data_size = static_cast<uint32_t>(data_size);
  return Status::OK();
}

// Decodes block b of the container into `out` (its full length).
Status DecodeContainerBlock(const Container& c, uint64_t b, float* out) {
  uint32_t begin, end;
  std::memcpy(&begin, c.offsets + 4 * b, 4);
  std::memcpy(&end, c.offsets + 4 * (b + 1), 4);
  if (begin > end || end > c.data_size) return Corrupt("bad block offset");
  uint64_t start;
  size_t n;
  c.layout.Block(b, &start, &n);
  Reader in{c.data + begin, c.data + end};
  Status s = DecodeBlock(&in, n, out);
  if (s.ok() && in.p != in.end) return Corrupt("block size mismatch");
  return s;
}

// The plan of a matrix from up to 8 sampled blocks: the <= 3 exponents that
// win most often, and an ALP_RD plan from up to 1024 sampled values. Blocks
// retry every exponent only when some sampled block preferred ALP to ALP_RD.
EncodePlan MakeEncodePlan(const float* data, const Layout& layout) {
  const uint64_t picks = std::min<uint64_t>(8, layout.num_blocks);
  size_t wins[2 * kMaxExponent + 1] = {};
  AlpChoice choices[8];
  uint32_t rd_sample[kRdSamples];
  size_t rd_samples = 0;
  for (uint64_t p = 0; p < picks; ++p) {
    uint64_t start;
    size_t n;
    layout.Block(p * layout.num_blocks / picks, &start, &n);
    size_t sample[kAlpSamples];
    const size_t s = std::min(n, kAlpSamples);
    for (size_t k = 0; k < s; ++k) sample[k] = SampleIndex(k, n);
    choices[p] = ChooseAlpExponent(data + start, sample, s, Exponents::All());
    // Normalized to bits per kAlpSamples values for the comparison below.
    choices[p].est_bits = choices[p].est_bits * kAlpSamples / s;
    if (choices[p].est_bits < 32 * kAlpSamples)
      ++wins[choices[p].d + kMaxExponent];
    const size_t rs = std::min<size_t>(n, kRdSamples / picks);
    for (size_t k = 0; k < rs; ++k) {
      std::memcpy(&rd_sample[rd_samples++], data + start + SampleIndex(k, n),
                  4);
    }
  }
  EncodePlan plan;
  plan.tries = Exponents();
  for (size_t round = 0; round < 3; ++round) {
    size_t best = 0;
    for (size_t i = 1; i < std::size(wins); ++i) {
      if (wins[i] > wins[best]) best = i;
    }
    if (wins[best] == 0) break;
    plan.tries.d[plan.tries.count++] =
        static_cast<int8_t>(static_cast<int>(best) - kMaxExponent);
    wins[best] = 0;
  }
  if (plan.tries.count == 0) plan.tries = Exponents::All();
  if (rd_samples > 0) plan.rd = MakeRdPlan(rd_sample, rd_samples);
  plan.retry_all = false;
  for (uint64_t p = 0; p < picks; ++p) {
    plan.retry_all |= static_cast<double>(choices[p].est_bits) <=
                      plan.rd.est_bits_per_value * kAlpSamples;
  }
  return plan;
}

}  // namespace
}  // namespace alp

using alp::Container;
using alp::DecodeBlock;
using alp::DecodeContainerBlock;
using alp::EncodeBlock;
using alp::EncodePlan;
using alp::EncodeRawBlock;
using alp::kSlack;
using alp::kTypeFloat32;
using alp::Layout;
using alp::MakeEncodePlan;
using alp::ParseContainer;
using alp::PutLE;
using alp::Reader;

// ---- Public API ----

Status AlpEncodeFloatBlock(const float* in, size_t n, std::string* out) {
  if (n == 0 || n > kAlpBlockValues) {
    return Status::InvalidArgument("ALP block length must be 1..1024");
  }
  EncodeBlock(in, n, MakeEncodePlan(in, Layout::Make(1, n)), out);
  return Status::OK();
}

Status AlpDecodeFloatBlock(const Slice& block, size_t n, float* out,
                           size_t* consumed) {
  if (n == 0 || n > kAlpBlockValues) {
    return Status::InvalidArgument("ALP block length must be 1..1024");
  }
  // The decoder may read kSlack bytes past the block: decode from a padded
  // copy.
  std::string padded(block.data(), block.size());
  padded.append(kSlack, '\0');
  const uint8_t* p = reinterpret_cast<const uint8_t*>(padded.data());
  Reader in{p, p + block.size()};
  Status s = DecodeBlock(&in, n, out);
  if (s.ok() && consumed != nullptr) *consumed = static_cast<size_t>(in.p - p);
  return s;
}

namespace {

Status CheckMatrixShape(size_t rows, size_t dim) {
  if (dim == 0 || dim > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("ALP matrix dimension must be 1..2^32-1");
  }
  if (uint64_t{rows} > (uint64_t{1} << 50) / dim) {
    return Status::InvalidArgument("ALP matrix too large");
  }
  return Status::OK();
}

}  // namespace

struct AlpMatrixEncoder::Plan {
  EncodePlan plan;
  bool raw = false;
};

AlpMatrixEncoder AlpMatrixEncoder::Uncompressed(size_t dim) {
  AlpMatrixEncoder e(nullptr, 0, dim);
  e.plan_->raw = true;
  return e;
}

AlpMatrixEncoder::AlpMatrixEncoder(const float* sample, size_t rows, size_t dim)
    : dim_(dim), plan_(std::make_unique<Plan>()) {
  if (rows > 0 && CheckMatrixShape(rows, dim).ok()) {
    plan_->plan =
        MakeEncodePlan(sample, Layout::Make(rows, static_cast<uint32_t>(dim)));
  }
}

AlpMatrixEncoder::AlpMatrixEncoder(AlpMatrixEncoder&&) noexcept = default;
AlpMatrixEncoder::~AlpMatrixEncoder() = default;

Status AlpMatrixEncoder::Encode(const float* data, size_t rows,
                                std::string* out) const {
  Status s = CheckMatrixShape(rows, dim_);
  if (!s.ok()) return s;
  const Layout layout = Layout::Make(rows, static_cast<uint32_t>(dim_));
  if (layout.num_blocks >= std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("ALP matrix has too many blocks");
  }
  const size_t table = (layout.num_blocks + 1) * 4;
  out->clear();
  out->push_back(static_cast<char>(kAlpFormatVersion));
  out->push_back(static_cast<char>(kTypeFloat32));
  PutLE<uint16_t>(out, 0);
  PutLE<uint32_t>(out, static_cast<uint32_t>(dim_));
  PutLE<uint64_t>(out, rows);
  PutLE<uint32_t>(out, static_cast<uint32_t>(layout.num_blocks));
  const size_t table_pos = out->size();
  out->append(table, '\0');
  const size_t data_pos = out->size();
  for (uint64_t b = 0; b < layout.num_blocks; ++b) {
    uint64_t start;
    size_t n;
    layout.Block(b, &start, &n);
    if (plan_->raw) {
      EncodeRawBlock(data + start, n, out);
    } else {
      EncodeBlock(data + start, n, plan_->plan, out);
    }
    const uint64_t end = out->size() - data_pos;
    if (end > std::numeric_limits<uint32_t>::max()) {
      out->clear();
      return Status::InvalidArgument("ALP matrix exceeds 4 GiB of block data");
    }
    const uint32_t end32 = static_cast<uint32_t>(end);
    std::memcpy(&(*out)[table_pos + 4 * (b + 1)], &end32, 4);
  }
  out->append(kSlack, '\0');
  return Status::OK();
}

Status EncodeFloatMatrix(const float* data, size_t rows, size_t dim,
                         std::string* out) {
  Status s = CheckMatrixShape(rows, dim);
  if (!s.ok()) return s;
  return AlpMatrixEncoder(data, rows, dim).Encode(data, rows, out);
}

Status GetFloatMatrixInfo(const Slice& encoded, AlpMatrixInfo* info) {
  Container c;
  Status s = ParseContainer(encoded, &c);
  if (!s.ok()) return s;
  info->rows = c.layout.rows;
  info->dim = c.layout.dim;
  info->num_blocks = static_cast<uint32_t>(c.layout.num_blocks);
  return Status::OK();
}

Status DecodeFloatRows(const Slice& encoded, size_t first_row, size_t num_rows,
                       float* out) {
  Container c;
  Status s = ParseContainer(encoded, &c);
  if (!s.ok()) return s;
  const Layout& l = c.layout;
  if (first_row > l.rows || num_rows > l.rows - first_row) {
    return Status::InvalidArgument("ALP row range out of bounds");
  }
  if (num_rows == 0) return Status::OK();
  const uint64_t want_begin = uint64_t{first_row} * l.dim;
  const uint64_t want_end = want_begin + uint64_t{num_rows} * l.dim;
  uint64_t first_block, last_block;
  if (l.chunks == 1) {
    first_block = first_row / l.rows_per_block;
    last_block = (first_row + num_rows - 1) / l.rows_per_block;
  } else {
    first_block = uint64_t{first_row} * l.chunks;
    last_block = uint64_t{first_row + num_rows} * l.chunks - 1;
  }
  float tmp[kAlpBlockValues];
  for (uint64_t b = first_block; b <= last_block; ++b) {
    uint64_t start;
    size_t n;
    l.Block(b, &start, &n);
    if (start >= want_begin && start + n <= want_end) {
      s = DecodeContainerBlock(c, b, out + (start - want_begin));
    } else {
      // Partial block: decode aside and copy the overlap.
      s = DecodeContainerBlock(c, b, tmp);
      if (s.ok()) {
        const uint64_t lo = std::max(start, want_begin);
        const uint64_t hi = std::min(start + n, want_end);
        std::memcpy(out + (lo - want_begin), tmp + (lo - start), (hi - lo) * 4);
      }
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status DecodeFloatMatrix(const Slice& encoded, std::vector<float>* out) {
  AlpMatrixInfo info;
  Status s = GetFloatMatrixInfo(encoded, &info);
  if (!s.ok()) return s;
  out->resize(static_cast<size_t>(info.rows * info.dim));
  return DecodeFloatRows(encoded, 0, static_cast<size_t>(info.rows),
                         out->data());
}

}  // namespace drift
