#include "table/printable_options.h"

#include <algorithm>
#include <vector>

#include "rocksdb/convenience.h"

namespace drift {

std::string PrintableOptions(const rocksdb::Configurable& c) {
  rocksdb::ConfigOptions config;
  config.delimiter = "\n";
  std::string serialized;
  if (!c.GetOptionString(config, &serialized).ok()) return "";
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < serialized.size()) {
    size_t end = serialized.find('\n', begin);
    if (end == std::string::npos) end = serialized.size();
    const std::string item = serialized.substr(begin, end - begin);
    begin = end + 1;
    const size_t eq = item.find('=');
    // "id" names the class, which the LOG prints beside these options.
    if (eq == std::string::npos || item.compare(0, eq, "id") == 0) continue;
    lines.push_back("  " + item.substr(0, eq) + ": " + item.substr(eq + 1) +
                    "\n");
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& line : lines) out += line;
  return out;
}

}  // namespace drift
