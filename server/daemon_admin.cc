// The daemon's side of the admin API (server/admin.h): the handlers it serves with, and what
// /metrics exposes (README "Metrics").
//
// Thread affinity: bindAdmin() on the main thread (from bind()); every other function here runs
// on an admin thread while the workers run, and reads only what is safe from any thread: the
// workers' single-writer counters, the shared record cache (its own shard locks), the health
// registry (atomics), the published snapshot (SnapshotHolder::current()) and the reload
// counters. workers_ does not change between AdminServer::start() and stop().
#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "server/daemon.h"
#include "server/prometheus.h"
#include "server/query_log.h"
#include "server/query_stats.h"

namespace vpcdns::server {
namespace {

// Text from files and requests may hold invalid UTF-8: replaced (U+FFFD), never thrown over.
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

std::string jsonError(std::string_view message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, kReplace) + "\n";
}

// The token in `path` (relative paths start at the config's folder), trailing whitespace off.
Result<std::string, std::string> readTokenFile(const config::Config& c, const std::string& path) {
  const std::string full =
      path.starts_with("/") || c.base_dir.empty() ? path : c.base_dir + "/" + path;
  std::ifstream in(full);
  if (!in) return fail("admin.token_file: cannot read " + full);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.size() < 16 || token.find_first_of(" \t\r\n") != std::string::npos) {
    return fail("admin.token_file: " + full +
                " must hold one token of at least 16 characters, no spaces");
  }
  return token;
}

// Seconds from microseconds, for Prometheus (base units).
double seconds(uint64_t us) {
  return static_cast<double>(us) / 1e6;
}

void counter(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  prom::family(out, name, "counter", help);
  prom::sample(out, name, "", value);
}

void gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  prom::family(out, name, "gauge", help);
  prom::sample(out, name, "", value);
}

// ResolverCounters of every worker, summed.
struct ResolverTotals {
  uint64_t queries = 0, cache_hits = 0, resolutions = 0, joined = 0, completed = 0;
  uint64_t upstream_queries = 0, upstream_tcp = 0, upstream_timeouts = 0, upstream_errors = 0;
  uint64_t upstream_ignored = 0, servfail = 0;
  void add(const resolver::ResolverCounters& c) {
    queries += c.queries.get();
    cache_hits += c.cache_hits.get();
    resolutions += c.resolutions.get();
    joined += c.joined.get();
    completed += c.completed.get();
    upstream_queries += c.upstream_queries.get();
    upstream_tcp += c.upstream_tcp.get();
    upstream_timeouts += c.upstream_timeouts.get();
    upstream_errors += c.upstream_errors.get();
    upstream_ignored += c.upstream_ignored.get();
    servfail += c.servfail.get();
  }
};

}  // namespace

Result<bool, std::string> Daemon::bindAdmin() {
  const config::AdminSection& a = config_->admin;
  if (!a.listen) return true;
  std::string token = a.token;
  if (!a.token_file.empty()) {
    auto read = readTokenFile(*config_, a.token_file);
    if (!read) return fail(read.error());
    token = std::move(read).value();
  }
  admin_ = std::make_unique<AdminServer>(*a.listen, std::move(token), adminHandlers());
  auto bound = admin_->bind();
  if (!bound) {
    admin_.reset();
    return fail(bound.error());
  }
  return true;
}

AdminHandlers Daemon::adminHandlers() {
  AdminHandlers h;
  h.healthy = [this] { return serving_.load(std::memory_order_relaxed); };
  h.metrics = [this](std::string& out) { appendMetrics(out); };
  h.flush = [this](const FlushRequest& r) { return flushCache(r); };
  h.forwarders = [this] { return forwardersStatus(); };
  h.reload = [this] { return reloadForApi(); };
  // Change batches (server/changes.h).
  h.submit_change = [this](std::string_view zone, std::string_view body) {
    return changes_.submit(zone, body);
  };
  h.get_change = [this](std::string_view id) { return changes_.get(id); };
  return h;
}

HttpResult Daemon::reloadForApi() {
  ReloadOutcome r = reload();
  nlohmann::json body{{"ok", r.ok}, {"seconds", r.seconds}};
  if (!r.ok) body["errors"] = r.errors;
  return {r.ok ? 200 : 400, body.dump(2, ' ', false, kReplace) + "\n"};
}

