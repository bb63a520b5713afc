// The `metric` option of the DriftTable and DriftMemTable factories in option
// strings (l2, ip, cosine), with ParseMetric's message for an unknown name.
#pragma once

#include "rocksdb/utilities/options_type.h"

namespace drift {

// OptionTypeInfo of a drift::Metric member at `offset`.
rocksdb::OptionTypeInfo MetricOptionTypeInfo(int offset);

}  // namespace drift
