#include "tools/ldb_vector_command.h"

#include <cerrno>
#include <cstdlib>

#include "drift/table_options.h"
#include "tools/vector_text.h"

namespace drift {
namespace tools {

using rocksdb::Status;

bool VectorCommand::ParseKey(const std::string& arg, std::string* key) {
  if (!is_key_hex_) {
    *key = arg;
    return true;
  }
  Status s = FromHex(arg, key);
  if (!s.ok()) Fail(s.ToString());
  return s.ok();
}

std::string VectorCommand::ShowKey(const std::string& key) const {
  return is_key_hex_ ? "0x" + ToHex(key) : "'" + key + "'";
}

bool VectorCommand::ParseVector(const std::string& arg, std::vector<float>* v) {
  Status s = ParseFloats(arg, v);
  if (!s.ok()) Fail("bad vector '" + arg + "': " + s.getState());
  return s.ok();
}

bool VectorCommand::ParseUint(const std::map<std::string, std::string>& options,
                              const std::string& name, uint64_t min,
                              uint64_t max, uint64_t* value) {
  auto it = options.find(name);
  if (it == options.end()) return true;
  const std::string& text = it->second;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 || v < min ||
      v > max) {
    Fail("--" + name + "=" + text + ": not an integer in [" +
         std::to_string(min) + ", " + std::to_string(max) + "]");
    return false;
  }
  *value = v;
  return true;
}

bool VectorCommand::AttachIndex(std::unique_ptr<VectorIndex>* index,
                                rocksdb::ColumnFamilyHandle* cf) {
  if (db_ == nullptr) return false;  // OpenDB failed; exec_state_ says why
  if (cf == nullptr) cf = GetCfHandle();
  rocksdb::ColumnFamilyDescriptor desc;
  Status s = cf->GetDescriptor(&desc);
  const auto* topts =
      s.ok() && desc.options.table_factory != nullptr
          ? desc.options.table_factory->GetOptions<DriftTableOptions>()
          : nullptr;
  if (topts == nullptr) {
    Fail("column family '" + cf->GetName() +
         "' is not a Drift vector column family (pass "
         "--column_family=<vector column family>)");
    return false;
  }
  VectorIndexOptions vopts;
  vopts.dimension = topts->dimension;
  vopts.metric = topts->metric;
  vopts.auto_train = false;
  s = VectorIndex::Attach(db_, cf, vopts, index);
  if (!s.ok()) Fail(s.ToString());
  metric_ = vopts.metric;
  return s.ok();
}

}  // namespace tools
}  // namespace drift
