// drift_stress: Drift's db_stress. Worker threads write and verify their own
// key ranges of a vector column family (puts, overwrites, deletes, range
// deletes, WriteBatches that also write a plain column family, gets, snapshot
// iterators); searcher threads check searches at a snapshot against RocksDB's
// own view at that snapshot (an iterator); a maintenance thread flushes,
// compacts and trains codebooks. Every read is checked against an expected
// state that can live in a file (--expected_state), so that a run killed with
// SIGKILL is verified when the next run starts (scripts/crash_test.sh).
// Prints one summary line last; exits 0 only if every check passed.
#include <fcntl.h>
#include <gflags/gflags.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "drift/plugin.h"
#include "drift/table_files.h"
#include "drift/vector_index.h"
#include "index/distance.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/write_batch.h"
#include "tools/gflags_help.h"
#include "tools/tool_logging.h"

DEFINE_string(db, "", "Database directory (required)");
DEFINE_int32(duration, 30, "Seconds to run the workload");
DEFINE_int32(threads, 4, "Worker threads (each owns --keys_per_thread keys)");
DEFINE_int32(searchers, 1, "Threads running snapshot searches");
DEFINE_int32(keys_per_thread, 500, "Vector keys owned by each worker");
DEFINE_int32(dim, 8, "Vector dimension");
DEFINE_bool(sync, false, "fsync the WAL on every write");
DEFINE_uint64(seed, 0, "Random seed (0: from the clock)");
DEFINE_string(expected_state, "",
              "File holding the expected state across runs (crash testing); "
              "empty: in memory, and the DB is destroyed first");
DEFINE_int32(flush_ms, 300, "Mean interval of memtable flushes");
DEFINE_int32(compact_ms, 2000, "Mean interval of full compactions");
DEFINE_int32(train_ms, 4000, "Mean interval of codebook training");
DEFINE_int64(write_buffer_size, 256 << 10, "Memtable size in bytes");
DEFINE_bool(reopen, true, "Close, reopen and verify everything at the end");

namespace drift {
namespace stress {
namespace {

using Clock = std::chrono::steady_clock;

// State word of a key: version << 1 | present. Versions grow with every write
// of the key, so a value identifies the write that made it.
inline uint32_t Word(uint32_t version, bool present) {
  return version << 1 | (present ? 1u : 0u);
}
inline uint32_t VersionOf(uint32_t word) { return word >> 1; }
inline bool Present(uint32_t word) { return (word & 1) != 0; }

// Per key and column family: the last acknowledged write and the one in
// flight (equal when none is). Shared memory when mapped from a file, so a
// SIGKILL between the DB's acknowledgement and our update leaves `pending`
// naming the write that may or may not have landed.
struct KeyState {
  uint32_t vec_acked, vec_pending, plain_acked, plain_pending;
};

class ExpectedState {
 public:
  rocksdb::Status Open(const std::string& path, size_t keys, bool* existed) {
    size_ = keys * sizeof(KeyState);
    *existed = false;
    if (path.empty()) {
      owned_.assign(keys, KeyState{0, 0, 0, 0});
      states_ = owned_.data();
      return rocksdb::Status::OK();
    }
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd_ < 0) return rocksdb::Status::IOError("open", path);
    const off_t size = ::lseek(fd_, 0, SEEK_END);
    *existed = size == static_cast<off_t>(size_);
    if (!*existed && ::ftruncate(fd_, 0) == 0 &&
        ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      return rocksdb::Status::IOError("ftruncate", path);
    }
    void* p =
        ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return rocksdb::Status::IOError("mmap", path);
    states_ = static_cast<KeyState*>(p);
    return rocksdb::Status::OK();
  }
  ~ExpectedState() {
    if (fd_ >= 0) {
      ::munmap(states_, size_);
      ::close(fd_);
    }
  }
  KeyState& at(size_t key) { return states_[key]; }

 private:
  int fd_ = -1;
  size_t size_ = 0;
  KeyState* states_ = nullptr;
  std::vector<KeyState> owned_;
};

std::string KeyName(size_t key) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "v%08zu", key);
  return buf;
}

