#include "tests/e2e/fake_auth.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>

#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::test {

namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in v4(const std::string& address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  return sa;
}

// Waits for `events` on fd for at most `ms` milliseconds.
bool waitFor(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, ms) == 1;
}

// Sends all of `data` on a non-blocking stream socket, waiting at most 1 s in all.
bool sendAll(int fd, const uint8_t* data, size_t n) {
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  while (n > 0) {
    const ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    if (w > 0) {
      data += w;
      n -= static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    if (Clock::now() > deadline || !waitFor(fd, POLLOUT, 100)) {
      if (Clock::now() > deadline) return false;
    }
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

// ---- Addresses ----

std::string freshFakeAddress() {
  static std::mutex mu;
  static std::set<std::string> used;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  std::uniform_int_distribution<int> a(16, 47), b(0, 255), c(1, 254);
  for (;;) {
    std::string addr = "127." + std::to_string(a(rng)) + "." + std::to_string(b(rng)) + "." +
                       std::to_string(c(rng));
    if (used.insert(addr).second) return addr;
  }
}

// ---- FakeAuthServer ----

struct FakeAuthServer::Pending {
  Clock::time_point due;
  uint64_t seq = 0;
  FakeSend send;
  bool tcp = false;
  SocketAddress peer;
  uint64_t conn_id = 0;
};

struct FakeAuthServer::TcpConn {
  int fd = -1;
  uint64_t id = 0;
  SocketAddress peer;
  std::vector<uint8_t> buf;
  bool closed = false;
};

FakeAuthServer::FakeAuthServer(FakeHandler handler, std::string address, uint16_t port)
    : port_(port) {
  if (handler) handler_ = std::make_shared<FakeHandler>(std::move(handler));
  const bool pick = address.empty();
  for (int attempt = 0; attempt < (pick ? 20 : 1) && !ok_; ++attempt) {
    const std::string addr = pick ? freshFakeAddress() : address;
    udp_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    tcp_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const int rcvbuf = 4 << 20;
    setsockopt(udp_fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa = v4(addr, port_);
    bool bound = bind(udp_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    if (bound && port_ == 0) {
      socklen_t len = sizeof sa;
      getsockname(udp_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    }
    bound = bound && bind(tcp_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
            listen(tcp_fd_, 64) == 0;
    if (bound) {
      address_ = addr;
      port_ = ntohs(sa.sin_port);
      ok_ = true;
    } else {
      error_ = "cannot bind " + addr + ":" + std::to_string(port_) + ": " + std::strerror(errno);
      close(udp_fd_);
      close(tcp_fd_);
      udp_fd_ = tcp_fd_ = -1;
    }
  }
  if (!ok_) return;
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { run(); });
}

FakeAuthServer::~FakeAuthServer() {
  stop_ = true;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  for (const int fd : {udp_fd_, tcp_fd_, wake_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void FakeAuthServer::setHandler(FakeHandler handler) {
  auto h = handler ? std::make_shared<FakeHandler>(std::move(handler)) : nullptr;
  std::lock_guard lock(mu_);
  handler_ = std::move(h);
}

std::vector<FakeQueryRecord> FakeAuthServer::queries() const {
  std::lock_guard lock(mu_);
  return log_;
}

size_t FakeAuthServer::countFor(std::string_view name, std::optional<uint16_t> type) const {
  auto want = dns::Name::fromText(name);
  if (!want.ok()) return 0;
  size_t n = 0;
  for (const auto& q : queries()) {
    auto got = dns::Name::fromText(q.name);
    if (got.ok() && *got == *want && (!type || *type == q.type)) ++n;
  }
  return n;
}

void FakeAuthServer::run() {
  std::vector<uint8_t> buf(65536);
  while (!stop_) {
    std::vector<pollfd> fds;
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({udp_fd_, POLLIN, 0});
    fds.push_back({tcp_fd_, POLLIN, 0});
    const size_t nconns = conns_.size();
    for (const auto& c : conns_) fds.push_back({c->fd, POLLIN, 0});
    int timeout = 50;
    for (const auto& p : pending_) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(p->due - Clock::now()).count();
      timeout = std::clamp(static_cast<int>(left), 0, timeout);
    }
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (stop_) break;
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      [[maybe_unused]] const ssize_t n = read(wake_fd_, &v, sizeof v);
    }
    if (fds[1].revents & POLLIN) {
      // Drain, so a burst costs one poll.
      for (int i = 0; i < 256; ++i) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        const ssize_t n = recvfrom(udp_fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) break;
        handleMessage({buf.data(), static_cast<size_t>(n)}, false,
                      SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&from)), 0);
      }
    }
    for (size_t i = 0; i < nconns; ++i) {
      if (!(fds[3 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      TcpConn& c = *conns_[i];
      const ssize_t n = recv(c.fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        c.closed = true;
        continue;
      }
      if (n < 0) continue;
      c.buf.insert(c.buf.end(), buf.begin(), buf.begin() + n);
      while (c.buf.size() >= 2) {
        const size_t len = (size_t{c.buf[0]} << 8) | c.buf[1];
        if (c.buf.size() < 2 + len) break;
        std::vector<uint8_t> msg(c.buf.begin() + 2,
                                 c.buf.begin() + static_cast<std::ptrdiff_t>(2 + len));
        c.buf.erase(c.buf.begin(), c.buf.begin() + static_cast<std::ptrdiff_t>(2 + len));
        handleMessage(msg, true, c.peer, c.id);
      }
    }
    if (fds[2].revents & POLLIN) {
      for (;;) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        const int fd = accept4(tcp_fd_, reinterpret_cast<sockaddr*>(&from), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        auto c = std::make_unique<TcpConn>();
        c->fd = fd;
        c->id = next_conn_id_++;
        c->peer = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&from));
        conns_.push_back(std::move(c));
      }
    }
    flushDue();
    std::erase_if(conns_, [](const std::unique_ptr<TcpConn>& c) {
      if (c->closed) close(c->fd);
      return c->closed;
    });
  }
  for (auto& c : conns_) close(c->fd);
  conns_.clear();
  for (auto& [addr, fd] : spoof_fds_) close(fd);
  spoof_fds_.clear();
}

void FakeAuthServer::handleMessage(std::span<const uint8_t> packet, bool tcp,
                                   const SocketAddress& peer, uint64_t conn_id) {
  ++count_;
  auto parsed = dns::Message::parse(packet);
  const bool usable = parsed.ok() && parsed->questions.size() == 1 && !parsed->header.qr;
  if (log_queries_) {
    FakeQueryRecord rec;
    if (usable) {
      rec.name = parsed->questions[0].name.toText();
      rec.type = parsed->questions[0].type;
    }
    rec.peer = peer;
    rec.tcp = tcp;
    std::lock_guard lock(mu_);
    log_.push_back(std::move(rec));
  }
  if (!usable) return;
  std::shared_ptr<FakeHandler> handler;
  {
    std::lock_guard lock(mu_);
    handler = handler_;
  }
  if (!handler) return;
  FakeActions actions = (*handler)(*parsed, tcp, peer);
  const auto now = Clock::now();
  for (auto& s : actions.sends) {
    auto p = std::make_unique<Pending>();
    p->due = now + s.delay;
    p->seq = next_seq_++;
    p->send = std::move(s);
    p->tcp = tcp;
    p->peer = peer;
    p->conn_id = conn_id;
    pending_.push_back(std::move(p));
  }
  flushDue();
}

void FakeAuthServer::flushDue() {
  if (pending_.empty()) return;
  const auto now = Clock::now();
  std::vector<std::unique_ptr<Pending>> due;
  for (auto& p : pending_) {
    if (p->due <= now) due.push_back(std::move(p));
  }
  std::erase_if(pending_, [](const std::unique_ptr<Pending>& p) { return !p; });
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a->due != b->due ? a->due < b->due : a->seq < b->seq;
  });
  for (const auto& p : due) {
    if (!p->tcp) {
      sendUdp(p->send, p->peer);
      continue;
    }
    for (auto& c : conns_) {
      if (c->id != p->conn_id || c->closed) continue;
      std::vector<uint8_t> framed{static_cast<uint8_t>(p->send.bytes.size() >> 8),
                                  static_cast<uint8_t>(p->send.bytes.size())};
      framed.insert(framed.end(), p->send.bytes.begin(), p->send.bytes.end());
      if (!sendAll(c->fd, framed.data(), framed.size())) c->closed = true;
    }
  }
}

void FakeAuthServer::sendUdp(const FakeSend& s, const SocketAddress& peer) {
  const int fd = s.from.empty() ? udp_fd_ : spoofSocket(s.from);
  if (fd < 0) return;
  sockaddr_storage ss{};
  const socklen_t len = peer.toSockaddr(ss);
  sendto(fd, s.bytes.data(), s.bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
}

int FakeAuthServer::spoofSocket(const std::string& from) {
  if (auto it = spoof_fds_.find(from); it != spoof_fds_.end()) return it->second;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // The server's port if possible (only the address differs), else any port.
  sockaddr_in sa = v4(from, port_);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    sa = v4(from, 0);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      close(fd);
      return -1;
    }
  }
  spoof_fds_[from] = fd;
  return fd;
}

// ---- Replies ----

dns::Record rr(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::vector<size_t> ends;
  size_t i = 0;
  while (i < text.size() && tokens.size() < 4) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) {
      tokens.push_back(text.substr(start, i - start));
      ends.push_back(i);
    }
  }
  dns::Record r;
  if (tokens.size() < 3) {
    ADD_FAILURE() << "bad record text: " << text;
    return r;
  }
  auto name = dns::Name::fromText(tokens[0]);
  size_t t = 2;
  if (lower(std::string(tokens[2])) == "in") t = 3;
  if (!name.ok() || t >= tokens.size()) {
    ADD_FAILURE() << "bad record text: " << text;
    return r;
  }
  auto type = dns::typeFromText(tokens[t]);
  const std::string_view rest = text.substr(std::min(ends[t] + 1, text.size()));
  r.name = *name;
  r.ttl = static_cast<uint32_t>(std::stoul(std::string(tokens[1])));
  if (!type) {
    ADD_FAILURE() << "bad type in: " << text;
    return r;
  }
  r.type = *type;
  auto rdata = dns::rdataFromText(*type, rest);
  if (!rdata.ok()) {
    ADD_FAILURE() << "bad rdata in: " << text;
    return r;
  }
  r.rdata = *rdata;
  return r;
}

