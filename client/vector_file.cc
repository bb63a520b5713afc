#include "client/vector_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>

#include "tools/vector_text.h"

namespace drift {
namespace client {

using rocksdb::Status;

namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// fvecs: per row an int32 dimension, then that many float32.
class FvecsReader : public VectorFileReader {
 public:
  using VectorFileReader::VectorFileReader;
  Status Next(size_t max_rows, VectorBatch* batch) override {
    batch->Clear();
    batch->values.resize(max_rows * dim_);
    while (batch->rows < max_rows) {
      int32_t d = 0;
      const size_t got = fread(&d, 1, sizeof(d), file_.get());
      if (got == 0 && feof(file_.get())) break;
      if (got != sizeof(d)) return Error("truncated row header");
      if (d < 0 || static_cast<uint32_t>(d) != dim_) {
        return Error("row " + std::to_string(rows_read_) + " has dimension " +
                     std::to_string(d) + ", the collection " +
                     std::to_string(dim_));
      }
      if (fread(&batch->values[batch->rows * dim_], sizeof(float), dim_,
                file_.get()) != dim_) {
        return Error("truncated row " + std::to_string(rows_read_));
      }
      ++batch->rows;
      ++rows_read_;
    }
    if (ferror(file_.get())) return Error("read error");
    batch->values.resize(batch->rows * dim_);
    return Status::OK();
  }
};

// .npy version 1-3 of dtype '<f4', C order, shape (rows, dim): a header,
// then the rows as raw little-endian float32.
class NpyReader : public VectorFileReader {
 public:
  using VectorFileReader::VectorFileReader;
  Status ReadHeader() {
    char magic[8];
    if (fread(magic, 1, 8, file_.get()) != 8 ||
        memcmp(magic, "\x93NUMPY", 6) != 0) {
      return Error("not an .npy file (no \\x93NUMPY magic)");
    }
    uint32_t header_len = 0;
    const size_t len_bytes = magic[6] == 1 ? 2 : 4;
    unsigned char len[4] = {0, 0, 0, 0};
    if (fread(len, 1, len_bytes, file_.get()) != len_bytes) {
      return Error("truncated header");
    }
    header_len = len[0] | len[1] << 8 | len[2] << 16 | uint32_t{len[3]} << 24;
    if (header_len > (1 << 20)) return Error("header too long");
    std::string header(header_len, '\0');
    if (fread(&header[0], 1, header_len, file_.get()) != header_len) {
      return Error("truncated header");
    }
    return ParseHeader(header);
  }
  Status Next(size_t max_rows, VectorBatch* batch) override {
    batch->Clear();
    const uint64_t rows = std::min<uint64_t>(max_rows, rows_ - rows_read_);
    batch->values.resize(rows * dim_);
    if (fread(batch->values.data(), sizeof(float), rows * dim_, file_.get()) !=
        rows * dim_) {
      return Error("truncated data at row " + std::to_string(rows_read_));
    }
    batch->rows = rows;
    rows_read_ += rows;
    return Status::OK();
  }

 private:
  // The header is a Python dict literal, e.g.
  // {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 128), }
  Status ParseHeader(const std::string& header) {
    std::smatch m;
    if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']*)'"))) {
      return Error("header without 'descr'");
    }
    if (m[1] != "<f4" && m[1] != "=f4") {
      return Error("dtype '" + m[1].str() +
                   "', expected float32 ('<f4'): save it with "
                   "array.astype(numpy.float32)");
    }
    if (std::regex_search(header, std::regex("'fortran_order':\\s*True"))) {
      return Error("Fortran order; save numpy.ascontiguousarray(array)");
    }
    if (!std::regex_search(header, m,
                           std::regex("'shape':\\s*\\(([^)]*)\\)"))) {
      return Error("header without 'shape'");
    }
    std::smatch dims;
    const std::string shape = m[1];
    if (!std::regex_match(shape, dims,
                          std::regex("\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,?\\s*"))) {
      return Error("shape (" + shape + ") is not 2-d (rows, dimension)");
    }
    rows_ = std::stoull(dims[1]);
    const uint64_t dim = std::stoull(dims[2]);
    if (dim != dim_) {
      return Error("rows have dimension " + std::to_string(dim) +
                   ", the collection " + std::to_string(dim_));
    }
    return Status::OK();
  }