// The vector written by version `version` of `key`: component 0 is the
// version, the rest a deterministic function of both.
std::vector<float> VectorOf(size_t key, uint32_t version) {
  std::vector<float> v(FLAGS_dim);
  v[0] = static_cast<float>(version % (1u << 20)) / (1u << 16);
  uint64_t h =
      (key + 1) * 0x9E3779B97F4A7C15ull ^ version * 0xC2B2AE3D27D4EB4Full;
  for (int j = 1; j < FLAGS_dim; ++j) {
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    v[j] = static_cast<float>(static_cast<int64_t>(h % 20001) - 10000) / 10000;
  }
  return v;
}

std::string PlainOf(uint32_t version) {
  return "plain@" + std::to_string(version);
}

struct Counters {
  std::atomic<uint64_t> puts{0}, deletes{0}, range_deletes{0}, batches{0},
      gets{0}, scans{0}, searches{0}, exhaustive_checked{0}, flushes{0},
      compactions{0}, trains{0}, failures{0}, recall_hits{0}, recall_total{0};
};

class Stress {
 public:
  int Run();

 private:
  rocksdb::Status OpenDb();
  void CloseDb();
  // The VectorIndex over handles_[1], attached / closed on the open DB.
  rocksdb::Status AttachIndex();
  void CloseIndex();
  void Fail(const std::string& what);
  // Checks one key against the expected state (after a crash, `pending` is
  // also acceptable) and, with `settle`, makes the observed state the acked.
  void CheckKey(size_t key, bool allow_pending, bool settle);
  void VerifyAll(bool allow_pending, bool settle);
  // Every .sst file in the DB directory is live (none orphaned by a crash).
  void CheckNoOrphanTables();
  void Worker(int t);
  void Searcher(int t);
  void Maintainer();
  bool Running() const { return Clock::now() < deadline_; }

  void Put(size_t key);
  void Delete(size_t key);
  void DeleteRange(size_t first, size_t end);
  void Batch(size_t key);
  void VerifyOwnRangeWithIterator(size_t first, size_t end);
  void SearchOnce(std::mt19937_64& rng);

  ExpectedState state_;
  Counters c_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*>
      handles_;  // default, vectors, plain
  std::unique_ptr<VectorIndex> index_;
  rocksdb::WriteOptions wo_;
  Clock::time_point deadline_;
  std::mutex fail_mu_;
  size_t num_keys_ = 0;
};

void Stress::Fail(const std::string& what) {
  ++c_.failures;
  std::lock_guard<std::mutex> lock(fail_mu_);
  if (c_.failures <= 20)
    std::fprintf(stderr, "drift_stress: FAIL %s\n", what.c_str());
}

rocksdb::Status Stress::OpenDb() {
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 4;
  rocksdb::ColumnFamilyOptions base;
  base.write_buffer_size = static_cast<size_t>(FLAGS_write_buffer_size);
  base.level0_file_num_compaction_trigger = 4;
  base.target_file_size_base = 1 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"vectors",
       VectorColumnFamilyOptions(static_cast<uint32_t>(FLAGS_dim), base)},
      {"plain", base}};
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_opts, FLAGS_db, cfs, &handles_, &db);
  if (!s.ok()) return s;
  db_.reset(db);
  return AttachIndex();
}

rocksdb::Status Stress::AttachIndex() {
  VectorIndexOptions vopts;
  vopts.dimension = static_cast<uint32_t>(FLAGS_dim);
  vopts.min_train_vectors = 1000;
  vopts.target_bucket_size = 64;
  return VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_);
}

void Stress::CloseIndex() {
  if (index_ != nullptr) {
    rocksdb::Status s = index_->Close();
    if (!s.ok()) Fail("index close: " + s.ToString());
  }
  index_.reset();
}

void Stress::CloseDb() {
  CloseIndex();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_.reset();
}

