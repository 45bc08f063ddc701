#include "resolver/net_transport.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "dns/message.h"
#include "dns/name.h"

namespace vpcdns::resolver {
namespace {

constexpr size_t kUdpBufferSize = 65536;    // any UDP payload fits (65507 over IPv4)
constexpr size_t kTcpFirstRead = 2 + 1232;  // length prefix + a typical EDNS reply

// The end of the question of a query we are about to send, or 0 if it does not hold exactly
// one well-formed question: the reply checks compare against it.
size_t questionEnd(std::span<const uint8_t> q) {
  if (q.size() < dns::kHeaderSize || q[4] != 0 || q[5] != 1) return 0;
  size_t offset = dns::kHeaderSize;
  if (!dns::skipWireName(q, offset)) return 0;
  offset += 4;  // QTYPE, QCLASS
  return offset <= q.size() ? offset : 0;
}

UpstreamResult failure(UpstreamError error) {
  UpstreamResult r;
  r.error = error;
  return r;
}

UpstreamResult success(std::span<const uint8_t> reply) {
  UpstreamResult r;
  r.reply.assign(reply.begin(), reply.end());
  return r;
}

}  // namespace

// One query in flight. Owns its handles: a timer (timeout, or the deferred report of a failure
// that happened inside send()) and a UDP or TCP socket. Freed by the close callback of the last
// of them, which libuv runs after the callbacks of every request pending on them (with
// UV_ECANCELED), so no callback ever sees a freed Query. Once `closing` is set, no callback
// touches `owner` (the transport may be gone by then).
struct NetTransport::Query {
  NetTransport* owner = nullptr;
  uint64_t handle = 0;
  bool tcp = false;
  bool closing = false;
  bool timer_open = false;
  bool socket_open = false;
  bool failed_in_send = false;  // report kNetwork when the (zero) timer fires
  int open_handles = 0;
  size_t question_end = 0;   // in the DNS message
  std::vector<uint8_t> out;  // the query; for TCP behind its 2-byte length
  size_t message_offset = 0;
  uint64_t start_ns = 0;
  UpstreamCallback done;

  uv_timer_t timer;
  uv_udp_t udp;
  uv_tcp_t tcp_handle;
  uv_udp_send_t send_req;
  uv_connect_t connect_req;
  uv_write_t write_req;
  std::vector<uint8_t> rx;  // TCP: bytes read so far
  size_t rx_len = 0;

  std::span<const uint8_t> message() const {
    return std::span<const uint8_t>(out).subspan(message_offset);
  }
  uv_handle_t* socketHandle() {
    return tcp ? reinterpret_cast<uv_handle_t*>(&tcp_handle) : reinterpret_cast<uv_handle_t*>(&udp);
  }

  // RFC 5452 §9.1: same ID, and the question repeated octet for octet (names in the question
  // section of a reply are never compressed: a pointer there could only point into the header),
  // which also checks the 0x20 case pattern. The source address is the socket's business.
  bool acceptable(std::span<const uint8_t> reply) const {
    std::span<const uint8_t> query = message();
    if (reply.size() < question_end) return false;  // also covers < 12 octets
    if ((reply[2] & 0x80) == 0) return false;       // QR
    if (reply[0] != query[0] || reply[1] != query[1]) return false;
    if (reply[4] != 0 || reply[5] != 1) return false;  // QDCOUNT
    return std::memcmp(reply.data() + dns::kHeaderSize, query.data() + dns::kHeaderSize,
                       question_end - dns::kHeaderSize) == 0;
  }

  void closeSocket() {
    if (!socket_open) return;
    socket_open = false;
    uv_close(socketHandle(), onClose);
  }

  void closeAll() {
    closing = true;
    done = nullptr;  // release what the callback holds now, not at the close callback
    if (timer_open) {
      timer_open = false;
      uv_timer_stop(&timer);
      uv_close(reinterpret_cast<uv_handle_t*>(&timer), onClose);
    }
    closeSocket();
  }

  int startUdp(const sockaddr* server, int family);
  int startTcp(const sockaddr* server, int family);

  static void onClose(uv_handle_t* h) {
    auto* q = static_cast<Query*>(h->data);
    if (--q->open_handles == 0) delete q;
  }

  static void onTimer(uv_timer_t* t) {
    auto* q = static_cast<Query*>(t->data);
    if (q->closing) return;
    q->owner->finish(
        q, failure(q->failed_in_send ? UpstreamError::kNetwork : UpstreamError::kTimeout));
  }

