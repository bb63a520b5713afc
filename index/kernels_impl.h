// Internal: the kernels, written once against an Ops policy (simd_ops.h) and
// instantiated by each kernels_<isa>.cc into its Kernels table.
//
// Same linkage rule as simd_ops.h: internal linkage only, no std templates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "index/fwht_kernels.h"
#include "index/kernel_table.h"
#include "index/simd_ops.h"

namespace drift {
namespace internal {
namespace {

// Accumulation terms of the float pairwise kernels.
struct L2Term {
  template <class Ops>
  static typename Ops::F Apply(typename Ops::F acc, typename Ops::F a,
                               typename Ops::F b) {
    typename Ops::F diff = Ops::Sub(a, b);
    return Ops::Fmadd(diff, diff, acc);
  }
};
struct DotTerm {
  template <class Ops>
  static typename Ops::F Apply(typename Ops::F acc, typename Ops::F a,
                               typename Ops::F b) {
    return Ops::Fmadd(a, b, acc);
  }
};

// sum_j Term(a_j, b_j) with four independent accumulators (hides FMA latency);
// b is floats or halves (converted exactly by Ops::Load).
template <class Ops, class Term, class B = float>
float PairReduce(const float* a, const B* b, size_t d) {
  constexpr size_t W = Ops::kWidth;
  typename Ops::F acc0 = Ops::Zero(), acc1 = Ops::Zero();
  typename Ops::F acc2 = Ops::Zero(), acc3 = Ops::Zero();
  size_t j = 0;
  for (; j + 4 * W <= d; j += 4 * W) {
    acc0 = Term::template Apply<Ops>(acc0, Ops::Load(a + j), Ops::Load(b + j));
    acc1 = Term::template Apply<Ops>(acc1, Ops::Load(a + j + W),
                                     Ops::Load(b + j + W));
    acc2 = Term::template Apply<Ops>(acc2, Ops::Load(a + j + 2 * W),
                                     Ops::Load(b + j + 2 * W));
    acc3 = Term::template Apply<Ops>(acc3, Ops::Load(a + j + 3 * W),
                                     Ops::Load(b + j + 3 * W));
  }
  for (; j + W <= d; j += W) {
    acc0 = Term::template Apply<Ops>(acc0, Ops::Load(a + j), Ops::Load(b + j));
  }
  if (j < d) {
    acc1 = Term::template Apply<Ops>(acc1, Ops::LoadPartial(a + j, d - j),
                                     Ops::LoadPartial(b + j, d - j));
  }
  return Ops::Sum(Ops::Add(Ops::Add(acc0, acc1), Ops::Add(acc2, acc3)));
}

template <class Ops>
float L2SqrKernel(const float* a, const float* b, size_t d) {
  return PairReduce<Ops, L2Term>(a, b, d);
}

// out[i] = sum_j (q_j - base_ij)^2 for the n rows of halves of base.
template <class Ops>
void L2SqrHalfManyKernel(const float* q, const uint16_t* base, size_t n,
                         size_t d, float* out) {
  for (size_t i = 0; i < n; ++i) {
    out[i] = PairReduce<Ops, L2Term, uint16_t>(q, base + i * d, d);
  }
}

template <class Ops>
float InnerProductKernel(const float* a, const float* b, size_t d) {
  return PairReduce<Ops, DotTerm>(a, b, d);
}

template <class Ops>
void L2SqrManyKernel(const float* q, const float* base, size_t n, size_t d,
                     float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = L2SqrKernel<Ops>(q, base + i * d, d);
}

// One register tile of dot products: R rows of x against C rows of c, all
// R * C accumulators live in registers for the whole pass over d.
template <class Ops, int R, int C, bool kPartial>
inline void DotTileStep(const float* x, const float* c, size_t d, size_t j,
                        typename Ops::F (&acc)[R][C]) {
  typename Ops::F xv[R];
  for (int r = 0; r < R; ++r) {
    xv[r] = kPartial ? Ops::LoadPartial(x + r * d + j, d - j)
                     : Ops::Load(x + r * d + j);
  }
  for (int k = 0; k < C; ++k) {
    typename Ops::F cv = kPartial ? Ops::LoadPartial(c + k * d + j, d - j)
                                  : Ops::Load(c + k * d + j);
    for (int r = 0; r < R; ++r) acc[r][k] = Ops::Fmadd(xv[r], cv, acc[r][k]);
  }
}

template <class Ops, int R, int C>
inline void DotTile(const float* x, const float* c, size_t d, float* out,
                    size_t ld_out) {
  typename Ops::F acc[R][C];
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < C; ++k) acc[r][k] = Ops::Zero();
  }
  size_t j = 0;
  for (; j + Ops::kWidth <= d; j += Ops::kWidth) {
    DotTileStep<Ops, R, C, false>(x, c, d, j, acc);
  }
  if (j < d) DotTileStep<Ops, R, C, true>(x, c, d, j, acc);
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < C; ++k) out[r * ld_out + k] = Ops::Sum(acc[r][k]);
  }
}