void Stress::CheckKey(size_t key, bool allow_pending, bool settle) {
  KeyState& st = state_.at(key);
  const std::string name = KeyName(key);
  std::vector<float> v;
  rocksdb::Status s = index_->Get(rocksdb::ReadOptions(), name, &v);
  ++c_.gets;
  uint32_t observed = 0;
  if (s.ok()) {
    const uint32_t version =
        static_cast<uint32_t>(std::lround(v[0] * (1u << 16)));
    observed = Word(version, true);
    for (uint32_t w : {st.vec_acked, st.vec_pending}) {
      if (Present(w) && VersionOf(w) % (1u << 20) == version) observed = w;
    }
    if (v != VectorOf(key, VersionOf(observed))) {
      Fail(name + ": vector content is not what version " +
           std::to_string(VersionOf(observed)) + " wrote");
    }
  } else if (s.IsNotFound()) {
    // Absent keeps the last version, so versions are never reused.
    observed = Word(VersionOf(std::max(st.vec_acked, st.vec_pending)), false);
  } else {
    Fail(name + ": get: " + s.ToString());
    return;
  }
  auto matches = [&](uint32_t want) {
    return Present(observed) == Present(want) &&
           (!Present(observed) || observed == want);
  };
  const bool ok =
      matches(st.vec_acked) || (allow_pending && matches(st.vec_pending));
  if (!ok) {
    Fail(name + ": vector state " + std::to_string(observed) + ", expected " +
         std::to_string(st.vec_acked) +
         (allow_pending ? " or " + std::to_string(st.vec_pending) : ""));
  }
  std::string plain;
  s = db_->Get(rocksdb::ReadOptions(), handles_[2], name, &plain);
  uint32_t plain_observed = 0;
  if (s.ok()) {
    for (uint32_t w : {st.plain_acked, st.plain_pending}) {
      if (Present(w) && plain == PlainOf(VersionOf(w))) plain_observed = w;
    }
    if (plain_observed == 0)
      Fail(name + ": plain value '" + plain + "' unexpected");
  } else if (!s.IsNotFound()) {
    Fail(name + ": plain get: " + s.ToString());
    return;
  }
  if (plain_observed != st.plain_acked &&
      !(allow_pending && plain_observed == st.plain_pending)) {
    Fail(name + ": plain state " + std::to_string(plain_observed) +
         ", expected " + std::to_string(st.plain_acked));
  }
  // A batch writes both: after a crash both or neither show it.
  if (allow_pending && st.plain_pending != st.plain_acked &&
      st.plain_pending == st.vec_pending &&
      (observed == st.vec_pending) != (plain_observed == st.plain_pending)) {
    Fail(name + ": a WriteBatch landed in one column family only");
  }
  if (settle) {
    st.vec_acked = st.vec_pending = observed;
    st.plain_acked = st.plain_pending = plain_observed;
  }
}

void Stress::VerifyAll(bool allow_pending, bool settle) {
  for (size_t k = 0; k < num_keys_; ++k) CheckKey(k, allow_pending, settle);
  // An exhaustive search equals brute force over the expected state.
  std::vector<std::pair<float, std::string>> all;
  std::mt19937_64 rng(FLAGS_seed);
  const std::vector<float> q = VectorOf(num_keys_ + 1, 7);
  for (size_t k = 0; k < num_keys_; ++k) {
    const uint32_t w = state_.at(k).vec_acked;
    if (Present(w)) {
      const std::vector<float> v = VectorOf(k, VersionOf(w));
      all.push_back({L2Sqr(q.data(), v.data(), q.size()), KeyName(k)});
    }
  }
  std::sort(all.begin(), all.end());
  SearchOptions so;
  so.exhaustive = true;
  std::vector<SearchHit> hits;
  rocksdb::Status s = index_->Search(so, q, 10, &hits);
  if (!s.ok()) {
    Fail("final exhaustive search: " + s.ToString());
    return;
  }
  for (size_t i = 0; i < std::min<size_t>(10, all.size()); ++i) {
    if (i >= hits.size() || hits[i].key != all[i].second) {
      Fail("final exhaustive search differs from brute force at rank " +
           std::to_string(i));
      break;
    }
  }
}

void Stress::CheckNoOrphanTables() {
  // Quiescent: a flush or compaction in progress writes a file that is not
  // live yet. So does the engine's maintenance, which re-buckets with
  // CompactFiles on its own thread (PauseBackgroundWork does not wait for
  // it): the index is closed for the check and attached again after.
  CloseIndex();
  rocksdb::Status paused = db_->PauseBackgroundWork();
  if (!paused.ok()) return Fail("pause background work: " + paused.ToString());
  // A file an older Version still held when the work paused is obsolete,
  // and RocksDB deletes it once the last reference goes, possibly a moment
  // later on another thread; an orphan stays. So a file counts only if every
  // listing over ~2 s shows it.
  std::vector<std::string> orphans;
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<std::string> listed;
    rocksdb::Status s = ListUnreferencedTableFiles(db_.get(), &listed);
    if (!s.ok()) {
      Fail("list " + FLAGS_db + ": " + s.ToString());
      break;
    }
    if (attempt > 0) {
      std::vector<std::string> still;
      std::sort(listed.begin(), listed.end());
      for (const std::string& f : orphans) {
        if (std::binary_search(listed.begin(), listed.end(), f)) {
          still.push_back(f);
        }
      }
      listed.swap(still);
    }
    orphans.swap(listed);
    if (orphans.empty()) break;
  }
  for (const std::string& f : orphans) Fail("orphan table file " + f);
  paused = db_->ContinueBackgroundWork();
  if (!paused.ok()) Fail("continue background work: " + paused.ToString());
  rocksdb::Status attached = AttachIndex();
  if (!attached.ok()) Fail("attach index: " + attached.ToString());
}

