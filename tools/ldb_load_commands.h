// drift_ldb's commands that build a vector column family from the command
// line: create_vector_cf (a column family with Drift's factories), vload
// (bulk load of an .fvecs file) and vtrain (train the codebook).
#pragma once

#include <string>

#include "rocksdb/utilities/ldb_cmd.h"

namespace drift {
namespace tools {

// Their lines of drift_ldb --help.
extern const char kLoadCommandsHelp[];

// The command for `p.cmd` if it is one of them, else nullptr.
rocksdb::LDBCommand* SelectLoadCommand(
    const rocksdb::LDBCommand::ParsedParams& p);
bool IsLoadCommand(const std::string& name);

}  // namespace tools
}  // namespace drift
