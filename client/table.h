// Column-aligned text tables, the `drift` CLI's output for humans.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace drift {
namespace client {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns separated by two spaces; the last column is not padded.
  void Print(FILE* out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace client
}  // namespace drift
