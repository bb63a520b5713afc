// Runs the tasks of one call (e.g. the queries of a SearchBatch) on the
// calling thread and on threads of a rocksdb::ThreadPool. The caller claims
// tasks too and waits only for tasks that were claimed, never for a pool job
// to start: a busy or shared pool (even one whose own thread is the caller)
// slows a call down but cannot deadlock it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "rocksdb/status.h"
#include "rocksdb/threadpool.h"

namespace drift {

// A pool of `threads` threads (rocksdb::NewThreadPool) whose deleter joins
// them (RocksDB's pool asserts it was joined before deletion).
std::shared_ptr<rocksdb::ThreadPool> NewSearchPool(int threads);

// Runs task(i) for every i in [0, n), in increasing order of claims, on the
// calling thread and up to `helpers` jobs of `pool` (nullptr or 0: the caller
// only). After the first failing task no new task is claimed; returns the
// status of the failing task with the lowest index (*failed = that index),
// else OK. Returns only when no task runs any more.
rocksdb::Status RunOnPool(rocksdb::ThreadPool* pool, unsigned helpers, size_t n,
                          const std::function<rocksdb::Status(size_t)>& task,
                          size_t* failed);

}  // namespace drift
