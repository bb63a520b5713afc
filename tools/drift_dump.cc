// drift_dump: the sst_dump of .drift table files. Stock sst_dump rejects the
// drift magic number, so files are opened through RocksDB's public
// SstFileReader with Drift's table factory (properties, checksums, user-key
// scan) and, for the drift sections, through a SegmentInspector.
//
// Exit codes: 0 ok, 1 bad usage, 2 corruption or I/O error (any file).
#include <gflags/gflags.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drift/plugin.h"
#include "rocksdb/env.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_reader.h"
#include "rocksdb/table_properties.h"
#include "table/internal_key.h"
#include "table/segment_inspector.h"
#include "tools/gflags_help.h"
#include "tools/tool_logging.h"
#include "tools/vector_text.h"

DEFINE_string(file, "",
              "A .drift table file, or a directory: then every *.sst file in "
              "it, in name order.");
DEFINE_string(command, "properties",
              "properties | verify | scan | raw | buckets");
DEFINE_string(from, "",
              "scan, raw: first user key (inclusive); empty = from the start");
DEFINE_string(to, "",
              "scan, raw: user key to stop before (exclusive); empty = to the "
              "end");
DEFINE_int64(limit, 0,
             "scan, raw: at most this many entries per file (0: all)");
DEFINE_bool(hex, false,
            "scan, raw: print keys and non-vector values in hex and read "
            "--from/--to as hex");
DEFINE_int32(max_values, 8,
             "scan, raw, buckets: floats printed per vector or centroid "
             "(0: all)");

namespace drift {
namespace tools {
namespace {

using rocksdb::Slice;
using rocksdb::Status;

enum ExitCode : int { kExitOk = 0, kExitUsage = 1, kExitError = 2 };

constexpr char kUsage[] =
    "inspects .drift table files (the segments of a Drift vector column "
    "family).\n\n"
    "  drift_dump --file=<file.sst|dir> [--command=properties|verify|scan|raw|"
    "buckets]\n\n"
    "commands:\n"
    "  properties  table properties, footer, drift segment header, bucket "
    "summary,\n"
    "              bytes per section and float compression ratios (default)\n"
    "  verify      every checksum (blocks, blobs, float chunks, raw values)\n"
    "  scan        newest visible entry per user key: key => value\n"
    "  raw         every entry: internal key (seq, type), storage kind, "
    "value;\n"
    "              then range tombstone fragments\n"
    "  buckets     the bucket directory: id, rows, blob and chunk bytes, "
    "centroid\n\n"
    "exit codes: 0 ok, 1 bad usage, 2 corruption or I/O error (any file)";

rocksdb::Options DumpOptions() {
  RegisterDrift();
  DriftTableOptions topts;  // dimension 0: a segment records its own
  topts.blob_cache_size = 0;
  rocksdb::Options options;
  options.table_factory = NewDriftTableFactory(topts);
  return options;
}

// One .drift file opened twice: through the public SstFileReader and through
// a SegmentInspector (footer, meta blocks, drift sections, internal keys).
class DriftFile {
 public:
  DriftFile() : options_(DumpOptions()) {}

  // NotSupported if the file is a table of another format.
  Status Open(const std::string& path) {
    Status s = SegmentInspector::Open(options_, path, &inspector_);
    if (s.ok()) {
      sst_.reset(new rocksdb::SstFileReader(options_));
      s = sst_->Open(path);
    }
    return s;
  }

  rocksdb::SstFileReader& sst() { return *sst_; }
  const SegmentInspector& inspector() const { return *inspector_; }
  const VectorSectionReader& drift() const { return inspector_->section(); }
  const SegmentInspector::Footer& footer() const {
    return inspector_->footer();
  }
  uint64_t file_size() const { return inspector_->file_size(); }

