// drift_sim: the data distribution moves while it is written, in phases; after
// each phase three variants of Drift are measured side by side on queries from
// the data seen so far (exact ground truth):
//   drift         maintenance on (VectorIndexOptions defaults: background
//                 retraining on bucket imbalance or growth),
//   drift-static  one codebook trained after the first phase, never again
//                 (what a static IVF does),
//   drift-oracle  a codebook retrained on all data after every phase.
// Workloads: --dataset=gaussian (clusters whose centres move by
// --sim_speed standard deviations per phase), --dataset=fashion-mnist
// (class-incremental: one class per phase), or with --sim_churn either data
// set under churn (1% deleted and 1% written per step).
#pragma once

#include "db_bench_drift/report.h"
#include "drift/vector_index.h"
#include "rocksdb/status.h"
#include "util/dataset.h"

namespace drift {
namespace bench {

struct DriftSimOptions {
  std::string db_dir;       // Variants get subdirectories.
  std::string dataset;      // "gaussian" or "fashion-mnist"
  std::string fashion_dir;  // fashion-mnist: where the label files are
  uint32_t dim = 128;       // gaussian
  uint32_t clusters = 16;   // gaussian
  size_t num = 100000;      // gaussian: vectors over all phases
  size_t phases = 10;       // gaussian (fashion-mnist: 10 classes)
  double speed = 5.0;       // gaussian: centre moves per phase, in std devs
  size_t queries = 200;     // per phase
  size_t k = 10;
  uint64_t seed = 42;
  // Churn instead of drift: half the data set loaded, then `phases` steps
  // that each delete 1% of the live vectors and write as many new ones.
  bool churn = false;
  // Every variant's memtable size. Smaller than a phase, so the drift
  // variant's background maintenance runs while it ingests (what the ingest
  // ratio against drift-static is meant to measure).
  size_t write_buffer_bytes = 4 << 20;
  // Every variant's max_write_buffer_number: with 2, a writer that fills a
  // memtable about as fast as one flushes stalls on every late flush.
  int max_write_buffer_number = 4;
  // Whole simulations run, each on fresh databases. A phase's writes take
  // only ~40-110 ms, so one late flush or scheduling hiccup moves its ingest
  // rate by ~20%; each reported entry is the median repeat's (RunDriftSim).
  size_t repeats = 3;
  // The drift variant's maintenance options (split/merge, retrain triggers,
  // janitor budget) and every variant's target_bucket_size; dimension and
  // auto_train are set per variant.
  VectorIndexOptions index_options;
};

// `fashion` is the loaded fashion-mnist set (with labels) for that workload,
// ignored for gaussian. One Result per variant and phase, benchmark
// "drift_sim", params "phase", "workload" and "repeat": the entry of the
// repeat whose ingest rate was the median of `repeats`, with the rate's
// spread (ingest_vectors_per_sec_min/max) and, for drift and drift-oracle,
// ingest_vs_static (the median over repeats of the rate over drift-static's
// in the same repeat and phase) and ingest_vs_static_min.
rocksdb::Status RunDriftSim(const DriftSimOptions& options,
                            const Dataset& fashion, Reporter* reporter);

}  // namespace bench
}  // namespace drift
