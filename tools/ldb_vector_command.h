// The base of drift_ldb's vector commands: an rocksdb::LDBCommand (ldb's
// option parsing, --db / --column_family, OPTIONS file loading) with the
// argument parsers the vector commands share and a VectorIndex over the
// --column_family once the DB is open.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drift/vector_index.h"
#include "rocksdb/utilities/ldb_cmd.h"

namespace drift {
namespace tools {

class VectorCommand : public rocksdb::LDBCommand {
 protected:
  VectorCommand(const std::map<std::string, std::string>& options,
                const std::vector<std::string>& flags, bool is_read_only,
                const std::vector<std::string>& valid_options)
      : LDBCommand(options, flags, is_read_only,
                   BuildCmdLineOptions(valid_options)) {}

  void Fail(const std::string& msg) {
    exec_state_ = rocksdb::LDBCommandExecuteResult::Failed(msg);
  }
  bool failed() { return exec_state_.IsFailed(); }

  // Decodes a key argument (hex with --key_hex / --hex).
  bool ParseKey(const std::string& arg, std::string* key);
  // A key as the user gave it: 'text', or 0x... with --key_hex.
  std::string ShowKey(const std::string& key) const;
  bool ParseVector(const std::string& arg, std::vector<float>* v);
  // --name=<unsigned integer> into *value (unchanged if absent); false (and
  // the command failed) if it is not a number in [min, max].
  bool ParseUint(const std::map<std::string, std::string>& options,
                 const std::string& name, uint64_t min, uint64_t max,
                 uint64_t* value);

  // Attaches a VectorIndex to the open DB's `cf` (default: --column_family)
  // with auto_train off (a tool never trains behind the user's back) and the
  // dimension and metric of the column family's DriftTable options (OPTIONS
  // file); metric() is then that metric.
  bool AttachIndex(std::unique_ptr<VectorIndex>* index,
                   rocksdb::ColumnFamilyHandle* cf = nullptr);
  Metric metric() const { return metric_; }

 private:
  Metric metric_ = Metric::kL2;
};

}  // namespace tools
}  // namespace drift
