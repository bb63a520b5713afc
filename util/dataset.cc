#include "util/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>

namespace drift {

using rocksdb::Status;

namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | p[3];
}

Status ReadExactly(gzFile f, void* buf, size_t n, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    const unsigned chunk =
        static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    const int got = gzread(f, static_cast<char*>(buf) + done, chunk);
    if (got <= 0) return Status::Corruption(path + ": truncated idx file");
    done += static_cast<size_t>(got);
  }
  return Status::OK();
}

Status OpenIdx(const std::string& path, uint32_t expected_magic, GzFile* f,
               std::vector<uint32_t>* dims) {
  f->reset(gzopen(path.c_str(), "rb"));
  if (!*f) return Status::IOError(path + ": cannot open");
  unsigned char hdr[4];
  Status s = ReadExactly(f->get(), hdr, 4, path);
  if (!s.ok()) return s;
  if (BigEndian32(hdr) != expected_magic) {
    return Status::Corruption(path + ": not an idx file of the expected kind");
  }
  for (uint32_t& d : *dims) {
    s = ReadExactly(f->get(), hdr, 4, path);
    if (!s.ok()) return s;
    d = BigEndian32(hdr);
  }
  return Status::OK();
}

}  // namespace

Status ReadIdxImages(const std::string& gz_path, std::vector<float>* rows,
                     uint32_t* dim) {
  GzFile f;
  std::vector<uint32_t> dims(3);
  Status s = OpenIdx(gz_path, 0x00000803, &f, &dims);
  if (!s.ok()) return s;
  *dim = dims[1] * dims[2];
  std::vector<unsigned char> pixels(size_t{dims[0]} * *dim);
  s = ReadExactly(f.get(), pixels.data(), pixels.size(), gz_path);
  if (!s.ok()) return s;
  rows->assign(pixels.begin(), pixels.end());
  return Status::OK();
}

Status ReadIdxLabels(const std::string& gz_path, std::vector<uint8_t>* labels) {
  GzFile f;
  std::vector<uint32_t> dims(1);
  Status s = OpenIdx(gz_path, 0x00000801, &f, &dims);
  if (!s.ok()) return s;
  labels->resize(dims[0]);
  return ReadExactly(f.get(), labels->data(), labels->size(), gz_path);
}

Status LoadFashionMnist(const std::string& dir, Dataset* out) {
  const std::string d = dir.empty() ? "/usr/share/datasets/fashion-mnist" : dir;
  out->name = "fashion-mnist";
  uint32_t qdim = 0;
  Status s =
      ReadIdxImages(d + "/train-images-idx3-ubyte.gz", &out->base, &out->dim);
  if (s.ok())
    s = ReadIdxImages(d + "/t10k-images-idx3-ubyte.gz", &out->queries, &qdim);
  if (s.ok())
    s = ReadIdxLabels(d + "/train-labels-idx1-ubyte.gz", &out->base_labels);
  if (s.ok() && qdim != out->dim) {
    s = Status::Corruption("fashion-mnist: train and test dimensions differ");
  }
  if (s.IsIOError()) {
    return Status::NotFound(
        s.ToString() + " (install the Debian package dataset-fashion-mnist)");
  }
  return s;
}

namespace {

template <typename T>
Status ReadVecs(const std::string& path, std::vector<T>* data, uint32_t* dim) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "rb"), fclose);
  if (!f) return Status::IOError(path + ": cannot open");
  data->clear();
  *dim = 0;
  int32_t d = 0;
  while (fread(&d, sizeof(d), 1, f.get()) == 1) {
    if (d <= 0 || d > (1 << 20) || (*dim != 0 && uint32_t(d) != *dim)) {
      return Status::Corruption(path + ": bad or inconsistent dimension " +
                                std::to_string(d));
    }
    *dim = static_cast<uint32_t>(d);
    const size_t old = data->size();
    data->resize(old + *dim);
    if (fread(data->data() + old, sizeof(T), *dim, f.get()) != *dim) {
      return Status::Corruption(path + ": truncated vector");
    }
  }
  if (ferror(f.get())) return Status::IOError(path + ": read error");
  return Status::OK();
}

}  // namespace

Status ReadFvecs(const std::string& path, std::vector<float>* data,
                 uint32_t* dim) {
  return ReadVecs(path, data, dim);
}

Status ReadIvecs(const std::string& path, std::vector<int32_t>* data,
                 uint32_t* dim) {
  return ReadVecs(path, data, dim);
}

Status WriteIvecs(const std::string& path, const std::vector<int32_t>& data,
                  uint32_t dim) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "wb"), fclose);
  if (!f) return Status::IOError(path + ": cannot create");
  const int32_t d = static_cast<int32_t>(dim);
  for (size_t i = 0; i + dim <= data.size(); i += dim) {
    if (fwrite(&d, sizeof(d), 1, f.get()) != 1 ||
        fwrite(data.data() + i, sizeof(int32_t), dim, f.get()) != dim) {
      return Status::IOError(path + ": write error");
    }
  }
  if (fflush(f.get()) != 0) return Status::IOError(path + ": write error");
  return Status::OK();
}

void GaussianSource::Append(const float* centre, size_t dim, size_t n,
                            float sigma, std::vector<float>* out) {
  // Geometric growth: callers append one point at a time (an exact reserve
  // per call would copy the whole vector each time, quadratic in n).
  const size_t need = out->size() + n * dim;
  if (out->capacity() < need) {
    out->reserve(std::max(need, 2 * out->capacity()));
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < dim; ++j) {
      const float noise = normal_(rng_) * sigma;
      out->push_back(centre != nullptr ? centre[j] + noise : noise);
    }
  }
}

std::vector<float> GaussianVectors(size_t n, size_t dim, uint64_t seed,
                                   float sigma) {
  std::vector<float> out;
  GaussianSource(seed).Append(nullptr, dim, n, sigma, &out);
  return out;
}

void MakeGaussianClusters(size_t n, uint32_t dim, uint32_t clusters,
                          float spread, uint64_t seed, std::vector<float>* out,
                          std::vector<uint8_t>* labels) {
  GaussianSource source(seed);
  std::vector<float> centres;
  source.Append(nullptr, dim, clusters, spread, &centres);
  out->clear();
  out->reserve(n * dim);
  if (labels != nullptr) labels->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = source.Below(clusters);
    if (labels != nullptr) (*labels)[i] = static_cast<uint8_t>(c);
    source.Append(&centres[c * dim], dim, 1, 1.0f, out);
  }
}

std::vector<float> GaussianClusters(size_t n, uint32_t dim, uint32_t clusters,
                                    float spread, uint64_t seed) {
  std::vector<float> out;
  MakeGaussianClusters(n, dim, clusters, spread, seed, &out);
  return out;
}

}  // namespace drift