HttpResult Daemon::flushCache(const FlushRequest& request) {
  cache::RecordCache* cache = runtime_ ? runtime_->cache.get() : nullptr;
  if (cache == nullptr && forwarding_) cache = forwarding_->cache;
  nlohmann::json body;
  size_t removed = 0;
  if (request.name.empty()) {
    if (cache != nullptr) removed = cache->clear();
    body["scope"] = "all";
  } else {
    auto name = dns::Name::fromText(request.name);
    if (!name) return {400, jsonError("\"name\": not a domain name: " + request.name)};
    if (cache != nullptr) removed = cache->flushName(*name, request.subtree);
    body["scope"] = request.subtree ? "subtree" : "name";
    body["name"] = name->toText();
  }
  body["removed"] = removed;
  spdlog::info("admin: cache flush ({}{}): {} entries removed", body["scope"].get<std::string>(),
               request.name.empty() ? "" : " " + body["name"].get<std::string>(), removed);
  return {200, body.dump(-1, ' ', false, kReplace) + "\n"};
}

HttpResult Daemon::forwardersStatus() const {
  auto snapshot = holder_.current();
  nlohmann::json rules = nlohmann::json::array();
  const uint64_t now = forwarding_ ? forwarding_->health->nowMs() : 0;
  for (size_t i = 0; i < snapshot->config->rules.size(); ++i) {
    const config::RuleSpec& rule = snapshot->config->rules[i];
    if (rule.type != config::RuleSpec::Type::kForward) continue;
    const ForwardRoute& route = snapshot->routes[i];
    nlohmann::json targets = nlohmann::json::array();
    for (const SocketAddress& t : route.targets) {
      nlohmann::json target{{"address", t.toString()}};
      if (forwarding_) {
        auto state = forwarding_->health->get(t);
        target["up"] = state->up();
        target["consecutive_failures"] = state->consecutiveFailures();
        target["srtt_ms"] = static_cast<double>(state->srttUs()) / 1000.0;
        const uint64_t probed = state->lastProbeMs();
        target["last_probe_ms_ago"] =
            probed == 0 ? nlohmann::json(nullptr) : nlohmann::json(now - probed);
      }
      targets.push_back(std::move(target));
    }
    rules.push_back({{"domain", rule.domain.toText()},
                     {"vpcs", rule.vpcs},
                     {"selection", route.by_rtt ? "rtt" : "order"},
                     {"targets", std::move(targets)}});
  }
  return {200, nlohmann::json{{"rules", std::move(rules)}}.dump(2, ' ', false, kReplace) + "\n"};
}

namespace {

// A Prometheus histogram from per-bucket counts (not cumulative) over RttHistogram's bounds.
void rttHistogram(std::string& out, std::string_view name, std::string_view help,
                  const std::array<uint64_t, RttHistogram::kBoundsUs.size() + 1>& buckets,
                  uint64_t sum_us) {
  prom::family(out, name, "histogram", help);
  const std::string base(name);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    const std::string le = i < RttHistogram::kBoundsUs.size()
                               ? fmt::format("{}", seconds(RttHistogram::kBoundsUs[i]))
                               : std::string("+Inf");
    prom::sample(out, base + "_bucket", prom::label("le", le), cumulative);
  }
  prom::sample(out, base + "_sum", "", seconds(sum_us));
  prom::sample(out, base + "_count", "", cumulative);
}

}  // namespace

