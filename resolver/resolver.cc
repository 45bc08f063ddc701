#include "resolver/resolver.h"

#include <utility>
#include <variant>

#include "cache/answer.h"
#include "dns/types.h"
#include "resolver/task.h"

namespace vpcdns::resolver {

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
  // Glue and referral NS sets are never answers (RFC 2181 §5.4.1): those names are resolved.
  if (!cache::writeCachedAnswer(*shared_->cache, cache::kPublicContext, q,
                                shared_->options.max_cname_chain, cache::Trust::kAnswerNonAuth,
                                scratch_, w)) {
    return false;
  }
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
  counters_.completed.add();
  if (answer.rcode == dns::rcode::kServFail) counters_.servfail.add(flight.waiters.size());
  for (auto& waiter : flight.waiters) waiter(answer);
}

}  // namespace vpcdns::resolver