 private:
  const rocksdb::Options options_;
  std::unique_ptr<SegmentInspector> inspector_;
  std::unique_ptr<rocksdb::SstFileReader> sst_;
};

// ---------------------------------------------------------------------------
// Formatting

std::string FormatKey(const Slice& key) {
  return FLAGS_hex ? "0x" + ToHex(key) : Escape(key);
}

std::string FormatVector(const Slice& value, uint32_t dim) {
  std::vector<float> v(dim);
  std::memcpy(v.data(), value.data(), value.size());
  return FormatFloats(v.data(), dim, static_cast<size_t>(FLAGS_max_values));
}

// Vectors (exactly `dim` floats) as floats, anything else as text or hex.
std::string FormatValue(const Slice& value, uint32_t dim) {
  if (dim > 0 && value.size() == size_t{dim} * sizeof(float)) {
    return FormatVector(value, dim);
  }
  return FLAGS_hex ? "0x" + ToHex(value) : Escape(value);
}

const char* TypeName(EntryType type) {
  switch (type) {
    case EntryType::kDeletion:
      return "DEL";
    case EntryType::kValue:
      return "PUT";
    case EntryType::kMerge:
      return "MERGE";
    case EntryType::kSingleDeletion:
      return "SDEL";
    case EntryType::kRangeDeletion:
      return "RANGE_DEL";
    case EntryType::kBlobIndex:
      return "BLOB_INDEX";
    case EntryType::kDeletionWithTimestamp:
      return "DEL_TS";
    case EntryType::kWideColumnEntity:
      return "ENTITY";
  }
  return "UNKNOWN";
}

std::string FormatRef(const ValueRef& ref) {
  switch (ref.kind) {
    case ValueKind::kInline:
      return "inline";
    case ValueKind::kRaw:
      return "raw@" + std::to_string(ref.offset);
    case ValueKind::kVector:
      return "vector b=" + std::to_string(ref.bucket) +
             " r=" + std::to_string(ref.row);
  }
  return "?";
}

// ---------------------------------------------------------------------------
// properties

void PrintFooter(const SegmentInspector::Footer& footer) {
  std::printf("footer: magic 0x%016" PRIx64 " (drift), format version %" PRIu32
              ", checksum type %d, metaindex handle (offset %" PRIu64
              ", size %" PRIu64 ")\n",
              footer.magic_number, footer.format_version, footer.checksum_type,
              footer.metaindex.offset(), footer.metaindex.size());
}

void PrintSegment(const VectorSectionReader& r) {
  const SegmentHeader& h = r.header();
  const BucketDirectory& d = r.directory();
  std::printf("drift segment:\n");
  std::printf("  dimension: %" PRIu32 "\n", h.dimension);
  std::printf("  vectors: %" PRIu64 "\n", h.num_vectors);
  std::printf("  raw value records: %" PRIu64 "\n", h.num_raw);
  std::printf("  codebook epoch: %" PRIu64 "\n", d.codebook_epoch);
  std::printf("  buckets: %zu\n", d.buckets.size());
  if (d.buckets.empty()) return;
  uint32_t lo = UINT32_MAX;
  uint32_t hi = 0;
  for (const BucketHeader& b : d.buckets) {
    lo = std::min(lo, b.num_rows);
    hi = std::max(hi, b.num_rows);
  }
  std::printf("  rows per bucket: min %" PRIu32 ", mean %.1f, max %" PRIu32
              "\n",
              lo, static_cast<double>(h.num_vectors) / d.buckets.size(), hi);
  std::printf("  rows per float chunk: %" PRIu32 "\n", d.rows_per_chunk);
  if (r.rabitq() != nullptr) {
    std::printf("  codes: %srabitq (1 bit x %" PRIu32
                " rotated components + %zu bytes per row)\n",
                r.has_sq8_codes() ? "sq8 + " : "", r.rabitq()->padded_dim(),
                kRabitqFactorsPerRow * sizeof(float));
  } else {
    std::printf("  codes: sq8\n");
  }
}

struct Sections {
  std::vector<std::pair<std::string, uint64_t>> rows;  // name, bytes
  uint64_t codes = 0;   // SQ8 codes inside the bucket blobs
  uint64_t rabitq = 0;  // their RaBitQ sections (0: none)
  uint64_t chunks = 0;  // ALP float chunks
};

uint64_t WithTrailer(uint64_t size) { return size + kBlockTrailerSize; }

Status AddRawRecords(const VectorSectionReader& r, Sections* out) {
  std::unique_ptr<rocksdb::Iterator> it(r.NewKeyIndexIterator());
  uint64_t bytes = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ValueRef ref;
    Status s = DecodeValueRef(it->value(), &ref);
    if (!s.ok()) return s;
    if (ref.kind == ValueKind::kRaw) bytes += WithTrailer(ref.size);
  }
  out->rows.emplace_back("raw value records", bytes);
  return it->status();
}

void AddBuckets(const VectorSectionReader& r, Sections* out) {
  const BucketDirectory& d = r.directory();
  const uint32_t pd = r.rabitq() != nullptr ? r.rabitq()->padded_dim() : 0;
  uint64_t blobs = 0;
  for (const BucketHeader& b : d.buckets) {
    blobs += WithTrailer(b.data.size());
    if (r.has_sq8_codes()) out->codes += uint64_t{b.num_rows} * d.dim;
    if (pd != 0) {
      out->rabitq +=
          uint64_t{pd} * sizeof(float) +
          uint64_t{b.num_rows} *
              (RabitqCodeBytes(pd) + kRabitqFactorsPerRow * sizeof(float));
    }
    for (size_t c = 0; c < b.num_chunks(); ++c) {
      out->chunks += WithTrailer(b.chunk(c).size);
    }
  }
  out->rows.emplace_back(!r.has_sq8_codes() ? "bucket blobs (RaBitQ + keys)"
                         : pd != 0 ? "bucket blobs (SQ8 + RaBitQ + keys)"
                                   : "bucket blobs (SQ8 codes + row keys)",
                         blobs);
  out->rows.emplace_back("float chunks (ALP)", out->chunks);
}

Status AddMetaBlocks(const DriftFile& f, Sections* out) {
  std::vector<std::pair<std::string, BlockExtent>> blocks;
  Status s = f.inspector().ListMetaBlocks(&blocks);
  if (!s.ok()) return s;
  for (const auto& b : blocks) {
    out->rows.emplace_back(b.first, WithTrailer(b.second.size()));
    if (b.first == kKeyIndexTopBlockName) {
      // The builder counts the partitions and their top level as index_size.
      const uint64_t index = f.drift().properties()->index_size;
      out->rows.emplace_back("key index partitions",
                             index > out->rows.back().second
                                 ? index - out->rows.back().second
                                 : 0);
    }
  }
  const BlockExtent& mh = f.footer().metaindex;
  out->rows.emplace_back("metaindex", WithTrailer(mh.size()));
  const uint64_t footer_start = mh.offset() + WithTrailer(mh.size());
  out->rows.emplace_back("footer", f.file_size() - footer_start);
  return Status::OK();
}

double Ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

void PrintSections(const Sections& sec, const DriftFile& f) {
  uint64_t sum = 0;
  for (const auto& row : sec.rows) sum += row.second;
  std::printf("bytes per section (with 4-byte crc trailers):\n");
  for (const auto& row : sec.rows) {
    std::printf("  %-36s %12" PRIu64 "\n", row.first.c_str(), row.second);
  }
  const uint64_t padding = f.file_size() > sum ? f.file_size() - sum : 0;
  std::printf("  %-36s %12" PRIu64 "\n", "alignment padding", padding);
  std::printf("  %-36s %12" PRIu64 "\n", "total (file size)", f.file_size());
  const SegmentHeader& h = f.drift().header();
  const uint64_t raw_floats = h.num_vectors * h.dimension * sizeof(float);
  std::printf("raw float bytes (vectors x dimension x 4): %" PRIu64 "\n",
              raw_floats);
  std::printf("float chunks / raw floats: %.4f\n",
              Ratio(sec.chunks, raw_floats));
  std::printf("SQ8 codes / raw floats: %.4f\n", Ratio(sec.codes, raw_floats));
  if (sec.rabitq != 0) {
    std::printf("RaBitQ sections / raw floats: %.4f\n",
                Ratio(sec.rabitq, raw_floats));
  }
  std::printf("file size / raw floats: %.4f\n",
              Ratio(f.file_size(), raw_floats));
}

// What an open reader of the file keeps in RAM, outside the caches (the
// rocksdb.estimate-table-readers-mem of a DB): pin slots grow as searches
// pin blobs in a blob cache, which this tool does not have.
void PrintReaderMemory(const DriftFile& f) {
  std::vector<std::pair<std::string, size_t>> parts;
  f.inspector().MemoryBreakdown(&parts);
  const uint64_t vectors = f.drift().header().num_vectors;
  std::printf("reader RAM (bytes, bytes per vector):\n");
  size_t sum = 0;
  for (const auto& p : parts) {
    std::printf("  %-36s %12zu %10.2f\n", p.first.c_str(), p.second,
                vectors == 0 ? 0.0 : static_cast<double>(p.second) / vectors);
    sum += p.second;
  }
  std::printf("  %-36s %12zu %10.2f\n", "total", sum,
              vectors == 0 ? 0.0 : static_cast<double>(sum) / vectors);
}

Status CmdProperties(DriftFile& f) {
  std::shared_ptr<const rocksdb::TableProperties> props =
      f.sst().GetTableProperties();
  std::printf("file size: %" PRIu64 "\n", f.file_size());
  PrintFooter(f.footer());
  std::string text = props->ToString("\n  ", ": ");
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) {
    text.pop_back();
  }
  std::printf("table properties:\n  %s\n", text.c_str());
  // Drift's own properties (drift.*) and those of user collectors.
  std::printf("user collected properties:\n");
  for (const auto& p : props->user_collected_properties) {
    std::printf("  %s: %s\n", Escape(p.first).c_str(),
                Escape(p.second).c_str());
  }
  PrintSegment(f.drift());
  Sections sec;
  Status s = AddRawRecords(f.drift(), &sec);
  if (!s.ok()) return s;
  AddBuckets(f.drift(), &sec);
  s = AddMetaBlocks(f, &sec);
  if (s.ok()) PrintSections(sec, f);
  if (s.ok()) PrintReaderMemory(f);
  return s;
}

// ---------------------------------------------------------------------------
// buckets

Status CmdBuckets(DriftFile& f) {
  const BucketDirectory& d = f.drift().directory();
  VectorSectionReader::BlobRef centroids;
  if (!d.buckets.empty()) {
    Status s = f.drift().GetCentroids(&centroids);
    if (!s.ok()) return s;
  }
  std::printf("dimension %" PRIu32 ", codebook epoch %" PRIu64
              ", %zu buckets, %" PRIu32 " rows per float chunk\n",
              d.dim, d.codebook_epoch, d.buckets.size(), d.rows_per_chunk);
  std::printf("%6s %8s %12s %10s %7s %12s  %s\n", "bucket", "rows",
              "blob_offset", "blob_bytes", "chunks", "chunk_bytes", "centroid");
  for (size_t i = 0; i < d.buckets.size(); ++i) {
    const BucketHeader& b = d.buckets[i];
    uint64_t chunk_bytes = 0;
    for (size_t c = 0; c < b.num_chunks(); ++c) {
      chunk_bytes += WithTrailer(b.chunk(c).size);
    }
    std::printf("%6zu %8" PRIu32 " %12" PRIu64 " %10" PRIu64 " %7zu %12" PRIu64
                "  %s\n",
                i, b.num_rows, b.data.offset(), WithTrailer(b.data.size()),
                b.num_chunks(), chunk_bytes,
                FormatFloats(centroids.floats() + i * d.dim, d.dim,
                             static_cast<size_t>(FLAGS_max_values))
                    .c_str());
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// verify, scan, raw

Status CmdVerify(DriftFile& f, const std::string& path) {
  Status s = f.sst().VerifyChecksum();
  if (s.ok()) {
    std::printf("OK: %s: every checksum verified (%" PRIu64 " bytes)\n",
                path.c_str(), f.file_size());
  }
  return s;
}

struct KeyRange {
  std::string from;  // empty: unbounded
  std::string to;    // empty: unbounded
  bool Past(const Slice& user_key) const {
    return !to.empty() && user_key.compare(to) >= 0;
  }
};

bool LimitReached(int64_t n) { return FLAGS_limit > 0 && n >= FLAGS_limit; }

Status CmdScan(DriftFile& f, const KeyRange& range) {
  const uint32_t dim = f.drift().header().dimension;
  std::unique_ptr<rocksdb::Iterator> it(
      f.sst().NewIterator(rocksdb::ReadOptions()));
  if (range.from.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(range.from);
  }
  for (int64_t n = 0; it->Valid() && !range.Past(it->key()) && !LimitReached(n);
       it->Next(), ++n) {
    std::printf("%s => %s\n", FormatKey(it->key()).c_str(),
                FormatValue(it->value(), dim).c_str());
  }
  return it->status();
}

Status PrintRawEntry(const VectorSectionReader& r, const ParsedKey& k,
                     const Slice& encoded_ref) {
  ValueRef ref;
  Status s = DecodeValueRef(encoded_ref, &ref);
  BlockBuffer buf;
  Slice value;
  if (s.ok()) s = r.ReadValue(ref, &buf, &value);
  if (!s.ok()) return s;
  std::printf("%s @ seq:%" PRIu64 " type:%s (%s) => %s\n",
              FormatKey(k.user_key).c_str(), k.sequence, TypeName(k.type),
              FormatRef(ref).c_str(),
              FormatValue(value, r.header().dimension).c_str());
  return Status::OK();
}

Status PrintRangeTombstones(const SegmentInspector& inspector) {
  std::vector<SegmentInspector::RangeTombstone> tombstones;
  Status s = inspector.ListRangeTombstones(&tombstones);
  for (const auto& t : tombstones) {
    std::printf("range tombstone [%s, %s) @ seq:%" PRIu64 "\n",
                FormatKey(t.start_key).c_str(), FormatKey(t.end_key).c_str(),
                t.sequence);
  }
  return s;
}

Status CmdRaw(DriftFile& f, const KeyRange& range) {
  const VectorSectionReader& r = f.drift();
  std::unique_ptr<rocksdb::Iterator> it(r.NewKeyIndexIterator());
  if (range.from.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(SeekKey(range.from));
  }
  for (int64_t n = 0; it->Valid() && !LimitReached(n); it->Next(), ++n) {
    ParsedKey k;
    Status s = ParseKey(it->key(), &k);
    if (!s.ok()) return s;
    if (range.Past(k.user_key)) break;
    s = PrintRawEntry(r, k, it->value());
    if (!s.ok()) return s;
  }
  if (!it->status().ok()) return it->status();
  return PrintRangeTombstones(f.inspector());
}

// ---------------------------------------------------------------------------
// Driver

enum class Command { kProperties, kVerify, kScan, kRaw, kBuckets };

bool ParseCommand(const std::string& name, Command* cmd) {
  static const std::pair<const char*, Command> kCommands[] = {
      {"properties", Command::kProperties},
      {"verify", Command::kVerify},
      {"scan", Command::kScan},
      {"raw", Command::kRaw},
      {"buckets", Command::kBuckets}};
  for (const auto& c : kCommands) {
    if (name == c.first) {
      *cmd = c.second;
      return true;
    }
  }
  return false;
}

Status RunOne(const std::string& path, Command cmd, const KeyRange& range) {
  DriftFile f;
  Status s = f.Open(path);
  if (!s.ok()) return s;
  switch (cmd) {
    case Command::kProperties:
      return CmdProperties(f);
    case Command::kVerify:
      return CmdVerify(f, path);
    case Command::kScan:
      return CmdScan(f, range);
    case Command::kRaw:
      return CmdRaw(f, range);
    case Command::kBuckets:
      return CmdBuckets(f);
  }
  return Status::InvalidArgument("unknown command");
}

// The files to dump: `path` itself, or the *.sst files of a directory.
Status ListFiles(const std::string& path, std::vector<std::string>* files,
                 bool* is_dir) {
  rocksdb::Env* env = rocksdb::Env::Default();
  Status s = env->FileExists(path);
  if (s.IsNotFound()) return Status::NotFound("no such file or directory");
  if (s.ok()) s = env->IsDirectory(path, is_dir);
  if (!s.ok()) return s;
  if (!*is_dir) {
    files->push_back(path);
    return Status::OK();
  }
  std::vector<std::string> children;
  s = env->GetChildren(path, &children);
  if (!s.ok()) return s;
  std::sort(children.begin(), children.end());
  for (const std::string& c : children) {
    if (Slice(c).ends_with(".sst")) files->push_back(path + "/" + c);
  }
  return files->empty() ? Status::NotFound("no *.sst file in " + path)
                        : Status::OK();
}

int UsageError(const std::string& msg) {
  std::fprintf(stderr, "drift_dump: %s (see --help)\n", msg.c_str());
  return kExitUsage;
}

// Checks the flags; fills `cmd` and `range`. Returns false on bad usage.
bool ParseFlags(Command* cmd, KeyRange* range, std::string* error) {
  if (FLAGS_file.empty()) {
    *error = "--file is required";
    return false;
  }
  if (!ParseCommand(FLAGS_command, cmd)) {
    *error = "unknown --command=" + FLAGS_command;
    return false;
  }
  if (FLAGS_limit < 0 || FLAGS_max_values < 0) {
    *error = "--limit and --max_values must be >= 0";
    return false;
  }
  range->from = FLAGS_from;
  range->to = FLAGS_to;
  if (FLAGS_hex) {
    Status s = FromHex(FLAGS_from, &range->from);
    if (s.ok()) s = FromHex(FLAGS_to, &range->to);
    if (!s.ok()) {
      *error = s.ToString();
      return false;
    }
  }
  return true;
}

int ReportError(const std::string& path, const Status& s) {
  std::fprintf(stderr, "drift_dump: %s: %s\n", path.c_str(),
               s.ToString().c_str());
  return kExitError;
}

// In a directory, tables of other formats (an ordinary column family's) are
// skipped with a note; a single file of another format is an error.
int Run() {
  Command cmd = Command::kProperties;
  KeyRange range;
  std::string error;
  if (!ParseFlags(&cmd, &range, &error)) return UsageError(error);
  std::vector<std::string> files;
  bool is_dir = false;
  Status s = ListFiles(FLAGS_file, &files, &is_dir);
  if (!s.ok()) return ReportError(FLAGS_file, s);
  int rc = kExitOk;
  size_t skipped = 0;
  for (const std::string& path : files) {
    if (is_dir) std::printf("=== %s\n", path.c_str());
    std::fflush(stdout);
    s = RunOne(path, cmd, range);
    std::fflush(stdout);
    if (s.IsNotSupported() && is_dir) {
      std::fprintf(stderr, "drift_dump: %s: skipped: %s\n", path.c_str(),
                   s.getState());
      ++skipped;
    } else if (!s.ok()) {
      rc = ReportError(path, s);
    }
  }
  if (skipped == files.size()) {
    return ReportError(FLAGS_file, Status::NotFound("no .drift table"));
  }
  return rc;
}

}  // namespace
}  // namespace tools
}  // namespace drift

int main(int argc, char** argv) {
  gflags::SetUsageMessage(drift::tools::kUsage);
  const std::string command = drift::tools::CommandLine(argc, argv);
  if (drift::tools::ParseFlagsOrShowHelp(&argc, &argv, "drift_dump.cc"))
    return drift::tools::kExitOk;
  return drift::tools::RunLogged(argv[0], command, [&] {
    if (argc > 1) {
      return drift::tools::UsageError(std::string("unexpected argument '") +
                                      argv[1] + "'");
    }
    return drift::tools::Run();
  });
}
