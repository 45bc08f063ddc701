#include "fake_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <utility>

#include "common/random.h"
#include "dns/types.h"

namespace vpcdns::forwarder::testing {
namespace {

constexpr int kPollMs = 10;           // how often the server thread checks for stop
constexpr int kTcpReadWaitMs = 2000;  // per read on an accepted connection

int openSocket(int type, const SocketAddress& at) {
  sockaddr_storage ss;
  const socklen_t len = at.toSockaddr(ss);
  const int fd = ::socket(ss.ss_family, type, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 16) != 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

SocketAddress boundAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss));
}

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

bool readExactly(int fd, uint8_t* out, size_t n) {
  while (n > 0) {
    if (!readable(fd, kTcpReadWaitMs)) return false;
    const ssize_t got = ::read(fd, out, n);
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

void writeAll(int fd, const Bytes& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string randomLoopback() {
  return "127." + std::to_string(1 + randomBelow(254)) + "." + std::to_string(randomBelow(256)) +
         "." + std::to_string(1 + randomBelow(254));
}

bool ReceivedQuery::isProbe() const {
  auto m = parsed();
  return m && m->questions.size() == 1 && m->questions[0].name.isRoot() &&
         m->questions[0].type == dns::rrtype::kNS;
}

std::optional<dns::Message> ReceivedQuery::parsed() const {
  auto m = dns::Message::parse(wire);
  if (!m) return std::nullopt;
  return std::move(m).value();
}

FakeUpstream::FakeUpstream(std::string ip) {
  // The UDP port is the kernel's choice; TCP must get the same one (c-ares falls back to TCP on
  // the server's port), which another socket may hold: try a few.
  for (int i = 0; i < 20 && !ok(); ++i) {
    const std::string at = ip.empty() ? randomLoopback() : ip;
    const auto addr = IpAddress::parse(at);
    if (!addr) return;
    udp_ = openSocket(SOCK_DGRAM, SocketAddress(*addr, 0));
    if (udp_ < 0) continue;
    address_ = boundAddress(udp_);
    tcp_ = openSocket(SOCK_STREAM, address_);
    if (tcp_ < 0) {
      ::close(udp_);
      udp_ = -1;
    }
  }
  if (ok()) thread_ = std::thread([this] { run(); });
}

FakeUpstream::~FakeUpstream() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (udp_ >= 0) ::close(udp_);
  if (tcp_ >= 0) ::close(tcp_);
}

void FakeUpstream::setIgnoredName(std::string name) {
  std::lock_guard lock(mu_);
  ignored_name_ = std::move(name);
}

std::vector<ReceivedQuery> FakeUpstream::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

size_t FakeUpstream::queries() const {
  size_t n = 0;
  for (const ReceivedQuery& q : received())
    if (!q.isProbe()) ++n;
  return n;
}

size_t FakeUpstream::probes() const {
  size_t n = 0;
  for (const ReceivedQuery& q : received())
    if (q.isProbe()) ++n;
  return n;
}

void FakeUpstream::record(const Bytes& wire, const sockaddr_storage& from, bool tcp) {
  std::lock_guard lock(mu_);
  received_.push_back(
      {wire, SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&from)), tcp});
}

Bytes FakeUpstream::replyTo(const Bytes& query, bool tcp) const {
  if (silent_) return {};
  auto parsed = dns::Message::parse(query);
  if (!parsed || parsed->questions.size() != 1) return {};
  const dns::Message& q = *parsed;
  {
    std::lock_guard lock(mu_);
    if (!ignored_name_.empty() && q.questions[0].name.lowercased().toText() == ignored_name_) {
      return {};
    }
  }
  dns::Message r;
  r.header = q.header;
  r.header.qr = true;
  r.header.ra = true;
  r.header.aa = false;
  r.header.tc = false;
  r.questions = q.questions;
  if (formerr_to_edns_ && q.edns) {
    r.header.rcode = static_cast<uint8_t>(dns::rcode::kFormErr);  // and no OPT
    return r.encode();
  }
  r.header.rcode = rcode_;
  if (q.edns) {
    r.edns = dns::Edns{};
    r.edns->udp_size = 1232;
  }
  const BigMode big = big_;
  if (big == BigMode::kTruncateUdp && !tcp) {
    r.header.tc = true;
  } else if (big != BigMode::kNone) {
    dns::RdataTxt txt;
    for (size_t i = 0; i < kBigTxtStrings; ++i)
      txt.strings.emplace_back(250, static_cast<char>('a' + i));
    r.answer.push_back({q.questions[0].name, dns::rrtype::kTXT, dns::rrclass::kIN, 60, txt});
  } else if (r.header.rcode == dns::rcode::kNoError && q.questions[0].type == dns::rrtype::kA) {
    dns::RdataA a;
    std::memcpy(a.addr.data(), address_.ip().bytes(), 4);  // our own address: who answered
    r.answer.push_back({q.questions[0].name, dns::rrtype::kA, dns::rrclass::kIN, 60, a});
  }
  return r.encode();
}

void FakeUpstream::serveTcp(int conn) {
  uint8_t len[2];
  while (!stop_ && readExactly(conn, len, 2)) {
    Bytes query(static_cast<size_t>(len[0] << 8 | len[1]));
    if (!readExactly(conn, query.data(), query.size())) break;
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ::getpeername(conn, reinterpret_cast<sockaddr*>(&from), &from_len);
    record(query, from, true);
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    const Bytes reply = replyTo(query, true);
    if (reply.empty()) continue;
    Bytes framed{static_cast<uint8_t>(reply.size() >> 8), static_cast<uint8_t>(reply.size())};
    framed.insert(framed.end(), reply.begin(), reply.end());
    writeAll(conn, framed);
  }
  ::close(conn);
}

void FakeUpstream::run() {
  Bytes buf(65536);
  while (!stop_) {
    pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
    if (::poll(fds, 2, kPollMs) <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      const ssize_t n = ::recvfrom(udp_, buf.data(), buf.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n >= 0) {
        const Bytes query(buf.begin(), buf.begin() + n);
        record(query, from, false);
        if (delay_ms_ > 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
        }
        const Bytes reply = replyTo(query, false);
        if (!reply.empty()) {
          ::sendto(udp_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
                   from_len);
        }
      }
    }
    if ((fds[1].revents & POLLIN) != 0) {
      const int conn = ::accept(tcp_, nullptr, nullptr);
      if (conn >= 0) serveTcp(conn);
    }
  }
}

}  // namespace vpcdns::forwarder::testing
