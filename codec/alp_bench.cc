// ALP vs zstd (levels 1, 3) vs snappy vs memcpy on three float32 data sets:
//  fashion: fashion-mnist training pixels as float32 (60000 x 784),
//  decimal: N(0, 0.05) rounded to 6 decimals (exported-embedding style), 60000
//  x 784, gaussian: N(0, 1) float32 (incompressible), 60000 x 784.
// Counters: ratio (raw / compressed), GB/s and values/s of raw data processed.
// ChunkedDecompress: the same per independently compressed 64-row chunk, into a
// cache-resident buffer (the table's read path). RowAccess: ALP decode of one
// random row of 784 values. Rates are per CPU
// time (single-threaded), which is steadier than wall time on a shared host.
#include <benchmark/benchmark.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "codec/alp.h"

namespace {

constexpr size_t kRows = 60000;
constexpr size_t kDim = 784;

struct DataSet {
  std::string name;
  std::vector<float> values;
};

bool LoadFashion(std::vector<float>* out) {
  const std::string path =
      std::string(DRIFT_FASHION_MNIST_DIR) + "/train-images-idx3-ubyte.gz";
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::vector<unsigned char> buf(16 + kRows * kDim);
  const bool ok = gzread(f, buf.data(), static_cast<unsigned>(buf.size())) ==
                  static_cast<int>(buf.size());
  gzclose(f);
  if (!ok) return false;
  out->assign(buf.begin() + 16, buf.end());
  return true;
}

std::vector<DataSet> MakeDataSets() {
  std::vector<DataSet> sets;
  DataSet fashion{"fashion", {}};
  if (LoadFashion(&fashion.values)) {
    sets.push_back(std::move(fashion));
  } else {
    std::fprintf(stderr, "fashion-mnist not found in %s, skipped\n",
                 DRIFT_FASHION_MNIST_DIR);
  }
  std::mt19937_64 rng(42);
  std::normal_distribution<double> g;
  DataSet decimal{"decimal6", std::vector<float>(kRows * kDim)};
  for (auto& x : decimal.values) {
    x = static_cast<float>(std::round(g(rng) * 0.05 * 1e6) / 1e6);
  }
  sets.push_back(std::move(decimal));
  DataSet gaussian{"gaussian", std::vector<float>(kRows * kDim)};
  for (auto& x : gaussian.values) x = static_cast<float>(g(rng));
  sets.push_back(std::move(gaussian));
  return sets;
}

// A codec compresses `values` floats into a string and decompresses into a
// buffer of the known size.
struct Codec {
  std::string name;
  std::function<void(const float*, size_t, std::string*)> compress;
  std::function<void(const std::string&, float*, size_t)> decompress;
};

std::vector<Codec> MakeCodecs() {
  std::vector<Codec> codecs;
  codecs.push_back(
      {"alp",
       [](const float* in, size_t values, std::string* out) {
         if (!drift::EncodeFloatMatrix(in, values / kDim, kDim, out).ok()) {
           std::abort();
         }
       },
       [](const std::string& in, float* out, size_t values) {
         if (!drift::DecodeFloatRows(in, 0, values / kDim, out).ok()) {
           std::abort();
         }
       }});
  for (int level : {1, 3}) {
    codecs.push_back(
        {"zstd" + std::to_string(level),
         [level](const float* in, size_t values, std::string* out) {
           out->resize(ZSTD_compressBound(values * 4));
           const size_t n =
               ZSTD_compress(out->data(), out->size(), in, values * 4, level);
           if (ZSTD_isError(n)) std::abort();
           out->resize(n);
         },
         [](const std::string& in, float* out, size_t values) {
           static thread_local ZSTD_DCtx* ctx = ZSTD_createDCtx();
           const size_t n =
               ZSTD_decompressDCtx(ctx, out, values * 4, in.data(), in.size());
           if (n != values * 4) std::abort();
         }});
  }
  codecs.push_back(
      {"snappy",
       [](const float* in, size_t values, std::string* out) {
         out->clear();
         snappy::Compress(reinterpret_cast<const char*>(in), values * 4, out);
       },
       [](const std::string& in, float* out, size_t) {
         if (!snappy::RawUncompress(in.data(), in.size(),
                                    reinterpret_cast<char*>(out))) {
           std::abort();
         }
       }});
  codecs.push_back({"memcpy",
                    [](const float* in, size_t values, std::string* out) {
                      out->assign(reinterpret_cast<const char*>(in),
                                  values * 4);
                    },
                    [](const std::string& in, float* out, size_t) {
                      std::memcpy(out, in.data(), in.size());
                    }});
  return codecs;
}

void SetCounters(benchmark::State& state, size_t values, size_t compressed) {
  const double raw = static_cast<double>(values) * 4;
  state.counters["ratio"] = raw / static_cast<double>(compressed);
  state.counters["GB/s"] = benchmark::Counter(
      raw / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(values),
                         benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Compress(benchmark::State& state, const DataSet* data,
                 const Codec* codec) {
  std::string out;
  for (auto _ : state) {
    codec->compress(data->values.data(), data->values.size(), &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, data->values.size(), out.size());
}

void BM_Decompress(benchmark::State& state, const DataSet* data,
                   const Codec* codec) {
  std::string compressed;
  codec->compress(data->values.data(), data->values.size(), &compressed);
  std::vector<float> out(data->values.size());
  for (auto _ : state) {
    codec->decompress(compressed, out.data(), out.size());
    benchmark::ClobberMemory();
  }
  if (std::memcmp(out.data(), data->values.data(), out.size() * 4) != 0) {
    state.SkipWithError("round trip is not bit-exact");
  }
  SetCounters(state, data->values.size(), compressed.size());
}

// Block-store read path: the data set cut into independently compressed
// chunks of kChunkRows rows (~200 KB raw, like a table block), each decoded
// into the same cache-resident buffer, so output memory bandwidth does not
// dominate. Ratio is over all chunks.
constexpr size_t kChunkRows = 64;

void BM_ChunkedDecompress(benchmark::State& state, const DataSet* data,
                          const Codec* codec) {
  const size_t chunk_values = kChunkRows * kDim;
  std::vector<std::string> chunks;
  size_t total = 0;
  for (size_t i = 0; i < data->values.size(); i += chunk_values) {
    chunks.emplace_back();
    codec->compress(data->values.data() + i,
                    std::min(chunk_values, data->values.size() - i),
                    &chunks.back());
    total += chunks.back().size();
  }
  std::vector<float> out(chunk_values);
  for (auto _ : state) {
    for (size_t c = 0; c < chunks.size(); ++c) {
      codec->decompress(
          chunks[c], out.data(),
          std::min(chunk_values, data->values.size() - c * chunk_values));
      benchmark::ClobberMemory();
    }
  }
  // Check the last chunk.
  const size_t last = (chunks.size() - 1) * chunk_values;
  if (std::memcmp(out.data(), data->values.data() + last,
                  (data->values.size() - last) * 4) != 0) {
    state.SkipWithError("round trip is not bit-exact");
  }
  SetCounters(state, data->values.size(), total);
}

// Point read: decode one random 784-value row of an ALP matrix.
void BM_RowAccess(benchmark::State& state, const DataSet* data) {
  std::string compressed;
  if (!drift::EncodeFloatMatrix(data->values.data(), data->values.size() / kDim,
                                kDim, &compressed)
           .ok()) {
    std::abort();
  }
  std::vector<float> row(kDim);
  std::mt19937_64 rng(7);
  const size_t rows = data->values.size() / kDim;
  for (auto _ : state) {
    if (!drift::DecodeFloatRows(compressed, rng() % rows, 1, row.data()).ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(row.data());
  }
  SetCounters(state, kDim, 1);
  state.counters["ratio"] = 4.0 * data->values.size() / compressed.size();
  state.counters["rows/s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  static const std::vector<DataSet> sets = MakeDataSets();
  static const std::vector<Codec> codecs = MakeCodecs();
  for (const auto& data : sets) {
    for (const auto& codec : codecs) {
      benchmark::RegisterBenchmark(
          ("Compress/" + data.name + "/" + codec.name).c_str(), BM_Compress,
          &data, &codec)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(
          ("Decompress/" + data.name + "/" + codec.name).c_str(), BM_Decompress,
          &data, &codec)
          ->Unit(benchmark::kMillisecond);
    }
    for (const auto& codec : codecs) {
      benchmark::RegisterBenchmark(
          ("ChunkedDecompress/" + data.name + "/" + codec.name).c_str(),
          BM_ChunkedDecompress, &data, &codec)
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("RowAccess/" + data.name + "/alp").c_str(),
                                 BM_RowAccess, &data)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
