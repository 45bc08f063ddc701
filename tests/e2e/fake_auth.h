// Scripted fake authoritative DNS servers for the resolver's end-to-end tests.
//
// FakeAuthServer binds UDP and TCP on one loopback address (port 53 by default) and serves from
// its own thread: for each query it calls a scripted Handler, which returns the datagrams to
// send back (raw bytes, so tests can forge wrong IDs, wrong 0x20 case or garbage), each
// optionally after a delay and from another local address (a spoofed source), or nothing at
// all. It counts and logs every query it receives.
//
// FakeZoneSet answers like a tiny authoritative server from a list of records: answers (AA),
// referrals for delegated children with glue (no AA), NXDOMAIN / NODATA with the SOA, so the
// root and TLD fakes of a test hierarchy are one-liners. Replies always repeat the question
// octet for octet (the resolver checks the 0x20 case pattern).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/net.h"
#include "dns/message.h"

namespace vpcdns::test {

// One datagram (UDP) or message (TCP, framed by the server) to send back.
struct FakeSend {
  std::vector<uint8_t> bytes;
  // UDP only: empty = from the server's own socket; else a 127.x address to send from (a socket
  // bound to that address and the server's port is created for it), to spoof the source.
  std::string from;
  // How long after the query arrived to send it. Sends due at the same time go out in order.
  std::chrono::milliseconds delay{0};
};

struct FakeActions {
  std::vector<FakeSend> sends;  // in order; empty = stay silent

  static FakeActions silence() { return {}; }
  static FakeActions reply(std::vector<uint8_t> bytes) {
    FakeActions a;
    a.sends.push_back({std::move(bytes), "", std::chrono::milliseconds(0)});
    return a;
  }
  FakeActions& then(std::vector<uint8_t> bytes, std::chrono::milliseconds delay = {},
                    std::string from = "") {
    sends.push_back({std::move(bytes), std::move(from), delay});
    return *this;
  }
};

// Called on the server's thread for every query that parses (dns::Message::parse).
using FakeHandler =
    std::function<FakeActions(const dns::Message& query, bool tcp, const SocketAddress& peer)>;

struct FakeQueryRecord {
  std::string name;  // presentation form, case as received; "" if the query did not parse
  uint16_t type = 0;
  SocketAddress peer;
  bool tcp = false;
};

// A loopback address for a fake server (127.16.0.0 - 127.47.255.255, random), never returned
// twice in this process. The daemon fixture's freshLoopbackAddress() uses 127.64.0.0/10 and the
// NSD hierarchy of e2e_resolver 127.53 - 127.63, so they never meet.
std::string freshFakeAddress();

class FakeAuthServer {
 public:
  // Binds UDP and TCP on address:port (a fresh address when empty; a few are tried if one is
  // taken) and starts serving. Until setHandler() the server stays silent (queries are still
  // counted). Check ok() before use.
  explicit FakeAuthServer(FakeHandler handler = nullptr, std::string address = "",
                          uint16_t port = 53);
  ~FakeAuthServer();  // stops the thread (bounded: the poll loop wakes at least every 50 ms)
  FakeAuthServer(const FakeAuthServer&) = delete;
  FakeAuthServer& operator=(const FakeAuthServer&) = delete;

  bool ok() const { return ok_; }
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }

  void setHandler(FakeHandler handler);
  // The query log can be turned off for bulk tests (the count is kept either way).
  void setLogQueries(bool on) { log_queries_ = on; }

  uint64_t queryCount() const { return count_.load(); }
  std::vector<FakeQueryRecord> queries() const;
  // Queries whose name equals `name` (case-insensitively) and, if given, whose type is `type`.
  size_t countFor(std::string_view name, std::optional<uint16_t> type = std::nullopt) const;

 private:
  struct Pending;
  struct TcpConn;
  void run();
  void handleMessage(std::span<const uint8_t> packet, bool tcp, const SocketAddress& peer,
                     uint64_t conn_id);
  void flushDue();
  void sendUdp(const FakeSend& s, const SocketAddress& peer);
  int spoofSocket(const std::string& from);

