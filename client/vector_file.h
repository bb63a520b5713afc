// Streaming readers of the vector files `drift load` takes: fvecs, .npy
// (float32, 2-d, C order) and CSV (key,v1,v2,... or v1,v2,...). A reader
// returns rows in batches, so a file larger than memory loads in bounded
// space.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/status.h"

namespace drift {
namespace client {

enum class VectorFormat { kFvecs, kNpy, kCsv };

// "fvecs" | "npy" | "csv", or "auto": from the file's extension (.fvecs,
// .npy, .csv/.txt). InvalidArgument otherwise.
rocksdb::Status ParseVectorFormat(const std::string& name,
                                  const std::string& path, VectorFormat* out);

// A batch of rows. `keys` is empty when the file has no keys (the caller
// generates them); else it holds one key per row.
struct VectorBatch {
  std::vector<std::string> keys;
  std::vector<float> values;  // rows x dim, row-major
  size_t rows = 0;
  void Clear() {
    keys.clear();
    values.clear();
    rows = 0;
  }
};

class VectorFileReader {
 public:
  // `dim`: the collection's dimension. fvecs and npy files of another
  // dimension are InvalidArgument; a CSV row of dim + 1 fields has its key
  // first, a row of dim fields has none (every row of a file must agree).
  static rocksdb::Status Open(const std::string& path, VectorFormat format,
                              uint32_t dim,
                              std::unique_ptr<VectorFileReader>* out);
  virtual ~VectorFileReader();

  // Replaces *batch with up to `max_rows` rows; rows == 0 at the end of the
  // file. InvalidArgument (naming the file and the row or offset) on
  // malformed content.
  virtual rocksdb::Status Next(size_t max_rows, VectorBatch* batch) = 0;

  // Rows returned so far, file bytes consumed and the file's size (progress).
  uint64_t rows_read() const { return rows_read_; }
  uint64_t bytes_read() const;
  uint64_t file_size() const { return file_size_; }

 protected:
  VectorFileReader(const std::string& path, FILE* file, uint32_t dim);
  rocksdb::Status Error(const std::string& what) const;

  std::string path_;
  std::unique_ptr<FILE, int (*)(FILE*)> file_;
  uint32_t dim_;
  uint64_t file_size_ = 0;
  uint64_t rows_read_ = 0;
};

}  // namespace client
}  // namespace drift
