#include "client/progress.h"

#include <unistd.h>

#include <string>

namespace drift {
namespace client {

namespace {
constexpr int kWidth = 30;  // characters of the bar
}  // namespace

ProgressBar::ProgressBar(FILE* out, uint64_t total_bytes)
    : out_(out),
      total_bytes_(total_bytes),
      enabled_(isatty(fileno(out)) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::Update(uint64_t bytes, uint64_t rows) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(bytes, rows);
}

void ProgressBar::Draw(uint64_t bytes, uint64_t rows) {
  const double seconds =
      std::chrono::duration<double>(last_draw_ - start_).count();
  // The rate of the first moments says little (the first batch only).
  const double rate = seconds >= 0.5 ? rows / seconds : 0;
  if (total_bytes_ > 0) {
    const double done = std::min(1.0, double(bytes) / double(total_bytes_));
    const int filled = static_cast<int>(done * kWidth);
    fprintf(out_, "\r[%s%s] %3d%% %llu vectors, %.0f/s ",
            std::string(filled, '#').c_str(),
            std::string(kWidth - filled, ' ').c_str(),
            static_cast<int>(done * 100), static_cast<unsigned long long>(rows),
            rate);
  } else {
    fprintf(out_, "\r%llu vectors, %.0f/s ",
            static_cast<unsigned long long>(rows), rate);
  }
  fflush(out_);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!drawn_) return;
  fprintf(out_, "\r\033[K");  // carriage return, erase the line
  fflush(out_);
  drawn_ = false;
}

}  // namespace client
}  // namespace drift
