// Writing and reading checksummed blocks (contents + 4-byte masked crc32c,
// table/drift_format.h) through RocksDB's file classes. Table-internal: it
// includes RocksDB's internal headers.
#pragma once

#include <cstdint>

#include "table/drift_format.h"
#include "table/rocksdb_internals.h"

namespace drift {

// Appends `contents` and its crc trailer at *offset (advanced); sets *handle.
rocksdb::IOStatus WriteBlock(rocksdb::WritableFileWriter* file,
                             const rocksdb::Slice& contents, uint64_t* offset,
                             rocksdb::BlockHandle* handle);

// Appends zero bytes until *offset is a multiple of `alignment`.
rocksdb::IOStatus PadTo(rocksdb::WritableFileWriter* file, uint64_t alignment,
                        uint64_t* offset);

// Reads `size` bytes at `offset` followed by their crc trailer and verifies it.
rocksdb::Status ReadVerified(rocksdb::RandomAccessFileReader* file,
                             uint64_t offset, uint64_t size, BlockBuffer* out);

inline rocksdb::Status ReadBlock(rocksdb::RandomAccessFileReader* file,
                                 const rocksdb::BlockHandle& handle,
                                 BlockBuffer* out) {
  return ReadVerified(file, handle.offset(), handle.size(), out);
}
inline rocksdb::Status ReadBlock(rocksdb::RandomAccessFileReader* file,
                                 const BlockExtent& extent, BlockBuffer* out) {
  return ReadVerified(file, extent.offset(), extent.size(), out);
}

}  // namespace drift
