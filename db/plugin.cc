#include "drift/plugin.h"

#include <mutex>

#include "db/drift_compaction_filter.h"
#include "db/drift_memtable_rep.h"
#include "drift/statistics.h"
#include "drift/vector_index.h"
#include "table/drift_table_factory.h"

namespace drift {

namespace {

// Registers T (default-constructed, configured afterwards by the option
// string) under its class name as a Base.
template <typename Base, typename T>
void AddDefaultFactory(rocksdb::ObjectLibrary& library) {
  library.AddFactory<Base>(
      T::kClassName(), [](const std::string& /*uri*/,
                          std::unique_ptr<Base>* guard, std::string* /*msg*/) {
        guard->reset(new T());
        return guard->get();
      });
}

}  // namespace

int RegisterDriftObjects(rocksdb::ObjectLibrary& library,
                         const std::string& /*arg*/) {
  AddDefaultFactory<rocksdb::TableFactory, DriftTableFactory>(library);
  AddDefaultFactory<rocksdb::MemTableRepFactory, DriftMemTableRepFactory>(
      library);
  AddDefaultFactory<rocksdb::CompactionFilterFactory,
                    DriftCompactionFilterFactory>(library);
  // statistics={id=DriftStatistics} (or statistics=DriftStatistics) in a
  // DBOptions string: NewDriftStatistics().
  library.AddFactory<rocksdb::Statistics>(
      DriftStatistics::kClassName(),
      [](const std::string& /*uri*/,
         std::unique_ptr<rocksdb::Statistics>* guard, std::string* /*msg*/) {
        guard->reset(new DriftStatistics(rocksdb::CreateDBStatistics()));
        return guard->get();
      });
  return 4;
}

void RegisterDrift() {
  static std::once_flag once;
  std::call_once(once, [] {
    RegisterDriftObjects(*rocksdb::ObjectLibrary::Default(), "");
  });
}

std::shared_ptr<rocksdb::TableFactory> NewDriftTableFactory(
    const DriftTableOptions& options) {
  return std::make_shared<DriftTableFactory>(options);
}

std::shared_ptr<rocksdb::MemTableRepFactory> NewDriftMemTableFactory(
    const DriftMemTableOptions& options) {
  return std::make_shared<DriftMemTableRepFactory>(options);
}

rocksdb::ColumnFamilyOptions VectorColumnFamilyOptions(
    uint32_t dim, const rocksdb::ColumnFamilyOptions& base) {
  return VectorColumnFamilyOptions(dim, Metric::kL2, base);
}

rocksdb::ColumnFamilyOptions VectorColumnFamilyOptions(
    uint32_t dim, Metric metric, const rocksdb::ColumnFamilyOptions& base) {
  rocksdb::ColumnFamilyOptions cf = base;
  DriftTableOptions topts;
  topts.dimension = dim;
  topts.metric = metric;
  cf.table_factory = NewDriftTableFactory(topts);
  DriftMemTableOptions mopts;
  mopts.dimension = dim;
  mopts.metric = metric;
  cf.memtable_factory = NewDriftMemTableFactory(mopts);
  // The scavenger is the table builder's (DriftTableOptions::
  // scavenge_deletion_ratio); TTL and prefix drops are the filter's. A
  // filter the caller chose wins (RocksDB runs one per compaction).
  if (cf.compaction_filter == nullptr &&
      cf.compaction_filter_factory == nullptr) {
    cf.compaction_filter_factory = NewDriftCompactionFilterFactory();
  }
  return cf;
}

namespace {
// Loading libdrift makes its objects available to option strings.
const bool kRegistered = (RegisterDrift(), true);
}  // namespace

}  // namespace drift
