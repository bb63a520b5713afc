#include "table/block_io.h"

#include <algorithm>
#include <string>

namespace drift {

using rocksdb::IOStatus;
using rocksdb::Slice;
using rocksdb::Status;

IOStatus WriteBlock(rocksdb::WritableFileWriter* file, const Slice& contents,
                    uint64_t* offset, rocksdb::BlockHandle* handle) {
  char trailer[kBlockTrailerSize];
  rocksdb::EncodeFixed32(trailer, BlockChecksum(contents));
  IOStatus s = file->Append(contents);
  if (s.ok()) s = file->Append(Slice(trailer, sizeof(trailer)));
  if (!s.ok()) return s;
  handle->set_offset(*offset);
  handle->set_size(contents.size());
  *offset += contents.size() + kBlockTrailerSize;
  return s;
}

IOStatus PadTo(rocksdb::WritableFileWriter* file, uint64_t alignment,
               uint64_t* offset) {
  const uint64_t pad = (alignment - *offset % alignment) % alignment;
  if (pad == 0) return IOStatus::OK();
  static const char kZeros[4096] = {};
  uint64_t left = pad;
  while (left > 0) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(left, sizeof(kZeros)));
    IOStatus s = file->Append(Slice(kZeros, n));
    if (!s.ok()) return s;
    left -= n;
  }
  *offset += pad;
  return IOStatus::OK();
}

Status ReadVerified(rocksdb::RandomAccessFileReader* file, uint64_t offset,
                    uint64_t size, BlockBuffer* out) {
  const uint64_t n = size + kBlockTrailerSize;
  if (size > (uint64_t{1} << 40)) {
    return Status::Corruption("drift: implausible block size " +
                              std::to_string(size));
  }
  out->buf = AllocateBlockMemory(n, /*huge_pages=*/false);
  Slice result;
  rocksdb::IOOptions io_opts;
  Status s = file->Read(io_opts, offset, n, &result, out->buf.get(),
                        /*aligned_buf=*/nullptr,
                        rocksdb::Env::IO_TOTAL /* rate limiter priority */);
  if (!s.ok()) return s;
  if (result.size() != n) {
    return Status::Corruption("drift: truncated block at offset " +
                              std::to_string(offset) + " in " +
                              file->file_name());
  }
  const uint32_t stored = rocksdb::DecodeFixed32(result.data() + size);
  const Slice contents(result.data(), size);
  if (BlockChecksum(contents) != stored) {
    return Status::Corruption("drift: block checksum mismatch at offset " +
                              std::to_string(offset) + " in " +
                              file->file_name());
  }
  out->data = contents;
  return Status::OK();
}

}  // namespace drift
