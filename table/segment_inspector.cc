#include "table/segment_inspector.h"

#include "options/cf_options.h"
#include "rocksdb/file_system.h"
#include "table/drift_table_reader.h"

namespace rocksdb {
// Defined in RocksDB's table builders (declared the same way by its own
// sst_file_dumper.cc).
extern const uint64_t kBlockBasedTableMagicNumber;
extern const uint64_t kLegacyBlockBasedTableMagicNumber;
extern const uint64_t kPlainTableMagicNumber;
extern const uint64_t kLegacyPlainTableMagicNumber;
extern const uint64_t kCuckooTableMagicNumber;
}  // namespace rocksdb

namespace drift {

using rocksdb::Status;

Status ClassifyTableFile(rocksdb::Env* env, const std::string& path,
                         TableFileKind* kind, std::string* format) {
  const std::shared_ptr<rocksdb::FileSystem>& fs = env->GetFileSystem();
  uint64_t size = 0;
  Status s = fs->GetFileSize(path, rocksdb::IOOptions(), &size, nullptr);
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  if (s.ok()) {
    s = fs->NewRandomAccessFile(path, rocksdb::FileOptions(), &file, nullptr);
  }
  if (!s.ok()) return s;
  format->clear();
  *kind = TableFileKind::kNotATable;
  if (size < sizeof(uint64_t)) return Status::OK();
  char buf[sizeof(uint64_t)];
  rocksdb::Slice tail;
  s = file->Read(size - sizeof(buf), sizeof(buf), rocksdb::IOOptions(), &tail,
                 buf, nullptr);
  if (!s.ok()) return s;
  if (tail.size() != sizeof(buf)) return Status::IOError("short read", path);
  const uint64_t magic = rocksdb::DecodeFixed64(tail.data());
  if (magic == kDriftTableMagicNumber) {
    *kind = TableFileKind::kDrift;
  } else if (magic == rocksdb::kBlockBasedTableMagicNumber ||
             magic == rocksdb::kLegacyBlockBasedTableMagicNumber) {
    *kind = TableFileKind::kOtherTable;
    *format = "block-based";
  } else if (magic == rocksdb::kPlainTableMagicNumber ||
             magic == rocksdb::kLegacyPlainTableMagicNumber) {
    *kind = TableFileKind::kOtherTable;
    *format = "plain";
  } else if (magic == rocksdb::kCuckooTableMagicNumber) {
    *kind = TableFileKind::kOtherTable;
    *format = "cuckoo";
  }
  return Status::OK();
}

// The options must outlive the reader (it keeps a reference to ioptions).
struct SegmentInspector::Rep {
  explicit Rep(const rocksdb::Options& opts)
      : options(opts),
        ioptions(options),
        env_options(options),
        icmp(options.comparator) {}

  Status NewFileReader(const std::string& path,
                       std::unique_ptr<rocksdb::RandomAccessFileReader>* out);
  Status ReadFooter(const std::string& path);
  Status OpenTable(const std::string& path);