void Stress::Put(size_t key) {
  KeyState& st = state_.at(key);
  const uint32_t version =
      VersionOf(std::max(st.vec_acked, st.vec_pending)) + 1;
  st.vec_pending = Word(version, true);
  rocksdb::Status s = index_->Put(wo_, KeyName(key), VectorOf(key, version));
  if (!s.ok()) return Fail("put: " + s.ToString());
  st.vec_acked = st.vec_pending;
  ++c_.puts;
}

void Stress::Delete(size_t key) {
  KeyState& st = state_.at(key);
  st.vec_pending =
      Word(VersionOf(std::max(st.vec_acked, st.vec_pending)) + 1, false);
  rocksdb::Status s = index_->Delete(wo_, KeyName(key));
  if (!s.ok()) return Fail("delete: " + s.ToString());
  st.vec_acked = st.vec_pending;
  ++c_.deletes;
}

void Stress::DeleteRange(size_t first, size_t end) {
  for (size_t k = first; k < end; ++k) {
    KeyState& st = state_.at(k);
    st.vec_pending =
        Word(VersionOf(std::max(st.vec_acked, st.vec_pending)) + 1, false);
  }
  rocksdb::Status s =
      db_->DeleteRange(wo_, handles_[1], KeyName(first), KeyName(end));
  if (!s.ok()) return Fail("delete range: " + s.ToString());
  for (size_t k = first; k < end; ++k)
    state_.at(k).vec_acked = state_.at(k).vec_pending;
  ++c_.range_deletes;
}

void Stress::Batch(size_t key) {
  KeyState& st = state_.at(key);
  const uint32_t version =
      std::max(VersionOf(std::max(st.vec_acked, st.vec_pending)),
               VersionOf(std::max(st.plain_acked, st.plain_pending))) +
      1;
  st.vec_pending = st.plain_pending = Word(version, true);
  rocksdb::WriteBatch batch;
  rocksdb::Status s = index_->Put(&batch, KeyName(key), VectorOf(key, version));
  if (s.ok()) s = batch.Put(handles_[2], KeyName(key), PlainOf(version));
  if (s.ok()) s = db_->Write(wo_, &batch);
  if (!s.ok()) return Fail("batch: " + s.ToString());
  st.vec_acked = st.vec_pending;
  st.plain_acked = st.plain_pending;
  ++c_.batches;
}

void Stress::VerifyOwnRangeWithIterator(size_t first, size_t end) {
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[1]));
  size_t k = first;
  for (it->Seek(KeyName(first));
       it->Valid() && it->key().ToString() < KeyName(end); it->Next()) {
    const std::string key = it->key().ToString();
    while (k < end && KeyName(k) < key) {
      if (Present(state_.at(k).vec_acked))
        Fail(KeyName(k) + ": missing in iterator");
      ++k;
    }
    const uint32_t w = state_.at(k).vec_acked;
    const std::vector<float> want = VectorOf(k, VersionOf(w));
    if (KeyName(k) != key || !Present(w) ||
        it->value() !=
            rocksdb::Slice(reinterpret_cast<const char*>(want.data()),
                           want.size() * sizeof(float))) {
      Fail(key + ": iterator shows a value the expected state does not have");
    }
    ++k;
  }
  if (!it->status().ok()) Fail("iterator: " + it->status().ToString());
  for (; k < end; ++k) {
    if (Present(state_.at(k).vec_acked))
      Fail(KeyName(k) + ": missing at the end");
  }
  it.reset();
  db_->ReleaseSnapshot(snap);
  ++c_.scans;
}

