#include "server/collections.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "rocksdb/convenience.h"
#include "rocksdb/utilities/options_util.h"
#include "rocksdb/write_batch.h"
#include "util/vector_value.h"

namespace drift {
namespace server {
namespace {

using rocksdb::Status;

constexpr char kSpecPrefix[] = "drift.server.collection/";
constexpr char kVectorsPrefix[] = "drift.vectors/";
constexpr char kPayloadsPrefix[] = "drift.payloads/";
constexpr size_t kMaxNameLength = 64;

std::string VectorsCf(const std::string& name) { return kVectorsPrefix + name; }
std::string PayloadsCf(const std::string& name) {
  return kPayloadsPrefix + name;
}
std::string SpecKey(const std::string& name) { return kSpecPrefix + name; }

bool StartsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

rocksdb::ConfigOptions StrictConfig() {
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;
  config.ignore_unknown_options = false;
  return config;
}

Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength || name[0] == '.') {
    return Status::InvalidArgument(
        "collection name must be 1 to 64 characters, not starting with '.'");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) {
      return Status::InvalidArgument("collection name '" + name +
                                     "': only [A-Za-z0-9_.-] allowed");
    }
  }
  return Status::OK();
}

// The vector column family's options for a spec (validated).
Status VectorCfOptions(const v1::CollectionInfo& info,
                       rocksdb::ColumnFamilyOptions* out) {
  if (info.dimension() == 0 || info.dimension() > kMaxDimension) {
    return Status::InvalidArgument("dimension must be in [1, " +
                                   std::to_string(kMaxDimension) + "], got " +
                                   std::to_string(info.dimension()));
  }
  const std::string& extra = info.column_family_options();
  if (extra.find("table_factory") != std::string::npos ||
      extra.find("memtable_factory") != std::string::npos) {
    return Status::InvalidArgument(
        "column_family_options may not set table_factory or "
        "memtable_factory: a collection always uses Drift's");
  }
  rocksdb::ColumnFamilyOptions base;
  if (!extra.empty()) {
    Status s = rocksdb::GetColumnFamilyOptionsFromString(StrictConfig(), base,
                                                         extra, &base);
    if (!s.ok()) {
      return Status::InvalidArgument("column_family_options: " + s.ToString());
    }
  }
  *out = VectorColumnFamilyOptions(info.dimension(),
                                   FromProtoMetric(info.metric()), base);
  return Status::OK();
}

Status ValidateInfo(const v1::CollectionInfo& info) {
  Status s = ValidateName(info.name());
  if (!s.ok()) return s;
  if (!v1::Metric_IsValid(info.metric())) {
    return Status::InvalidArgument("unknown metric " +
                                   std::to_string(info.metric()));
  }
  rocksdb::ColumnFamilyOptions unused;
  return VectorCfOptions(info, &unused);
}

// Every spec persisted in the default column family of `db`.
Status ReadSpecs(rocksdb::DB* db,
                 std::map<std::string, v1::CollectionInfo>* specs) {
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kSpecPrefix); it->Valid() && it->key().starts_with(kSpecPrefix);
       it->Next()) {
    v1::CollectionInfo info;
    if (!info.ParseFromArray(it->value().data(),
                             static_cast<int>(it->value().size()))) {
      return Status::Corruption("unreadable collection spec",
                                it->key().ToString());
    }
    (*specs)[info.name()] = info;
  }
  return it->status();
}

// The specs of the DB at `path` before it is opened with every column
// family (none if there is no DB yet): read through a read-only instance,
// or a secondary one in `secondary_path`, of the default column family.
Status ReadSpecsBeforeOpen(const rocksdb::DBOptions& db_options,
                           const std::string& path,
                           const std::string& secondary_path,
                           std::map<std::string, v1::CollectionInfo>* specs) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok()) {
    return Status::OK();  // no DB yet
  }
  rocksdb::DB* raw = nullptr;
  const rocksdb::Options options(db_options, rocksdb::ColumnFamilyOptions());
  Status s =
      secondary_path.empty()
          ? rocksdb::DB::OpenForReadOnly(options, path, &raw)
          : rocksdb::DB::OpenAsSecondary(options, path, secondary_path, &raw);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::DB> db(raw);
  s = ReadSpecs(db.get(), specs);
  return s.ok() ? db->Close() : s;
}

