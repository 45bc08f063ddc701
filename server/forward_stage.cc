#include "server/forward_stage.h"

#include <array>
#include <utility>

#include "cache/answer.h"
#include "dns/types.h"
#include "resolver/classify.h"
#include "server/snapshot.h"

namespace vpcdns::server {

namespace {

constexpr size_t kMaxCachedLinks = 12;
constexpr uint16_t kEdeOption = 15;  // RFC 8914
constexpr uint16_t kEdeNoReachableAuthority = 22;

// The client's reply from the upstream's: the client's header (ID, RD, CD) and question, the
// upstream's RCODE and records (its OPT replaced by ours), RA set, AA clear (we are not the
// authority), truncated to the client's size.
size_t writeForwarded(const PendingReply& p, const dns::Message& up, std::span<uint8_t> buf) {
  dns::MessageWriter w = p.startReply(buf);
  w.header().ad = false;
  for (const auto& set : resolver::splitRRsets(up.answer)) w.addRRset(dns::Section::kAnswer, set);
  for (const auto& set : resolver::splitRRsets(up.authority)) {
    w.addRRset(dns::Section::kAuthority, set);
  }
  for (const auto& set : resolver::splitRRsets(up.additional)) {
    w.addRRset(dns::Section::kAdditional, set);
  }
  w.setRcode(up.rcode());
  return w.finish();
}

size_t writeServfail(const PendingReply& p, std::string_view why, std::span<uint8_t> buf) {
  dns::MessageWriter w = p.startReply(buf);
  if (p.has_edns) {
    dns::Edns edns;
    edns.udp_size = p.our_udp_size;
    edns.do_bit = p.do_bit;
    dns::EdnsOption opt;
    opt.code = kEdeOption;
    opt.data = {0, static_cast<uint8_t>(kEdeNoReachableAuthority)};
    opt.data.insert(opt.data.end(), why.begin(), why.end());
    edns.options.push_back(std::move(opt));
    w.setEdns(edns);
  }
  w.setRcode(dns::rcode::kServFail);
  return w.finish();
}

forwarder::ForwardPolicy policyOf(const ForwardRoute& r) {
  forwarder::ForwardPolicy p;
  p.targets = r.targets;
  p.selection = r.by_rtt ? forwarder::Selection::kRtt : forwarder::Selection::kOrder;
  p.timeout_ms = r.timeout_ms;
  p.source = r.source;
  return p;
}

}  // namespace

std::shared_ptr<ForwardRuntime> buildForwardRuntime(const config::Config& config,
                                                    cache::RecordCache* cache) {
  auto runtime = std::make_shared<ForwardRuntime>();
  forwarder::HealthOptions h;
  h.failure_threshold = config.forwarding.failure_threshold;
  h.probe_interval_ms = config.forwarding.probe_interval_ms;
  runtime->health = std::make_unique<forwarder::HealthRegistry>(h);
  runtime->cache = config.forwarding.cache ? cache : nullptr;
  return runtime;
}

ForwardStage::ForwardStage(std::shared_ptr<ForwardRuntime> runtime) : runtime_(std::move(runtime)) {
  scratch_.reserve(16);
}

ForwardStage::~ForwardStage() = default;

void ForwardStage::attach(uv_loop_t* loop) {
  forwarder_ = std::make_unique<forwarder::Forwarder>(loop, *runtime_->health, &counters_.upstream);
}

void ForwardStage::detach() {
  if (forwarder_) forwarder_->close();
}

Verdict ForwardStage::answer(QueryContext& ctx) {
  const dns::Question& q = ctx.query.question;
  const PolicyEntry* entry = ctx.view.table.match(q.name);
  if (entry == nullptr || entry->kind != PolicyEntry::Kind::kForward) return Verdict::kPass;
  counters_.queries.add();
  const ForwardRoute& route = *entry->route;
  cache::RecordCache* cache = runtime_->cache;
  if (cache != nullptr &&
      cache::writeCachedAnswer(*cache, route.cache_context, q, kMaxCachedLinks,
                               cache::Trust::kAnswerNonAuth, scratch_, ctx.reply)) {
    counters_.cache_hits.add();
    ctx.path = AnswerPath::kCache;
    return Verdict::kAnswered;
  }
  if (!forwarder_) return Verdict::kPass;
  counters_.forwarded.add();
  ctx.path = AnswerPath::kForward;
  PendingReply pending = ctx.defer();
  const uint64_t context = route.cache_context;
  ForwardCounters* counters = &counters_;
  forwarder_->forward(policyOf(route), q, ctx.query.header.cd,
                      [pending, cache, context, counters](forwarder::ForwardResult&& r) {
                        thread_local std::array<uint8_t, 65535> buf;
                        size_t n = 0;
                        if (r.status == forwarder::ForwardResult::Status::kReply) {
                          auto up = dns::Message::parse(r.reply);
                          if (up) {
                            if (cache != nullptr) {
                              cache::storeReply(*cache, context, pending.question, *up,
                                                cache::Trust::kAnswerNonAuth);
                            }
                            n = writeForwarded(pending, *up, buf);
                          } else {
                            counters->failed.add();
                            n = writeServfail(pending, "unusable reply from the forwarding target",
                                              buf);
                          }
                        } else if (r.status == forwarder::ForwardResult::Status::kAllDown) {
                          counters->all_down.add();
                          n = writeServfail(pending, "every forwarding target is down", buf);
                        } else {
                          counters->failed.add();
                          n = writeServfail(pending, "no forwarding target answered", buf);
                        }
                        pending.send({buf.data(), n});
                      });
  return Verdict::kDeferred;
}

}  // namespace vpcdns::server