  static void onUdpAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* q = static_cast<Query*>(h->data);
    // Reads happen only while the socket is open, hence while the transport exists; libuv
    // hands each buffer to the read callback before asking for the next, so one buffer per
    // transport serves every query.
    std::vector<uint8_t>& b = q->owner->udp_buffer_;
    *buf = uv_buf_init(reinterpret_cast<char*>(b.data()), static_cast<unsigned>(b.size()));
  }

  static void onUdpRecv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                        unsigned flags) {
    auto* q = static_cast<Query*>(h->data);
    if (q->closing) return;
    if (nread < 0) {
      // On a connected socket the kernel reports ICMP errors here: port unreachable is
      // ECONNREFUSED (RFC 1122 §4.1.3.3).
      q->owner->finish(q, failure(UpstreamError::kNetwork));
      return;
    }
    if (nread == 0 && addr == nullptr) return;  // nothing more to read for now
    std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(buf->base),
                                  static_cast<size_t>(nread));
    if ((flags & UV_UDP_PARTIAL) != 0 || !q->acceptable(data)) {
      ++q->owner->stats_.ignored;
      if (q->owner->ignored_counter_ != nullptr) q->owner->ignored_counter_->add();
      return;
    }
    q->owner->finish(q, success(data));
  }

  static void onUdpSend(uv_udp_send_t* req, int status) {
    auto* q = static_cast<Query*>(req->data);
    if (q->closing || status == 0) return;
    q->owner->finish(q, failure(UpstreamError::kNetwork));
  }

  static void onConnect(uv_connect_t* req, int status) {
    auto* q = static_cast<Query*>(req->data);
    if (q->closing) return;
    if (status < 0) {
      q->owner->finish(q, failure(UpstreamError::kNetwork));
      return;
    }
    auto* stream = reinterpret_cast<uv_stream_t*>(&q->tcp_handle);
    uv_buf_t buf =
        uv_buf_init(reinterpret_cast<char*>(q->out.data()), static_cast<unsigned>(q->out.size()));
    int err = uv_write(&q->write_req, stream, &buf, 1, onWrite);
    if (err == 0) err = uv_read_start(stream, onTcpAlloc, onTcpRead);
    if (err != 0) q->owner->finish(q, failure(UpstreamError::kNetwork));
  }

  static void onWrite(uv_write_t* req, int status) {
    auto* q = static_cast<Query*>(req->data);
    if (q->closing || status == 0) return;
    q->owner->finish(q, failure(UpstreamError::kNetwork));
  }

  // Reads no further than the end of the framed reply once its length is known.
  static void onTcpAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* q = static_cast<Query*>(h->data);
    size_t need = kTcpFirstRead;
    if (q->rx_len >= 2) need = 2 + (size_t{q->rx[0]} << 8 | q->rx[1]);
    if (q->rx.size() < need) q->rx.resize(need);
    *buf = uv_buf_init(reinterpret_cast<char*>(q->rx.data() + q->rx_len),
                       static_cast<unsigned>(q->rx.size() - q->rx_len));
  }

  static void onTcpRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
    auto* q = static_cast<Query*>(s->data);
    if (q->closing) return;
    if (nread < 0) {  // UV_EOF before a whole reply, a reset, ...
      q->owner->finish(q, failure(UpstreamError::kNetwork));
      return;
    }
    q->rx_len += static_cast<size_t>(nread);
    if (q->rx_len < 2) return;
    const size_t length = size_t{q->rx[0]} << 8 | q->rx[1];
    if (q->rx_len < 2 + length) return;
    std::span<const uint8_t> reply(q->rx.data() + 2, length);
    // One query per connection: a message that is not its reply means the stream cannot be
    // trusted, and there is nothing else to wait for on it.
    if (!q->acceptable(reply)) {
      q->owner->finish(q, failure(UpstreamError::kNetwork));
      return;
    }
    q->owner->finish(q, success(reply));
  }
};

