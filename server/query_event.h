// QueryEvent: what the pipeline reports for every reply it sends to a query (answered at once
// or later), for the query log and the per-query metrics. AnswerPath: which part answered.
//
// An event only borrows what it points at; whoever consumes it copies what it keeps.
// Thread affinity: built and consumed on the worker's loop thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/net.h"

namespace vpcdns::config {
struct Config;
}

namespace vpcdns::server {

enum class Transport : uint8_t { kUdp, kTcp };

// The part of the daemon that produced the reply (the query log's "path" field).
enum class AnswerPath : uint8_t {
  kCache,        // the record cache (recursive data or a FORWARD rule's)
  kPrivateZone,  // a private zone of the client's VPC
  kLocalZone,    // a built-in local zone (RFC 6303, localhost) or synthesized hostnames
  kForward,      // a FORWARD rule's targets
  kRecursion,    // iterative resolution
  kRefused,      // not admitted, or not something we answer (AXFR, other classes)
  kError,        // FORMERR, NOTIMP, BADVERS, SERVFAIL with no stage answering
};
inline constexpr size_t kAnswerPathCount = 7;

inline constexpr std::array<std::string_view, kAnswerPathCount> kAnswerPathNames = {
    "cache", "private_zone", "local_zone", "forward", "recursion", "refused", "error"};

constexpr std::string_view answerPathName(AnswerPath p) {
  return kAnswerPathNames[static_cast<size_t>(p)];
}

struct QueryEvent {
  uint64_t start_ns = 0;  // steady clock (monotonicNanos), when the query was received
  uint64_t end_ns = 0;    // steady clock, when the reply was handed to the listener
  // The snapshot's config the query was served with, and its VPC (index into config->vpcs, -1:
  // no VPC). May be null (then vpc is -1).
  const config::Config* config = nullptr;
  int vpc = -1;
  bool log = false;  // the query log wants it (query_log.vpcs)
  AnswerPath path = AnswerPath::kError;
  Transport transport = Transport::kUdp;
  uint16_t qtype = 0;  // 0: no question could be read
  uint16_t rcode = 0;  // the full (extended) RCODE of the reply
  const SocketAddress* client = nullptr;
  size_t listener_index = 0;
  std::span<const uint8_t> reply;  // the reply as sent (without the TCP length)
};

// CLOCK_MONOTONIC in nanoseconds (vDSO: tens of nanoseconds, no system call).
uint64_t monotonicNanos();

}  // namespace vpcdns::server
