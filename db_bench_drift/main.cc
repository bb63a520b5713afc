// db_bench_drift: the db_bench of Drift. Runs benchmarks on an embedded RocksDB
// with Drift's table/memtable factories and, in the same run and on the same
// data, on baselines (plain RocksDB BlockBasedTable), so ratios are honest.
#include <gflags/gflags.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "db_bench_drift/baselines.h"
#include "db_bench_drift/drift_sim.h"
#include "db_bench_drift/faiss_baseline.h"
#include "db_bench_drift/preamble.h"
#include "db_bench_drift/report.h"
#include "db_bench_drift/server_system.h"
#include "db_bench_drift/summary.h"
#include "db_bench_drift/system.h"
#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "tools/gflags_help.h"
#include "tools/tool_logging.h"
#include "util/dataset.h"
#include "util/thread_priority.h"

DEFINE_string(
    benchmarks, "fillvec,flush,train,compact,getvec,search",
    "Comma-separated list of benchmarks to run, in order: fillvec, "
    "flush, train (drift: codebook), compact, getvec, search, "
    "overwrite, deletevec, waitgraph (drift: until the memtable "
    "graphs cover every memtable vector), drift_sim (drift, static and "
    "oracle codebooks over phases of moving data; runs first), workerlag "
    "(drift_server: a worker's lag behind the primary, and the worker's "
    "search QPS), serverload (drift_server: --load_streams client streams "
    "of mixed upserts and searches for --load_seconds each, QPS and "
    "latency per operation), workerreads (drift_server: searches only, "
    "against the primary, one worker, two workers)");
DEFINE_string(
    systems, "drift,rocksdb,hnswlib,bruteforce",
    "Systems to run each benchmark on (a benchmark that does not apply "
    "to a system is skipped): drift (DriftTable + DriftMemTable), "
    "rocksdb (BlockBasedTable, snappy, same bytes), hnswlib (graph "
    "build and search), faiss (opt-in: IVF<faiss_nlist>,SQ8 from Debian's "
    "libfaiss-dev, a generic build without AVX2, 6-7x the CPU of an AVX2 "
    "build, or with -DDRIFT_FAISS_ROOT the AVX2 build of "
    "scripts/build_faiss_simd.sh; the header's Faiss: line says which; "
    "skipped with a note if built without faiss), "
    "bruteforce (exact scan, Drift's kernel), drift_server (opt-in: "
    "drift's benchmarks as RPCs to an in-process drift_server on "
    "loopback; ratios drift / drift_server are the cost of the network "
    "API)");
DEFINE_int32(k, 10, "Neighbours per query (search)");
DEFINE_int32(threads, 1,
             "Threads issuing drift's single-query Search calls concurrently "
             "in the search benchmark (like db_bench's --threads; QPS is "
             "their total). Baselines search on one thread");
DEFINE_int64(num_queries, 10000,
             "Queries of the search benchmark (at most the data set's)");
DEFINE_string(nprobe_list, "1,2,4,5,6,8,12,16",
              "Drift search: buckets probed per segment, one measurement each "
              "(0 = the default effort)");
DEFINE_string(recall_targets, "0.9,0.95,0.99",
              "Drift search: recall targets, one measurement each (requested "
              "vs achieved recall)");
DEFINE_string(filter_selectivity, "",
              "search: also measure filtered searches passing these shares "
              "of the keys (e.g. 0.01,0.1,0.5), each as a predicate on a "
              "hash of the key and as a key range; recall against brute "
              "force over the passing vectors");
DEFINE_int32(catch_up_interval_ms, 100,
             "workerlag: the worker's --catch_up_interval_ms");
DEFINE_double(load_seconds, 10,
              "serverload/workerreads: seconds per stream count");
DEFINE_string(load_streams, "1,2,8",
              "serverload/workerreads: client stream counts, one run each");
DEFINE_int32(load_write_percent, 10,
             "serverload: percent of operations that are one-record upserts");
DEFINE_int32(load_nprobe, 0,
             "serverload/workerreads: nprobe of each search (0: the "
             "engine's default recall target)");
DEFINE_int32(rerank, 0,
             "Drift search: candidates re-ranked with exact floats (0: the "
             "default for k)");
DEFINE_string(ef_list, "10,20,40,80,160", "hnswlib search: ef values");
DEFINE_string(hnsw_m, "16,32",
              "hnswlib M values: one hnswlib system each, built and searched "
              "in the same run (named hnswlib-M<m> when there are several)");
DEFINE_int32(hnsw_ef_construction, 200, "hnswlib ef_construction");
DEFINE_int32(faiss_nlist, 1024, "faiss IVF lists (IVF<nlist>,SQ8)");
DEFINE_string(faiss_nprobe_list, "1,2,4,8,12,16,24,32",
              "faiss search: nprobe values");
DEFINE_string(db, "/tmp/db_bench_drift",
              "Directory of the databases (one "
              "subdirectory per system)");
DEFINE_bool(use_existing_db, false,
            "Reuse the databases in --db instead of "
            "destroying them first");
DEFINE_string(dataset, "fashion-mnist", "fashion-mnist | gaussian | fvecs");
DEFINE_string(fashion_mnist_dir, "/usr/share/datasets/fashion-mnist",
              "Directory of the dataset-fashion-mnist package");
DEFINE_string(base, "", "fvecs file of base vectors (--dataset=fvecs)");
DEFINE_string(query, "", "fvecs file of query vectors (--dataset=fvecs)");
DEFINE_string(gt, "", "ivecs ground truth (--dataset=fvecs; optional)");
DEFINE_int64(num, 0,
             "Number of base vectors (0: the whole data set; gaussian: "
             "100000)");
DEFINE_int32(dim, 128, "Dimension of --dataset=gaussian");
DEFINE_int32(clusters, 64, "Clusters of --dataset=gaussian");
DEFINE_double(cluster_spread, 4.0,
              "Standard deviation of the cluster centres of --dataset=gaussian "
              "(points have unit noise: below ~1 the clusters overlap)");
