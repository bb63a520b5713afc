#include "drift/plugin.h"

#include <mutex>

#include "db/drift_memtable_rep.h"
#include "table/drift_table_factory.h"

namespace drift {

int RegisterDriftObjects(rocksdb::ObjectLibrary& library,
                         const std::string& /*arg*/) {
  library.AddFactory<rocksdb::TableFactory>(
      DriftTableFactory::kClassName(),
      [](const std::string& /*uri*/,
         std::unique_ptr<rocksdb::TableFactory>* guard, std::string* /*msg*/) {
        guard->reset(new DriftTableFactory());
        return guard->get();
      });
  library.AddFactory<rocksdb::MemTableRepFactory>(
      DriftMemTableRepFactory::kClassName(),
      [](const std::string& /*uri*/,
         std::unique_ptr<rocksdb::MemTableRepFactory>* guard,
         std::string* /*msg*/) {
        guard->reset(new DriftMemTableRepFactory());
        return guard->get();
      });
  return 2;
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

namespace {
// Loading libdrift makes its objects available to option strings.
const bool kRegistered = (RegisterDrift(), true);
}  // namespace

}  // namespace drift