// R rows of x against all nc rows of c.
template <class Ops, int R>
void DotRowStrip(const float* x, const float* c, size_t nc, size_t d,
                 float* out) {
  constexpr int C = Ops::kTileCols;
  size_t k = 0;
  for (; k + C <= nc; k += C) DotTile<Ops, R, C>(x, c + k * d, d, out + k, nc);
  for (; k < nc; ++k) DotTile<Ops, R, 1>(x, c + k * d, d, out + k, nc);
}

template <class Ops>
void DotBlockKernel(const float* x, size_t nx, const float* c, size_t nc,
                    size_t d, float* out) {
  constexpr int R = Ops::kTileRows;
  size_t i = 0;
  for (; i + R <= nx; i += R) {
    DotRowStrip<Ops, R>(x + i * d, c, nc, d, out + i * nc);
  }
  for (; i < nx; ++i) DotRowStrip<Ops, 1>(x + i * d, c, nc, d, out + i * nc);
}

// Copies the last m (< width) bytes of a code into a zeroed buffer so the
// full-width loaders never read past the end of the code array.
template <size_t kBytes>
struct TailBytes {
  uint8_t b[kBytes];
  TailBytes(const uint8_t* p, size_t m) {
    for (size_t i = 0; i < kBytes; ++i) b[i] = i < m ? p[i] : 0;
  }
};

template <class Ops>
void ScanLutKernel(const float* lut, const uint8_t* codes, size_t n, size_t d,
                   float* out) {
  constexpr size_t W = Ops::kWidth;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* code = codes + i * d;
    typename Ops::F acc0 = Ops::Zero(), acc1 = Ops::Zero();
    size_t j = 0;
    for (; j + 2 * W <= d; j += 2 * W) {
      acc0 = Ops::Add(acc0, Ops::GatherLut(lut, code, j));
      acc1 = Ops::Add(acc1, Ops::GatherLut(lut, code, j + W));
    }
    for (; j + W <= d; j += W)
      acc0 = Ops::Add(acc0, Ops::GatherLut(lut, code, j));
    float tail = 0.0f;
    for (; j < d; ++j) tail += lut[j * 256 + code[j]];
    out[i] = Ops::Sum(Ops::Add(acc0, acc1)) + tail;
  }
}

// The scan loop shared by the float-accumulating SQ8 scans: per code row,
// two accumulators over whole vectors, then the tail from a zero-padded copy
// of the last bytes (the per-dimension tables are zero-padded, so padded
// lanes add 0). `term(acc, c, j)` adds dimensions j..j+W of code vector c.
template <class Ops, class Term>
void ScanCodeRows(const uint8_t* codes, size_t n, size_t d, float* out,
                  Term term) {
  constexpr size_t W = Ops::kWidth;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* code = codes + i * d;
    typename Ops::F acc0 = Ops::Zero(), acc1 = Ops::Zero();
    size_t j = 0;
    for (; j + 2 * W <= d; j += 2 * W) {
      acc0 = term(acc0, Ops::LoadU8(code + j), j);
      acc1 = term(acc1, Ops::LoadU8(code + j + W), j + W);
    }
    for (; j + W <= d; j += W) acc0 = term(acc0, Ops::LoadU8(code + j), j);
    if (j < d) {
      TailBytes<W> tail(code + j, d - j);
      acc1 = term(acc1, Ops::LoadU8(tail.b), j);
    }
    out[i] = Ops::Sum(Ops::Add(acc0, acc1));
  }
}

// sum_j (qm_j - step_j c_j)^2: the SQ8 L2 scan.
template <class Ops>
void ScanFmaKernel(const float* qm, const float* step, const uint8_t* codes,
                   size_t n, size_t d, float* out) {
  using F = typename Ops::F;
  ScanCodeRows<Ops>(codes, n, d, out, [qm, step](F acc, F c, size_t j) {
    F diff = Ops::Fnmadd(c, Ops::Load(step + j), Ops::Load(qm + j));
    return Ops::Fmadd(diff, diff, acc);
  });
}

// sum_j w_j c_j: with w = -q * step and the bias -q.vmin added by the
// caller, -q.decode(code) (the SQ8 inner-product scan).
template <class Ops>
void ScanDotKernel(const float* w, const uint8_t* codes, size_t n, size_t d,
                   float* out) {
  using F = typename Ops::F;
  ScanCodeRows<Ops>(codes, n, d, out, [w](F acc, F c, size_t j) {
    return Ops::Fmadd(c, Ops::Load(w + j), acc);
  });
}

// Dimensions per int32 accumulation run: each lane then holds at most 256
// products of at most 255 * 255 * 128, so it stays below 2^31.
constexpr size_t kIntChunk = 2048;

