#include "db_bench_drift/report.h"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace drift {
namespace bench {

double Latencies::Percentile(double p) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  const double rank = p / 100.0 * (samples_.size() - 1);
  return samples_[static_cast<size_t>(std::llround(rank))];
}

void Reporter::Report(const Result& r) {
  std::ostringstream line;
  char buf[160];
  const double ops_per_sec = Metric(r, "ops_per_sec");
  snprintf(buf, sizeof(buf), "%-22s %-10s : %11.3f micros/op %10.0f ops/sec;",
           r.benchmark.c_str(), r.system.c_str(),
           ops_per_sec > 0 ? 1e6 / ops_per_sec : 0.0, ops_per_sec);
  line << buf;
  for (const auto& [k, v] : r.metrics) {
    if (k == "ops_per_sec") continue;
    snprintf(buf, sizeof(buf), " %s=%.6g", k.c_str(), v);
    line << buf;
  }
  for (const auto& [k, v] : r.params) line << " " << k << "=" << v;
  printf("%s\n", line.str().c_str());
  LOG(INFO) << line.str();
  fflush(stdout);
  results_.push_back(r);
}

namespace {
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      snprintf(esc, sizeof(esc), "\\u%04x", c);
      out += esc;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}
}  // namespace

bool Reporter::WriteJson(const std::string& path) const {
  std::ofstream out(path);
  out << "{\"header\": {";
  for (size_t i = 0; i < header_.size(); ++i) {
    out << (i == 0 ? "" : ", ") << JsonString(header_[i].first) << ": "
        << JsonString(header_[i].second);
  }
  out << "},\n\"results\": [\n";
  for (size_t i = 0; i < results_.size(); ++i) {
    const Result& r = results_[i];
    out << "  {\"benchmark\": " << JsonString(r.benchmark)
        << ", \"system\": " << JsonString(r.system) << ", \"params\": {";
    bool first = true;
    for (const auto& [k, v] : r.params) {
      out << (first ? "" : ", ") << JsonString(k) << ": " << JsonString(v);
      first = false;
    }
    out << "}";
    for (const auto& [k, v] : r.metrics) {
      out << ", " << JsonString(k) << ": " << JsonNumber(v);
    }
    out << "}" << (i + 1 < results_.size() ? "," : "") << "\n";
  }
  out << "]}\n";
  return static_cast<bool>(out);
}

Progress::Progress(std::string phase, uint64_t total)
    : phase_(std::move(phase)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::Update(uint64_t done) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(500)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  fprintf(stderr, "\r... %s: %llu/%llu (%.0f/s)        ", phase_.c_str(),
          static_cast<unsigned long long>(done),
          static_cast<unsigned long long>(total_), done / std::max(secs, 1e-9));
  fflush(stderr);
}

void Progress::Finish() {
  if (last_ != start_) fprintf(stderr, "\r%80s\r", "");
}

}  // namespace bench
}  // namespace drift
