#include "resolver/task.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <variant>

#include "common/random.h"
#include "dns/types.h"

namespace vpcdns::resolver {

namespace {

constexpr uint32_t kMaxMinimiseSteps = 10;  // RFC 9156 §2.3 MAX_MINIMISE_COUNT
constexpr uint16_t kDnsPort = 53;
constexpr uint32_t kMinQueryTimeoutMs = 10;
constexpr uint8_t kTimeoutsPerServer = 2;  // tries per server address and delegation

const dns::Name* nameIn(const dns::Record& r) {
  if (const auto* n = std::get_if<dns::RdataName>(&r.rdata)) return &n->name;
  return nullptr;
}

uint32_t minTtl(const std::vector<dns::Record>& rrset) {
  uint32_t ttl = UINT32_MAX;
  for (const auto& r : rrset) ttl = std::min(ttl, r.ttl);
  return ttl;
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// A query as an iterative resolver sends it: random ID, RD=0, the name with its letters in
// random case (draft-vixie-dnsext-dns0x20: the reply must echo the pattern, which a blind
// spoofer cannot guess), EDNS with our payload size and no options (edns_size 0: no OPT, for
// servers that do not understand EDNS).
std::vector<uint8_t> buildQuery(const dns::Name& name, uint16_t type, uint16_t edns_size) {
  std::vector<uint8_t> q;
  q.reserve(dns::kHeaderSize + name.wireLength() + 4 + 11);
  put16(q, random16());
  put16(q, 0);  // QR=0, opcode QUERY, RD=0
  put16(q, 1);  // QDCOUNT
  put16(q, 0);
  put16(q, 0);
  put16(q, edns_size != 0 ? 1 : 0);  // ARCOUNT: the OPT
  const auto wire = name.wire();
  uint8_t bits[dns::kMaxNameLength];
  randomBytes({bits, wire.size()});
  for (size_t i = 0; i < wire.size();) {  // label by label, so length octets stay as they are
    const size_t len = wire[i];
    q.push_back(wire[i]);
    for (size_t j = i + 1; j <= i + len; ++j) {
      uint8_t c = wire[j];
      const uint8_t lower = c | 0x20;
      if (lower >= 'a' && lower <= 'z')
        c = (bits[j] & 1) ? lower : static_cast<uint8_t>(lower & 0xdf);
      q.push_back(c);
    }
    i += len + 1;
    if (len == 0) break;
  }
  put16(q, type);
  put16(q, dns::rrclass::kIN);
  if (edns_size == 0) return q;
  q.push_back(0);  // OPT: root owner
  put16(q, dns::rrtype::kOPT);
  put16(q, edns_size);
  put16(q, 0);  // extended RCODE, version 0
  put16(q, 0);  // flags: DO=0 (no validation yet)
  put16(q, 0);  // RDLENGTH
  return q;
}

}  // namespace

uint64_t nowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

Task::Task(Resolver& resolver, const dns::Name& qname, uint16_t qtype,
           std::shared_ptr<Budget> budget, uint32_t depth, Done done)
    : resolver_(resolver),
      budget_(std::move(budget)),
      depth_(depth),
      done_(std::move(done)),
      target_(qname),
      qtype_(qtype),
      minimise_(resolver.shared_->options.qname_minimisation) {}

Task::~Task() {
  if (handle_ != 0) resolver_.transport_.cancel(handle_);
}

const ResolverOptions& Task::options() const {
  return resolver_.shared_->options;
}

cache::RecordCache& Task::cache() const {
  return *resolver_.shared_->cache;
}

void Task::start() {
  seen_.push_back(target_);
  lookUp();
}

// ---- the cache ---------------------------------------------------------------------------------

void Task::lookUp() {
  if (answerFromCache() || finished_) return;
  delegate();
}

// RFC 1034 §5.3.3 step 1: the answer, or a CNAME to follow, from the cache. Data of the two lowest
// trust ranks (glue, referral NS) is never an answer (RFC 2181 §5.4.1).
bool Task::answerFromCache() {
  for (;;) {
    std::vector<dns::Record> out;
    const auto r = cache().lookup({cache::kPublicContext, target_, qtype_, dns::rrclass::kIN}, out);
    if (r.hit() && r.trust >= cache::Trust::kAnswerNonAuth) {
      switch (r.outcome) {
        case cache::Outcome::kRecords:
          finish(dns::rcode::kNoError, std::move(out), {});
          break;
        case cache::Outcome::kNoData:
          finish(dns::rcode::kNoError, {}, std::move(out));
          break;
        default:
          finish(dns::rcode::kNXDomain, {}, std::move(out));
          break;
      }
      return true;
    }
    if (qtype_ == dns::rrtype::kCNAME) return false;
    out.clear();
    const auto c = cache().lookup({cache::kPublicContext, target_, dns::rrtype::kCNAME}, out);
    if (c.outcome != cache::Outcome::kRecords || c.trust < cache::Trust::kAnswerNonAuth ||
        out.empty() || nameIn(out.front()) == nullptr) {
      return false;
    }
    const dns::Name next = *nameIn(out.front());
    followChain({out.front()}, next);
    if (finished_) return true;
  }
}

// Appends chain links and moves on to `next`, enforcing the chain length and loop limits.
void Task::followChain(const std::vector<dns::Record>& links, const dns::Name& next) {
  for (const auto& l : links) {
    chain_.push_back(l);
    if (l.type != dns::rrtype::kCNAME) continue;
    const dns::Name* to = nameIn(l);
    if (to == nullptr) continue;
    if (std::find(seen_.begin(), seen_.end(), *to) != seen_.end()) {
      return fail(ede::kOther, "CNAME loop at " + to->toText());
    }
    seen_.push_back(*to);
  }
  const auto links_so_far = std::count_if(chain_.begin(), chain_.end(), [](const dns::Record& r) {
    return r.type == dns::rrtype::kCNAME;
  });
  if (static_cast<uint64_t>(links_so_far) > options().max_cname_chain) {
    return fail(ede::kOther,
                "CNAME chain longer than " + std::to_string(options().max_cname_chain));
  }
  target_ = next;
  referrals_ = 0;
  minimise_ = options().qname_minimisation;
  minimise_steps_ = 0;
}

// ---- delegations -------------------------------------------------------------------------------

// RFC 1034 §5.3.3 step 2: the closest zone cut we know servers for, else the root.
void Task::delegate() {
  for (dns::Name n = target_;; n = n.parent()) {
    std::vector<dns::Record> ns;
    const auto r = cache().lookup({cache::kPublicContext, n, dns::rrtype::kNS}, ns);
    if (r.outcome == cache::Outcome::kRecords && !ns.empty()) {
      useDelegation(n, ns, {});
      const bool can_look_up =
          std::find(ns_looked_up_.begin(), ns_looked_up_.end(), false) != ns_looked_up_.end();
      if (!servers_.empty() || can_look_up) return ask();
    }
    if (n.isRoot()) break;
  }
  const bool is_priming = target_.isRoot() && qtype_ == dns::rrtype::kNS;
  if (!priming_done_ && !is_priming) return prime();
  const auto& hints = resolver_.shared_->hints;
  useDelegation(dns::Name(), hints.ns, hints.addresses);
  ask();
}

// RFC 8109: learn the root NS set (and the root servers' addresses) from a root server once,
// shared by every Task that needs it, instead of trusting the hints' copy.
void Task::prime() {
  priming_done_ = true;
  auto weak = weak_from_this();
  resolver_.resolve(dns::Question{dns::Name(), dns::rrtype::kNS, dns::rrclass::kIN},
                    [weak](const Answer&) {
                      if (auto self = weak.lock(); self && !self->finished_) self->delegate();
                    });
}

void Task::useDelegation(const dns::Name& zone, const std::vector<dns::Record>& ns,
                         const std::vector<dns::Record>& glue) {
  zone_ = zone;
  ns_names_.clear();
  ns_looked_up_.clear();
  servers_.clear();
  glueless_ = 0;
  sent_labels_ = zone.labelCount() + 1;
  for (const auto& r : ns) {
    const dns::Name* host = nameIn(r);
    if (r.type != dns::rrtype::kNS || host == nullptr) continue;
    if (std::find(ns_names_.begin(), ns_names_.end(), *host) != ns_names_.end()) continue;
    ns_names_.push_back(*host);
    // A name inside the zone can only be found through the zone itself: without glue it is
    // unreachable from here, so it is never looked up (that would loop).
    ns_looked_up_.push_back(host->isSubdomainOf(zone));
    addAddressesOf(*host, glue);
  }
}

void Task::addAddressesOf(const dns::Name& host, const std::vector<dns::Record>& glue) {
  const bool v6 = options().ipv6;
  for (const auto& r : glue) {
    if (!(r.name == host)) continue;
    if (const auto* a = std::get_if<dns::RdataA>(&r.rdata))
      addAddress(IpAddress::fromBytes(a->addr));
    if (const auto* a = std::get_if<dns::RdataAAAA>(&r.rdata); a && v6) {
      addAddress(IpAddress::fromBytes(a->addr));
    }
  }
  std::vector<dns::Record> out;
  cache().lookup({cache::kPublicContext, host, dns::rrtype::kA}, out);
  if (v6) cache().lookup({cache::kPublicContext, host, dns::rrtype::kAAAA}, out);
  for (const auto& r : out) {
    if (const auto* a = std::get_if<dns::RdataA>(&r.rdata))
      addAddress(IpAddress::fromBytes(a->addr));
    if (const auto* a = std::get_if<dns::RdataAAAA>(&r.rdata)) {
      addAddress(IpAddress::fromBytes(a->addr));
    }
  }
}

void Task::addAddress(const IpAddress& address) {
  for (const auto& p : options().dont_query) {
    if (p.contains(address)) return;
  }
  if (std::any_of(servers_.begin(), servers_.end(),
                  [&](const Server& s) { return s.address == address; })) {
    return;
  }
  servers_.push_back({address});
}

// ---- asking ------------------------------------------------------------------------------------

void Task::ask() {
  if (finished_) return;
  if (nowMs() >= budget_->deadline_ms) {
    return fail(ede::kNoReachableAuthority, "resolution timed out");
  }
  // First every address once; then the addresses of NS names without glue; then, time and
  // budget allowing, a second try for servers that timed out (a lost packet is not a dead
  // server, and a zone may have only one).
  std::vector<IpAddress> candidates;
  std::vector<size_t> index;
  for (uint8_t round = 0; round < kTimeoutsPerServer && candidates.empty(); ++round) {
    if (round == 1 && resolveGlueless()) return;
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (servers_[i].failed || servers_[i].timeouts != round) continue;
      candidates.push_back(servers_[i].address);
      index.push_back(i);
    }
  }
  if (candidates.empty()) {
    return fail(ede::kNoReachableAuthority, "no reachable authority for " + zone_.toText());
  }
  const size_t pick = resolver_.shared_->servers->choose(candidates);
  send(index[std::min(pick, index.size() - 1)]);
}

// No address left to try: find the addresses of NS names that came without glue, one name at
// a time, within the limits that keep a delegation to 100 glueless names from costing 100
// lookups (NXNSAttack).
bool Task::resolveGlueless() {
  if (depth_ < options().max_subquery_depth) {
    for (size_t i = 0; i < ns_names_.size(); ++i) {
      if (ns_looked_up_[i]) continue;
      if (glueless_ >= options().max_glueless_ns) break;
      ns_looked_up_[i] = true;
      ++glueless_;
      auto weak = weak_from_this();
      child_ = std::make_shared<Task>(resolver_, ns_names_[i], dns::rrtype::kA, budget_, depth_ + 1,
                                      [weak](Answer&& a) {
                                        if (auto self = weak.lock()) self->onGlueless(std::move(a));
                                      });
      child_->start();
      return true;
    }
  }
  return false;
}

void Task::onGlueless(Answer&& answer) {
  child_.reset();
  if (finished_) return;
  for (const auto& r : answer.answer) {
    if (const auto* a = std::get_if<dns::RdataA>(&r.rdata))
      addAddress(IpAddress::fromBytes(a->addr));
  }
  ask();
}

void Task::send(size_t server) {
  if (budget_->queries_left == 0) {
    return fail(ede::kOther, "upstream query limit reached (" +
                                 std::to_string(options().max_upstream_queries) + ")");
  }
  --budget_->queries_left;
  current_ = server;
  const size_t total = target_.labelCount();
  const bool full = !minimise_ || sent_labels_ >= total || minimise_steps_ >= kMaxMinimiseSteps;
  sent_name_ = full ? target_ : target_.stripLeft(total - sent_labels_);
  sent_type_ = full ? qtype_ : dns::rrtype::kA;  // RFC 9156 §2.1 (A, as Unbound does)
  Server& s = servers_[server];
  if (!s.no_edns && resolver_.shared_->servers->info(s.address).no_edns) s.no_edns = true;
  sent_wire_ = buildQuery(sent_name_, sent_type_, s.no_edns ? 0 : options().edns_udp_size);

  const uint64_t now = nowMs();
  const uint64_t left = budget_->deadline_ms > now ? budget_->deadline_ms - now : 0;
  const uint32_t timeout = static_cast<uint32_t>(std::max<uint64_t>(
      kMinQueryTimeoutMs,
      std::min<uint64_t>(resolver_.shared_->servers->timeoutMs(s.address), left)));
  auto& counters = resolver_.counters_;
  counters.upstream_queries.add();
  if (s.tcp) counters.upstream_tcp.add();
  auto weak = weak_from_this();
  handle_ = resolver_.transport_.send(SocketAddress(s.address, kDnsPort), sent_wire_, s.tcp,
                                      timeout, [weak](UpstreamResult&& r) {
                                        if (auto self = weak.lock()) self->onReply(std::move(r));
                                      });
}

// ---- replies -----------------------------------------------------------------------------------

void Task::nextServer(bool failure) {
  Server& s = servers_[current_];
  if (failure) {
    resolver_.shared_->servers->reportFailure(s.address);
    s.failed = true;
  } else {
    ++s.timeouts;
  }
  ask();
}

void Task::onReply(UpstreamResult&& result) {
  handle_ = 0;
  if (finished_) return;
  Server& s = servers_[current_];
  auto& counters = resolver_.counters_;
  auto& table = *resolver_.shared_->servers;
  if (result.error == UpstreamError::kTimeout) {
    counters.upstream_timeouts.add();
    table.reportTimeout(s.address);
    return nextServer(false);
  }
  if (result.error != UpstreamError::kNone) {
    counters.upstream_errors.add();
    return nextServer(true);
  }
  auto m = dns::Message::parse(result.reply);
  if (!m) {
    counters.upstream_errors.add();
    return nextServer(true);
  }
  table.reportRtt(s.address, result.rtt_us);
  counters.upstream_rtt.observe(result.rtt_us);
  if (m->header.tc && !s.tcp) {  // RFC 7766 §5: the whole answer over TCP, same server
    s.tcp = true;
    return send(current_);
  }
  onMessage(*m);
}

void Task::onMessage(const dns::Message& m) {
  // RFC 6891 §7: a server that answers an EDNS query with FORMERR (or NOTIMP) and no OPT does
  // not implement EDNS: ask it again without (Unbound and BIND do the same), and remember it in
  // the server table. Its answer may then be truncated at 512 octets and come over TCP.
  Server& server = servers_[current_];
  if (!server.no_edns && !m.edns &&
      (m.rcode() == dns::rcode::kFormErr || m.rcode() == dns::rcode::kNotImp)) {
    server.no_edns = true;
    resolver_.shared_->servers->reportNoEdns(server.address);
    return send(current_);
  }
  Classified c = classify(m, zone_, sent_name_, sent_type_, options().max_cname_chain);
  const bool minimised = !(sent_name_ == target_);
  switch (c.kind) {
    case ReplyKind::kError:
      if (minimised) {  // RFC 9156 §4: some servers mishandle minimised names; ask in full
        minimise_ = false;
        return send(current_);
      }
      resolver_.counters_.upstream_errors.add();
      return nextServer(true);
    case ReplyKind::kLame:
      resolver_.counters_.upstream_errors.add();
      return nextServer(true);
    case ReplyKind::kReferral: {
      if (++referrals_ > options().max_referral_depth) {
        return fail(ede::kOther,
                    "more than " + std::to_string(options().max_referral_depth) + " referrals");
      }
      cache().insert({cache::kPublicContext, c.cut, dns::rrtype::kNS}, c.ns, minTtl(c.ns),
                     cache::Trust::kAuthorityNonAuth);
      for (const auto& set : splitRRsets(c.glue)) {
        cache().insert({cache::kPublicContext, set.front().name, set.front().type}, set,
                       minTtl(set), cache::Trust::kAdditional);
      }
      useDelegation(c.cut, c.ns, c.glue);
      return ask();
    }
    default:
      break;
  }
  if (minimised) return onMinimisedReply(c);
  onFullReply(std::move(c));
}

void Task::onMinimisedReply(const Classified& c) {
  if (c.kind == ReplyKind::kNxDomain || !c.chain.empty()) {
    // RFC 8020 would let NXDOMAIN end it here, but servers that answer NXDOMAIN for empty
    // non-terminals exist; and a CNAME/DNAME above the name must be seen with the full name.
    // Ask the same server for the full name (Unbound's relaxed mode).
    minimise_ = false;
    return send(current_);
  }
  // The name exists (data or an empty non-terminal) and is not a zone cut: one label more.
  ++sent_labels_;
  ++minimise_steps_;
  send(current_);
}

void Task::cacheClassified(const Classified& c) {
  const auto answer_trust = c.aa ? cache::Trust::kAnswerAuth : cache::Trust::kAnswerNonAuth;
  const auto negative_trust = c.aa ? cache::Trust::kAuthorityAuth : cache::Trust::kAuthorityNonAuth;
  for (const auto& link : c.chain) {
    cache().insert({cache::kPublicContext, link.name, link.type}, {&link, 1}, link.ttl,
                   answer_trust);
  }
  for (const auto& set : splitRRsets(c.data)) {
    cache().insert({cache::kPublicContext, set.front().name, set.front().type}, set, minTtl(set),
                   answer_trust);
  }
  for (const auto& set : splitRRsets(c.glue)) {
    cache().insert({cache::kPublicContext, set.front().name, set.front().type}, set, minTtl(set),
                   cache::Trust::kAdditional);
  }
  if (c.soa && c.kind == ReplyKind::kNxDomain) {
    cache().insertNxDomain({cache::kPublicContext, c.next, qtype_}, *c.soa, negative_trust);
  } else if (c.soa && c.kind == ReplyKind::kNoData) {
    cache().insertNoData({cache::kPublicContext, c.next, qtype_}, *c.soa, negative_trust);
  }
}

void Task::onFullReply(Classified&& c) {
  cacheClassified(c);
  if (c.kind == ReplyKind::kCname) {
    followChain(c.chain, c.next);
    if (!finished_) lookUp();
    return;
  }
  followChain(c.chain, c.next);
  if (finished_) return;
  std::vector<dns::Record> authority;
  if (c.soa) authority.push_back(*c.soa);
  switch (c.kind) {
    case ReplyKind::kAnswer:
      return finish(dns::rcode::kNoError, std::move(c.data), {});
    case ReplyKind::kNxDomain:
      return finish(dns::rcode::kNXDomain, {}, std::move(authority));
    default:
      return finish(dns::rcode::kNoError, {}, std::move(authority));
  }
}

// ---- the end -----------------------------------------------------------------------------------

void Task::finish(uint16_t rcode, std::vector<dns::Record> data,
                  std::vector<dns::Record> authority) {
  if (finished_) return;
  finished_ = true;
  auto self = shared_from_this();  // the callback may drop the last owner
  if (handle_ != 0) {
    resolver_.transport_.cancel(handle_);
    handle_ = 0;
  }
  child_.reset();
  Answer a;
  a.rcode = rcode;
  a.answer = std::move(chain_);
  a.answer.insert(a.answer.end(), std::make_move_iterator(data.begin()),
                  std::make_move_iterator(data.end()));
  a.authority = std::move(authority);
  done_(std::move(a));
}

void Task::fail(uint16_t ede_code, std::string text) {
  if (finished_) return;
  finished_ = true;
  auto self = shared_from_this();
  if (handle_ != 0) {
    resolver_.transport_.cancel(handle_);
    handle_ = 0;
  }
  child_.reset();
  Answer a;
  a.rcode = dns::rcode::kServFail;
  a.ede = ede_code;
  a.ede_text = std::move(text);
  done_(std::move(a));
}

}  // namespace vpcdns::resolver
