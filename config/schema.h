// Internal to vpcdns_config: the configuration schema (which keys exist, their types, ranges
// and defaults), applied to a parsed YAML document.
#pragma once

#include <string>

#include "config/config.h"
#include "config/reader.h"

namespace vpcdns::config::detail {

// The configuration an empty document yields.
Config defaultConfig(const std::string& source);

// Reads the document root into `out` (pre-filled with defaults), reporting errors to `r`.
void readConfig(Reader& r, const YAML::Node& root, Config& out);

}  // namespace vpcdns::config::detail
