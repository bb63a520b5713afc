// Micro-benchmarks of the compute kernels, per ISA level this CPU can run:
//   kernels_bench [--benchmark_filter=...]
// Counters: vectors/s = vectors (or codes) compared per second.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "index/distance.h"
#include "index/kernel_table.h"
#include "index/kmeans.h"
#include "index/sq8_scan.h"
#include "util/cpu_features.h"
#include "util/dataset.h"

namespace drift {
namespace {

constexpr size_t kCodesPerCall = 1000;  // about one IVF bucket

void SetVectorRate(benchmark::State& state, size_t per_iteration) {
  state.counters["vectors/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * per_iteration),
      benchmark::Counter::kIsRate);
}

void BM_L2Sqr(benchmark::State& state, IsaLevel isa, size_t d) {
  const internal::Kernels& k = internal::KernelsFor(isa);
  std::vector<float> v = GaussianVectors(2, d, 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(k.l2sqr(v.data(), v.data() + d, d));
  }
  SetVectorRate(state, 1);
}

void BM_L2SqrMany(benchmark::State& state, IsaLevel isa, size_t d) {
  const internal::Kernels& k = internal::KernelsFor(isa);
  std::vector<float> q = GaussianVectors(1, d, 2),
                     base = GaussianVectors(kCodesPerCall, d, 3);
  std::vector<float> out(kCodesPerCall);
  for (auto _ : state) {
    k.l2sqr_many(q.data(), base.data(), kCodesPerCall, d, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  SetVectorRate(state, kCodesPerCall);
}

// The RaBitQ rotation's transform at 784-d (padded to 1024).
void BM_Fwht(benchmark::State& state, IsaLevel isa, size_t n) {
  const internal::Kernels& k = internal::KernelsFor(isa);
  std::vector<float> x = GaussianVectors(1, n, 6);
  for (auto _ : state) {
    k.fwht(x.data(), n);
    benchmark::DoNotOptimize(x.data());
  }
  SetVectorRate(state, 1);
}

struct SQ8Fixture {
  SQ8Quantizer sq;
  std::vector<float> query;
  std::vector<uint8_t> codes;
  explicit SQ8Fixture(size_t d)
      : query(GaussianVectors(1, d, 4)), codes(kCodesPerCall * d) {
    std::vector<float> base = GaussianVectors(kCodesPerCall, d, 5);
    sq.Train(base.data(), kCodesPerCall, d);
    sq.EncodeMany(base.data(), kCodesPerCall, codes.data());
  }
};

// One scan of kCodesPerCall codes with a prepared query.
void BM_SQ8Scan(benchmark::State& state, IsaLevel isa, SQ8ScanForm form,
                size_t d) {
  SQ8Fixture f(d);
  SQ8Scanner scanner(f.sq, f.query.data(), form, isa);
  std::vector<float> out(kCodesPerCall);
  for (auto _ : state) {
    scanner.ScanL2(f.codes.data(), kCodesPerCall, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  SetVectorRate(state, kCodesPerCall);
}

// Per-query preparation (LUT build, query quantization, ...).
void BM_SQ8Prepare(benchmark::State& state, SQ8ScanForm form, size_t d) {
  SQ8Fixture f(d);
  for (auto _ : state) {
    SQ8Scanner scanner(f.sq, f.query.data(), form);
    benchmark::DoNotOptimize(&scanner);
  }
}

void BM_AssignNearest(benchmark::State& state, IsaLevel isa) {
  const size_t n = 60000, d = 784, k = 256;
  std::vector<float> x = GaussianVectors(n, d, 6), c = GaussianVectors(k, d, 7);
  std::vector<uint32_t> assign(n);
  std::vector<float> dist(n);
  for (auto _ : state) {
    internal::AssignNearestWith(internal::KernelsFor(isa), x.data(), n,
                                c.data(), k, d, assign.data(), dist.data());
  }
  SetVectorRate(state, n);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * n * k * d * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

// The flush-path training: 60000 x 784 into 234 buckets, default options.
void BM_KMeansFlush(benchmark::State& state) {
  const size_t n = 60000, d = 784, k = 234;
  std::vector<float> x = GaussianVectors(n, d, 8);
  std::vector<float> centroids;
  for (auto _ : state) KMeans(x.data(), n, d, k, KMeansOptions(), &centroids);
}

void RegisterAll() {
  std::vector<IsaLevel> isas;
  for (IsaLevel l : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (ClampToSupported(l) == l) isas.push_back(l);
  }
  const size_t dims[] = {128, 784};
  for (size_t d : dims) {
    for (IsaLevel isa : isas) {
      std::string suffix =
          std::string(IsaName(isa)) + "/d:" + std::to_string(d);
      benchmark::RegisterBenchmark(("L2Sqr/" + suffix).c_str(), BM_L2Sqr, isa,
                                   d);
      benchmark::RegisterBenchmark(("L2SqrMany/" + suffix).c_str(),
                                   BM_L2SqrMany, isa, d);
    }
  }
  for (IsaLevel isa : isas) {
    benchmark::RegisterBenchmark(
        (std::string("Fwht/") + IsaName(isa) + "/n:1024").c_str(), BM_Fwht, isa,
        1024);
  }
  for (size_t d : dims) {
    for (SQ8ScanForm form :
         {SQ8ScanForm::kLut, SQ8ScanForm::kDecodeFma, SQ8ScanForm::kInteger}) {
      for (IsaLevel isa : isas) {
        benchmark::RegisterBenchmark(
            (std::string("SQ8Scan/") + SQ8ScanFormName(form) + "/" +
             IsaName(isa) + "/d:" + std::to_string(d))
                .c_str(),
            BM_SQ8Scan, isa, form, d);
      }
      benchmark::RegisterBenchmark(
          (std::string("SQ8Prepare/") + SQ8ScanFormName(form) +
           "/d:" + std::to_string(d))
              .c_str(),
          BM_SQ8Prepare, form, d);
    }
  }
  for (IsaLevel isa : isas) {
    benchmark::RegisterBenchmark(
        (std::string("AssignNearest/60000x784/k:256/") + IsaName(isa)).c_str(),
        BM_AssignNearest, isa)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(isa == IsaLevel::kScalar ? 1 : 3);
  }
  benchmark::RegisterBenchmark("KMeans/60000x784/k:234/default_options",
                               BM_KMeansFlush)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1);
}

}  // namespace
}  // namespace drift

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  drift::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
