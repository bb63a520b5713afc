// The `drift load` progress bar: redrawn on stderr at most ten times a
// second, and only when stderr is a terminal (a log or a pipe gets just the
// summary line the caller prints).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace drift {
namespace client {

class ProgressBar {
 public:
  // `total_bytes`: the file's size (0: unknown, no percentage).
  ProgressBar(FILE* out, uint64_t total_bytes);
  // Redraws with `bytes` of the file consumed and `rows` sent.
  void Update(uint64_t bytes, uint64_t rows);
  // Clears the bar's line (before the summary or an error message).
  void Finish();
  bool enabled() const { return enabled_; }

 private:
  void Draw(uint64_t bytes, uint64_t rows);

  FILE* out_;
  uint64_t total_bytes_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace client
}  // namespace drift