  uint64_t rows_ = 0;
};

// CSV: one row per line, "key,v1,...,vd" or "v1,...,vd"; blank lines and
// lines starting with '#' are skipped. Keys are taken as they are (no
// quoting), so a key may not contain a comma.
class CsvReader : public VectorFileReader {
 public:
  using VectorFileReader::VectorFileReader;
  Status Next(size_t max_rows, VectorBatch* batch) override {
    batch->Clear();
    std::string line;
    std::vector<float> row;
    while (batch->rows < max_rows && ReadLine(&line)) {
      ++line_no_;
      if (line.empty() || line[0] == '#') continue;
      Status s = ParseRow(line, &row, batch);
      if (!s.ok()) return s;
      batch->values.insert(batch->values.end(), row.begin(), row.end());
      ++batch->rows;
      ++rows_read_;
    }
    if (ferror(file_.get())) return Error("read error");
    return Status::OK();
  }

 private:
  bool ReadLine(std::string* line) {
    line->clear();
    int c;
    while ((c = fgetc(file_.get())) != EOF && c != '\n') line->push_back(c);
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return c != EOF || !line->empty();
  }
  Status ParseRow(const std::string& line, std::vector<float>* row,
                  VectorBatch* batch) {
    const std::string where = "line " + std::to_string(line_no_) + ": ";
    const size_t fields = std::count(line.begin(), line.end(), ',') + 1;
    if (fields != dim_ && fields != dim_ + 1) {
      return Error(where + std::to_string(fields) + " fields, expected " +
                   std::to_string(dim_) + " (a vector) or " +
                   std::to_string(dim_ + 1) + " (key first)");
    }
    const bool keyed = fields == dim_ + 1;
    if (rows_read_ > 0 && keyed != keyed_) {
      return Error(where + "rows with and without keys are mixed");
    }
    keyed_ = keyed;
    size_t start = 0;
    if (keyed) {
      start = line.find(',') + 1;
      if (start == 1) return Error(where + "empty key");
      batch->keys.push_back(line.substr(0, start - 1));
    }
    Status s = tools::ParseFloats(line.substr(start), row);
    return s.ok() ? s : Error(where + s.getState());
  }

  uint64_t line_no_ = 0;
  bool keyed_ = false;
};

}  // namespace

Status ParseVectorFormat(const std::string& name, const std::string& path,
                         VectorFormat* out) {
  std::string f = name;
  if (f == "auto") {
    f = EndsWith(path, ".fvecs")                           ? "fvecs"
        : EndsWith(path, ".npy")                           ? "npy"
        : EndsWith(path, ".csv") || EndsWith(path, ".txt") ? "csv"
                                                           : "";
    if (f.empty()) {
      return Status::InvalidArgument(
          path + ": unknown extension, give --format=fvecs|npy|csv");
    }
  }
  if (f == "fvecs") {
    *out = VectorFormat::kFvecs;
  } else if (f == "npy") {
    *out = VectorFormat::kNpy;
  } else if (f == "csv") {
    *out = VectorFormat::kCsv;
  } else {
    return Status::InvalidArgument("unknown format '" + name +
                                   "' (auto, fvecs, npy or csv)");
  }
  return Status::OK();
}

VectorFileReader::VectorFileReader(const std::string& path, FILE* file,
                                   uint32_t dim)
    : path_(path), file_(file, fclose), dim_(dim) {
  if (fseeko(file, 0, SEEK_END) == 0) file_size_ = ftello(file);
  fseeko(file, 0, SEEK_SET);
}

VectorFileReader::~VectorFileReader() = default;

uint64_t VectorFileReader::bytes_read() const {
  const off_t pos = ftello(file_.get());
  return pos < 0 ? 0 : static_cast<uint64_t>(pos);
}

Status VectorFileReader::Error(const std::string& what) const {
  return Status::InvalidArgument(path_ + ": " + what);
}

Status VectorFileReader::Open(const std::string& path, VectorFormat format,
                              uint32_t dim,
                              std::unique_ptr<VectorFileReader>* out) {
  if (dim == 0) return Status::InvalidArgument("dimension 0");
  FILE* file = fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::InvalidArgument(path + ": cannot open: " + strerror(errno));
  }
  switch (format) {
    case VectorFormat::kFvecs:
      out->reset(new FvecsReader(path, file, dim));
      return Status::OK();
    case VectorFormat::kCsv:
      out->reset(new CsvReader(path, file, dim));
      return Status::OK();
    case VectorFormat::kNpy: {
      auto npy = std::unique_ptr<NpyReader>(new NpyReader(path, file, dim));
      Status s = npy->ReadHeader();
      if (!s.ok()) return s;
      *out = std::move(npy);
      return Status::OK();
    }
  }
  fclose(file);
  return Status::InvalidArgument("unknown format");
}

}  // namespace client
}  // namespace drift