void Stress::Worker(int t) {
  std::mt19937_64 rng(FLAGS_seed * 1000 + t);
  const size_t first = static_cast<size_t>(t) * FLAGS_keys_per_thread;
  const size_t end = first + FLAGS_keys_per_thread;
  while (Running() && c_.failures == 0) {
    const size_t key = first + rng() % FLAGS_keys_per_thread;
    const int op = static_cast<int>(rng() % 100);
    if (op < 45) {
      Put(key);
    } else if (op < 55) {
      Delete(key);
    } else if (op < 58) {
      DeleteRange(key, std::min(end, key + 1 + rng() % 8));
    } else if (op < 70) {
      Batch(key);
    } else if (op < 98) {
      CheckKey(key, false, false);
    } else {
      VerifyOwnRangeWithIterator(first, end);
    }
  }
}

// A snapshot search checked against RocksDB's view at the same snapshot.
void Stress::SearchOnce(std::mt19937_64& rng) {
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  const std::vector<float> q = VectorOf(num_keys_ + rng() % 1000, 1);
  std::vector<std::pair<float, std::string>> visible;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[1]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::vector<float> v(FLAGS_dim);
    std::memcpy(v.data(), it->value().data(), v.size() * sizeof(float));
    visible.push_back(
        {L2Sqr(q.data(), v.data(), v.size()), it->key().ToString()});
  }
  if (!it->status().ok())
    Fail("search view iterator: " + it->status().ToString());
  it.reset();
  std::sort(visible.begin(), visible.end());
  const size_t k = 10;
  SearchOptions so;
  so.snapshot = snap;
  so.exhaustive = true;
  std::vector<SearchHit> hits;
  rocksdb::Status s = index_->Search(so, q, k, &hits);
  if (!s.ok()) {
    Fail("exhaustive search: " + s.ToString());
  } else {
    for (size_t i = 0; i < std::min(k, visible.size()); ++i) {
      if (i >= hits.size() || hits[i].key != visible[i].second ||
          hits[i].distance != visible[i].first) {
        Fail("exhaustive search differs from the snapshot view at rank " +
             std::to_string(i));
        break;
      }
    }
    ++c_.exhaustive_checked;
  }
  so.exhaustive = false;
  s = index_->Search(so, q, k, &hits);
  if (!s.ok()) {
    Fail("search: " + s.ToString());
  } else {
    for (const SearchHit& h : hits) {
      auto pos = std::find_if(visible.begin(), visible.end(),
                              [&](const auto& e) { return e.second == h.key; });
      if (pos == visible.end() || pos->first != h.distance) {
        Fail("search returned " + h.key + ", not visible at its snapshot");
      } else if (pos - visible.begin() < static_cast<long>(k)) {
        ++c_.recall_hits;
      }
    }
    c_.recall_total += std::min(k, visible.size());
  }
  db_->ReleaseSnapshot(snap);
  ++c_.searches;
}

void Stress::Searcher(int t) {
  std::mt19937_64 rng(FLAGS_seed * 7777 + t);
  while (Running() && c_.failures == 0) SearchOnce(rng);
}

void Stress::Maintainer() {
  std::mt19937_64 rng(FLAGS_seed * 31337);
  auto next = [&](int mean_ms) {
    return Clock::now() + std::chrono::milliseconds(1 + rng() % (2 * mean_ms));
  };
  auto flush_at = next(FLAGS_flush_ms), compact_at = next(FLAGS_compact_ms),
       train_at = next(FLAGS_train_ms);
  while (Running() && c_.failures == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = Clock::now();
    rocksdb::Status s;
    if (now >= flush_at) {
      s = db_->Flush(rocksdb::FlushOptions(), handles_[1]);
      if (s.ok()) ++c_.flushes;
      flush_at = next(FLAGS_flush_ms);
    } else if (now >= compact_at) {
      s = db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                            nullptr, nullptr);
      if (s.ok()) ++c_.compactions;
      compact_at = next(FLAGS_compact_ms);
    } else if (now >= train_at) {
      TrainOptions topts;
      topts.rebucket = rng() % 2 == 0;
      s = index_->Train(topts);
      if (s.ok()) ++c_.trains;
      train_at = next(FLAGS_train_ms);
    }
    if (!s.ok()) Fail("maintenance: " + s.ToString());
  }
}