int NetTransport::Query::startUdp(const sockaddr* server, int family) {
  int err = uv_udp_init_ex(owner->loop_, &udp, static_cast<unsigned>(family));
  if (err != 0) return err;
  udp.data = this;
  socket_open = true;
  ++open_handles;
  send_req.data = this;

  // Port 0 of the wildcard address: the kernel picks a random ephemeral port (RFC 6056), a new
  // one per query (RFC 5452 §9.2).
  sockaddr_storage any{};
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&any);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&any);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_any;
  }
  err = uv_udp_bind(&udp, reinterpret_cast<const sockaddr*>(&any), 0);
  // connect(): the kernel then delivers only datagrams from the server's address and port,
  // and reports ICMP errors for it.
  if (err == 0) err = uv_udp_connect(&udp, server);
  if (err == 0) err = uv_udp_recv_start(&udp, onUdpAlloc, onUdpRecv);
  if (err == 0) {
    uv_buf_t buf =
        uv_buf_init(reinterpret_cast<char*>(out.data()), static_cast<unsigned>(out.size()));
    err = uv_udp_send(&send_req, &udp, &buf, 1, nullptr, onUdpSend);
  }
  return err;
}

int NetTransport::Query::startTcp(const sockaddr* server, int family) {
  int err = uv_tcp_init_ex(owner->loop_, &tcp_handle, static_cast<unsigned>(family));
  if (err != 0) return err;
  tcp_handle.data = this;
  socket_open = true;
  ++open_handles;
  connect_req.data = this;
  write_req.data = this;
  return uv_tcp_connect(&connect_req, &tcp_handle, server, onConnect);
}

NetTransport::NetTransport(uv_loop_t* loop) : loop_(loop), udp_buffer_(kUdpBufferSize) {}

NetTransport::~NetTransport() {
  close();
}

uint64_t NetTransport::send(const SocketAddress& server, std::span<const uint8_t> query, bool tcp,
                            uint32_t timeout_ms, UpstreamCallback done) {
  auto* q = new Query;
  q->owner = this;
  q->handle = next_handle_++;
  q->tcp = tcp;
  q->done = std::move(done);
  q->question_end = questionEnd(query);
  const bool framed = tcp && query.size() <= std::numeric_limits<uint16_t>::max();
  if (framed) {
    q->out.reserve(query.size() + 2);
    q->out.push_back(static_cast<uint8_t>(query.size() >> 8));
    q->out.push_back(static_cast<uint8_t>(query.size()));
    q->message_offset = 2;
  }
  q->out.insert(q->out.end(), query.begin(), query.end());
  queries_.emplace(q->handle, q);

  uv_timer_init(loop_, &q->timer);
  q->timer.data = q;
  q->timer_open = true;
  ++q->open_handles;

  // The loop's clock may be stale (a long callback before this one); the timeout counts from
  // now, as rtt_us does.
  uv_update_time(loop_);
  q->start_ns = uv_hrtime();

  sockaddr_storage ss;
  const socklen_t len = server.toSockaddr(ss);
  int err = UV_EINVAL;
  if (len != 0 && q->question_end != 0 && (framed || !tcp)) {
    const auto* sa = reinterpret_cast<const sockaddr*>(&ss);
    err = tcp ? q->startTcp(sa, ss.ss_family) : q->startUdp(sa, ss.ss_family);
  }
  if (err != 0) {
    // The callback must not run inside send(): report from the loop, on the next iteration.
    q->failed_in_send = true;
    q->closeSocket();
    uv_timer_start(&q->timer, Query::onTimer, 0, 0);
  } else {
    ++(tcp ? stats_.tcp_sent : stats_.udp_sent);
    uv_timer_start(&q->timer, Query::onTimer, timeout_ms, 0);
  }
  return q->handle;
}

void NetTransport::cancel(uint64_t handle) {
  auto it = queries_.find(handle);
  if (it == queries_.end()) return;
  Query* q = it->second;
  queries_.erase(it);
  q->closeAll();
}

void NetTransport::close() {
  auto queries = std::move(queries_);
  queries_.clear();
  for (auto& [handle, q] : queries) q->closeAll();
}

void NetTransport::finish(Query* q, UpstreamResult&& result) {
  const uint64_t elapsed_us = (uv_hrtime() - q->start_ns) / 1000;
  result.rtt_us =
      static_cast<uint32_t>(std::min<uint64_t>(elapsed_us, std::numeric_limits<uint32_t>::max()));
  if (result.error == UpstreamError::kTimeout) ++stats_.timeouts;
  if (result.error == UpstreamError::kNetwork) ++stats_.network_errors;
  queries_.erase(q->handle);
  UpstreamCallback done = std::move(q->done);
  q->closeAll();
  // Last: the callback may send, cancel or close().
  if (done) done(std::move(result));
}

}  // namespace vpcdns::resolver