// Adds sum_j w_j (qc_j - c_j)^2 over dimensions [begin, end) of each of kRows
// rows (row r at codes + r * stride) to acc[r]. The rows share the query's
// loads and their accumulators are independent chains. qc and w are
// zero-padded, so a tail reads them whole.
template <class Ops, size_t kRows>
void IntSqDiffRows(const int16_t* qc, const int16_t* w, const uint8_t* codes,
                   size_t stride, size_t begin, size_t end,
                   typename Ops::I* acc) {
  constexpr size_t W = Ops::kIntWidth;
  size_t j = begin;
  for (; j + W <= end; j += W) {
    const typename Ops::I q = Ops::LoadQ(qc + j);
    const typename Ops::I weight = Ops::LoadQ(w + j);
    for (size_t r = 0; r < kRows; ++r) {
      acc[r] = Ops::SqDiffAcc(acc[r], q, Ops::LoadCodes(codes + r * stride + j),
                              weight);
    }
  }
  if (j < end) {
    const typename Ops::I q = Ops::LoadQ(qc + j);
    const typename Ops::I weight = Ops::LoadQ(w + j);
    for (size_t r = 0; r < kRows; ++r) {
      TailBytes<W> tail(codes + r * stride + j, end - j);
      acc[r] = Ops::SqDiffAcc(acc[r], q, Ops::LoadCodes(tail.b), weight);
    }
  }
}

// The exact integer total of kRows rows of d dimensions, one int32 run per
// chunk of kIntChunk dimensions.
template <class Ops, size_t kRows>
void IntSqDist(const int16_t* qc, const int16_t* w, const uint8_t* codes,
               size_t d, int64_t* totals) {
  static_assert(kIntChunk % Ops::kIntWidth == 0,
                "chunks must hold whole vectors");
  int64_t sums[kRows] = {};  // locals: `totals` may alias the codes
  for (size_t begin = 0; begin < d; begin += kIntChunk) {
    const size_t end = d - begin < kIntChunk ? d : begin + kIntChunk;
    typename Ops::I acc[kRows];
    for (size_t r = 0; r < kRows; ++r) acc[r] = Ops::IZero();
    IntSqDiffRows<Ops, kRows>(qc, w, codes, d, begin, end, acc);
    for (size_t r = 0; r < kRows; ++r) sums[r] += Ops::ISum(acc[r]);
  }
  for (size_t r = 0; r < kRows; ++r) totals[r] = sums[r];
}

inline float ScaleIntTotal(float scale, int64_t total) {
  return static_cast<float>(static_cast<double>(scale) *
                            static_cast<double>(total));
}

// Rows scanned per pass: a row's reduction overlaps the next rows' work
// instead of ending it (eight were no faster).
constexpr size_t kIntRows = 4;

template <class Ops>
void ScanIntKernel(const int16_t* qc, const int16_t* w, float scale,
                   const uint8_t* codes, size_t n, size_t d, float* out) {
  // Exact integer totals, so every ISA returns bit-identical results.
  int64_t totals[kIntRows];
  size_t i = 0;
  for (; i + kIntRows <= n; i += kIntRows) {
    IntSqDist<Ops, kIntRows>(qc, w, codes + i * d, d, totals);
    for (size_t r = 0; r < kIntRows; ++r) {
      out[i + r] = ScaleIntTotal(scale, totals[r]);
    }
  }
  for (; i < n; ++i) {
    IntSqDist<Ops, 1>(qc, w, codes + i * d, d, totals);
    out[i] = ScaleIntTotal(scale, totals[0]);
  }
}

// <b, u> for 1-bit codes b against kRabitqQueryBits bit planes of u: per
// Ops::kPlaneBytes of code, each plane's popcount of (code & plane) weighted
// by 2^j (Ops::PlaneBlocksDot); whole 64-bit words left over (small pd) go
// through the scalar word form.
static_assert(kRabitqQueryBits <= 4,
              "PlaneBlocksDot's weighted byte counts must stay below 256");
template <class Ops>
void ScanPlanesKernel(const uint64_t* planes, const uint8_t* codes, size_t n,
                      size_t pd, uint32_t* out) {
  const size_t words = pd / 64;
  const size_t bytes = pd / 8;
  const size_t blocks = bytes / Ops::kPlaneBytes;
  const size_t tail = blocks * Ops::kPlaneBytes / 8;  // first word after them
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* code = codes + i * bytes;
    uint64_t total =
        blocks > 0 ? Ops::PlaneBlocksDot(code, planes, words, blocks) : 0;
    for (size_t w = tail; w < words; ++w) {
      uint64_t c;
      __builtin_memcpy(&c, code + 8 * w, sizeof(c));
      for (int j = 0; j < kRabitqQueryBits; ++j) {
        total += static_cast<uint64_t>(
                     __builtin_popcountll(c & planes[j * words + w]))
                 << j;
      }
    }
    out[i] = static_cast<uint32_t>(total);
  }
}

template <class Ops>
constexpr Kernels MakeKernels(IsaLevel level) {
  return Kernels{level,
                 &L2SqrKernel<Ops>,
                 &InnerProductKernel<Ops>,
                 &L2SqrManyKernel<Ops>,
                 &L2SqrHalfManyKernel<Ops>,
                 &DotBlockKernel<Ops>,
                 &ScanLutKernel<Ops>,
                 &ScanFmaKernel<Ops>,
                 &ScanIntKernel<Ops>,
                 &ScanDotKernel<Ops>,
                 &ScanPlanesKernel<Ops>,
                 FwhtFor<Ops::kWidth>()};
}

}  // namespace
}  // namespace internal
}  // namespace drift