DEFINE_int64(reads, 10000, "Operations of getvec/overwrite/deletevec");
DEFINE_bool(random_keys, true, "fillvec writes keys in random order");
DEFINE_bool(sync, false, "fsync the WAL on every write batch");
DEFINE_int32(batch_size, 1, "Vectors per WriteBatch in fillvec/overwrite");
DEFINE_int64(write_buffer_size, 512 << 20, "Memtable size in bytes");
DEFINE_int64(target_file_size_base, 64 << 20,
             "target_file_size_base of drift and rocksdb (compaction output "
             "files are cut near this size; a drift file is one segment)");
DEFINE_int32(max_write_buffer_number, 4,
             "Memtables per column family (max_write_buffer_number), in "
             "every benchmark and drift_sim variant");
DEFINE_int32(target_bucket_size, 1024,
             "DriftTable target_bucket_size (segment-local codebooks)");
DEFINE_int32(build_threads, 2,
             "DriftTable build_threads: threads that build a segment's "
             "vector section (1: all on the flush/compaction thread)");
DEFINE_bool(compress_flushed_floats,
            drift::DriftTableOptions().compress_flushed_floats,
            "DriftTable compress_flushed_floats: flushes ALP-compress the "
            "full-precision floats (otherwise stored raw until compaction)");
DEFINE_string(codes, "auto",
              "DriftTable codes: sq8 | rabitq (1-bit codes with error bounds "
              "searched with bound-based re-ranking) | auto (per segment: "
              "rabitq from RaBitQ padded dimension 512 on, else sq8)");
DEFINE_int32(
    rabitq_ex_bits, drift::DriftTableOptions().rabitq_ex_bits,
    "DriftTable rabitq_ex_bits (codes=rabitq or auto): extended RaBitQ "
    "refinement bits per dimension, 0..7, or -1 = auto (0 from "
    "padded dimension 512 on, else 3)");
DEFINE_int32(codebook_bucket_size, 256,
             "VectorIndexOptions target_bucket_size: vectors per bucket of "
             "the trained codebook (train)");
DEFINE_bool(auto_train, false,
            "Let the engine train its codebook in the background (otherwise "
            "only the train benchmark does)");
DEFINE_string(json, "", "Write all results as JSON to this path");
DEFINE_int32(sim_phases, 10,
             "drift_sim on --dataset=gaussian: phases (fashion-mnist: one per "
             "class, 10)");
DEFINE_double(sim_speed, 5.0,
              "drift_sim on --dataset=gaussian: how far cluster centres move "
              "per phase, in standard deviations (5: heavy drift)");
DEFINE_int32(sim_clusters, 16, "drift_sim on --dataset=gaussian: clusters");
DEFINE_int32(sim_queries, 200, "drift_sim: queries measured after each phase");
DEFINE_uint64(janitor_bytes_per_sec, 0,
              "VectorIndexOptions janitor_bytes_per_sec of drift (and of "
              "drift_sim's drift variant): re-bucketing paced file by file "
              "(0: one CompactRange at full speed)");
DEFINE_uint32(janitor_ops_per_sec, 0,
              "VectorIndexOptions janitor_ops_per_sec (0: unlimited)");
DEFINE_int32(memtable_graph_min_rows,
             drift::DriftMemTableOptions().graph_min_rows,
             "DriftMemTableOptions graph_min_rows of drift: memtables build an "
             "HNSW graph in the background once they hold this many vectors "
             "(0: never)");
DEFINE_bool(split_merge, true,
            "VectorIndexOptions split_merge of drift: incremental bucket "
            "split/merge before any retrain");
DEFINE_double(split_bucket_over_target,
              drift::VectorIndexOptions().split_bucket_over_target,
              "VectorIndexOptions split_bucket_over_target: split buckets over "
              "this x --codebook_bucket_size");
DEFINE_double(merge_bucket_under_target,
              drift::VectorIndexOptions().merge_bucket_under_target,
              "VectorIndexOptions merge_bucket_under_target: merge buckets "
              "under this x --codebook_bucket_size when it pays");
DEFINE_bool(sim_churn, false,
            "drift_sim: churn instead of drift (half the data set loaded, then "
            "--sim_phases steps deleting 1% and writing 1%)");
DEFINE_int32(sim_repeats, 3,
             "drift_sim: whole simulations run (fresh databases each); every "
             "reported phase is the repeat with the median ingest rate, with "
             "the rate's spread and the median ratio to drift-static");
DEFINE_int32(sim_write_buffer_mb, 4,
             "drift_sim: every variant's write_buffer_size in MiB; small, so "
             "memtables flush while a phase is written and the drift "
             "variant's background maintenance (checks, edits, re-bucketing "
             "compactions) runs during its ingest, as it would in service");
DEFINE_string(maintenance_cpu_priority, "low",
              "VectorIndexOptions maintenance_cpu_priority of drift: idle, "
              "low (nice 19), normal (the creating thread's) or high");
DEFINE_string(compaction_cpu_priority, "normal",
              "CPU priority of RocksDB's compaction threads (Env LOW pool, "
              "Env::LowerThreadPoolCPUPriority): idle, low (nice 19) or "
              "normal; re-bucketing compactions then run on spare CPU");
DEFINE_uint32(maintenance_quiet_ms,
              drift::VectorIndexOptions().maintenance_quiet_ms,
              "VectorIndexOptions maintenance_quiet_ms of drift: background "
              "checks wait for the writes to pause this long (0: start at "
              "once)");
DEFINE_uint32(maintenance_max_defer_ms,
              drift::VectorIndexOptions().maintenance_max_defer_ms,
              "VectorIndexOptions maintenance_max_defer_ms of drift: longest "
              "wait of a background check for the writes to pause");