dns::Message replyTo(const dns::Message& query) {
  dns::Message m;
  m.header.id = query.header.id;
  m.header.qr = true;
  m.header.opcode = query.header.opcode;
  m.header.rd = query.header.rd;
  m.header.cd = query.header.cd;
  m.questions = query.questions;
  if (query.edns) m.edns = dns::Edns{};
  return m;
}

std::vector<uint8_t> encodeFor(const dns::Message& reply, const dns::Message& query, bool tcp) {
  size_t limit = 512;
  if (tcp) {
    limit = 65535;
  } else if (query.edns) {
    limit = std::max<size_t>(512, query.edns->udp_size);
  }
  return reply.encode(limit);
}

dns::Message answerReply(const dns::Message& query, std::vector<dns::Record> answer,
                         std::vector<dns::Record> additional) {
  dns::Message m = replyTo(query);
  m.header.aa = true;
  m.answer = std::move(answer);
  m.additional = std::move(additional);
  return m;
}

dns::Message referralReply(const dns::Message& query, std::vector<dns::Record> ns,
                           std::vector<dns::Record> glue) {
  dns::Message m = replyTo(query);
  m.authority = std::move(ns);
  m.additional = std::move(glue);
  return m;
}

dns::Message nxdomainReply(const dns::Message& query, const dns::Record& soa) {
  dns::Message m = replyTo(query);
  m.header.aa = true;
  m.setRcode(dns::rcode::kNXDomain);
  m.authority.push_back(soa);
  return m;
}

