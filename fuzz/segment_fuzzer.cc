// libFuzzer target: the .drift segment reader on arbitrary file contents (the
// seed corpus holds a valid segment, tests/golden/segment_v1.drift). Opening,
// verifying, iterating both ways, point reads and the vector section's
// on-demand reads (bucket centroids and means) must return a Status, never
// crash, hang or read out of bounds.
#include <cstdint>
#include <memory>
#include <string>

#include "drift/plugin.h"
#include "drift/table_options.h"
#include "rocksdb/env.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_reader.h"
#include "table/segment_inspector.h"

namespace {

struct Fixture {
  std::unique_ptr<rocksdb::Env> env;
  rocksdb::Options options;
  Fixture() : env(rocksdb::NewMemEnv(rocksdb::Env::Default())) {
    drift::DriftTableOptions topts;
    topts.dimension = 12;  // As the golden segment.
    topts.target_bucket_size = 40;
    topts.blob_cache_size = 0;  // Every read goes to the fuzzed bytes.
    options.table_factory = drift::NewDriftTableFactory(topts);
    options.env = env.get();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* const fx = new Fixture();
  const std::string path = "/fuzz/segment.sst";
  {
    std::unique_ptr<rocksdb::WritableFile> file;
    if (!fx->env->NewWritableFile(path, &file, rocksdb::EnvOptions()).ok()) {
      return 0;
    }
    (void)file->Append(
        rocksdb::Slice(reinterpret_cast<const char*>(data), size));
    (void)file->Close();
  }
  rocksdb::SstFileReader reader(fx->options);
  if (!reader.Open(path).ok()) return 0;
  (void)reader.VerifyChecksum();
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(ro));
  std::string first;
  int steps = 0;
  for (it->SeekToFirst(); it->Valid() && steps < 10000; it->Next(), ++steps) {
    if (first.empty()) first = it->key().ToString();
    (void)it->value();
  }
  for (it->SeekToLast(); it->Valid() && steps < 20000; it->Prev(), ++steps) {
    (void)it->value();
  }
  if (!first.empty()) {
    it->Seek(first);
    it->SeekForPrev(first);
  }
  (void)it->status();
  std::unique_ptr<drift::SegmentInspector> inspector;
  if (drift::SegmentInspector::Open(fx->options, path, &inspector).ok()) {
    drift::VectorSectionReader::BlobRef ref;
    (void)inspector->section().GetCentroids(&ref);
    (void)inspector->section().GetMeans(&ref);
  }
  return 0;
}