// Where the engine persists a vector column family's codebook
// (db/codebook_store.h).
std::string CodebookKey(const std::string& vectors_cf) {
  return "drift.codebook/" + vectors_cf;
}

}  // namespace

Metric FromProtoMetric(v1::Metric metric) {
  switch (metric) {
    case v1::METRIC_INNER_PRODUCT:
      return Metric::kInnerProduct;
    case v1::METRIC_COSINE:
      return Metric::kCosine;
    default:
      return Metric::kL2;
  }
}

v1::Metric ToProtoMetric(Metric metric) {
  switch (metric) {
    case Metric::kInnerProduct:
      return v1::METRIC_INNER_PRODUCT;
    case Metric::kCosine:
      return v1::METRIC_COSINE;
    default:
      return v1::METRIC_L2;
  }
}

namespace {

// The column families to open: those of the specs, with options built from
// them; a primary also opens every other one (left by a crash, or foreign)
// with the options RocksDB persisted for it.
Status Descriptors(const rocksdb::DBOptions& db_options,
                   const std::string& path, bool secondary,
                   const std::map<std::string, v1::CollectionInfo>& specs,
                   std::vector<rocksdb::ColumnFamilyDescriptor>* out) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok()) {
    names = {rocksdb::kDefaultColumnFamilyName};  // a new DB
  }
  std::map<std::string, rocksdb::ColumnFamilyOptions> persisted;
  for (const auto& name : names) {
    rocksdb::ColumnFamilyOptions cf_options;
    const bool vectors = StartsWith(name, kVectorsPrefix);
    const bool payloads = StartsWith(name, kPayloadsPrefix);
    auto spec = specs.end();
    if (vectors) spec = specs.find(name.substr(strlen(kVectorsPrefix)));
    if (payloads) spec = specs.find(name.substr(strlen(kPayloadsPrefix)));
    if (vectors && spec != specs.end()) {
      Status s = VectorCfOptions(spec->second, &cf_options);
      if (!s.ok()) return s;
    } else if (payloads && spec != specs.end()) {
      // a plain column family
    } else if (name == rocksdb::kDefaultColumnFamilyName) {
      // plain too
    } else if (secondary) {
      continue;  // a secondary opens only what it serves
    } else {
      if (persisted.empty()) {
        rocksdb::DBOptions unused;
        std::vector<rocksdb::ColumnFamilyDescriptor> loaded;
        rocksdb::ConfigOptions config = StrictConfig();
        config.env = db_options.env;
        Status s = rocksdb::LoadLatestOptions(config, path, &unused, &loaded);
        if (!s.ok()) return s;
        for (auto& d : loaded) persisted[d.name] = d.options;
      }
      auto p = persisted.find(name);
      if (p == persisted.end()) {
        return Status::Corruption("no persisted options for column family",
                                  name);
      }
      cf_options = p->second;
    }
    out->emplace_back(name, cf_options);
  }
  return Status::OK();
}

}  // namespace

Collection::~Collection() {
  if (index != nullptr) index->Close().PermitUncheckedError();
  index.reset();
  for (auto* handle : {vectors, payloads}) {
    if (handle != nullptr) db->DestroyColumnFamilyHandle(handle);
  }
}

