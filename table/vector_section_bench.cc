// What writing one segment's vector section costs (VectorSectionWriter: Add,
// then Write to a file), for a flush-sized segment under an engine codebook
// of few or many buckets. A development tool: figures go in docs, never into
// tests.
//   build/table/vector_section_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>

#include "index/codebook.h"
#include "index/kmeans.h"
#include "table/rocksdb_internals.h"
#include "table/vector_section_writer.h"
#include "util/dataset.h"
#include "util/vector_value.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 784;
constexpr size_t kRows = 619;  // what a 4 MiB Drift memtable holds at 784-d

// Args: buckets of the engine codebook, build_threads.
void BM_WriteFlushSection(benchmark::State& state) {
  static const std::vector<float> data =
      GaussianClusters(20000, kDim, 64, 50, 1);
  const size_t buckets = static_cast<size_t>(state.range(0));
  auto cb = std::make_shared<Codebook>();
  cb->epoch = 1;
  cb->dim = kDim;
  KMeansOptions km;
  if (!KMeans(data.data(), data.size() / kDim, kDim, buckets, km,
              &cb->centroids)
           .ok() ||
      !cb->BuildCoarseLayer().ok()) {
    state.SkipWithError("codebook training failed");
    return;
  }
  DriftTableOptions options;
  options.build_threads = static_cast<uint32_t>(state.range(1));
  // Rows of the data the codebook was trained on (every 32nd).
  std::vector<float> rows(kRows * kDim);
  for (size_t i = 0; i < kRows; ++i) {
    std::copy_n(&data[i * 32 * kDim], kDim, &rows[i * kDim]);
  }
  std::vector<std::string> keys(kRows);
  for (size_t i = 0; i < kRows; ++i) {
    char key[24];
    snprintf(key, sizeof(key), "key%08zu", i);
    keys[i] = std::string(key) + std::string(8, '\1');
  }
  const std::string path = "/tmp/drift_vector_section_bench.bin";
  auto fs = rocksdb::FileSystem::Default();
  uint64_t bytes = 0, written_buckets = 0;
  for (auto _ : state) {
    VectorSectionWriter writer(options, kDim, cb, /*compress_floats=*/false);
    for (size_t i = 0; i < kRows; ++i) {
      writer.Add(keys[i], VectorAsSlice(&rows[i * kDim], kDim));
    }
    std::unique_ptr<rocksdb::FSWritableFile> f;
    if (!fs->NewWritableFile(path, rocksdb::FileOptions(), &f, nullptr).ok()) {
      state.SkipWithError("cannot create the output file");
      return;
    }
    rocksdb::WritableFileWriter file(std::move(f), path,
                                     rocksdb::FileOptions());
    BucketDirectory dir;
    std::string sq8, rabitq, encoded_dir, moments;
    uint64_t offset = 0;
    rocksdb::Status s = writer.Write(&file, &offset, &dir, &sq8, &rabitq);
    dir.EncodeTo(&encoded_dir);
    dir.EncodeMomentsTo(&moments);
    if (s.ok()) s = file.Close();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    bytes = offset + encoded_dir.size() + moments.size();
    written_buckets = dir.buckets.size();
  }
  fs->DeleteFile(path, rocksdb::IOOptions(), nullptr);
  state.counters["file_bytes"] = static_cast<double>(bytes);
  state.counters["buckets_written"] = static_cast<double>(written_buckets);
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_WriteFlushSection)
    ->ArgNames({"buckets", "threads"})
    ->Args({30, 1})
    ->Args({240, 1})
    ->Args({30, 2})
    ->Args({240, 2})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace drift

BENCHMARK_MAIN();