DEFINE_uint64(seed, 42, "Seed of the synthetic data and the random orders");
DEFINE_string(metric, "l2",
              "Distance of the search benchmarks: l2, ip (inner product) or "
              "cosine; drift's column family, the exact ground truth, "
              "bruteforce and hnswlib all use it (faiss and drift_sim: l2 "
              "only)");

namespace drift {
namespace bench {
namespace {

// The VectorIndexOptions the flags set (drift's maintenance and codebook).
VectorIndexOptions IndexOptionsFromFlags() {
  VectorIndexOptions o;
  ParseMetric(FLAGS_metric, &o.metric).PermitUncheckedError();  // Main checks
  o.target_bucket_size = static_cast<uint32_t>(FLAGS_codebook_bucket_size);
  o.janitor_bytes_per_sec = FLAGS_janitor_bytes_per_sec;
  o.janitor_ops_per_sec = FLAGS_janitor_ops_per_sec;
  o.split_merge = FLAGS_split_merge;
  o.split_bucket_over_target = FLAGS_split_bucket_over_target;
  o.merge_bucket_under_target = FLAGS_merge_bucket_under_target;
  o.maintenance_quiet_ms = FLAGS_maintenance_quiet_ms;
  o.maintenance_max_defer_ms = FLAGS_maintenance_max_defer_ms;
  // Main has checked the name.
  ParseCpuPriority(FLAGS_maintenance_cpu_priority, &o.maintenance_cpu_priority);
  return o;
}

rocksdb::Status LoadData(Dataset* data) {
  rocksdb::Status s;
  if (FLAGS_dataset == "fashion-mnist") {
    s = LoadFashionMnist(FLAGS_fashion_mnist_dir, data);
  } else if (FLAGS_dataset == "gaussian") {
    data->name = "gaussian";
    data->dim = static_cast<uint32_t>(FLAGS_dim);
    const size_t n = FLAGS_num > 0 ? FLAGS_num : 100000;
    // One draw, split: queries are other points of the same clusters (the
    // same seed twice would make the queries copies of the first vectors).
    constexpr size_t kQueries = 1000;
    std::vector<uint8_t> labels;
    MakeGaussianClusters(n + kQueries, data->dim, FLAGS_clusters,
                         static_cast<float>(FLAGS_cluster_spread), FLAGS_seed,
                         &data->base, &labels);
    data->queries.assign(data->base.begin() + n * data->dim, data->base.end());
    data->base.resize(n * data->dim);
    data->base_labels.assign(labels.begin(), labels.begin() + n);
  } else if (FLAGS_dataset == "fvecs") {
    if (FLAGS_base.empty()) {
      return rocksdb::Status::InvalidArgument(
          "--dataset=fvecs needs --base=<base vectors .fvecs> (and "
          "--query=<query vectors .fvecs> to search)");
    }
    data->name = FLAGS_base;
    uint32_t qdim = 0;
    s = ReadFvecs(FLAGS_base, &data->base, &data->dim);
    if (s.ok() && !FLAGS_query.empty()) {
      s = ReadFvecs(FLAGS_query, &data->queries, &qdim);
      if (s.ok() && qdim != data->dim) {
        s = rocksdb::Status::InvalidArgument(
            "--query dimension differs from --base");
      }
    }
  } else {
    return rocksdb::Status::InvalidArgument("unknown --dataset=" +
                                            FLAGS_dataset);
  }
  if (s.ok() && FLAGS_num > 0 && size_t(FLAGS_num) < data->num_base()) {
    data->base.resize(size_t(FLAGS_num) * data->dim);
    if (data->base_labels.size() > size_t(FLAGS_num)) {
      data->base_labels.resize(size_t(FLAGS_num));
    }
  }
  return s;
}

// drift and rocksdb: an embedded RocksDB with the system's table factory.
class Runner : public System {
 public:
  Runner(const BenchContext& ctx, std::string system)
      : data_(*ctx.data), ctx_(ctx), system_(std::move(system)) {}

  const std::string& name() const override { return system_; }

  rocksdb::Status Open() {
    const std::string path = FLAGS_db + "/" + system_;
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = FLAGS_write_buffer_size;
    options.max_write_buffer_number = FLAGS_max_write_buffer_number;
    options.target_file_size_base =
        static_cast<uint64_t>(FLAGS_target_file_size_base);
    options.max_background_jobs = 2;
    if (system_ == "drift") {
      DriftTableOptions topts;
      topts.dimension = data_.dim;
      topts.target_bucket_size = FLAGS_target_bucket_size;
      topts.build_threads = static_cast<uint32_t>(FLAGS_build_threads);
      topts.compress_flushed_floats = FLAGS_compress_flushed_floats;
      topts.metric = ctx_.metric;
      topts.codes = FLAGS_codes == "rabitq" ? BucketCodes::kRabitQ
                    : FLAGS_codes == "sq8"  ? BucketCodes::kSQ8
                                            : BucketCodes::kAuto;
      topts.rabitq_ex_bits = FLAGS_rabitq_ex_bits;
      options.table_factory = NewDriftTableFactory(topts);
      DriftMemTableOptions mopts;
      mopts.dimension = data_.dim;
      mopts.metric = ctx_.metric;
      mopts.graph_min_rows =
          static_cast<uint32_t>(FLAGS_memtable_graph_min_rows);
      options.memtable_factory = NewDriftMemTableFactory(mopts);
    } else if (system_ == "rocksdb") {
      rocksdb::BlockBasedTableOptions bbto;
      bbto.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bbto));
      options.compression = rocksdb::kSnappyCompression;
    } else {
      return rocksdb::Status::InvalidArgument("unknown system " + system_);
    }
    // Before DestroyDB, which fails when the parent directory is missing.
    std::error_code ec;
    std::filesystem::create_directories(FLAGS_db, ec);
    if (ec) {
      return rocksdb::Status::IOError("cannot create --db=" + FLAGS_db + ": " +
                                      ec.message());
    }
    if (!FLAGS_use_existing_db) {
      rocksdb::Status s = rocksdb::DestroyDB(path, options);
      if (!s.ok()) return s;
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, path, &db);
    db_.reset(db);
    if (s.ok() && system_ == "drift") {
      VectorIndexOptions vopts = IndexOptionsFromFlags();
      vopts.dimension = data_.dim;
      vopts.auto_train = FLAGS_auto_train;
      s = VectorIndex::Attach(db_.get(), db_->DefaultColumnFamily(), vopts,
                              &index_);
    }
    return s;
  }