  const rocksdb::Options options;
  const rocksdb::ImmutableOptions ioptions;
  const rocksdb::EnvOptions env_options;
  const rocksdb::InternalKeyComparator icmp;
  uint64_t file_size = 0;
  Footer footer;
  std::unique_ptr<rocksdb::RandomAccessFileReader> meta_file;
  std::unique_ptr<rocksdb::TableReader> table;
  const DriftTableReader* drift = nullptr;
};

Status SegmentInspector::Rep::NewFileReader(
    const std::string& path,
    std::unique_ptr<rocksdb::RandomAccessFileReader>* out) {
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  Status s = options.env->GetFileSystem()->NewRandomAccessFile(
      path, rocksdb::FileOptions(env_options), &file, nullptr);
  if (s.ok()) {
    out->reset(new rocksdb::RandomAccessFileReader(std::move(file), path));
  }
  return s;
}

Status SegmentInspector::Rep::ReadFooter(const std::string& path) {
  // Classified first: a footer read of a file that is no table (a LOG, a
  // MANIFEST) reports a misleading "Corrupt or unsupported format_version".
  TableFileKind kind;
  std::string format;
  Status s = ClassifyTableFile(options.env, path, &kind, &format);
  if (!s.ok()) return s;
  if (kind == TableFileKind::kNotATable) {
    return Status::InvalidArgument(
        "not a table file (it does not end in a RocksDB table magic number: "
        "a log, MANIFEST or OPTIONS file, or a truncated table?)");
  }
  if (kind == TableFileKind::kOtherTable) {
    return Status::NotSupported("not a .drift table: a " + format +
                                " table (of an ordinary column family? use "
                                "sst_dump)");
  }
  s = options.env->GetFileSystem()->GetFileSize(path, rocksdb::IOOptions(),
                                                &file_size, nullptr);
  if (s.ok()) s = NewFileReader(path, &meta_file);
  rocksdb::Footer f;
  if (s.ok()) {
    s = rocksdb::ReadFooterFromFile(rocksdb::IOOptions(), meta_file.get(),
                                    nullptr, file_size, &f);
  }
  if (!s.ok()) return s;
  footer.magic_number = f.table_magic_number();
  footer.format_version = f.format_version();
  footer.checksum_type = static_cast<int>(f.checksum_type());
  footer.metaindex =
      BlockExtent(f.metaindex_handle().offset(), f.metaindex_handle().size());
  return s;
}

Status SegmentInspector::Rep::OpenTable(const std::string& path) {
  std::unique_ptr<rocksdb::RandomAccessFileReader> file;
  Status s = NewFileReader(path, &file);
  if (!s.ok()) return s;
  rocksdb::TableReaderOptions topts(ioptions, /*prefix_extractor=*/nullptr,
                                    env_options, icmp);
  topts.largest_seqno = rocksdb::kMaxSequenceNumber;
  s = options.table_factory->NewTableReader(topts, std::move(file), file_size,
                                            &table);
  if (!s.ok()) return s;
  drift = dynamic_cast<const DriftTableReader*>(table.get());
  return drift != nullptr ? Status::OK()
                          : Status::Corruption("not a .drift table: " + path);
}

SegmentInspector::SegmentInspector(std::unique_ptr<Rep> rep)
    : rep_(std::move(rep)) {}
SegmentInspector::~SegmentInspector() = default;

Status SegmentInspector::Open(const rocksdb::Options& options,
                              const std::string& path,
                              std::unique_ptr<SegmentInspector>* out) {
  std::unique_ptr<Rep> rep(new Rep(options));
  Status s = rep->ReadFooter(path);
  if (s.ok()) s = rep->OpenTable(path);
  if (s.ok()) out->reset(new SegmentInspector(std::move(rep)));
  return s;
}

uint64_t SegmentInspector::file_size() const { return rep_->file_size; }
const SegmentInspector::Footer& SegmentInspector::footer() const {
  return rep_->footer;
}
const VectorSectionReader& SegmentInspector::section() const {
  return rep_->drift->section();
}

Status SegmentInspector::ListMetaBlocks(
    std::vector<std::pair<std::string, BlockExtent>>* blocks) const {
  BlockBuffer buf;
  Status s = ReadBlock(rep_->meta_file.get(), rep_->footer.metaindex, &buf);
  if (!s.ok()) return s;
  rocksdb::Block meta(rocksdb::BlockContents(buf.data));
  std::unique_ptr<rocksdb::MetaBlockIter> it(meta.NewMetaIterator());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::BlockHandle h;
    rocksdb::Slice v = it->value();
    s = h.DecodeFrom(&v);
    if (!s.ok()) return s;
    blocks->emplace_back(it->key().ToString(),
                         BlockExtent(h.offset(), h.size()));
  }
  return it->status();
}

void SegmentInspector::MemoryBreakdown(
    std::vector<std::pair<std::string, size_t>>* parts) const {
  rep_->drift->MemoryBreakdown(parts);
}

Status SegmentInspector::ListRangeTombstones(
    std::vector<RangeTombstone>* out) const {
  std::unique_ptr<rocksdb::FragmentedRangeTombstoneIterator> it(
      const_cast<DriftTableReader*>(rep_->drift)
          ->NewRangeTombstoneIterator(rocksdb::ReadOptions()));
  if (it == nullptr) return Status::OK();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out->push_back(
        {it->start_key().ToString(), it->end_key().ToString(), it->seq()});
  }
  return Status::OK();
}

}  // namespace drift
