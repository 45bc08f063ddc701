// Writing the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): "# HELP" and "# TYPE" lines
// once per metric family, then one sample per line, `name{label="value"} number`.
//
// Thread affinity: pure functions on the caller's string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vpcdns::server::prom {

// "# HELP name help\n# TYPE name type\n"; type is counter, gauge or histogram.
void family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// `labels` is the inside of the braces, already escaped (see label()); empty: none.
void sample(std::string& out, std::string_view name, std::string_view labels, uint64_t value);
void sample(std::string& out, std::string_view name, std::string_view labels, double value);
// `key="value"` with the value escaped (backslash, double quote, newline).
std::string label(std::string_view key, std::string_view value);

}  // namespace vpcdns::server::prom