Status CollectionStore::Open(const StoreOptions& options,
                             std::unique_ptr<CollectionStore>* out) {
  std::unique_ptr<CollectionStore> store(new CollectionStore());
  store->options_ = options;
  rocksdb::DBOptions& db_options = store->db_options_;
  db_options.create_if_missing = true;
  if (!options.db_options.empty()) {
    Status s = rocksdb::GetDBOptionsFromString(StrictConfig(), db_options,
                                               options.db_options, &db_options);
    if (!s.ok()) return Status::InvalidArgument("db_options: " + s.ToString());
  }
  if (store->secondary()) db_options.max_open_files = -1;  // RocksDB needs it
  uint64_t unserved = 0;  // a worker's next catch-up serves them
  Status s = store->OpenGeneration(/*known_specs=*/nullptr, &store->generation_,
                                   &unserved);
  if (s.ok()) *out = std::move(store);
  return s;
}

Status CollectionStore::OpenGeneration(
    const std::map<std::string, v1::CollectionInfo>* known_specs,
    std::shared_ptr<Generation>* out, uint64_t* unserved) const {
  const bool secondary = this->secondary();
  std::map<std::string, v1::CollectionInfo> specs;
  Status s;
  if (known_specs != nullptr) {
    specs = *known_specs;
  } else {
    s = ReadSpecsBeforeOpen(db_options_, options_.db_path,
                            options_.secondary_path, &specs);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  if (s.ok()) {
    s = Descriptors(db_options_, options_.db_path, secondary, specs,
                    &descriptors);
  }
  if (!s.ok()) return s;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = secondary ? rocksdb::DB::OpenAsSecondary(db_options_, options_.db_path,
                                               options_.secondary_path,
                                               descriptors, &handles, &raw)
                : rocksdb::DB::Open(db_options_, options_.db_path, descriptors,
                                    &handles, &raw);
  if (!s.ok()) return s;
  auto generation = std::make_shared<Generation>();
  generation->db.reset(raw);
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (auto* h : handles) by_name[h->GetName()] = h;
  if (secondary) {
    // The specs as of the instance itself (it may be newer than the list of
    // column families): it serves what both name.
    specs.clear();
    s = ReadSpecs(raw, &specs);
  }
  if (s.ok()) {
    s = AdoptCollections(specs, &by_name, generation.get(), unserved);
  }
  // What is left: the default column family, foreign ones, and orphans of a
  // Create or Drop that a crash interrupted (a primary drops them), or that
  // the primary dropped after a secondary listed them.
  for (auto& [name, handle] : by_name) {
    if (s.ok() && !secondary &&
        (StartsWith(name, kVectorsPrefix) ||
         StartsWith(name, kPayloadsPrefix))) {
      s = raw->DropColumnFamily(handle);
    }
    raw->DestroyColumnFamilyHandle(handle);
  }
  if (s.ok()) *out = std::move(generation);
  return s;  // on error the generation closes what it adopted
}

Status CollectionStore::AdoptCollections(
    const std::map<std::string, v1::CollectionInfo>& specs,
    std::map<std::string, rocksdb::ColumnFamilyHandle*>* handles,
    Generation* generation, uint64_t* unserved) const {
  for (const auto& [name, info] : specs) {
    const auto vectors = handles->find(VectorsCf(name));
    const auto payloads = handles->find(PayloadsCf(name));
    if (vectors == handles->end() || payloads == handles->end()) {
      if (secondary()) {
        ++*unserved;
        continue;
      }
      return Status::Corruption("collection '" + name +
                                "' has a spec but not both column families");
    }
    auto c = std::make_shared<Collection>();
    c->info = info;
    c->db = generation->db;
    c->vectors = vectors->second;
    c->payloads = payloads->second;
    handles->erase(vectors);
    handles->erase(payloads);
    generation->collections[name] = c;
    Status s = AttachIndex(c.get());
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status CollectionStore::AttachIndex(Collection* c) const {
  VectorIndexOptions vopts;
  vopts.dimension = c->info.dimension();
  vopts.metric = FromProtoMetric(c->info.metric());
  vopts.auto_train = !c->info.disable_auto_train();
  if (c->info.min_train_vectors() > 0) {
    vopts.min_train_vectors = c->info.min_train_vectors();
  }
  if (c->info.target_bucket_size() > 0) {
    vopts.target_bucket_size = c->info.target_bucket_size();
  }
  vopts.search_threads = options_.search_threads;
  // A secondary cannot write: no background training or maintenance.
  if (secondary()) vopts.auto_train = false;
  Status s = c->db->Get(rocksdb::ReadOptions(),
                        CodebookKey(c->vectors->GetName()), &c->codebook_seen);
  if (s.IsNotFound()) {
    c->codebook_seen.clear();
  } else if (!s.ok()) {
    return s;
  }
  return VectorIndex::Attach(c->db.get(), c->vectors, vopts, &c->index);
}

Status CollectionStore::CatchUp(uint64_t* unserved, bool* reopened) {
  if (!secondary()) return Status::NotSupported("CatchUp of a primary");
  if (reopened != nullptr) *reopened = false;
  const std::shared_ptr<Generation> generation = current();
  Status s = generation->db->TryCatchUpWithPrimary();
  std::map<std::string, v1::CollectionInfo> specs, not_held;
  if (s.ok()) s = ReadSpecs(generation->db.get(), &specs);
  not_held = specs;
  if (s.ok()) s = FollowPrimary(generation.get(), &not_held);
  if (!s.ok()) return s;
  uint64_t missing = not_held.size();  // created by the primary since
  if (missing > 0) {
    std::shared_ptr<Generation> fresh;
    missing = 0;
    s = OpenGeneration(&specs, &fresh, &missing);
    if (!s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_.swap(fresh);
    }
    // The old generation closes when its last request or lease lets go.
    if (reopened != nullptr) *reopened = true;
  }
  if (unserved != nullptr) *unserved = missing;
  return Status::OK();
}

Status CollectionStore::FollowPrimary(
    Generation* generation, std::map<std::string, v1::CollectionInfo>* specs) {
  std::vector<std::shared_ptr<Collection>> collections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, c] : generation->collections) {
      collections.push_back(c);
    }
  }
  for (const auto& c : collections) {
    if (specs->erase(c->info.name()) == 0) {  // dropped by the primary
      std::lock_guard<std::mutex> lock(mu_);
      generation->collections.erase(c->info.name());
      continue;  // closes when the last request using it ends
    }
    std::string codebook;
    Status s = c->db->Get(rocksdb::ReadOptions(),
                          CodebookKey(c->vectors->GetName()), &codebook);
    if (s.IsNotFound()) {
      codebook.clear();
    } else if (!s.ok()) {
      return s;
    }
    if (c->index != nullptr && codebook == c->codebook_seen) continue;
    std::unique_lock<std::shared_mutex> lock(c->mu);
    if (c->index != nullptr) {
      s = c->index->Close();
      c->index.reset();
      if (!s.ok()) return s;
    }
    s = AttachIndex(c.get());
    if (!s.ok()) return s;
  }
  return Status::OK();
}