  std::string address_;
  uint16_t port_;
  std::string error_;
  bool ok_ = false;
  int udp_fd_ = -1, tcp_fd_ = -1, wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> log_queries_{true};
  std::atomic<uint64_t> count_{0};
  mutable std::mutex mu_;  // guards handler_ and log_
  std::shared_ptr<FakeHandler> handler_;
  std::vector<FakeQueryRecord> log_;
  // Server thread only:
  std::vector<std::unique_ptr<TcpConn>> conns_;
  std::vector<std::unique_ptr<Pending>> pending_;
  std::map<std::string, int> spoof_fds_;
  uint64_t next_conn_id_ = 1;
  uint64_t next_seq_ = 0;
  std::thread thread_;
};

// ---- Building replies with the dns/ library ----

// Parses "owner ttl [class] type rdata..." (names absolute, trailing dot optional). Aborts the
// current test (ADD_FAILURE) and returns an empty record on a typo.
dns::Record rr(std::string_view text);

// A reply skeleton: QR, the query's ID, opcode, RD and CD, the question exactly as received,
// and an OPT (udp size 1232) when the query had one.
dns::Message replyTo(const dns::Message& query);
// Encodes for the transport: up to 65535 octets over TCP, else the query's EDNS size (at least
// 512) or 512 without EDNS, with TC when something had to be left out.
std::vector<uint8_t> encodeFor(const dns::Message& reply, const dns::Message& query, bool tcp);

// An authoritative answer (AA) with `answer` records (and optional additional ones).
dns::Message answerReply(const dns::Message& query, std::vector<dns::Record> answer,
                         std::vector<dns::Record> additional = {});
// A referral: no AA, NS records in authority, glue in additional.
dns::Message referralReply(const dns::Message& query, std::vector<dns::Record> ns,
                           std::vector<dns::Record> glue);
// NXDOMAIN (AA) with the zone's SOA in authority.
dns::Message nxdomainReply(const dns::Message& query, const dns::Record& soa);
// NOERROR, no answer (AA), SOA in authority.
dns::Message nodataReply(const dns::Message& query, const dns::Record& soa);
// A bare reply with this rcode (REFUSED, SERVFAIL, ...), no records.
dns::Message rcodeReply(const dns::Message& query, uint16_t rcode);

// The encoded message with its ID replaced.
std::vector<uint8_t> withId(std::vector<uint8_t> bytes, uint16_t id);
// The name with the case of every ASCII letter inverted (www.Example -> WWW.eXAMPLE).
dns::Name flipCase(const dns::Name& name);
// A copy of the reply whose question name is `name` (same letters, other case, say).
dns::Message withQuestionName(dns::Message reply, const dns::Name& name);

// ---- A tiny authoritative server ----

class FakeZoneSet {
 public:
  // Declares a zone this server is authoritative for (e.g. ".", "test."). Give each zone an
  // apex NS (and optionally an SOA; one is made up when missing).
  FakeZoneSet& zone(std::string_view apex);
  // Adds a record (presentation form, see rr()) to the longest declared zone holding it.
  // Records below a delegation (NS below the apex) are glue, used only in referrals.
  FakeZoneSet& add(std::string_view record_text);
  FakeZoneSet& add(dns::Record record);
  // Delegates `child` (below one of the zones) to `ns_name` at `address`, with glue when the
  // NS name lies inside the zone (the usual in-bailiwick glue).
  FakeZoneSet& delegate(std::string_view child, std::string_view ns_name,
                        const std::string& address);
  // Whether CNAMEs are chased inside these zones in one reply (real servers do; off, each
  // reply holds one link).
  FakeZoneSet& chaseCnames(bool on);

  // The reply an authoritative server would give (RFC 1034 §4.3.2): REFUSED outside the zones.
  dns::Message respond(const dns::Message& query) const;
  // A handler serving these zones (a snapshot of the records as they are now).
  FakeHandler handler() const;

 private:
  struct Zone {
    dns::Name apex;
    std::vector<dns::Record> records;
  };
  const Zone* findZone(const dns::Name& name) const;
  dns::Record soaOf(const Zone& z) const;
  std::vector<dns::Record> lookup(const Zone& z, const dns::Name& owner, uint16_t type) const;
  bool nameExists(const Zone& z, const dns::Name& name) const;
  std::vector<dns::Record> glueFor(const Zone& z, const std::vector<dns::Record>& ns) const;

  std::vector<Zone> zones_;
  bool chase_cnames_ = true;
};

}  // namespace vpcdns::test
