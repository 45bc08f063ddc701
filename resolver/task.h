// Task: one iterative resolution (RFC 1034 §5.3.3), written as an explicit state machine
// driven by transport callbacks (Unbound's iterator style):
//
//   lookUp      the cache answers the name (or gives a CNAME to follow)   → finish / lookUp
//   delegate    the closest cached zone cut above the name (the root hints if none; priming
//               the root NS set first, RFC 8109)
//   ask         pick a server (ServerTable), send the (minimised) question, wait
//   onReply     classify (classify.h): referral → delegate lower; CNAME/DNAME → lookUp the
//               target; answer / NXDOMAIN / NODATA → cache and finish; errors → next server
//   glueless    no usable address for any NS name: resolve NS names as sub-Tasks (bounded)
//
// Limits shared with sub-Tasks (Budget): upstream queries and the deadline. Per Task: referral
// depth, chain length, NS names resolved per delegation, nesting of sub-Tasks. Any limit gives
// SERVFAIL with an Extended DNS Error, never a hang.
//
// Lifetime: owned through shared_ptr by the Resolver (client questions) or by the parent Task
// (sub-Tasks). Transport callbacks hold weak pointers; the destructor cancels what is in flight.
// Thread affinity: the Resolver's loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/net.h"
#include "dns/message.h"
#include "resolver/classify.h"
#include "resolver/resolver.h"

namespace vpcdns::resolver {

struct Budget {
  uint32_t queries_left = 0;
  uint64_t deadline_ms = 0;  // steady clock
};

uint64_t nowMs();

class Task : public std::enable_shared_from_this<Task> {
 public:
  using Done = std::function<void(Answer&&)>;

  Task(Resolver& resolver, const dns::Name& qname, uint16_t qtype, std::shared_ptr<Budget> budget,
       uint32_t depth, Done done);
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  void start();

 private:
  struct Server {
    IpAddress address;
    uint8_t timeouts = 0;  // a server that timed out gets a second chance after the others
    bool failed = false;   // answered unusably (error, lame, garbage): not asked again here
    bool tcp = false;      // a truncated reply came: ask this one over TCP
    bool no_edns = false;  // it answered FORMERR/NOTIMP without OPT to EDNS: ask it without
  };

  const ResolverOptions& options() const;
  cache::RecordCache& cache() const;

  void lookUp();
  bool answerFromCache();
  void delegate();
  void prime();
  void useDelegation(const dns::Name& zone, const std::vector<dns::Record>& ns,
                     const std::vector<dns::Record>& glue);
  void addAddressesOf(const dns::Name& host, const std::vector<dns::Record>& glue);
  void addAddress(const IpAddress& address);
  void ask();
  bool resolveGlueless();
  void onGlueless(Answer&& answer);
  void send(size_t server);
  void onReply(UpstreamResult&& result);
  void onMessage(const dns::Message& m);
  void nextServer(bool failure);
  void onMinimisedReply(const Classified& c);
  void onFullReply(Classified&& c);
  void cacheClassified(const Classified& c);
  void followChain(const std::vector<dns::Record>& links, const dns::Name& next);

  void finish(uint16_t rcode, std::vector<dns::Record> data, std::vector<dns::Record> authority);
  void fail(uint16_t ede_code, std::string text);

  Resolver& resolver_;
  std::shared_ptr<Budget> budget_;
  uint32_t depth_;
  Done done_;
  bool finished_ = false;

  // What is being resolved now: the question's name, then each CNAME/DNAME target.
  dns::Name target_;
  uint16_t qtype_;
  std::vector<dns::Record> chain_;  // links collected so far, in order
  std::vector<dns::Name> seen_;     // names the chain visited (loop detection)

  // The zone whose servers are being asked.
  dns::Name zone_;
  std::vector<dns::Name> ns_names_;
  std::vector<bool> ns_looked_up_;  // glueless lookup done (or impossible) for ns_names_[i]
  std::vector<Server> servers_;
  uint32_t glueless_ = 0;   // NS names resolved for this delegation
  uint32_t referrals_ = 0;  // delegations followed for this name
  bool priming_done_ = false;

  // QNAME minimisation (RFC 9156 §2.3): labels of target_ sent so far; off after a fallback.
  bool minimise_;
  size_t sent_labels_ = 0;
  uint32_t minimise_steps_ = 0;

  // The query in flight.
  uint64_t handle_ = 0;
  size_t current_ = 0;  // index into servers_
  dns::Name sent_name_;
  uint16_t sent_type_ = 0;
  std::vector<uint8_t> sent_wire_;
  std::shared_ptr<Task> child_;  // a sub-Task (glueless NS name, priming)
};

}  // namespace vpcdns::resolver
