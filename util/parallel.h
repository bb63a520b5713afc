// Small fork-join helpers for CPU-bound work inside one call (a segment
// build): the calling thread works too, helpers are plain threads that live
// only for the call. Results never depend on the number of threads or on
// which thread ran a task, so callers stay deterministic.
#pragma once

#include <cstddef>
#include <functional>

#include "rocksdb/status.h"

namespace drift {

// Runs fn(i) for every i in [0, n) on the calling thread and up to
// threads - 1 helper threads (threads <= 1: all on the caller, in order).
void ParallelFor(size_t n, unsigned threads,
                 const std::function<void(size_t)>& fn);

// Runs produce(i) for i in [0, n) on up to `threads` threads (the caller's
// included) and consume(i) on the calling thread in order 0, 1, ..., each
// after its produce(i) returned. Production runs at most `window` (>= 1)
// tasks ahead of consumption: produce(i) starts only after
// consume(i - window) returned, so a ring of `window` result slots (slot
// i % window) suffices. Stops at the first non-OK status of a produce (in
// task order) or consume and returns it; no produce(i) or consume(i) runs
// after OrderedPipeline returns.
rocksdb::Status OrderedPipeline(
    size_t n, unsigned threads, size_t window,
    const std::function<rocksdb::Status(size_t)>& produce,
    const std::function<rocksdb::Status(size_t)>& consume);

}  // namespace drift
