// The one header that includes RocksDB's internal headers. They are only valid
// with the build settings of Debian's librocksdb (no NDEBUG: layouts of
// port::Mutex, DBImpl, BlockContents depend on it; a mismatch corrupts memory
// silently).
#pragma once

#ifdef NDEBUG
#error \
    "RocksDB internal headers must be compiled without NDEBUG (see design brief)"
#endif

#include "db/dbformat.h"
#include "db/range_tombstone_fragmenter.h"
#include "file/random_access_file_reader.h"
#include "file/writable_file_writer.h"
#include "memory/arena.h"
#include "table/block_based/block.h"
#include "table/block_based/block_builder.h"
#include "table/block_based/filter_policy_internal.h"
#include "table/get_context.h"
#include "table/internal_iterator.h"
#include "table/meta_blocks.h"
#include "table/table_builder.h"
#include "table/table_reader.h"
#include "util/coding.h"
#include "util/crc32c.h"
