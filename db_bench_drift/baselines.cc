#include "db_bench_drift/baselines.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <chrono>

#include "index/distance.h"
#include "index/metric_distance.h"

namespace drift {
namespace bench {

namespace {

// Comma-separated numbers; a malformed item ends the program with a message
// naming it (these are command-line flags).
template <typename T, typename Parse>
std::vector<T> ParseList(const std::string& s, Parse parse) {
  std::vector<T> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) {
      const std::string item = s.substr(start, end - start);
      char* rest = nullptr;
      const T value = parse(item.c_str(), &rest);
      if (rest == item.c_str() || *rest != '\0') {
        fprintf(stderr, "error: '%s' in list '%s' is not a number\n",
                item.c_str(), s.c_str());
        exit(1);
      }
      out.push_back(value);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::vector<size_t> ParseSizeList(const std::string& s) {
  return ParseList<size_t>(s, [](const char* p, char** rest) {
    return static_cast<size_t>(std::strtoull(p, rest, 10));
  });
}

std::vector<double> ParseDoubleList(const std::string& s) {
  return ParseList<double>(
      s, [](const char* p, char** rest) { return std::strtod(p, rest); });
}

namespace {

class HnswlibSystem : public System {
 public:
  HnswlibSystem(const BenchContext& ctx, std::string name, size_t m,
                size_t ef_construction, const std::string& ef_list)
      : ctx_(ctx),
        name_(std::move(name)),
        m_(m),
        ef_construction_(ef_construction),
        ef_list_(ParseSizeList(ef_list)),
        l2_space_(ctx.data->dim),
        ip_space_(ctx.data->dim) {}

  const std::string& name() const override { return name_; }

  rocksdb::Status Run(const std::string& benchmark) override {
    if (benchmark == "fillvec") return Build();
    if (benchmark == "search") return Search();
    return rocksdb::Status::NotSupported();
  }

 private:
  rocksdb::Status Build() {
    const Dataset& data = *ctx_.data;
    // hnswlib's spaces: L2, inner product, and cosine as the inner product
    // of unit vectors (its own recipe), so the graph ranks by --metric.
    hnswlib::SpaceInterface<float>* space =
        ctx_.metric == drift::Metric::kL2
            ? static_cast<hnswlib::SpaceInterface<float>*>(&l2_space_)
            : &ip_space_;
    index_.reset(new hnswlib::HierarchicalNSW<float>(space, data.num_base(), m_,
                                                     ef_construction_));
    std::vector<float> unit(data.dim);
    Progress progress("fillvec " + name_, data.num_base());
    const auto start = Clock::now();
    for (size_t i = 0; i < data.num_base(); ++i) {
      ToIndexSpace(ctx_.metric, data.base.data() + i * data.dim, data.dim,
                   unit.data());
      index_->addPoint(unit.data(), i);
      progress.Update(i + 1);
    }
    const double secs = SecondsSince(start);
    progress.Finish();
    Result r;
    r.benchmark = "fillvec";
    r.system = name_;
    r.params["M"] = std::to_string(m_);
    r.params["ef_construction"] = std::to_string(ef_construction_);
    r.metrics["ops"] = data.num_base();
    r.metrics["ops_per_sec"] = data.num_base() / secs;
    ctx_.reporter->Report(r);
    return rocksdb::Status::OK();
  }

  rocksdb::Status Search() {
    if (index_ == nullptr) {
      return rocksdb::Status::InvalidArgument(
          "hnswlib search needs fillvec first");
    }
    std::vector<float> unit(ctx_.data->dim);
    for (size_t ef : ef_list_) {
      index_->setEf(std::max(ef, ctx_.eval->k()));
      Result r;
      r.benchmark = "search";
      r.system = name_;
      r.params["ef"] = std::to_string(ef);
      r.params["M"] = std::to_string(m_);
      rocksdb::Status s = RunQueries(
          *ctx_.eval, r, ctx_.reporter,
          [&](size_t q, std::vector<uint32_t>* ids, uint64_t* scanned) {
            ToIndexSpace(ctx_.metric, ctx_.eval->query(q), unit.size(),
                         unit.data());
            auto result = index_->searchKnn(unit.data(), ctx_.eval->k());
            while (!result.empty()) {
              ids->push_back(static_cast<uint32_t>(result.top().second));
              result.pop();
            }
            *scanned = 0;  // hnswlib does not report distance computations
            return rocksdb::Status::OK();
          });
      if (!s.ok()) return s;
    }
    return rocksdb::Status::OK();
  }

  const BenchContext ctx_;
  const std::string name_;
  const size_t m_, ef_construction_;
  const std::vector<size_t> ef_list_;
  hnswlib::L2Space l2_space_;
  hnswlib::InnerProductSpace ip_space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
};

class BruteForceSystem : public System {
 public:
  explicit BruteForceSystem(const BenchContext& ctx) : ctx_(ctx) {}
  const std::string& name() const override { return name_; }

  rocksdb::Status Run(const std::string& benchmark) override {
    if (benchmark != "search") return rocksdb::Status::NotSupported();
    const Dataset& data = *ctx_.data;
    std::vector<float> dist(data.num_base());
    std::vector<uint32_t> order(data.num_base());
    Result r;
    r.benchmark = "search";
    r.system = name_;
    return RunQueries(
        *ctx_.eval, r, ctx_.reporter,
        [&](size_t q, std::vector<uint32_t>* ids, uint64_t* scanned) {
          // The metric's exact distance to every vector (SearchHit's).
          const ExactDistance distance(ctx_.metric, ctx_.eval->query(q),
                                       data.dim);
          for (size_t i = 0; i < data.num_base(); ++i) {
            dist[i] = distance(data.base.data() + i * data.dim);
          }
          for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
          const size_t k = std::min(ctx_.eval->k(), order.size());
          std::partial_sort(order.begin(), order.begin() + k, order.end(),
                            [&](uint32_t a, uint32_t b) {
                              return dist[a] != dist[b] ? dist[a] < dist[b]
                                                        : a < b;
                            });
          ids->assign(order.begin(), order.begin() + k);
          *scanned = data.num_base();
          return rocksdb::Status::OK();
        });
  }

 private:
  const BenchContext ctx_;
  const std::string name_ = "bruteforce";
};

}  // namespace

std::unique_ptr<System> NewHnswlibSystem(const BenchContext& ctx,
                                         std::string name, size_t m,
                                         size_t ef_construction,
                                         const std::string& ef_list) {
  return std::make_unique<HnswlibSystem>(ctx, std::move(name), m,
                                         ef_construction, ef_list);
}

std::unique_ptr<System> NewBruteForceSystem(const BenchContext& ctx) {
  return std::make_unique<BruteForceSystem>(ctx);
}

}  // namespace bench
}  // namespace drift
