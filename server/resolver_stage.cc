#include "server/resolver_stage.h"

#include <utility>

#include "dns/types.h"
#include "resolver/classify.h"
#include "server/snapshot.h"

namespace vpcdns::server {

namespace {

constexpr uint16_t kEdeOption = 15;  // RFC 8914

// Writes a resolver answer (records, RCODE and, with EDNS, the Extended DNS Error) into `w`,
// whose header, question and OPT are set.
void writeAnswer(dns::MessageWriter& w, const resolver::Answer& a, const PendingReply& p) {
  if (p.has_edns && a.ede != resolver::ede::kNone) {
    dns::Edns edns;
    edns.udp_size = p.our_udp_size;
    edns.do_bit = p.do_bit;
    dns::EdnsOption opt;
    opt.code = kEdeOption;
    opt.data = {static_cast<uint8_t>(a.ede >> 8), static_cast<uint8_t>(a.ede)};
    opt.data.insert(opt.data.end(), a.ede_text.begin(), a.ede_text.end());
    edns.options.push_back(std::move(opt));
    w.setEdns(edns);
  }
  for (const auto& set : resolver::splitRRsets(a.answer)) w.addRRset(dns::Section::kAnswer, set);
  for (const auto& set : resolver::splitRRsets(a.authority)) {
    w.addRRset(dns::Section::kAuthority, set);
  }
  w.setRcode(a.rcode);
}

void sendAnswer(const PendingReply& p, const resolver::Answer& a) {
  thread_local std::array<uint8_t, 65535> buf;
  dns::MessageWriter w = p.startReply(buf);
  writeAnswer(w, a, p);
  const size_t n = w.finish();
  p.send({buf.data(), n});
}

}  // namespace

Result<std::shared_ptr<ResolverRuntime>, std::string> buildResolverRuntime(
    const config::Config& config) {
  const auto& rc = config.resolver;
  auto shared = std::make_shared<resolver::ResolverShared>();
  auto& o = shared->options;
  o.qname_minimisation = rc.qname_minimisation;
  o.ipv6 = rc.ipv6;
  o.dont_query = rc.dont_query;
  for (const auto& l : config.server.listen) {
    const auto& ip = l.address.ip();
    const bool wildcard = ip == IpAddress::parse(ip.isV4() ? "0.0.0.0" : "::").value();
    if (!wildcard) o.dont_query.push_back(*IpPrefix::parse(ip.toString()));
  }
  o.edns_udp_size = rc.edns_udp_size;
  o.max_upstream_queries = rc.max_upstream_queries;
  o.max_referral_depth = rc.max_referral_depth;
  o.max_cname_chain = rc.max_cname_chain;
  o.max_glueless_ns = rc.max_glueless_ns;
  o.resolution_timeout_ms = rc.resolution_timeout_ms;
  if (rc.root_hints.empty()) {
    shared->hints = resolver::builtinRootHints();
  } else {
    std::string path = rc.root_hints;
    if (!path.empty() && path.front() != '/') path = config.base_dir + "/" + path;
    auto hints = resolver::loadRootHints(path);
    if (!hints) return fail(hints.error());
    shared->hints = std::move(hints).value();
  }

  auto runtime = std::make_shared<ResolverRuntime>();
  cache::CacheOptions co;
  co.max_memory_bytes = static_cast<size_t>(config.cache.max_memory);
  co.min_ttl = config.cache.min_ttl;
  co.max_ttl = config.cache.max_ttl;
  co.max_negative_ttl = config.cache.max_negative_ttl;
  runtime->cache = std::make_unique<cache::RecordCache>(co);
  resolver::ServerTableOptions so;
  so.initial_timeout_ms = rc.upstream_timeout_ms;
  runtime->servers = std::make_unique<resolver::ServerTable>(so);
  shared->cache = runtime->cache.get();
  shared->servers = runtime->servers.get();
  runtime->shared = std::move(shared);
  return runtime;
}

ResolverStage::ResolverStage(std::shared_ptr<ResolverRuntime> runtime)
    : runtime_(std::move(runtime)) {}

ResolverStage::~ResolverStage() = default;

void ResolverStage::attach(uv_loop_t* loop) {
  transport_ = std::make_unique<resolver::NetTransport>(loop);
  transport_->setIgnoredCounter(&counters_.upstream_ignored);
  resolver_ = std::make_unique<resolver::Resolver>(runtime_->shared, *transport_, counters_);
}

void ResolverStage::detach() {
  if (resolver_) resolver_->shutdown();
  if (transport_) transport_->close();
}

Verdict ResolverStage::answer(QueryContext& ctx) {
  if (!resolver_) return Verdict::kPass;
  const dns::Question& q = ctx.query.question;
  if (q.cls != dns::rrclass::kIN || q.type == dns::rrtype::kAXFR || q.type == dns::rrtype::kIXFR ||
      q.type == dns::rrtype::kOPT) {
    ctx.reply.setRcode(dns::rcode::kRefused);  // no zone transfers or other classes through us
    ctx.path = AnswerPath::kRefused;
    return Verdict::kAnswered;
  }
  if (resolver_->answerFromCache(q, ctx.reply)) {
    ctx.path = AnswerPath::kCache;
    return Verdict::kAnswered;
  }
  ctx.path = AnswerPath::kRecursion;

  // A miss: the reply comes later, unless the resolver decides at once (a limit, say).
  struct Sync {
    bool in_call = true;
    bool done = false;
    resolver::Answer answer;
  };
  auto sync = std::make_shared<Sync>();
  PendingReply pending = ctx.defer();
  resolver_->resolve(q, [sync, pending](const resolver::Answer& a) {
    if (sync->in_call) {
      sync->done = true;
      sync->answer = a;
      return;
    }
    sendAnswer(pending, a);
  });
  sync->in_call = false;
  if (!sync->done) return Verdict::kDeferred;
  writeAnswer(ctx.reply, sync->answer, pending);
  return Verdict::kAnswered;
}

}  // namespace vpcdns::server