CollectionStore::~CollectionStore() { Close().PermitUncheckedError(); }

Status CollectionStore::Create(const v1::CollectionInfo& requested,
                               bool if_not_exists, v1::CollectionInfo* created,
                               bool* already_exists) {
  *already_exists = false;
  v1::CollectionInfo info = requested;
  if (info.metric() == v1::METRIC_UNSPECIFIED) info.set_metric(v1::METRIC_L2);
  Status s = ValidateInfo(info);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> admin(admin_mu_);
  std::shared_ptr<Collection> existing;
  if (Find(info.name(), &existing).ok()) {
    *already_exists = true;
    *created = existing->info;
    const bool same = existing->info.dimension() == info.dimension() &&
                      existing->info.metric() == info.metric();
    if (if_not_exists && same) return Status::OK();
    return Status::InvalidArgument(
        "collection '" + info.name() + "' already exists (dimension " +
        std::to_string(existing->info.dimension()) + ", metric " +
        MetricName(FromProtoMetric(existing->info.metric())) + ")");
  }
  rocksdb::ColumnFamilyOptions vec_options;
  s = VectorCfOptions(info, &vec_options);
  if (!s.ok()) return s;
  auto c = std::make_shared<Collection>();
  c->info = info;
  c->db = current()->db;
  s = c->db->CreateColumnFamily(vec_options, VectorsCf(info.name()),
                                &c->vectors);
  if (s.ok()) {
    s = c->db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(),
                                  PayloadsCf(info.name()), &c->payloads);
  }
  if (s.ok()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    s = c->db->Put(sync, SpecKey(info.name()), info.SerializeAsString());
  }
  if (s.ok()) s = AttachIndex(c.get());
  if (!s.ok()) {
    DestroyCollection(c.get(), /*drop_data=*/true).PermitUncheckedError();
    return s;
  }
  *created = info;
  std::lock_guard<std::mutex> lock(mu_);
  generation_->collections[info.name()] = std::move(c);
  return Status::OK();
}