dns::Message nodataReply(const dns::Message& query, const dns::Record& soa) {
  dns::Message m = replyTo(query);
  m.header.aa = true;
  m.authority.push_back(soa);
  return m;
}

dns::Message rcodeReply(const dns::Message& query, uint16_t rcode) {
  dns::Message m = replyTo(query);
  m.setRcode(rcode);
  return m;
}

std::vector<uint8_t> withId(std::vector<uint8_t> bytes, uint16_t id) {
  if (bytes.size() >= 2) {
    bytes[0] = static_cast<uint8_t>(id >> 8);
    bytes[1] = static_cast<uint8_t>(id);
  }
  return bytes;
}

dns::Name flipCase(const dns::Name& name) {
  dns::Name out;
  for (size_t i = name.labelCount(); i-- > 0;) {
    std::vector<uint8_t> label(name.label(i).begin(), name.label(i).end());
    for (uint8_t& c : label) {
      if (c >= 'a' && c <= 'z') {
        c = static_cast<uint8_t>(c - 'a' + 'A');
      } else if (c >= 'A' && c <= 'Z') {
        c = static_cast<uint8_t>(c - 'A' + 'a');
      }
    }
    auto next = out.prepend(label);
    if (next.ok()) out = *next;
  }
  return out;
}

dns::Message withQuestionName(dns::Message reply, const dns::Name& name) {
  if (!reply.questions.empty()) reply.questions[0].name = name;
  return reply;
}

