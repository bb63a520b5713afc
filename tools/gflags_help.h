// Command-line parsing shared by the gflags-based binaries (drift_dump,
// drift_stress, db_bench_drift). Header-only, so db_bench_drift can use it
// without the tools being built.
#pragma once

#include <gflags/gflags.h>

namespace drift {
namespace tools {

// Parses the flags (removing them from argv). On --help prints the usage and
// only the flags defined in files whose path contains `file_part`, and
// returns true: the caller exits 0. librocksdb registers the gflags of its own
// tools (trace_analyzer, ...) in every process, so gflags' plain --help would
// list those too; --helpfull still does.
inline bool ParseFlagsOrShowHelp(int* argc, char*** argv,
                                 const char* file_part) {
  gflags::ParseCommandLineNonHelpFlags(argc, argv, /*remove_flags=*/true);
  if (gflags::GetCommandLineFlagInfoOrDie("help").current_value == "true") {
    gflags::ShowUsageWithFlagsRestrict((*argv)[0], file_part);
    return true;
  }
  gflags::HandleCommandLineHelpFlags();
  return false;
}

}  // namespace tools
}  // namespace drift
