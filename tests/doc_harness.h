// The harness that scripts/doc_examples.py wraps around C++ fragments of the
// docs (`<!-- drift-example: NAME fragment dim=N -->`). A generated program
// opens a database in the directory given as argv[1] with the default column
// family (`records_cf`) and a vector column family "vectors" (`vectors_cf`,
// drift::VectorColumnFamilyOptions(N)) holding kVectors flushed vectors, then
// runs the fragments in document order. Every top-level `s = ...;` statement of
// a fragment, and the end of each fragment, is followed by Check(s): a doc
// example whose calls fail makes the program exit 1.
#ifndef DRIFT_TESTS_DOC_HARNESS_H_
#define DRIFT_TESTS_DOC_HARNESS_H_

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "rocksdb/db.h"

namespace drift_doc {

inline void Check(const rocksdb::Status& s, const char* where) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", where, s.ToString().c_str());
    std::exit(1);
  }
}

class Harness {
 public:
  static constexpr int kVectors = 2000;

  Harness(int argc, char** argv, int dim) : dim_(dim) {
    if (argc < 2) {
      std::fprintf(stderr, "usage: %s <directory>\n", argv[0]);
      std::exit(2);
    }
    drift::RegisterDrift();
    rocksdb::DBOptions dbo;
    dbo.create_if_missing = dbo.create_missing_column_families = true;
    Check(
        rocksdb::DB::Open(dbo, std::string(argv[1]) + "/db",
                          {{rocksdb::kDefaultColumnFamilyName, {}},
                           {"vectors", drift::VectorColumnFamilyOptions(dim)}},
                          &handles_, &db_),
        "harness: DB::Open");
    for (int i = 0; i < kVectors; ++i) {
      const std::vector<float> v = Vector(i);
      Check(db_->Put({}, handles_[1], "doc:" + std::to_string(i),
                     rocksdb::Slice(reinterpret_cast<const char*>(v.data()),
                                    v.size() * sizeof(float))),
            "harness: Put");
    }
    Check(db_->Flush({}, handles_[1]), "harness: Flush");
  }
  ~Harness() {
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      db_->DestroyColumnFamilyHandle(h);
    }
    Check(db_->Close(), "harness: DB::Close");
    delete db_;
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* records_cf() const { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* vectors_cf() const { return handles_[1]; }

  // Vector i: 16 clusters, so that trained buckets mean something.
  std::vector<float> Vector(int i) const {
    std::mt19937 rng(static_cast<unsigned>(i));
    std::normal_distribution<float> noise(0.0f, 1.0f);
    std::vector<float> v(dim_);
    for (int j = 0; j < dim_; ++j) {
      v[j] = static_cast<float>((i % 16) * ((j % 3) + 1)) + noise(rng);
    }
    return v;
  }

 private:
  const int dim_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace drift_doc

#endif  // DRIFT_TESTS_DOC_HARNESS_H_
