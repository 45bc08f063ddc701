// The daemon's configuration: the validated, immutable form the rest of the code reads.
//
// YAML text -> (loader.cc, yaml-cpp, with marks) -> Config. Every problem found is reported as a
// ConfigError naming file:line:column, the key path and what was expected; one run reports all
// of them. Unknown keys are errors. The schema is documented in README.md ("Configuration").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/net.h"
#include "common/result.h"

namespace vpcdns::config {

struct Listener {
  SocketAddress address;  // UDP and TCP are both opened on it
  std::string vpc;        // empty: clients are matched by source address (later issue)
};

struct ServerSection {
  std::vector<Listener> listen;
  unsigned workers = 0;                  // 0 = one per core ("auto")
  std::vector<IpPrefix> allow;           // clients outside are REFUSED
  uint16_t edns_udp_size = 1232;         // our advertised / accepted UDP payload (512..4096)
  uint32_t tcp_idle_timeout_ms = 10000;  // RFC 7766 §6.2.3 suggests seconds, not minutes
  uint32_t tcp_max_connections = 1024;   // per worker thread
  uint32_t tcp_max_pipelined = 64;       // queries in flight on one connection
  uint32_t udp_recv_buffer = 0;          // SO_RCVBUF bytes; 0 = kernel default
};

struct LoggingSection {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text | json
};

struct Config {
  std::string source;  // file name, or "<embedded default>"
  ServerSection server;
  LoggingSection logging;
};

struct ConfigError {
  std::string file;
  int line = 0;         // 1-based; 0 when unknown (e.g. the file cannot be read)
  int column = 0;       // 1-based
  std::string path;     // "server.listen[1].address"
  std::string message;  // "expected IP[:port], got \"foo\""
  // "file:line:column: path: message", as compilers print errors. Without a position (line 0)
  // it is "file: path: message"; an empty path is left out: "file:3:1: message".
  std::string toString() const;
};

using LoadResult = Result<Config, std::vector<ConfigError>>;

// The embedded default: listens on 127.0.0.1:5353 and allows 127.0.0.0/8 and ::1.
extern const std::string_view kDefaultConfigYaml;

LoadResult loadFile(const std::string& path);
// `name` is what errors call the text (a file name or "<embedded default>").
LoadResult loadString(std::string_view yaml, const std::string& name);

}  // namespace vpcdns::config