  rocksdb::Status Run(const std::string& name) override {
    if (name == "workerlag" || name == "serverload" || name == "workerreads") {
      return rocksdb::Status::NotSupported();
    }
    if (name == "search") return Search();
    if (name == "fillvec") return Write("fillvec", false);
    if (name == "overwrite") return Write("overwrite", true);
    if (name == "flush") return Flush();
    if (name == "compact") return Compact();
    if (name == "train") return Train();
    if (name == "waitgraph") return WaitGraph();
    if (name == "getvec") return GetVec();
    if (name == "deletevec") return DeleteVec();
    return rocksdb::Status::InvalidArgument("unknown benchmark " + name +
                                            " (see --help)");
  }

 private:
  Result NewResult(const std::string& benchmark) const {
    return bench::NewResult(benchmark, system_, data_);
  }

  rocksdb::Status Write(const char* name, bool overwrite) {
    const size_t n = overwrite ? FLAGS_reads : data_.num_base();
    std::vector<uint64_t> order(n);
    std::mt19937_64 rng(FLAGS_seed);
    for (size_t i = 0; i < n; ++i) {
      order[i] = overwrite ? rng() % data_.num_base() : i;
    }
    if (!overwrite && FLAGS_random_keys)
      std::shuffle(order.begin(), order.end(), rng);
    rocksdb::WriteOptions wo;
    wo.sync = FLAGS_sync;
    const size_t row_bytes = size_t{data_.dim} * sizeof(float);
    Latencies lat;
    Progress progress(std::string(name) + " " + system_, n);
    const auto start = Clock::now();
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < n;) {
      batch.Clear();
      const size_t end = std::min(n, i + std::max(1, FLAGS_batch_size));
      for (; i < end; ++i) {
        const uint64_t id = order[i];
        // overwrite writes the vector of another id under this key.
        const uint64_t src =
            overwrite ? (id * 7919 + 1) % data_.num_base() : id;
        batch.Put(KeyOf(id),
                  rocksdb::Slice(reinterpret_cast<const char*>(
                                     data_.base.data() + src * data_.dim),
                                 row_bytes));
      }
      const auto t = Clock::now();
      rocksdb::Status s = db_->Write(wo, &batch);
      if (!s.ok()) return s;
      lat.Add(SecondsSince(t) * 1e6);
      progress.Update(i);
    }
    const double secs = SecondsSince(start);
    progress.Finish();
    Result r = NewResult(name);
    r.params["batch_size"] = std::to_string(FLAGS_batch_size);
    r.params["sync"] = FLAGS_sync ? "true" : "false";
    r.metrics["ops"] = n;
    r.metrics["ops_per_sec"] = n / secs;
    r.metrics["MB_per_sec"] = n * row_bytes / secs / 1e6;
    uint64_t mem = 0;
    db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &mem);
    r.metrics["memtable_bytes_per_vector"] = mem / double(n);
    AddLatencies(&lat, &r);
    reporter()->Report(r);
    return rocksdb::Status::OK();
  }

  uint64_t NumEntriesInMemtables() {
    uint64_t mem = 0, imm = 0;
    db_->GetIntProperty("rocksdb.num-entries-active-mem-table", &mem);
    db_->GetIntProperty("rocksdb.num-entries-imm-mem-tables", &imm);
    return mem + imm;
  }

  void AddDiskUsage(Result* r) {
    uint64_t sst = 0;
    db_->GetIntProperty("rocksdb.total-sst-files-size", &sst);
    const double raw = double(data_.num_base()) * data_.dim * sizeof(float);
    r->metrics["sst_bytes"] = sst;
    r->metrics["sst_bytes_per_vector"] = sst / double(data_.num_base());
    r->metrics["sst_over_raw_floats"] = sst / raw;
    // RAM the table readers hold beyond the block/blob caches (key index,
    // bloom filter, bucket directory).
    uint64_t readers = 0;
    db_->GetIntProperty("rocksdb.estimate-table-readers-mem", &readers);
    r->metrics["reader_ram_bytes_per_vector"] =
        readers / double(data_.num_base());
    r->metrics["reader_ram_over_raw_floats"] = readers / raw;
  }

  rocksdb::Status Flush() {
    const uint64_t entries = NumEntriesInMemtables();
    const auto start = Clock::now();
    rocksdb::Status s = db_->Flush(rocksdb::FlushOptions());
    if (!s.ok()) return s;
    const double secs = SecondsSince(start);
    Result r = NewResult("flush");
    r.metrics["ops"] = entries;
    r.metrics["ops_per_sec"] = entries / secs;
    r.metrics["seconds"] = secs;
    AddDiskUsage(&r);
    reporter()->Report(r);
    return s;
  }

  rocksdb::Status Compact() {
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForce;
    const auto start = Clock::now();
    rocksdb::Status s = db_->CompactRange(cro, nullptr, nullptr);
    if (!s.ok()) return s;
    const double secs = SecondsSince(start);
    uint64_t keys = 0;
    db_->GetIntProperty("rocksdb.estimate-num-keys", &keys);
    Result r = NewResult("compact");
    r.metrics["ops"] = keys;
    r.metrics["ops_per_sec"] = keys / secs;
    r.metrics["seconds"] = secs;
    AddDiskUsage(&r);
    reporter()->Report(r);
    return s;
  }

  // Trains the codebook (sample + k-means + persist); compact re-buckets.
  rocksdb::Status Train() {
    if (index_ == nullptr) return rocksdb::Status::NotSupported();
    TrainOptions t;
    t.rebucket = false;
    const auto start = Clock::now();
    rocksdb::Status s = index_->Train(t);
    if (!s.ok()) return s;
    const double secs = SecondsSince(start);
    Result r = NewResult("train");
    r.params["codebook_bucket_size"] =
        std::to_string(FLAGS_codebook_bucket_size);
    r.metrics["ops"] = data_.num_base();
    r.metrics["ops_per_sec"] = data_.num_base() / secs;
    r.metrics["seconds"] = secs;
    r.metrics["codebook_epoch"] = index_->codebook_epoch();
    reporter()->Report(r);
    return s;
  }

  // Waits until the background memtable graphs cover every memtable vector
  // (searches then scan nothing by brute force); reports the catch-up time.
  rocksdb::Status WaitGraph() {
    if (index_ == nullptr) return rocksdb::Status::NotSupported();
    const std::vector<float> query(data_.base.begin(),
                                   data_.base.begin() + data_.dim);
    const uint64_t rows = NumEntriesInMemtables();
    const auto start = Clock::now();
    std::vector<SearchHit> hits;
    SearchStats stats;
    Progress progress("waitgraph drift", rows);
    do {
      stats = SearchStats();
      rocksdb::Status s =
          index_->Search(SearchOptions(), query, 1, &hits, &stats);
      if (!s.ok()) return s;
      progress.Update(rows - std::min(rows, stats.memtable_vectors_scanned));
      if (stats.memtable_vectors_scanned == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (SecondsSince(start) < 3600);
    progress.Finish();
    const double secs = SecondsSince(start);
    Result r = NewResult("waitgraph");
    r.metrics["ops"] = rows;
    r.metrics["seconds"] = secs;
    r.metrics["unindexed_rows"] = stats.memtable_vectors_scanned;
    reporter()->Report(r);
    return rocksdb::Status::OK();
  }

  rocksdb::Status GetVec() {
    std::mt19937_64 rng(FLAGS_seed + 1);
    Latencies lat;
    std::string value;
    const size_t row_bytes = size_t{data_.dim} * sizeof(float);
    const auto start = Clock::now();
    size_t found = 0;
    for (int64_t i = 0; i < FLAGS_reads; ++i) {
      const uint64_t id = rng() % data_.num_base();
      const auto t = Clock::now();
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), KeyOf(id), &value);
      lat.Add(SecondsSince(t) * 1e6);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return s;
      ++found;
      if (value.size() != row_bytes) {
        return rocksdb::Status::Corruption("getvec: wrong value size for " +
                                           KeyOf(id));
      }
    }
    const double secs = SecondsSince(start);
    Result r = NewResult("getvec");
    r.metrics["ops"] = FLAGS_reads;
    r.metrics["ops_per_sec"] = FLAGS_reads / secs;
    r.metrics["found"] = found;
    AddLatencies(&lat, &r);
    reporter()->Report(r);
    return rocksdb::Status::OK();
  }

  rocksdb::Status Search() {
    if (index_ == nullptr) return rocksdb::Status::NotSupported();
    WarnIfEmpty();
    const std::vector<size_t> nprobes = ParseSizeList(FLAGS_nprobe_list);
    SearchOptions warm;  // the goal is measured warm: every query once first
    warm.nprobe = static_cast<uint32_t>(
        nprobes.empty() ? 0
                        : *std::max_element(nprobes.begin(), nprobes.end()));
    rocksdb::Status s = WarmUp(warm);
    for (size_t nprobe : nprobes) {
      if (!s.ok()) return s;
      SearchOptions so;
      so.nprobe = static_cast<uint32_t>(nprobe);
      Result r = NewResult("search");
      r.params["nprobe"] = nprobe == 0 ? "default" : std::to_string(nprobe);
      s = MeasureSearch(so, r);
    }
    for (double share : ParseDoubleList(FLAGS_filter_selectivity)) {
      if (s.ok()) s = SearchFiltered(share, /*range=*/false);
      if (s.ok()) s = SearchFiltered(share, /*range=*/true);
    }
    for (bool adaptive : {false, true}) {
      for (double target : ParseDoubleList(FLAGS_recall_targets)) {
        if (!s.ok()) return s;
        SearchOptions so;
        so.recall_target = static_cast<float>(target);
        so.adaptive_probes = adaptive;
        Result r = NewResult("search");
        r.params["recall_target"] = std::to_string(target).substr(0, 5);
        r.params["routing"] = adaptive ? "density" : "nprobe";
        s = MeasureSearch(so, r);
      }
    }
    return s;
  }

  // A search of an empty database measures nothing (recall 0): say so.
  void WarnIfEmpty() {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid() || !it->status().ok()) return;
    fprintf(stderr,
            "db_bench_drift: WARNING: search on an empty %s database %s/%s "
            "(run fillvec first, or --use_existing_db with a filled --db): "
            "every recall will be 0\n",
            system_.c_str(), FLAGS_db.c_str(), system_.c_str());
  }

  // Filtered search at the default effort: a predicate passing `share` of
  // the keys by a hash of the key, or the key range of `share` of the ids
  // (from a third of the way in). Ground truth: exact over the passing ids.
  rocksdb::Status SearchFiltered(double share, bool range) {
    const size_t n = data_.num_base();
    const uint64_t cut = static_cast<uint64_t>(share * (1 << 20));
    auto pass_hash = [cut](const rocksdb::Slice& key) {
      return (std::hash<std::string>()(key.ToString()) & ((1 << 20) - 1)) < cut;
    };
    const size_t first = n / 3;
    const size_t last =
        std::min(n, first + static_cast<size_t>(std::ceil(share * n)));
    std::vector<uint32_t> ids;
    for (size_t i = 0; i < n; ++i) {
      if (range ? (i >= first && i < last) : pass_hash(KeyOf(i))) {
        ids.push_back(static_cast<uint32_t>(i));
      }
    }
    SearchEval eval;
    rocksdb::Status s = eval.PrepareSubset(data_, ctx_.eval->num_queries(),
                                           ctx_.eval->k(), ids, ctx_.metric);
    if (!s.ok()) return s;
    SearchOptions so;
    if (range) {
      so.key_start = KeyOf(first);
      so.key_limit = KeyOf(last);
    } else {
      so.filter = [pass_hash](const rocksdb::Slice& key,
                              const rocksdb::Slice*) { return pass_hash(key); };
    }
    Result r = NewResult("search");
    r.params["filter"] = range ? "range" : "hash";
    r.params["selectivity"] = std::to_string(share).substr(0, 5);
    r.metrics["passing"] = ids.size();
    return MeasureSearch(so, r, &eval);
  }

  rocksdb::Status WarmUp(const SearchOptions& so) {
    std::vector<float> query(data_.dim);
    std::vector<SearchHit> hits;
    Progress progress("search warm-up drift", ctx_.eval->num_queries());
    for (size_t q = 0; q < ctx_.eval->num_queries(); ++q) {
      const float* qv = ctx_.eval->query(q);
      query.assign(qv, qv + data_.dim);
      rocksdb::Status s = index_->Search(so, query, ctx_.eval->k(), &hits);
      if (!s.ok()) return s;
      progress.Update(q + 1);
    }
    progress.Finish();
    return rocksdb::Status::OK();
  }

  // One search measurement over every query with `so` (plus --rerank).
  // `eval` (nullptr: the benchmark's) holds the queries and ground truth.
  rocksdb::Status MeasureSearch(SearchOptions so, Result r,
                                const SearchEval* eval = nullptr) {
    so.rerank = static_cast<uint32_t>(FLAGS_rerank);
    r.params["rerank"] =
        FLAGS_rerank == 0 ? "default" : std::to_string(FLAGS_rerank);
    if (eval == nullptr) eval = ctx_.eval;
    SearchCounters counters;
    std::map<std::string, std::string> cache_before;
    rocksdb::Status s =
        index_->GetMapProperty("drift.blob-cache", &cache_before);
    if (!s.ok()) return s;
    return RunQueries(
        *eval, r, reporter(),
        [&](size_t q, std::vector<uint32_t>* ids, uint64_t* scanned) {
          // Per call: --threads runs this on several threads at once.
          const float* qv = eval->query(q);
          const std::vector<float> query(qv, qv + data_.dim);
          std::vector<SearchHit> hits;
          SearchStats stats;
          rocksdb::Status st =
              index_->Search(so, query, eval->k(), &hits, &stats);
          for (const SearchHit& h : hits) {
            ids->push_back(static_cast<uint32_t>(std::stoull(h.key.substr(3))));
          }
          *scanned = stats.segment_vectors_scanned +
                     stats.memtable_vectors_scanned +
                     stats.range_vectors_scanned;
          counters.Add(stats);
          return st;
        },
        FLAGS_threads,
        [&](Result* result) {
          std::map<std::string, std::string> cache_after;
          if (index_->GetMapProperty("drift.blob-cache", &cache_after).ok()) {
            counters.Report(cache_before, cache_after, eval->num_queries(),
                            result);
          }
        });
  }

  // Per-query averages of a search measurement's SearchStats and of the blob
  // cache's counters (drift.blob-cache): where a query's time can go besides
  // the SQ8 scan. Add may run on several threads at once.
  struct SearchCounters {
    std::atomic<uint64_t> buckets{0}, reranked{0}, point_reads{0};

    void Add(const SearchStats& stats) {
      buckets.fetch_add(stats.buckets_probed, std::memory_order_relaxed);
      reranked.fetch_add(stats.candidates_verified, std::memory_order_relaxed);
      point_reads.fetch_add(stats.point_reads, std::memory_order_relaxed);
    }

    void Report(const std::map<std::string, std::string>& before,
                const std::map<std::string, std::string>& after, size_t queries,
                Result* r) const {
      const double n = static_cast<double>(std::max<size_t>(queries, 1));
      r->metrics["buckets_per_query"] = buckets.load() / n;
      r->metrics["reranked_per_query"] = reranked.load() / n;
      r->metrics["point_reads_per_query"] = point_reads.load() / n;
      auto delta = [&](const char* key) {
        auto a = after.find(key), b = before.find(key);
        if (a == after.end() || b == before.end()) return 0.0;
        return static_cast<double>(std::stoull(a->second) -
                                   std::stoull(b->second));
      };
      r->metrics["cache_hits_per_query"] = delta("hits") / n;
      r->metrics["cache_misses_per_query"] = delta("misses") / n;
      r->metrics["pinned_reads_per_query"] = delta("pinned-reads") / n;
      auto at = after.find("pinned-usage");
      if (at != after.end()) {
        r->metrics["pinned_mb"] = std::stoull(at->second) / 1048576.0;
      }
    }
  };

  rocksdb::Status DeleteVec() {
    std::mt19937_64 rng(FLAGS_seed + 2);
    Latencies lat;
    const auto start = Clock::now();
    for (int64_t i = 0; i < FLAGS_reads; ++i) {
      const auto t = Clock::now();
      rocksdb::Status s =
          db_->Delete(rocksdb::WriteOptions(), KeyOf(rng() % data_.num_base()));
      if (!s.ok()) return s;
      lat.Add(SecondsSince(t) * 1e6);
    }
    const double secs = SecondsSince(start);
    Result r = NewResult("deletevec");
    r.metrics["ops"] = FLAGS_reads;
    r.metrics["ops_per_sec"] = FLAGS_reads / secs;
    AddLatencies(&lat, &r);
    reporter()->Report(r);
    return rocksdb::Status::OK();
  }

  Reporter* reporter() const { return ctx_.reporter; }

  const Dataset& data_;
  const BenchContext ctx_;
  const std::string system_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<VectorIndex> index_;
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(',', start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int Main() {
  RegisterDrift();
  // Names first: a typo must fail before anything runs.
  std::vector<std::string> benchmarks = Split(FLAGS_benchmarks);
  rocksdb::Status s = CheckNames("benchmarks", benchmarks, KnownBenchmarks());
  if (s.ok()) s = CheckNames("systems", Split(FLAGS_systems), KnownSystems());
  if (!s.ok()) {
    fprintf(stderr, "db_bench_drift: %s\n", s.getState());
    return 1;
  }
  if (FLAGS_codes != "sq8" && FLAGS_codes != "rabitq" &&
      FLAGS_codes != "auto") {
    fprintf(stderr, "db_bench_drift: --codes must be sq8, rabitq or auto\n");
    return 1;
  }
  if (FLAGS_rabitq_ex_bits < -1 || FLAGS_rabitq_ex_bits > 7) {
    fprintf(stderr, "db_bench_drift: --rabitq_ex_bits must be -1 or 0..7\n");
    return 1;
  }
  if (FLAGS_threads < 1 || FLAGS_threads > 1024) {
    fprintf(stderr, "db_bench_drift: --threads=%d must be in [1, 1024]\n",
            FLAGS_threads);
    return 1;
  }
  drift::Metric metric = drift::Metric::kL2;
  s = ParseMetric(FLAGS_metric, &metric);
  if (!s.ok()) {
    fprintf(stderr, "db_bench_drift: --metric: %s\n", s.getState());
    return 1;
  }
  if (metric != drift::Metric::kL2 &&
      std::find(benchmarks.begin(), benchmarks.end(), "drift_sim") !=
          benchmarks.end()) {
    fprintf(stderr, "db_bench_drift: drift_sim measures l2 only\n");
    return 1;
  }
  rocksdb::CpuPriority priority;
  if (!ParseCpuPriority(FLAGS_maintenance_cpu_priority, &priority)) {
    fprintf(stderr,
            "db_bench_drift: --maintenance_cpu_priority=%s is not one of idle, "
            "low, normal, high\n",
            FLAGS_maintenance_cpu_priority.c_str());
    return 1;
  }
  rocksdb::CpuPriority compaction_priority;
  if (!ParseCpuPriority(FLAGS_compaction_cpu_priority, &compaction_priority) ||
      compaction_priority == rocksdb::CpuPriority::kHigh) {
    fprintf(stderr,
            "db_bench_drift: --compaction_cpu_priority=%s is not one of idle, "
            "low, normal\n",
            FLAGS_compaction_cpu_priority.c_str());
    return 1;
  }
  if (compaction_priority != rocksdb::CpuPriority::kNormal) {
    s = rocksdb::Env::Default()->LowerThreadPoolCPUPriority(
        rocksdb::Env::Priority::LOW, compaction_priority);
    if (!s.ok()) {
      fprintf(stderr, "db_bench_drift: --compaction_cpu_priority: %s\n",
              s.ToString().c_str());
      return 1;
    }
  }
  Dataset data;
  s = LoadData(&data);
  if (!s.ok()) {
    fprintf(stderr, "db_bench_drift: %s\n", s.ToString().c_str());
    return 1;
  }
  const bool searches = std::find(benchmarks.begin(), benchmarks.end(),
                                  "search") != benchmarks.end();
  const std::vector<size_t> hnsw_ms = ParseSizeList(FLAGS_hnsw_m);
  if (hnsw_ms.empty() ||
      std::find(hnsw_ms.begin(), hnsw_ms.end(), size_t{0}) != hnsw_ms.end()) {
    fprintf(stderr, "db_bench_drift: --hnsw_m=%s must list M values >= 1\n",
            FLAGS_hnsw_m.c_str());
    return 1;
  }
  const HeaderFields header =
      RunHeader(data,
                searches ? std::min(static_cast<size_t>(std::max<int64_t>(
                                        FLAGS_num_queries, 0)),
                                    data.num_queries())
                         : 0,
                FLAGS_benchmarks, FLAGS_systems, metric);
  PrintHeader(header, data);
  Reporter reporter;
  reporter.SetHeader(header);
  SearchEval eval;
  BenchContext ctx{&data, &eval, &reporter, metric};
  // drift_sim runs its own databases (one per variant), before the rest.
  auto sim = std::find(benchmarks.begin(), benchmarks.end(), "drift_sim");
  if (sim != benchmarks.end()) {
    benchmarks.erase(sim);
    DriftSimOptions so;
    so.db_dir = FLAGS_db;
    so.dataset = FLAGS_dataset;
    so.fashion_dir = FLAGS_fashion_mnist_dir;
    so.dim = static_cast<uint32_t>(FLAGS_dim);
    so.clusters = static_cast<uint32_t>(FLAGS_sim_clusters);
    so.num = FLAGS_num > 0 ? static_cast<size_t>(FLAGS_num) : 100000;
    so.phases = static_cast<size_t>(FLAGS_sim_phases);
    so.speed = FLAGS_sim_speed;
    so.queries = static_cast<size_t>(FLAGS_sim_queries);
    so.k = static_cast<size_t>(FLAGS_k);
    so.index_options = IndexOptionsFromFlags();
    so.seed = FLAGS_seed;
    so.churn = FLAGS_sim_churn;
    so.write_buffer_bytes = static_cast<size_t>(FLAGS_sim_write_buffer_mb)
                            << 20;
    so.max_write_buffer_number = FLAGS_max_write_buffer_number;
    if (FLAGS_sim_repeats < 1) {
      fprintf(stderr, "db_bench_drift: --sim_repeats must be at least 1\n");
      return 1;
    }
    so.repeats = static_cast<size_t>(FLAGS_sim_repeats);
    std::error_code ec;
    std::filesystem::create_directories(FLAGS_db, ec);
    s = RunDriftSim(so, data, &reporter);
    if (!s.ok()) {
      fprintf(stderr, "db_bench_drift: drift_sim: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (searches) {
    s = eval.Prepare(data, FLAGS_num_queries, FLAGS_k, FLAGS_gt, FLAGS_db,
                     metric);
    if (!s.ok()) {
      fprintf(stderr, "db_bench_drift: ground truth: %s\n",
              s.ToString().c_str());
      return 1;
    }
  }
  // Systems alternate within each benchmark so all see the same machine state.
  std::vector<std::unique_ptr<System>> systems;
  for (const std::string& name : Split(FLAGS_systems)) {
    if (name == "hnswlib") {
      // Several M: one system each, named hnswlib-M<m> in results and ratios.
      for (size_t m : hnsw_ms) {
        systems.push_back(NewHnswlibSystem(
            ctx,
            hnsw_ms.size() == 1 ? "hnswlib" : "hnswlib-M" + std::to_string(m),
            m, FLAGS_hnsw_ef_construction, FLAGS_ef_list));
      }
      continue;
    }
    if (name == "bruteforce") {
      systems.push_back(NewBruteForceSystem(ctx));
      continue;
    }
    if (name == "drift_server") {
      if (!HaveServer()) {
        fprintf(stderr,
                "db_bench_drift: built without drift_server "
                "(DRIFT_BUILD_SERVER): skipping it\n");
        continue;
      }
      ServerSystemOptions so;
      so.db_dir = FLAGS_db;
      so.batch_size = FLAGS_batch_size;
      so.threads = FLAGS_threads;
      so.reads = FLAGS_reads;
      so.seed = FLAGS_seed;
      so.nprobe_list = FLAGS_nprobe_list;
      so.recall_targets = FLAGS_recall_targets;
      so.rerank = FLAGS_rerank;
      so.auto_train = FLAGS_auto_train;
      so.codebook_bucket_size =
          static_cast<uint32_t>(FLAGS_codebook_bucket_size);
      so.catch_up_interval_ms =
          static_cast<uint32_t>(FLAGS_catch_up_interval_ms);
      so.load_seconds = FLAGS_load_seconds;
      so.load_streams = FLAGS_load_streams;
      so.load_write_percent = FLAGS_load_write_percent;
      so.k = static_cast<uint32_t>(FLAGS_k);
      so.load_nprobe = static_cast<uint32_t>(FLAGS_load_nprobe);
      so.column_family_options =
          "write_buffer_size=" + std::to_string(FLAGS_write_buffer_size) +
          ";max_write_buffer_number=" +
          std::to_string(FLAGS_max_write_buffer_number);
      std::unique_ptr<System> server;
      s = NewServerSystem(ctx, so, &server);
      if (!s.ok()) {
        fprintf(stderr, "db_bench_drift: start drift_server: %s\n",
                s.ToString().c_str());
        return 1;
      }
      systems.push_back(std::move(server));
      continue;
    }
    if (name == "faiss") {
      if (metric != drift::Metric::kL2) {
        fprintf(stderr,
                "db_bench_drift: the faiss baseline is l2 only: "
                "skipped under --metric=%s\n",
                FLAGS_metric.c_str());
        continue;
      }
      if (!HaveFaiss()) {
        fprintf(stderr,
                "db_bench_drift: built without faiss (libfaiss-dev): "
                "skipping the faiss baseline\n");
        continue;
      }
      systems.push_back(
          NewFaissSystem(ctx, FLAGS_faiss_nlist, FLAGS_faiss_nprobe_list));
      continue;
    }
    auto runner = std::make_unique<Runner>(ctx, name);
    s = runner->Open();
    if (!s.ok()) {
      fprintf(stderr, "db_bench_drift: open %s: %s\n", name.c_str(),
              s.ToString().c_str());
      return 1;
    }
    systems.push_back(std::move(runner));
  }
  for (const std::string& benchmark : benchmarks) {
    for (auto& system : systems) {
      s = system->Run(benchmark);
      if (s.IsNotSupported()) continue;
      if (!s.ok()) {
        fprintf(stderr, "db_bench_drift: %s on %s: %s\n", benchmark.c_str(),
                system->name().c_str(), s.ToString().c_str());
        return 1;
      }
    }
  }
  const std::vector<Result> ratios =
      ComputeRatios(reporter.results(), {0.9, 0.95, 0.98, 0.99});
  PrintRatios(ratios);
  for (const Result& r : ratios) reporter.Record(r);
  if (!FLAGS_json.empty() && !reporter.WriteJson(FLAGS_json)) {
    fprintf(stderr, "db_bench_drift: cannot write %s\n", FLAGS_json.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace drift

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "Drift's benchmark, with baselines (hnswlib, plain "
      "RocksDB, brute force) measured in the same run.\n\n"
      "  db_bench_drift [--benchmarks=fillvec,flush,compact,getvec,search,...]"
      " [--dataset=fashion-mnist|gaussian|fvecs] [--db=DIR] [--json=PATH]\n\n"
      "Without --benchmarks it runs the default suite on fashion-mnist. "
      "docs/benchmark.md describes every benchmark and the JSON output.");
  const std::string command = drift::tools::CommandLine(argc, argv);
  if (drift::tools::ParseFlagsOrShowHelp(&argc, &argv, "db_bench_drift/"))
    return 0;
  return drift::tools::RunLogged(argv[0], command, drift::bench::Main);
}
