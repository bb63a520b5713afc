#include "table/metric_option.h"

#include "drift/metric.h"

namespace drift {

rocksdb::OptionTypeInfo MetricOptionTypeInfo(int offset) {
  rocksdb::OptionTypeInfo info(offset, rocksdb::OptionType::kEnum,
                               rocksdb::OptionVerificationType::kNormal,
                               rocksdb::OptionTypeFlags::kNone);
  info.SetParseFunc([](const rocksdb::ConfigOptions&, const std::string&,
                       const std::string& value, void* addr) {
    return ParseMetric(value, static_cast<Metric*>(addr));
  });
  info.SetSerializeFunc([](const rocksdb::ConfigOptions&, const std::string&,
                           const void* addr, std::string* value) {
    *value = MetricName(*static_cast<const Metric*>(addr));
    return rocksdb::Status::OK();
  });
  info.SetEqualsFunc([](const rocksdb::ConfigOptions&, const std::string&,
                        const void* a, const void* b, std::string*) {
    return *static_cast<const Metric*>(a) == *static_cast<const Metric*>(b);
  });
  return info;
}

}  // namespace drift