// ---- FakeZoneSet ----

FakeZoneSet& FakeZoneSet::zone(std::string_view apex) {
  auto name = dns::Name::fromText(apex);
  if (!name.ok()) {
    ADD_FAILURE() << "bad zone name " << apex;
    return *this;
  }
  zones_.push_back({*name, {}});
  return *this;
}

FakeZoneSet& FakeZoneSet::add(std::string_view record_text) {
  return add(rr(record_text));
}

FakeZoneSet& FakeZoneSet::add(dns::Record record) {
  Zone* best = nullptr;
  for (auto& z : zones_) {
    if (record.name.isSubdomainOf(z.apex) &&
        (!best || z.apex.labelCount() > best->apex.labelCount())) {
      best = &z;
    }
  }
  if (!best) {
    ADD_FAILURE() << "record outside the zones: " << dns::recordToText(record);
    return *this;
  }
  best->records.push_back(std::move(record));
  return *this;
}

FakeZoneSet& FakeZoneSet::delegate(std::string_view child, std::string_view ns_name,
                                   const std::string& address) {
  add(std::string(child) + " 3600 NS " + std::string(ns_name));
  auto ns = dns::Name::fromText(ns_name);
  if (ns.ok() && findZone(*ns)) add(std::string(ns_name) + " 3600 A " + address);
  return *this;
}

FakeZoneSet& FakeZoneSet::chaseCnames(bool on) {
  chase_cnames_ = on;
  return *this;
}

const FakeZoneSet::Zone* FakeZoneSet::findZone(const dns::Name& name) const {
  const Zone* best = nullptr;
  for (const auto& z : zones_) {
    if (name.isSubdomainOf(z.apex) && (!best || z.apex.labelCount() > best->apex.labelCount())) {
      best = &z;
    }
  }
  return best;
}

dns::Record FakeZoneSet::soaOf(const Zone& z) const {
  for (const auto& r : z.records) {
    if (r.type == dns::rrtype::kSOA && r.name == z.apex) return r;
  }
  dns::Record soa;
  soa.name = z.apex;
  soa.type = dns::rrtype::kSOA;
  soa.ttl = 300;
  dns::RdataSoa data;
  const uint8_t ns[] = {'n', 's'};
  const uint8_t hm[] = {'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r'};
  auto mname = z.apex.prepend(ns);
  auto rname = z.apex.prepend(hm);
  if (mname.ok()) data.mname = *mname;
  if (rname.ok()) data.rname = *rname;
  data.serial = 1;
  data.refresh = 3600;
  data.retry = 600;
  data.expire = 86400;
  data.minimum = 300;
  soa.rdata = data;
  return soa;
}

