// FakeUpstream: a scripted DNS server for the forwarder tests, on plain POSIX UDP and TCP
// sockets bound to the same random port of a random 127.x address, served by its own thread.
//
// It answers every query (UDP or TCP, one 2-byte-framed query per read on a connection) from
// the current script, which the test may change at any time: stay silent, answer with an RCODE,
// answer late, answer big (TC over UDP, the whole answer over TCP, or the whole answer over UDP
// without TC), answer FORMERR without OPT to queries that carry one. Every query is recorded with
// its source address and transport.
//
// Thread affinity: the server thread owns the sockets; the script is atomics and the record is
// mutex-guarded, so the test thread may read and change both while it runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/net.h"
#include "dns/message.h"

namespace vpcdns::forwarder::testing {

using Bytes = std::vector<uint8_t>;

enum class BigMode : uint8_t {
  kNone,
  kTruncateUdp,  // UDP: header + question with TC; TCP: the big answer
  kWholeUdp,     // the big answer over UDP too, without TC
};

inline constexpr size_t kBigTxtStrings = 12;  // of 250 octets: a ~3 KB answer

struct ReceivedQuery {
  Bytes wire;
  SocketAddress from;
  bool tcp = false;
  bool isProbe() const;  // ". NS"
  std::optional<dns::Message> parsed() const;
};

class FakeUpstream {
 public:
  // Binds UDP and TCP on the same port of `ip`, or of a random 127.x.y.z when empty.
  explicit FakeUpstream(std::string ip = {});
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  bool ok() const { return udp_ >= 0 && tcp_ >= 0; }
  SocketAddress address() const { return address_; }

  void setSilent(bool v) { silent_ = v; }
  void setRcode(uint8_t rcode) { rcode_ = rcode; }
  void setDelayMs(uint32_t ms) { delay_ms_ = ms; }
  void setBig(BigMode mode) { big_ = mode; }
  void setFormerrToEdns(bool v) { formerr_to_edns_ = v; }
  // Queries for this name (lowercase presentation form, e.g. "hold.example.") get no answer.
  void setIgnoredName(std::string name);

  std::vector<ReceivedQuery> received() const;
  size_t queries() const;  // probes excluded
  size_t probes() const;

  // Bytes of the reply the script gives to `query` over `tcp`; empty: none.
  Bytes replyTo(const Bytes& query, bool tcp) const;

 private:
  void run();
  void serveTcp(int conn);
  void record(const Bytes& wire, const sockaddr_storage& from, bool tcp);

  int udp_ = -1;
  int tcp_ = -1;
  SocketAddress address_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_{false};
  std::atomic<uint8_t> rcode_{0};
  std::atomic<uint32_t> delay_ms_{0};
  std::atomic<BigMode> big_{BigMode::kNone};
  std::atomic<bool> formerr_to_edns_{false};
  mutable std::mutex mu_;
  std::string ignored_name_;
  std::vector<ReceivedQuery> received_;
  std::thread thread_;
};

// A random address in 127.0.0.0/8 avoiding 127.0.0.x (other tests and daemons live there).
std::string randomLoopback();

}  // namespace vpcdns::forwarder::testing
