// Resolver: iterative resolution from the root hints (RFC 1034 §5.3.3), through the shared
// record cache. One Resolver per worker thread; the cache and the server table are shared.
//
//   answerFromCache()   the hot path: the whole answer (CNAME chain, data or negative answer)
//                       from the cache, written straight into the reply; no heap allocation
//                       once warm, no lock but the cache shard's.
//   resolve()           a cache miss: one Task per distinct question in flight (a burst of
//                       clients asking the same name shares it), walking down from the closest
//                       cached delegation (or the root: priming, RFC 8109), with QNAME
//                       minimisation (RFC 9156), 0x20 case randomisation, bailiwick scrubbing
//                       and hard limits (see ResolverOptions). Completion is a callback on the
//                       same loop thread.
//
// Thread affinity: a Resolver and its Tasks live on one worker loop thread. Counters are
// single-writer atomics, readable from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/record_cache.h"
#include "common/counter.h"
#include "common/net.h"
#include "common/rtt_histogram.h"
#include "dns/message.h"
#include "dns/writer.h"
#include "resolver/root_hints.h"
#include "resolver/server_table.h"
#include "resolver/transport.h"

namespace vpcdns::resolver {

struct ResolverOptions {
  bool qname_minimisation = true;
  bool ipv6 = true;
  std::vector<IpPrefix> dont_query;  // never sent queries
  uint16_t edns_udp_size = 1232;
  uint32_t max_upstream_queries = 64;  // per client question, sub-resolutions included
  uint32_t max_referral_depth = 24;
  uint32_t max_cname_chain = 12;
  uint32_t max_glueless_ns = 4;     // NS names resolved for addresses, per delegation
  uint32_t max_subquery_depth = 4;  // glueless lookups nested inside glueless lookups
  uint32_t resolution_timeout_ms = 5000;
};

// What the resolver shares between workers. The cache and the server table are thread-safe.
struct ResolverShared {
  ResolverOptions options;
  RootHints hints;
  cache::RecordCache* cache = nullptr;
  ServerTable* servers = nullptr;
};

// RFC 8914 codes we use.
namespace ede {
inline constexpr uint16_t kNone = 0xffff;
inline constexpr uint16_t kOther = 0;
inline constexpr uint16_t kProhibited = 18;
inline constexpr uint16_t kNoReachableAuthority = 22;
inline constexpr uint16_t kNetworkError = 23;
}  // namespace ede

// A finished resolution, as the client will see it.
struct Answer {
  uint16_t rcode = 0;
  std::vector<dns::Record> answer;     // the CNAME/DNAME chain, then the data
  std::vector<dns::Record> authority;  // the SOA of a negative answer
  uint16_t ede = ede::kNone;
  std::string ede_text;
};

using AnswerCallback = std::function<void(const Answer&)>;

using vpcdns::Counter;

using vpcdns::RttHistogram;  // common/rtt_histogram.h

struct ResolverCounters {
  Counter queries;           // client questions that reached the resolver
  Counter cache_hits;        // answered from the cache alone
  Counter resolutions;       // Tasks started for clients (after sharing)
  Counter joined;            // client questions that joined a Task in flight
  Counter upstream_queries;  // every query sent to an authoritative server (UDP or TCP)
  Counter upstream_tcp;
  Counter upstream_timeouts;
  Counter upstream_errors;   // network errors, unparseable or unusable replies
  Counter upstream_ignored;  // datagrams that failed the transport's checks (spoofs, garbage)
  Counter servfail;          // client answers that were SERVFAIL
  Counter completed;         // resolutions finished (in flight = resolutions - completed)
  RttHistogram upstream_rtt;
};

class Task;

class Resolver {
 public:
  // `counters` (written only by this resolver) must outlive it.
  Resolver(std::shared_ptr<const ResolverShared> shared, Transport& transport,
           ResolverCounters& counters);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Writes the answer to `q` from the cache alone into `w` (answer and authority sections and
  // the RCODE; the header, question and OPT are the caller's) and returns true; returns false
  // and leaves `w` untouched when something is missing or expired.
  bool answerFromCache(const dns::Question& q, dns::MessageWriter& w);

  // Resolves `q` and calls `done` on this thread: later, or before resolve() returns when no
  // upstream query was needed (a limit or policy decided at once).
  void resolve(const dns::Question& q, AnswerCallback done);

  const ResolverCounters& counters() const { return counters_; }
  size_t inFlight() const { return inflight_.size(); }

  // Cancels everything in flight: waiting clients get no answer (shutdown).
  void shutdown();

 private:
  friend class Task;
  struct Key {
    dns::Name name;  // lowercased
    uint16_t type;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return k.name.hash() ^ (size_t{k.type} << 1); }
  };
  struct Flight {
    std::shared_ptr<Task> task;
    std::vector<AnswerCallback> waiters;
  };

  void complete(const Key& key, const Answer& answer);

  std::shared_ptr<const ResolverShared> shared_;
  Transport& transport_;
  ResolverCounters& counters_;
  std::unordered_map<Key, Flight, KeyHash> inflight_;
  std::vector<dns::Record> scratch_;  // answerFromCache(); capacity kept between calls
};

}  // namespace vpcdns::resolver