std::vector<dns::Record> FakeZoneSet::lookup(const Zone& z, const dns::Name& owner,
                                             uint16_t type) const {
  std::vector<dns::Record> out;
  for (const auto& r : z.records) {
    if (r.type == type && r.name == owner) {
      out.push_back(r);
      out.back().name = owner;  // the case asked for, as compression to the question gives
    }
  }
  return out;
}

bool FakeZoneSet::nameExists(const Zone& z, const dns::Name& name) const {
  if (name == z.apex) return true;
  return std::any_of(z.records.begin(), z.records.end(),
                     [&](const dns::Record& r) { return r.name.isSubdomainOf(name); });
}

std::vector<dns::Record> FakeZoneSet::glueFor(const Zone& /*z*/,
                                              const std::vector<dns::Record>& ns) const {
  std::vector<dns::Record> glue;
  for (const auto& n : ns) {
    const auto* target = std::get_if<dns::RdataName>(&n.rdata);
    if (!target) continue;
    for (const auto& zone : zones_) {
      for (const auto& r : zone.records) {
        if ((r.type == dns::rrtype::kA || r.type == dns::rrtype::kAAAA) && r.name == target->name) {
          glue.push_back(r);
        }
      }
    }
  }
  return glue;
}

dns::Message FakeZoneSet::respond(const dns::Message& query) const {
  if (query.questions.size() != 1) return rcodeReply(query, dns::rcode::kFormErr);
  const dns::Question& q = query.questions[0];
  // The zone cut (delegation) closest to the apex on the way down to `name`, if any.
  auto cutAbove = [&](const Zone& z, const dns::Name& name,
                      bool for_ds) -> std::optional<dns::Name> {
    const size_t below = name.labelCount() - z.apex.labelCount();
    for (size_t k = 1; k <= below; ++k) {
      const dns::Name cut = name.stripLeft(below - k);
      if (for_ds && k == below) break;  // DS lives on the parent side of the cut
      if (!lookup(z, cut, dns::rrtype::kNS).empty()) return cut;
    }
    return std::nullopt;
  };

  const Zone* z = findZone(q.name);
  if (!z) return rcodeReply(query, dns::rcode::kRefused);
  if (auto cut = cutAbove(*z, q.name, q.type == dns::rrtype::kDS)) {
    auto ns = lookup(*z, *cut, dns::rrtype::kNS);
    auto glue = glueFor(*z, ns);
    return referralReply(query, std::move(ns), std::move(glue));
  }

  dns::Message m = replyTo(query);
  m.header.aa = true;
  dns::Name name = q.name;
  const Zone* zone = z;
  std::vector<dns::Name> seen;
  for (int link = 0; link < 16; ++link) {
    auto records = lookup(*zone, name, q.type);
    if (!records.empty()) {
      if (q.type == dns::rrtype::kNS) {
        for (auto& g : glueFor(*zone, records)) m.additional.push_back(std::move(g));
      }
      for (auto& r : records) m.answer.push_back(std::move(r));
      return m;
    }
    auto cname = q.type == dns::rrtype::kCNAME ? std::vector<dns::Record>{}
                                               : lookup(*zone, name, dns::rrtype::kCNAME);
    if (cname.empty()) {
      // NXDOMAIN or NODATA, each with the SOA (after a CNAME too: RFC 6604).
      if (!nameExists(*zone, name)) m.setRcode(dns::rcode::kNXDomain);
      m.authority.push_back(soaOf(*zone));
      return m;
    }
    m.answer.push_back(cname[0]);
    seen.push_back(name);
    name = std::get<dns::RdataName>(cname[0].rdata).name;
    if (!chase_cnames_) return m;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return m;  // a loop
    zone = findZone(name);
    if (!zone || cutAbove(*zone, name, false)) return m;  // out of our data
  }
  return m;
}

FakeHandler FakeZoneSet::handler() const {
  auto self = std::make_shared<const FakeZoneSet>(*this);
  return [self](const dns::Message& query, bool tcp, const SocketAddress&) {
    return FakeActions::reply(encodeFor(self->respond(query), query, tcp));
  };
}

}  // namespace vpcdns::test
