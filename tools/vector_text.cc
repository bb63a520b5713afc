#include "tools/vector_text.h"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace drift {
namespace tools {

std::string FormatFloats(const float* v, size_t n, size_t max_values) {
  const size_t shown = (max_values > 0 && n > max_values) ? max_values : n;
  std::string out;
  char buf[32];
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out.push_back(',');
    const auto res = std::to_chars(buf, buf + sizeof(buf), v[i]);
    out.append(buf, res.ptr);
  }
  if (shown < n) out.append(",...");
  return out;
}

namespace {

std::string Trim(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

rocksdb::Status ParseOne(const std::string& token, size_t index, float* out) {
  const std::string t = Trim(token);
  const char* first = t.data();
  const char* last = t.data() + t.size();
  if (!t.empty() && *first == '+') ++first;  // from_chars rejects '+'
  const auto res = std::from_chars(first, last, *out);
  if (t.empty() || res.ec != std::errc() || res.ptr != last) {
    return rocksdb::Status::InvalidArgument(
        "component " + std::to_string(index) + " is not a number: '" + t + "'");
  }
  return rocksdb::Status::OK();
}

}  // namespace

rocksdb::Status ParseFloats(const std::string& text, std::vector<float>* out) {
  out->clear();
  if (Trim(text).empty()) {
    return rocksdb::Status::InvalidArgument("empty vector");
  }
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string token = text.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    float f = 0;
    rocksdb::Status s = ParseOne(token, out->size(), &f);
    if (!s.ok()) return s;
    out->push_back(f);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return rocksdb::Status::OK();
}

std::string ToHex(const rocksdb::Slice& bytes) {
  return bytes.ToString(/*hex=*/true);
}

rocksdb::Status FromHex(const std::string& hex, std::string* out) {
  rocksdb::Slice digits(hex);
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    digits.remove_prefix(2);
  }
  out->clear();
  if (!digits.DecodeHex(out)) {
    return rocksdb::Status::InvalidArgument("not a hex string: '" + hex + "'");
  }
  return rocksdb::Status::OK();
}

std::string Escape(const rocksdb::Slice& bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out.append(buf);
    }
  }
  return out;
}

}  // namespace tools
}  // namespace drift
