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

Status CollectionStore::Open(const StoreOptions& options,
                             std::unique_ptr<CollectionStore>* out) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  if (!options.db_options.empty()) {
    Status s = rocksdb::GetDBOptionsFromString(StrictConfig(), db_options,
                                               options.db_options, &db_options);
    if (!s.ok()) return Status::InvalidArgument("db_options: " + s.ToString());
  }
  const bool secondary = !options.secondary_path.empty();
  if (secondary) db_options.max_open_files = -1;  // required by RocksDB
  std::map<std::string, v1::CollectionInfo> specs;
  Status s = ReadSpecsBeforeOpen(db_options, options.db_path,
                                 options.secondary_path, &specs);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  if (s.ok()) {
    s = Descriptors(db_options, options.db_path, secondary, specs,
                    &descriptors);
  }
  if (!s.ok()) return s;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = secondary ? rocksdb::DB::OpenAsSecondary(db_options, options.db_path,
                                               options.secondary_path,
                                               descriptors, &handles, &raw)
                : rocksdb::DB::Open(db_options, options.db_path, descriptors,
                                    &handles, &raw);
  if (!s.ok()) return s;
  std::unique_ptr<CollectionStore> store(new CollectionStore());
  store->options_ = options;
  store->db_.reset(raw);
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (auto* h : handles) by_name[h->GetName()] = h;
  s = store->AdoptCollections(specs, &by_name);
  // What is left: the default column family, foreign ones, and orphans of a
  // Create or Drop that a crash interrupted (a primary drops them).
  for (auto& [name, handle] : by_name) {
    if (s.ok() && !secondary &&
        (StartsWith(name, kVectorsPrefix) ||
         StartsWith(name, kPayloadsPrefix))) {
      s = store->db_->DropColumnFamily(handle);
    }
    store->db_->DestroyColumnFamilyHandle(handle);
  }
  if (s.ok()) *out = std::move(store);
  return s;  // on error the store closes what it adopted
}

Status CollectionStore::AdoptCollections(
    const std::map<std::string, v1::CollectionInfo>& specs,
    std::map<std::string, rocksdb::ColumnFamilyHandle*>* handles) {
  for (const auto& [name, info] : specs) {
    auto c = std::make_shared<Collection>();
    c->info = info;
    for (auto [cf, handle] : {std::make_pair(VectorsCf(name), &c->vectors),
                              std::make_pair(PayloadsCf(name), &c->payloads)}) {
      auto it = handles->find(cf);
      if (it == handles->end()) {
        return Status::Corruption("collection '" + name +
                                  "' has a spec but no column family " + cf);
      }
      *handle = it->second;
      handles->erase(it);
    }
    collections_[name] = c;
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
  Status s = db_->Get(rocksdb::ReadOptions(),
                      CodebookKey(c->vectors->GetName()), &c->codebook_seen);
  if (s.IsNotFound()) {
    c->codebook_seen.clear();
  } else if (!s.ok()) {
    return s;
  }
  return VectorIndex::Attach(db_.get(), c->vectors, vopts, &c->index);
}

Status CollectionStore::CatchUp(uint64_t* unserved) {
  if (!secondary()) return Status::NotSupported("CatchUp of a primary");
  Status s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) return s;
  std::map<std::string, v1::CollectionInfo> specs;
  s = ReadSpecs(db_.get(), &specs);
  if (!s.ok()) return s;
  for (const auto& c : All()) {
    if (specs.erase(c->info.name()) == 0) {  // dropped by the primary
      {
        std::lock_guard<std::mutex> lock(mu_);
        collections_.erase(c->info.name());
      }
      std::shared_ptr<Collection> gone = c;
      while (gone.use_count() > 2) {  // this loop's `c` holds one too
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      s = DestroyCollection(gone.get(), /*drop_data=*/false);
      if (!s.ok()) return s;
      continue;
    }
    std::string codebook;
    s = db_->Get(rocksdb::ReadOptions(), CodebookKey(c->vectors->GetName()),
                 &codebook);
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
  if (unserved != nullptr) *unserved = specs.size();
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
  s = db_->CreateColumnFamily(vec_options, VectorsCf(info.name()), &c->vectors);
  if (s.ok()) {
    s = db_->CreateColumnFamily(rocksdb::ColumnFamilyOptions(),
                                PayloadsCf(info.name()), &c->payloads);
  }
  if (s.ok()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    s = db_->Put(sync, SpecKey(info.name()), info.SerializeAsString());
  }
  if (s.ok()) s = AttachIndex(c.get());
  if (!s.ok()) {
    DestroyCollection(c.get(), /*drop_data=*/true).PermitUncheckedError();
    return s;
  }
  *created = info;
  std::lock_guard<std::mutex> lock(mu_);
  collections_[info.name()] = std::move(c);
  return Status::OK();
}

Status CollectionStore::Drop(const std::string& name, bool if_exists) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  std::shared_ptr<Collection> c;
  Status s = Find(name, &c);
  if (!s.ok()) return if_exists && s.IsNotFound() ? Status::OK() : s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collections_.erase(name);
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
    if (s.ok()) s = db_->Write(sync, &batch);
  }
  if (c->index) {
    Status closed = c->index->Close();
    if (s.ok()) s = closed;
    c->index.reset();
  }
  for (auto** handle : {&c->vectors, &c->payloads}) {
    if (*handle == nullptr) continue;
    if (drop_data) {
      Status dropped = db_->DropColumnFamily(*handle);
      if (s.ok()) s = dropped;
    }
    db_->DestroyColumnFamilyHandle(*handle);
    *handle = nullptr;
  }
  return s;
}

Status CollectionStore::Find(const std::string& name,
                             std::shared_ptr<Collection>* collection) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    return Status::NotFound("no collection '" + name + "'");
  }
  *collection = it->second;
  return Status::OK();
}

std::vector<std::shared_ptr<Collection>> CollectionStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Collection>> all;
  for (const auto& [name, c] : collections_) all.push_back(c);
  return all;
}

Status CollectionStore::Close() {
  if (!db_) return Status::OK();
  Status s;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, c] : collections_) {
    if (c->index) {
      Status closed = c->index->Close();
      if (s.ok()) s = closed;
      c->index.reset();
    }
    for (auto* handle : {c->vectors, c->payloads}) {
      if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle);
    }
    c->vectors = c->payloads = nullptr;
  }
  collections_.clear();
  Status closed = db_->Close();
  db_.reset();
  return s.ok() ? closed : s;
}

}  // namespace server
}  // namespace drift
