#include <atomic>

#include "db/latency_histogram.h"
#include "drift/statistics.h"

namespace drift {

namespace {
constexpr uint32_t kNumTickers = kDriftTickerEnd - kDriftTickerBase;
constexpr uint32_t kNumHistograms = kDriftHistogramEnd - kDriftHistogramBase;
const char* const kTickerNames[kNumTickers] = {
    "drift.searches",
    "drift.searches.failed",
    "drift.memtable.vectors.scanned",
    "drift.memtable.graph.results",
    "drift.segment.vectors.scanned",
    "drift.buckets.probed",
    "drift.reranks",
    "drift.point.reads",
};
const char* const kHistogramNames[kNumHistograms] = {"drift.search.micros"};

bool IsDriftTicker(uint32_t t) {
  return t >= kDriftTickerBase && t < kDriftTickerEnd;
}
bool IsDriftHistogram(uint32_t h) {
  return h >= kDriftHistogramBase && h < kDriftHistogramEnd;
}
}  // namespace

const char* DriftTickerName(uint32_t ticker) {
  return IsDriftTicker(ticker) ? kTickerNames[ticker - kDriftTickerBase]
                               : nullptr;
}

const char* DriftHistogramName(uint32_t histogram) {
  return IsDriftHistogram(histogram)
             ? kHistogramNames[histogram - kDriftHistogramBase]
             : nullptr;
}

struct DriftStatistics::Drift {
  std::atomic<uint64_t> tickers[kNumTickers] = {};
  LatencyHistogram histograms[kNumHistograms];
};

DriftStatistics::DriftStatistics(std::shared_ptr<rocksdb::Statistics> base)
    : base_(std::move(base)), drift_(new Drift) {}

DriftStatistics::~DriftStatistics() = default;

uint64_t DriftStatistics::getTickerCount(uint32_t ticker) const {
  if (!IsDriftTicker(ticker)) return base_->getTickerCount(ticker);
  return drift_->tickers[ticker - kDriftTickerBase].load(
      std::memory_order_relaxed);
}

void DriftStatistics::histogramData(uint32_t type,
                                    rocksdb::HistogramData* const data) const {
  if (!IsDriftHistogram(type)) return base_->histogramData(type, data);
  drift_->histograms[type - kDriftHistogramBase].Data(data);
}

std::string DriftStatistics::getHistogramString(uint32_t type) const {
  if (!IsDriftHistogram(type)) return base_->getHistogramString(type);
  return drift_->histograms[type - kDriftHistogramBase].Summary();
}

void DriftStatistics::SyncLevel() const {
  // set_stats_level is not virtual: the base checks its own level.
  const rocksdb::StatsLevel level = get_stats_level();
  if (base_->get_stats_level() != level) base_->set_stats_level(level);
}

void DriftStatistics::recordTick(uint32_t ticker, uint64_t count) {
  SyncLevel();
  if (!IsDriftTicker(ticker)) return base_->recordTick(ticker, count);
  if (get_stats_level() <= rocksdb::StatsLevel::kExceptTickers) return;
  drift_->tickers[ticker - kDriftTickerBase].fetch_add(
      count, std::memory_order_relaxed);
}

void DriftStatistics::setTickerCount(uint32_t ticker, uint64_t count) {
  if (!IsDriftTicker(ticker)) return base_->setTickerCount(ticker, count);
  drift_->tickers[ticker - kDriftTickerBase].store(count,
                                                   std::memory_order_relaxed);
}

uint64_t DriftStatistics::getAndResetTickerCount(uint32_t ticker) {
  if (!IsDriftTicker(ticker)) return base_->getAndResetTickerCount(ticker);
  return drift_->tickers[ticker - kDriftTickerBase].exchange(
      0, std::memory_order_relaxed);
}

void DriftStatistics::recordInHistogram(uint32_t type, uint64_t value) {
  SyncLevel();
  if (!IsDriftHistogram(type)) return base_->recordInHistogram(type, value);
  if (get_stats_level() <= rocksdb::StatsLevel::kExceptHistogramOrTimers) {
    return;
  }
  drift_->histograms[type - kDriftHistogramBase].Add(value);
}

rocksdb::Status DriftStatistics::Reset() {
  for (auto& t : drift_->tickers) t.store(0, std::memory_order_relaxed);
  for (auto& h : drift_->histograms) h.Clear();
  return base_->Reset();
}

std::string DriftStatistics::ToString() const {
  // RocksDB's lines first, then Drift's in the same form.
  std::string out = base_->ToString();
  for (uint32_t t = kDriftTickerBase; t < kDriftTickerEnd; ++t) {
    out += std::string(DriftTickerName(t)) +
           " COUNT : " + std::to_string(getTickerCount(t)) + "\n";
  }
  for (uint32_t h = kDriftHistogramBase; h < kDriftHistogramEnd; ++h) {
    out +=
        std::string(DriftHistogramName(h)) + " " + getHistogramString(h) + "\n";
  }
  return out;
}

bool DriftStatistics::getTickerMap(std::map<std::string, uint64_t>* map) const {
  base_->getTickerMap(map);
  for (uint32_t t = kDriftTickerBase; t < kDriftTickerEnd; ++t) {
    (*map)[DriftTickerName(t)] = getTickerCount(t);
  }
  return true;
}

bool DriftStatistics::HistEnabledForType(uint32_t type) const {
  return IsDriftHistogram(type) || base_->HistEnabledForType(type);
}

std::shared_ptr<DriftStatistics> NewDriftStatistics() {
  return std::make_shared<DriftStatistics>(rocksdb::CreateDBStatistics());
}

}  // namespace drift
