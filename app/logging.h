// Process-wide logging (spdlog to stderr): level and format from the config.
// text: "2026-12-03T16:45:53.123Z info  listening on 127.0.0.1:5353 ..."
// json: {"ts":"2026-12-03T16:45:53.123Z","level":"info","msg":"listening on ..."}
#pragma once

#include <string>

namespace vpcdns::app {

// Returns false if `level` or `format` is unknown (the config loader rejects those already).
bool setupLogging(const std::string& level, const std::string& format);

}  // namespace vpcdns::app