Status CollectionStore::Drop(const std::string& name, bool if_exists) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  std::shared_ptr<Collection> c;
  Status s = Find(name, &c);
  if (!s.ok()) return if_exists && s.IsNotFound() ? Status::OK() : s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_->collections.erase(name);
  }
  // Requests that found the collection before it left the map finish first.
  while (c.use_count() > 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return DestroyCollection(c.get(), /*drop_data=*/true);
}

Status CollectionStore::DestroyCollection(Collection* c, bool drop_data) {
  // The spec first (synced): once it is gone a crash leaves only orphan
  // column families, which Open drops. The engine's metadata of the vector
  // column family goes too, so a new collection of this name starts clean.
  Status s;
  if (drop_data) {
    rocksdb::WriteBatch batch;
    const std::string vectors = VectorsCf(c->info.name());
    s = batch.Delete(SpecKey(c->info.name()));
    if (s.ok()) s = batch.Delete(CodebookKey(vectors));
    if (s.ok()) {
      const std::string dropped = "drift.dropped_prefix/" + vectors;
      s = batch.DeleteRange(dropped + std::string(1, '\0'),
                            dropped + std::string(1, '\1'));
    }
    rocksdb::WriteOptions sync;
    sync.sync = true;
    if (s.ok()) s = c->db->Write(sync, &batch);
  }
  if (c->index) {
    Status closed = c->index->Close();
    if (s.ok()) s = closed;
    c->index.reset();
  }
  for (auto** handle : {&c->vectors, &c->payloads}) {
    if (*handle == nullptr) continue;
    if (drop_data) {
      Status dropped = c->db->DropColumnFamily(*handle);
      if (s.ok()) s = dropped;
    }
    c->db->DestroyColumnFamilyHandle(*handle);
    *handle = nullptr;
  }
  return s;
}

Status CollectionStore::Find(const std::string& name,
                             std::shared_ptr<Collection>* collection,
                             const Generation* generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation == nullptr) generation = generation_.get();
  if (generation == nullptr) return Status::NotFound("the store is closed");
  auto it = generation->collections.find(name);
  if (it == generation->collections.end()) {
    return Status::NotFound("no collection '" + name + "'");
  }
  *collection = it->second;
  return Status::OK();
}

std::vector<std::shared_ptr<Collection>> CollectionStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Collection>> all;
  if (generation_ == nullptr) return all;  // closed
  for (const auto& [name, c] : generation_->collections) all.push_back(c);
  return all;
}

std::shared_ptr<Generation> CollectionStore::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

Status CollectionStore::Close() {
  std::shared_ptr<Generation> generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = std::move(generation_);
  }
  if (generation == nullptr) return Status::OK();
  Status s;
  for (auto& [name, c] : generation->collections) {
    Status closed = DestroyCollection(c.get(), /*drop_data=*/false);
    if (s.ok()) s = closed;
  }
  generation->collections.clear();
  Status closed = generation->db->Close();
  return s.ok() ? closed : s;
}

}  // namespace server
}  // namespace drift
