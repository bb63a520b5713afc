#include "db_bench_drift/faiss_baseline.h"

#ifdef DRIFT_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/utils/utils.h>
#include <omp.h>

#include <cctype>
#include <exception>
#endif

#ifndef DRIFT_FAISS_LIBRARY
#define DRIFT_FAISS_LIBRARY "unknown"
#endif

namespace drift {
namespace bench {

#ifdef DRIFT_HAVE_FAISS
namespace {

// "avx2", "generic" or "neon": the last word of get_compile_options()
// ("OPTIMIZE AVX2"), lower case.
std::string SimdLevel() {
  std::string options = faiss::get_compile_options();
  options = options.substr(options.find_last_of(' ') + 1);
  for (char& c : options) c = static_cast<char>(std::tolower(c));
  return options;
}

class FaissSystem : public System {
 public:
  FaissSystem(const BenchContext& ctx, size_t nlist,
              const std::string& nprobe_list)
      : ctx_(ctx), nlist_(nlist), nprobe_list_(ParseSizeList(nprobe_list)) {}

  const std::string& name() const override { return name_; }

  rocksdb::Status Run(const std::string& benchmark) override {
    // Training uses every core (Debian links the reference BLAS: k-means on
    // one thread takes minutes); searches run one query per call on one
    // thread, like drift's.
    omp_set_num_threads(benchmark == "fillvec" ? omp_get_num_procs() : 1);
    try {  // faiss reports errors by exception
      if (benchmark == "fillvec") return Build();
      if (benchmark == "search") return Search();
    } catch (const std::exception& e) {
      return rocksdb::Status::Aborted(std::string("faiss: ") + e.what());
    }
    return rocksdb::Status::NotSupported();
  }

 private:
  void Describe(Result* r) const {
    r->system = name_;
    r->params["index"] = "IVF" + std::to_string(nlist_) + ",SQ8";
    r->params["simd"] = SimdLevel();
    const std::string lib = DRIFT_FAISS_LIBRARY;  // the header has the path
    r->params["faiss_lib"] = lib.substr(lib.find_last_of('/') + 1);
  }

  rocksdb::Status Build() {
    const Dataset& data = *ctx_.data;
    index_.reset();  // a second fillvec trains from scratch too
    quantizer_ = std::make_unique<faiss::IndexFlatL2>(data.dim);
    index_.reset(new faiss::IndexIVFScalarQuantizer(
        quantizer_.get(), data.dim, nlist_, faiss::ScalarQuantizer::QT_8bit,
        faiss::METRIC_L2));
    const auto start = Clock::now();
    index_->train(data.num_base(), data.base.data());
    index_->add(data.num_base(), data.base.data());
    Result r;
    r.benchmark = "fillvec";
    Describe(&r);
    r.metrics["ops"] = data.num_base();
    r.metrics["ops_per_sec"] = data.num_base() / SecondsSince(start);
    ctx_.reporter->Report(r);
    return rocksdb::Status::OK();
  }

  rocksdb::Status Search() {
    if (index_ == nullptr) {
      return rocksdb::Status::InvalidArgument(
          "faiss search needs fillvec first");
    }
    const size_t k = ctx_.eval->k();
    std::vector<float> distances(k);
    std::vector<faiss::Index::idx_t> labels(k);
    for (size_t nprobe : nprobe_list_) {
      index_->nprobe = nprobe;
      Result r;
      r.benchmark = "search";
      Describe(&r);
      r.params["nprobe"] = std::to_string(nprobe);
      rocksdb::Status s = RunQueries(
          *ctx_.eval, r, ctx_.reporter,
          [&](size_t q, std::vector<uint32_t>* ids, uint64_t* scanned) {
            faiss::indexIVF_stats.reset();
            index_->search(1, ctx_.eval->query(q), k, distances.data(),
                           labels.data());
            for (faiss::Index::idx_t id : labels) {
              if (id >= 0) ids->push_back(static_cast<uint32_t>(id));
            }
            *scanned = faiss::indexIVF_stats.ndis;  // SQ8 codes compared
            return rocksdb::Status::OK();
          });
      if (!s.ok()) return s;
    }
    return rocksdb::Status::OK();
  }

  const BenchContext ctx_;
  const size_t nlist_;
  const std::vector<size_t> nprobe_list_;
  std::unique_ptr<faiss::IndexFlatL2> quantizer_;  // outlives index_
  std::unique_ptr<faiss::IndexIVFScalarQuantizer> index_;
  const std::string name_ = "faiss";
};

}  // namespace

bool HaveFaiss() { return true; }

std::string FaissBuild() {
  return std::to_string(FAISS_VERSION_MAJOR) + "." +
         std::to_string(FAISS_VERSION_MINOR) + "." +
         std::to_string(FAISS_VERSION_PATCH) + ", simd=" + SimdLevel() + ", " +
         DRIFT_FAISS_LIBRARY;
}

std::unique_ptr<System> NewFaissSystem(const BenchContext& ctx, size_t nlist,
                                       const std::string& nprobe_list) {
  return std::make_unique<FaissSystem>(ctx, nlist, nprobe_list);
}

#else

bool HaveFaiss() { return false; }

std::string FaissBuild() { return ""; }

std::unique_ptr<System> NewFaissSystem(const BenchContext&, size_t,
                                       const std::string&) {
  return nullptr;
}

#endif

}  // namespace bench
}  // namespace drift
