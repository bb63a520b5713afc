// Text forms shared by the tools: vectors as comma-separated floats, bytes as
// hex or escaped text.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {
namespace tools {

// "0.5,1,-2.25": the shortest text that reads back as the same float.
// With `max_values` > 0 and more floats than that, prints the first
// `max_values` and then ",...".
std::string FormatFloats(const float* v, size_t n, size_t max_values = 0);

// Parses "0.5, 1,-2.25" (spaces around commas allowed). InvalidArgument names
// the first component that is not a number; NaN and infinities parse (callers
// that need finite values check them).
rocksdb::Status ParseFloats(const std::string& text, std::vector<float>* out);

// Hex of every byte, upper case, without a "0x" prefix.
std::string ToHex(const rocksdb::Slice& bytes);

// Decodes hex with an optional "0x" prefix; InvalidArgument on bad digits.
rocksdb::Status FromHex(const std::string& hex, std::string* out);

// Printable bytes as they are, others as \xNN.
std::string Escape(const rocksdb::Slice& bytes);

}  // namespace tools
}  // namespace drift
