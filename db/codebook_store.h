// CodebookStore: a vector column family's codebook as persisted and as
// published. Load (at attach) reads the persisted codebook from the metadata
// column family (MetadataKey) and publishes it to the table factory's
// CodebookHolder, where builders and searches take it; PersistAndPublish
// writes a new codebook (synced) and only then publishes it, so a published
// codebook always survives a crash.
//
// Epochs only grow: next_epoch() is above both the persisted codebook's and
// every live segment's (a crash between writing segments and persisting their
// codebook can leave segments of an epoch that was never persisted; they keep
// routing with their own centroids).
//
// Threads: current() from any thread. Load and PersistAndPublish are not
// synchronized: Load runs before any other call, and the owner serializes
// PersistAndPublish (Maintenance's train_mu_).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "drift/vector_index.h"
#include "index/codebook.h"
#include "rocksdb/db.h"

namespace drift {

class CodebookStore {
 public:
  CodebookStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                std::shared_ptr<CodebookHolder> holder,
                const VectorIndexOptions& options);

  // Reads the persisted codebook (Corruption if it does not decode or has
  // another dimension; InvalidArgument if it or a live segment was made for
  // another metric than the options') and the live segments' epochs;
  // publishes the persisted codebook unless the holder has a newer one.
  rocksdb::Status Load();
  // Persists `codebook` (synced), then publishes it.
  rocksdb::Status PersistAndPublish(std::shared_ptr<Codebook> codebook);

  std::shared_ptr<const Codebook> current() const { return holder_->current(); }
  // The highest epoch persisted, published or seen in a segment.
  uint64_t last_epoch() const { return last_epoch_; }
  uint64_t next_epoch() const { return last_epoch_ + 1; }

  // Key of the persisted codebook in the metadata column family.
  static std::string MetadataKey(const std::string& column_family_name);

 private:
  rocksdb::Status MaxSegmentEpoch(uint64_t* epoch) const;

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  rocksdb::ColumnFamilyHandle* const meta_cf_;
  const std::shared_ptr<CodebookHolder> holder_;
  const uint32_t dimension_;
  const Metric metric_;
  uint64_t last_epoch_ = 0;
};

}  // namespace drift