void Daemon::appendMetrics(std::string& out) const {
  auto snapshot = holder_.current();
  out.reserve(16384);

  gauge(out, "vpcdns_up", "1 while the workers serve queries.",
        serving_.load(std::memory_order_relaxed) ? 1.0 : 0.0);
  gauge(out, "vpcdns_workers", "Worker threads.", static_cast<double>(workers_.size()));

  // ---- per-query counters (server/query_stats.h) ----
  std::vector<const QueryStats*> per_worker;
  for (const auto& w : workers_) per_worker.push_back(&w->queryStats());
  appendQueryMetrics(per_worker, *snapshot->config, out);

  // ---- the pipeline (server/pipeline.h PipelineStats, before any stage) ----
  uint64_t received = 0, dropped = 0, answered = 0, deferred = 0, truncated = 0;
  for (const auto& w : workers_) {
    const PipelineStats& p = w->stats();
    received += p.queries.get();
    dropped += p.dropped.get();
    answered += p.answered.get();
    deferred += p.deferred.get();
    truncated += p.truncated.get();
  }
  counter(out, "vpcdns_pipeline_received_total", "DNS messages received by the query pipeline.",
          received);
  counter(out, "vpcdns_pipeline_dropped_total",
          "Messages dropped unanswered (unreadable header, or a response sent to us).", dropped);
  counter(out, "vpcdns_pipeline_answered_at_once_total",
          "Queries a stage answered at once (private zones, cache hits).", answered);
  counter(out, "vpcdns_pipeline_deferred_total", "Queries a stage answered later (sent upstream).",
          deferred);
  counter(out, "vpcdns_pipeline_truncated_total", "Replies sent with TC set (too big for UDP).",
          truncated);

  // ---- record cache ----
  const cache::RecordCache* cache = runtime_ ? runtime_->cache.get() : nullptr;
  if (cache == nullptr && forwarding_) cache = forwarding_->cache;
  if (cache != nullptr) {
    const cache::CacheStats cs = cache->stats();
    counter(out, "vpcdns_cache_hits_total", "Record cache lookups answered (data or negative).",
            cs.hits);
    counter(out, "vpcdns_cache_misses_total", "Record cache lookups not answered.", cs.misses);
    counter(out, "vpcdns_cache_inserts_total", "Entries stored in the record cache.", cs.inserts);
    counter(out, "vpcdns_cache_evictions_total", "Entries dropped to stay under cache.max_memory.",
            cs.evictions);
    counter(out, "vpcdns_cache_expired_total", "Entries dropped because their TTL ran out.",
            cs.expired);
    gauge(out, "vpcdns_cache_entries", "RRsets and negative entries in the record cache.",
          static_cast<double>(cs.entries));
    gauge(out, "vpcdns_cache_names", "Owner names in the record cache.",
          static_cast<double>(cs.names));
    gauge(out, "vpcdns_cache_bytes", "Accounted bytes of the record cache.",
          static_cast<double>(cs.bytes));
    gauge(out, "vpcdns_cache_max_bytes", "The record cache's memory bound (cache.max_memory).",
          static_cast<double>(cache->options().max_memory_bytes));
  }

  // ---- recursion (resolver/resolver.h counters, summed over workers) ----
  ResolverTotals rs;
  bool any_resolver = false;
  std::array<uint64_t, RttHistogram::kBoundsUs.size() + 1> rtt{};
  uint64_t rtt_sum_us = 0;
  for (const auto& w : workers_) {
    const auto* c = w->resolverCounters();
    if (c == nullptr) continue;
    any_resolver = true;
    rs.add(*c);
    for (size_t i = 0; i < rtt.size(); ++i) rtt[i] += c->upstream_rtt.buckets[i].get();
    rtt_sum_us += c->upstream_rtt.sum_us.get();
  }
  if (any_resolver) {
    counter(out, "vpcdns_resolver_queries_total", "Client questions that reached recursion.",
            rs.queries);
    counter(out, "vpcdns_resolver_cache_answers_total",
            "Client questions for recursion answered from the cache alone.", rs.cache_hits);
    counter(out, "vpcdns_resolutions_total", "Resolutions started (after sharing).",
            rs.resolutions);
    counter(out, "vpcdns_resolutions_joined_total",
            "Client questions that joined a resolution in flight.", rs.joined);
    gauge(out, "vpcdns_resolutions_in_flight", "Resolutions started and not finished.",
          static_cast<double>(rs.resolutions >= rs.completed ? rs.resolutions - rs.completed : 0));
    counter(out, "vpcdns_upstream_queries_total",
            "Queries sent to authoritative servers (UDP and TCP).", rs.upstream_queries);
    counter(out, "vpcdns_upstream_tcp_total", "Queries sent to authoritative servers over TCP.",
            rs.upstream_tcp);
    counter(out, "vpcdns_upstream_timeouts_total", "Queries to authoritative servers timed out.",
            rs.upstream_timeouts);
    counter(out, "vpcdns_upstream_errors_total",
            "Network errors and unusable replies from authoritative servers.", rs.upstream_errors);
    counter(out, "vpcdns_upstream_ignored_total",
            "Datagrams that failed the transport's checks (spoofs, garbage).", rs.upstream_ignored);
    counter(out, "vpcdns_resolver_servfail_total", "Recursion answers that were SERVFAIL.",
            rs.servfail);
    rttHistogram(out, "vpcdns_upstream_rtt_seconds",
                 "Round-trip time of authoritative servers' replies.", rtt, rtt_sum_us);
  }

  // ---- forwarding ----
  if (forwarding_) {
    uint64_t queries = 0, hits = 0, sent = 0, all_down = 0, failed = 0;
    uint64_t replies = 0, timeouts = 0, errors = 0, fwd_rtt_sum_us = 0;
    std::array<uint64_t, RttHistogram::kBoundsUs.size() + 1> fwd_rtt{};
    for (const auto& w : workers_) {
      const auto* f = w->forwardCounters();
      if (f == nullptr) continue;
      queries += f->queries.get();
      hits += f->cache_hits.get();
      sent += f->forwarded.get();
      all_down += f->all_down.get();
      failed += f->failed.get();
      replies += f->upstream.replies.get();
      timeouts += f->upstream.timeouts.get();
      errors += f->upstream.errors.get();
      for (size_t i = 0; i < fwd_rtt.size(); ++i) fwd_rtt[i] += f->upstream.rtt.buckets[i].get();
      fwd_rtt_sum_us += f->upstream.rtt.sum_us.get();
    }
    counter(out, "vpcdns_forward_queries_total", "Questions a FORWARD rule claimed.", queries);
    counter(out, "vpcdns_forward_cache_answers_total",
            "Questions of FORWARD rules answered from the cache.", hits);
    counter(out, "vpcdns_forwarded_total", "Questions sent to forwarding targets.", sent);
    counter(out, "vpcdns_forward_all_down_total",
            "SERVFAIL at once because every target of the rule was down.", all_down);
    counter(out, "vpcdns_forward_failed_total",
            "SERVFAIL after every target tried failed (or replied unusably).", failed);
    counter(out, "vpcdns_forward_upstream_replies_total",
            "Attempts to forwarding targets that got a reply (any RCODE; probes not counted).",
            replies);
    counter(out, "vpcdns_forward_upstream_timeouts_total",
            "Attempts to forwarding targets that timed out (probes not counted).", timeouts);
    counter(out, "vpcdns_forward_upstream_errors_total",
            "Attempts to forwarding targets that failed otherwise (probes not counted).", errors);
    rttHistogram(out, "vpcdns_forward_rtt_seconds",
                 "Round-trip time of forwarding targets' replies.", fwd_rtt, fwd_rtt_sum_us);

    std::set<std::string> seen;  // a target shared by rules is listed once
    std::vector<std::pair<std::string, std::shared_ptr<forwarder::TargetState>>> targets;
    for (const ForwardRoute& route : snapshot->routes) {
      for (const SocketAddress& t : route.targets) {
        if (seen.insert(t.toString()).second) {
          targets.emplace_back(t.toString(), forwarding_->health->get(t));
        }
      }
    }
    prom::family(out, "vpcdns_forward_target_up", "gauge",
                 "1 while the forwarding target is up, 0 while it is down.");
    for (const auto& [name, s] : targets) {
      prom::sample(out, "vpcdns_forward_target_up", prom::label("target", name),
                   uint64_t{s->up() ? 1u : 0u});
    }
    prom::family(out, "vpcdns_forward_target_failures", "gauge",
                 "Consecutive failures of the forwarding target.");
    for (const auto& [name, s] : targets) {
      prom::sample(out, "vpcdns_forward_target_failures", prom::label("target", name),
                   uint64_t{s->consecutiveFailures()});
    }
    prom::family(out, "vpcdns_forward_target_srtt_seconds", "gauge",
                 "Smoothed round-trip time of the forwarding target (0: no reply yet).");
    for (const auto& [name, s] : targets) {
      prom::sample(out, "vpcdns_forward_target_srtt_seconds", prom::label("target", name),
                   seconds(s->srttUs()));
    }
  }

  // ---- the query log (server/query_log.h) ----
  if (query_log_) appendQueryLogMetrics(*query_log_, out);

  // ---- reloads ----
  const ReloadStats reloads = reloadStats();
  prom::family(out, "vpcdns_reloads_total", "counter",
               "Config reloads (SIGHUP and the admin API), by result.");
  prom::sample(out, "vpcdns_reloads_total", prom::label("result", "ok"), reloads.ok);
  prom::sample(out, "vpcdns_reloads_total", prom::label("result", "error"), reloads.error);
  gauge(out, "vpcdns_reload_last_duration_seconds", "Duration of the last reload (0: none yet).",
        reloads.last_seconds);
  gauge(out, "vpcdns_reload_last_success", "1 if the last reload succeeded (0 also: none yet).",
        reloads.last_ok ? 1.0 : 0.0);
}

}  // namespace vpcdns::server
