// Options of the drift memtable representation (fresh vectors, level 0).
#pragma once

#include <cstdint>

#include "drift/metric.h"

namespace drift {

// Configurable from option strings, e.g.
//   memtable_factory={id=DriftMemTable;dimension=128}
struct DriftMemTableOptions {
  static const char* kName() { return "DriftMemTableOptions"; }

  // Number of float32 components of a vector. 0: the memtable keeps no
  // vector arena (plain memtable behaviour); VectorIndex::Attach requires it
  // to equal the index's dimension.
  uint32_t dimension = 0;

  // A background thread builds an HNSW graph (hnswlib) over each memtable's
  // vectors once it holds graph_min_rows of them (0: never; memtables are
  // then scanned exhaustively). Searches use the graph for the indexed rows
  // and scan the rest.
  uint32_t graph_min_rows = 4096;
  uint32_t hnsw_m = 16;                 // graph degree (hnswlib M)
  uint32_t hnsw_ef_construction = 100;  // build effort
  uint32_t hnsw_ef_search = 64;         // rows a search asks the graph for

  // The distance the graph is built with (drift/metric.h); must equal the
  // column family's DriftTable and VectorIndex metric.
  Metric metric = Metric::kL2;
};

}  // namespace drift
