#include "resolver/resolver.h"

#include <utility>
#include <variant>

#include "dns/types.h"
#include "resolver/task.h"

namespace vpcdns::resolver {

namespace {
// CNAME links answerable from the cache in one go (the ranges array below is on the stack).
constexpr size_t kMaxCachedLinks = 32;
}  // namespace

Resolver::Resolver(std::shared_ptr<const ResolverShared> shared, Transport& transport,
                   ResolverCounters& counters)
    : shared_(std::move(shared)), transport_(transport), counters_(counters) {
  scratch_.reserve(64);
}

Resolver::~Resolver() {
  shutdown();
}

void Resolver::shutdown() {
  // Tasks cancel their transport queries as they go; waiting clients get nothing.
  auto flights = std::move(inflight_);
  inflight_.clear();
  flights.clear();
}

bool Resolver::answerFromCache(const dns::Question& q, dns::MessageWriter& w) {
  counters_.queries.add();
  if (q.cls != dns::rrclass::kIN) return false;
  auto& cache = *shared_->cache;
  scratch_.clear();
  struct Range {
    size_t begin, end;
  };
  Range ranges[kMaxCachedLinks + 1];
  size_t nranges = 0;
  bool negative = false;
  uint16_t rcode = dns::rcode::kNoError;
  const size_t max_links = std::min<size_t>(shared_->options.max_cname_chain, kMaxCachedLinks);
  dns::Name name = q.name;  // copied: lookups append to scratch_, which may move
  for (size_t link = 0;; ++link) {
    size_t begin = scratch_.size();
    const auto r = cache.lookup({cache::kPublicContext, name, q.type, q.cls}, scratch_);
    if (r.hit()) {
      // Glue and referral NS sets are never answers (RFC 2181 §5.4.1): resolve instead.
      if (r.trust < cache::Trust::kAnswerNonAuth) return false;
      ranges[nranges++] = {begin, scratch_.size()};
      negative = r.outcome != cache::Outcome::kRecords;
      if (r.outcome == cache::Outcome::kNxDomain) rcode = dns::rcode::kNXDomain;
      break;
    }
    if (q.type == dns::rrtype::kCNAME || link >= max_links) return false;
    begin = scratch_.size();
    const auto c =
        cache.lookup({cache::kPublicContext, name, dns::rrtype::kCNAME, q.cls}, scratch_);
    if (c.outcome != cache::Outcome::kRecords || c.trust < cache::Trust::kAnswerNonAuth ||
        scratch_.size() == begin) {
      return false;
    }
    const auto* target = std::get_if<dns::RdataName>(&scratch_[begin].rdata);
    if (target == nullptr) return false;
    ranges[nranges++] = {begin, scratch_.size()};
    name = target->name;
  }
  for (size_t i = 0; i < nranges; ++i) {
    const std::span<const dns::Record> set(scratch_.data() + ranges[i].begin,
                                           ranges[i].end - ranges[i].begin);
    const bool is_soa = negative && i + 1 == nranges;
    w.addRRset(is_soa ? dns::Section::kAuthority : dns::Section::kAnswer, set);
  }
  w.setRcode(rcode);
  counters_.cache_hits.add();
  return true;
}

void Resolver::resolve(const dns::Question& q, AnswerCallback done) {
  Key key{q.name.lowercased(), q.type};
  if (auto it = inflight_.find(key); it != inflight_.end()) {
    it->second.waiters.push_back(std::move(done));
    counters_.joined.add();
    return;
  }
  counters_.resolutions.add();
  auto budget = std::make_shared<Budget>();
  budget->queries_left = shared_->options.max_upstream_queries;
  budget->deadline_ms = nowMs() + shared_->options.resolution_timeout_ms;
  auto task = std::make_shared<Task>(*this, q.name, q.type, std::move(budget), 0,
                                     [this, key](Answer&& a) { complete(key, a); });
  Flight& flight = inflight_[key];
  flight.task = task;
  flight.waiters.push_back(std::move(done));
  task->start();  // may complete (and erase the flight) before returning
}

void Resolver::complete(const Key& key, const Answer& answer) {
  auto it = inflight_.find(key);
  if (it == inflight_.end()) return;
  Flight flight = std::move(it->second);
  inflight_.erase(it);
  if (answer.rcode == dns::rcode::kServFail) counters_.servfail.add(flight.waiters.size());
  for (auto& waiter : flight.waiters) waiter(answer);
}

}  // namespace vpcdns::resolver