int Stress::Run() {
  if (FLAGS_db.empty()) {
    std::fprintf(stderr, "drift_stress: --db is required\n");
    return 2;
  }
  if (FLAGS_seed == 0) {
    FLAGS_seed = static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  }
  RegisterDrift();
  wo_.sync = FLAGS_sync;
  num_keys_ = static_cast<size_t>(FLAGS_threads) * FLAGS_keys_per_thread;
  bool existed = false;
  rocksdb::Status s = state_.Open(FLAGS_expected_state, num_keys_, &existed);
  if (s.ok() && !existed) {
    rocksdb::Options destroy_opts;
    s = rocksdb::DestroyDB(FLAGS_db, destroy_opts);
  }
  if (s.ok()) s = OpenDb();
  if (!s.ok()) {
    std::fprintf(stderr, "drift_stress: open: %s\n", s.ToString().c_str());
    return 1;
  }
  const auto start = Clock::now();
  if (existed) {
    // The previous run may have been killed: writes in flight may or may not
    // have landed, everything acknowledged must have.
    CheckNoOrphanTables();
    VerifyAll(/*allow_pending=*/true, /*settle=*/true);
    std::printf("drift_stress: recovered state verified (%" PRIu64
                " failures)\n",
                c_.failures.load());
    std::fflush(stdout);  // A kill must not lose it.
  }
  deadline_ = Clock::now() + std::chrono::seconds(FLAGS_duration);
  std::vector<std::thread> threads;
  for (int t = 0; t < FLAGS_threads; ++t)
    threads.emplace_back(&Stress::Worker, this, t);
  for (int t = 0; t < FLAGS_searchers; ++t) {
    threads.emplace_back(&Stress::Searcher, this, t);
  }
  threads.emplace_back(&Stress::Maintainer, this);
  std::thread progress([&] {
    while (Running() && c_.failures == 0) {
      std::this_thread::sleep_for(std::chrono::seconds(5));
      std::fprintf(stderr,
                   "... %.0f s: %" PRIu64 " writes, %" PRIu64
                   " searches, %" PRIu64 " flushes\n",
                   std::chrono::duration<double>(Clock::now() - start).count(),
                   c_.puts + c_.deletes + c_.batches + c_.range_deletes,
                   c_.searches.load(), c_.flushes.load());
    }
  });
  for (auto& th : threads) th.join();
  progress.join();
  if (c_.failures == 0) VerifyAll(false, false);
  if (c_.failures == 0 && FLAGS_reopen) {
    CloseDb();
    s = OpenDb();
    if (!s.ok()) {
      Fail("reopen: " + s.ToString());
    } else {
      VerifyAll(false, false);
      CheckNoOrphanTables();
    }
  }
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  const uint64_t ops = c_.puts + c_.deletes + c_.range_deletes + c_.batches +
                       c_.gets + c_.scans + c_.searches;
  std::printf("drift_stress: %s ops=%" PRIu64 " puts=%" PRIu64
              " deletes=%" PRIu64 " range_deletes=%" PRIu64 " batches=%" PRIu64
              " gets=%" PRIu64 " iterator_scans=%" PRIu64 " searches=%" PRIu64
              " exhaustive_checked=%" PRIu64 " recall@10=%.4f flushes=%" PRIu64
              " compactions=%" PRIu64 " trains=%" PRIu64 " failures=%" PRIu64
              " seconds=%.1f seed=%" PRIu64 "\n",
              c_.failures == 0 ? "PASS" : "FAIL", ops, c_.puts.load(),
              c_.deletes.load(), c_.range_deletes.load(), c_.batches.load(),
              c_.gets.load(), c_.scans.load(), c_.searches.load(),
              c_.exhaustive_checked.load(),
              c_.recall_total
                  ? static_cast<double>(c_.recall_hits) / c_.recall_total
                  : 1.0,
              c_.flushes.load(), c_.compactions.load(), c_.trains.load(),
              c_.failures.load(), seconds, FLAGS_seed);
  if (db_ != nullptr) CloseDb();
  return c_.failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace stress
}  // namespace drift

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "drift_stress: randomized stress test of a Drift database with an "
      "expected state.\n\n  drift_stress --db=DIR [--duration=SECONDS] "
      "[--expected_state=FILE]\n\nExits 0 only if every check passed; the "
      "last line is a summary.");
  const std::string command = drift::tools::CommandLine(argc, argv);
  if (drift::tools::ParseFlagsOrShowHelp(&argc, &argv, "drift_stress.cc"))
    return 0;
  return drift::tools::RunLogged(argv[0], command,
                                 [] { return drift::stress::Stress().Run(); });
}
