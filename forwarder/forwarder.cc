#include "forwarder/forwarder.h"

#include <ares.h>
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>

#include "common/random.h"
#include "dns/types.h"
#include "dns/writer.h"

namespace vpcdns::forwarder {
namespace {

// Header + the longest name + type and class + the OPT RR.
constexpr size_t kMaxQuerySize = dns::kHeaderSize + dns::kMaxNameLength + 4 + 11;
// c-ares' UDP receive buffer is 4097 bytes (MAXENDSSZ + 1); with ARES_FLAG_EDNS and this size
// it accepts any UDP reply that fits it instead of retrying over TCP for anything over 512.
constexpr int kAresEdnsSize = 4096;

// c-ares 1.18.1 keeps global state (ares_library_init is reference counted and not
// thread-safe); initialise it once for the process and never clean up.
void initAresOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h;
}

uint32_t elapsedUs(uint64_t since_ns) {
  const uint64_t us = (uv_hrtime() - since_ns) / 1000;
  return static_cast<uint32_t>(std::min<uint64_t>(us, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

// One forward() or one probe. Owned by the Forwarder (queries_ or deferred_) until decided and
// delivered, except while an attempt is in flight: c-ares holds it as the callback argument and
// calls back exactly once (reply, failure, or ARES_EDESTRUCTION when the channel is destroyed),
// so a query dropped by close() while in flight is freed by that last callback, never before.
struct Forwarder::Query {
  Forwarder* owner = nullptr;  // null once dropped by close()
  bool probe = false;
  bool in_flight = false;  // an ares_send whose callback has not come yet
  std::vector<SocketAddress> targets;
  std::vector<std::shared_ptr<TargetState>> states;  // parallel to targets
  std::vector<uint8_t> tried;                        // parallel to targets
  Selection selection = Selection::kOrder;
  uint32_t timeout_ms = 0;
  std::optional<IpAddress> source;
  std::array<uint8_t, kMaxQuerySize> wire{};
  size_t wire_len = 0;
  size_t current = 0;  // index of the target of the attempt in flight
  uint64_t sent_ns = 0;
  Channel* channel = nullptr;  // of the attempt in flight
  ForwardResult result;
  ForwardCallback done;

  static void onAres(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
};

// One ares channel (a single server) with the libuv handles that drive it: a uv_poll_t per
// socket c-ares opens (from its socket-state callback) and a one-shot timer armed from
// ares_timeout(). Freed by the close callback of its timer, after ares_destroy().
//
// c-ares must not be destroyed from inside one of its own callbacks (it keeps using the channel
// after the callback returns; Envoy's "c-ares segfault"). Every entry into c-ares here
// (ares_process_fd, ares_send) counts `depth`; a destruction asked for meanwhile (close() from
// a user callback, a retired channel whose last query just ended) waits until the outermost
// entry returns.
struct Forwarder::Channel {
  Forwarder* owner = nullptr;  // null once close() let go of it
  ChannelKey key;
  ares_channel ares = nullptr;
  uv_timer_t timer{};
  std::unordered_map<ares_socket_t, uv_poll_t*> polls;
  uint32_t pending = 0;  // ares_send calls whose callback has not come yet
  uint32_t sent = 0;
  int depth = 0;
  bool retired = false;  // takes no new queries; destroyed when `pending` reaches 0
  bool destroy_requested = false;
  bool destroyed = false;

  static Channel* create(Forwarder* owner, const ChannelKey& key);

  void send(Query* q) {
    ++pending;
    ++sent;
    ++depth;
    ares_send(ares, q->wire.data(), static_cast<int>(q->wire_len), Query::onAres, q);
    --depth;
    afterEntry();
  }

  void dispatch(ares_socket_t read_fd, ares_socket_t write_fd) {
    ++depth;
    ares_process_fd(ares, read_fd, write_fd);
    --depth;
    afterEntry();
  }

  void afterEntry() {
    if (destroyed || depth > 0) return;
    if (destroy_requested) {
      destroyNow();
    } else {
      updateTimer();
    }
  }

  void requestDestroy() {
    if (destroyed) return;
    destroy_requested = true;
    if (depth == 0) destroyNow();
  }

  void destroyNow() {
    destroyed = true;
    if (owner != nullptr) {
      owner->all_channels_.erase(this);
      auto it = owner->channels_.find(key);
      if (it != owner->channels_.end() && it->second == this) owner->channels_.erase(it);
      owner = nullptr;
    }
    // Pending queries get ARES_EDESTRUCTION, then every socket gets (fd, 0, 0), which closes its
    // poll handle; both arrive before ares_destroy returns.
    if (ares != nullptr) ares_destroy(ares);
    ares = nullptr;
    uv_timer_stop(&timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer),
             [](uv_handle_t* h) { delete static_cast<Channel*>(h->data); });
  }

  // One-shot timer to c-ares' next timeout, rounded up to whole milliseconds (rounded down it
  // would fire early, find nothing to do and spin).
  void updateTimer() {
    timeval tv{};
    if (ares_timeout(ares, nullptr, &tv) == nullptr) {
      uv_timer_stop(&timer);
      return;
    }
    const uint64_t ms =
        static_cast<uint64_t>(tv.tv_sec) * 1000 + (static_cast<uint64_t>(tv.tv_usec) + 999) / 1000;
    uv_timer_start(&timer, onTimer, ms, 0);
  }

  static void onTimer(uv_timer_t* t) {
    static_cast<Channel*>(t->data)->dispatch(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }

  static void onPoll(uv_poll_t* p, int status, int events) {
    auto* ch = static_cast<Channel*>(p->data);
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(p), &fd);
    // On a poll error let c-ares read (and write) the socket: it finds the error itself.
    const bool error = status < 0;
    ch->dispatch((error || (events & UV_READABLE) != 0) ? fd : ARES_SOCKET_BAD,
                 (error || (events & UV_WRITABLE) != 0) ? fd : ARES_SOCKET_BAD);
  }

  // c-ares asks to watch `fd` (or to stop: (fd, 0, 0) comes before it closes the fd, so the
  // poll stops before the descriptor number can be reused).
  static void onSockState(void* data, ares_socket_t fd, int readable, int writable) {
    auto* ch = static_cast<Channel*>(data);
    auto it = ch->polls.find(fd);
    if (readable == 0 && writable == 0) {
      if (it == ch->polls.end()) return;
      uv_poll_stop(it->second);
      uv_close(reinterpret_cast<uv_handle_t*>(it->second),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      ch->polls.erase(it);
      return;
    }
    uv_poll_t* p = nullptr;
    if (it != ch->polls.end()) {
      p = it->second;
    } else {
      p = new uv_poll_t;
      if (uv_poll_init_socket(ch->timer.loop, p, fd) != 0) {
        // Nothing will wake c-ares for this socket; its queries end at their timeout.
        delete p;
        return;
      }
      p->data = ch;
      ch->polls.emplace(fd, p);
    }
    uv_poll_start(p, (readable != 0 ? UV_READABLE : 0) | (writable != 0 ? UV_WRITABLE : 0), onPoll);
  }
};

Forwarder::Channel* Forwarder::Channel::create(Forwarder* owner, const ChannelKey& key) {
  const IpAddress& ip = key.target.ip();
  if (!ip.isV4() && !ip.isV6()) return nullptr;
  if (key.source && key.source->family() != ip.family()) return nullptr;

  auto* ch = new Channel;
  ch->owner = owner;
  ch->key = key;
  uv_timer_init(owner->loop_, &ch->timer);
  ch->timer.data = ch;

  ares_options o{};
  // NOCHECKRESP: SERVFAIL and REFUSED are replies to deliver, not reasons to fail. EDNS with a
  // 4096 payload: big UDP replies are accepted as they are (without it anything over 512 bytes
  // is retried over TCP).
  o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS;
  o.ednspsz = kAresEdnsSize;
  o.timeout = static_cast<int>(std::min<uint32_t>(key.timeout_ms, 3600000));  // TIMEOUTMS: ms
  o.tries = 1;                                                                // failover is ours
  o.sock_state_cb = onSockState;
  o.sock_state_cb_data = ch;
  int status = ares_init_options(&ch->ares, &o,
                                 ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS |
                                     ARES_OPT_TRIES | ARES_OPT_NOROTATE | ARES_OPT_SOCK_STATE_CB);
  if (status == ARES_SUCCESS) {
    ares_addr_port_node server{};
    server.family = ip.family();
    if (ip.isV4()) {
      std::memcpy(&server.addr.addr4, ip.bytes(), 4);
    } else {
      std::memcpy(&server.addr.addr6, ip.bytes(), 16);
    }
    server.udp_port = key.target.port();
    server.tcp_port = key.target.port();
    status = ares_set_servers_ports(ch->ares, &server);
  }
  if (status == ARES_SUCCESS && key.source) {
    if (key.source->isV4()) {
      uint32_t net = 0;
      std::memcpy(&net, key.source->bytes(), 4);
      ares_set_local_ip4(ch->ares, ntohl(net));  // c-ares wants host byte order here
    } else {
      ares_set_local_ip6(ch->ares, key.source->bytes());
    }
  }
  if (status != ARES_SUCCESS) {
    ch->owner = nullptr;
    if (ch->ares == nullptr) {
      // ares_init_options failed: nothing to destroy but the timer.
      ch->destroyed = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&ch->timer),
               [](uv_handle_t* h) { delete static_cast<Channel*>(h->data); });
    } else {
      ch->destroyNow();
    }
    return nullptr;
  }
  return ch;
}

void Forwarder::Query::onAres(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                              int alen) {
  auto* q = static_cast<Query*>(arg);
  Channel* ch = q->channel;
  q->channel = nullptr;
  q->in_flight = false;
  if (ch != nullptr) {
    --ch->pending;
    // Its last query: a retired channel can go (after this entry into c-ares returns).
    if (ch->retired && ch->pending == 0) ch->requestDestroy();
  }
  if (q->owner == nullptr) {  // dropped by close(): nobody is waiting
    delete q;
    return;
  }
  q->owner->onAttemptDone(q, status, abuf, alen);
}

size_t Forwarder::ChannelKeyHash::operator()(const ChannelKey& k) const {
  uint64_t h = SocketAddressHash{}(k.target);
  if (k.source) {
    h = mix(h, SocketAddressHash{}(SocketAddress(*k.source, 0)));
  }
  return static_cast<size_t>(mix(h, k.timeout_ms));
}

Forwarder::Forwarder(uv_loop_t* loop, HealthRegistry& health, UpstreamCounters* counters)
    : loop_(loop), health_(health), counters_(counters != nullptr ? counters : &own_counters_) {
  initAresOnce();
  defer_timer_ = new uv_timer_t;
  uv_timer_init(loop_, defer_timer_);
  defer_timer_->data = this;

  // Probing every half interval (at most every 500 ms) finds a due probe at most half an
  // interval late. Unreferenced: probes alone do not keep the loop alive.
  probe_timer_ = new uv_timer_t;
  uv_timer_init(loop_, probe_timer_);
  probe_timer_->data = this;
  const uint64_t period = std::clamp<uint64_t>(
      std::min<uint32_t>(health_.options().probe_interval_ms, 1000) / 2, 10, 500);
  uv_timer_start(
      probe_timer_, [](uv_timer_t* t) { static_cast<Forwarder*>(t->data)->onProbeTimer(); }, period,
      period);
  uv_unref(reinterpret_cast<uv_handle_t*>(probe_timer_));
}

Forwarder::~Forwarder() {
  close();
}

Forwarder::TargetUse& Forwarder::targetUse(const SocketAddress& target,
                                           const ForwardPolicy& policy) {
  auto [it, inserted] = targets_.try_emplace(target);
  TargetUse& use = it->second;
  if (inserted) use.state = health_.get(target);
  use.source = policy.source;
  use.timeout_ms = policy.timeout_ms;
  return use;
}

Forwarder::Channel* Forwarder::channelFor(const ChannelKey& key) {
  auto it = channels_.find(key);
  if (it != channels_.end()) {
    Channel* ch = it->second;
    if (ch->sent < kQueriesPerChannel) return ch;
    // Retire it: its queries finish there, new ones get a new channel (and a new UDP socket).
    channels_.erase(it);
    ch->retired = true;
    if (ch->pending == 0) ch->requestDestroy();
  }
  Channel* ch = Channel::create(this, key);
  if (ch == nullptr) return nullptr;
  channels_.emplace(key, ch);
  all_channels_.insert(ch);
  return ch;
}

void Forwarder::forward(const ForwardPolicy& policy, const dns::Question& question, bool cd,
                        ForwardCallback done) {
  if (closed_) return;
  ++stats_.queries;
  auto* q = new Query;
  q->owner = this;
  q->done = std::move(done);
  q->selection = policy.selection;
  q->timeout_ms = std::max<uint32_t>(policy.timeout_ms, 1);
  q->source = policy.source;
  bool any_up = false;
  for (const SocketAddress& t : policy.targets) {
    if (std::find(q->targets.begin(), q->targets.end(), t) != q->targets.end()) continue;
    TargetUse& use = targetUse(t, policy);
    q->targets.push_back(t);
    q->states.push_back(use.state);
    any_up = any_up || use.state->up();
  }
  q->tried.assign(q->targets.size(), 0);

  dns::MessageWriter w(q->wire, q->wire.size());
  dns::Header h;
  h.rd = true;
  h.cd = cd;
  w.setHeader(h);
  dns::Edns edns;
  edns.udp_size = kUpstreamEdnsSize;
  const bool built = w.addQuestion(question) && w.setEdns(edns);
  q->wire_len = built ? w.finish() : 0;

  queries_.insert(q);
  ++forward_depth_;
  if (!any_up) {
    ++stats_.all_down;
    finish(q, ForwardResult::Status::kAllDown);
  } else if (q->wire_len == 0) {
    finish(q, ForwardResult::Status::kFailed);
  } else {
    startNext(q);
  }
  --forward_depth_;
}

size_t Forwarder::pick(const Query& q) const {
  const size_t n = q.targets.size();
  // Probes go to their (down) target; queries only to targets that are up now.
  auto usable = [&](size_t i) { return q.tried[i] == 0 && (q.probe || q.states[i]->up()); };
  if (q.selection == Selection::kOrder) {
    for (size_t i = 0; i < n; ++i) {
      if (usable(i)) return i;
    }
    return n;
  }
  const bool explore = randomBelow(100) < kExplorePercent;
  size_t best = n, random_pick = n;
  uint32_t best_srtt = 0, count = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!usable(i)) continue;
    ++count;
    if (explore && randomBelow(count) == 0) random_pick = i;  // reservoir sampling
    const uint32_t srtt = q.states[i]->srttUs();              // 0 (never heard from) ranks first
    if (best == n || srtt < best_srtt) {
      best = i;
      best_srtt = srtt;
    }
  }
  return explore ? random_pick : best;
}

void Forwarder::startNext(Query* q) {
  for (;;) {
    const size_t i = pick(*q);
    if (i == q->targets.size()) {
      finish(q, ForwardResult::Status::kFailed);
      return;
    }
    q->tried[i] = 1;
    ++q->result.attempts;
    Channel* ch = channelFor(ChannelKey{q->targets[i], q->source, q->timeout_ms});
    if (ch == nullptr) {
      // A local problem (source of the wrong family, c-ares could not start): not the
      // target's fault, so its health is left alone.
      if (!q->probe) {
        ++stats_.errors;
        counters_->errors.add();
      }
      continue;
    }
    q->current = i;
    // A fresh ID per attempt (RFC 5452 §9.2): c-ares sends our bytes as they are.
    const uint16_t id = random16();
    q->wire[0] = static_cast<uint8_t>(id >> 8);
    q->wire[1] = static_cast<uint8_t>(id);
    q->in_flight = true;
    q->channel = ch;
    q->sent_ns = uv_hrtime();
    // c-ares may call back before ares_send returns (a socket it could not open): `q` may be
    // decided, delivered and freed by then, so nothing touches it afterwards.
    ch->send(q);
    return;
  }
}

void Forwarder::onAttemptDone(Query* q, int status, const uint8_t* abuf, int alen) {
  const uint32_t rtt_us = elapsedUs(q->sent_ns);
  TargetState& state = *q->states[q->current];
  // c-ares has matched the source address, ID and question; QR is all that is left to check
  // for "this is a reply".
  const bool reply = status == ARES_SUCCESS && abuf != nullptr &&
                     alen >= static_cast<int>(dns::kHeaderSize) && (abuf[2] & 0x80) != 0;
  if (reply) {
    state.reportSuccess(rtt_us);
    if (!q->probe) {
      q->result.reply.assign(abuf, abuf + alen);
      q->result.target = q->targets[q->current];
      ++stats_.replies;
      counters_->replies.add();
      counters_->rtt.observe(rtt_us);
    }
    finish(q, ForwardResult::Status::kReply);
    return;
  }
  if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
    // The channel went away under a live query (not through close(), which drops queries
    // first): not the target's fault; try the next one.
    if (!q->probe) {
      ++stats_.errors;
      counters_->errors.add();
    }
  } else {
    state.reportFailure();
    if (!q->probe) {
      ++(status == ARES_ETIMEOUT ? stats_.timeouts : stats_.errors);
      (status == ARES_ETIMEOUT ? counters_->timeouts : counters_->errors).add();
    }
  }
  if (q->probe) {
    finish(q, ForwardResult::Status::kFailed);
  } else {
    startNext(q);
  }
}

void Forwarder::finish(Query* q, ForwardResult::Status status) {
  queries_.erase(q);
  q->result.status = status;
  if (q->probe) {
    auto it = targets_.find(q->targets.front());
    if (it != targets_.end()) it->second.probing = false;
    delete q;
    return;
  }
  if (forward_depth_ > 0) {
    deferred_.push_back(q);
    if (deferred_.size() == 1) {
      uv_timer_start(
          defer_timer_, [](uv_timer_t* t) { static_cast<Forwarder*>(t->data)->drainDeferred(); }, 0,
          0);
    }
    return;
  }
  deliver(q);
}

void Forwarder::deliver(Query* q) {
  ForwardCallback done = std::move(q->done);
  ForwardResult result = std::move(q->result);
  delete q;
  // Last: the callback may call forward() or close().
  if (done) done(std::move(result));
}

void Forwarder::drainDeferred() {
  // A callback may forward() (appending here only if decided inside forward(), and then
  // restarting the timer) or close() (emptying the queue).
  while (!deferred_.empty()) {
    Query* q = deferred_.front();
    deferred_.pop_front();
    deliver(q);
  }
}

void Forwarder::sendProbe(const SocketAddress& target, TargetUse& use) {
  auto* q = new Query;
  q->owner = this;
  q->probe = true;
  q->targets.push_back(target);
  q->states.push_back(use.state);
  q->tried.assign(1, 0);
  q->timeout_ms = std::max<uint32_t>(use.timeout_ms, 1);
  q->source = use.source;
  // ". NS" with RD: any server, recursive or not, answers it from memory.
  dns::MessageWriter w(q->wire, q->wire.size());
  dns::Header h;
  h.rd = true;
  w.setHeader(h);
  dns::Edns edns;
  edns.udp_size = kUpstreamEdnsSize;
  (void)w.addQuestion(dns::Question{dns::Name(), dns::rrtype::kNS, dns::rrclass::kIN});
  (void)w.setEdns(edns);
  q->wire_len = w.finish();
  use.probing = true;
  ++stats_.probes;
  queries_.insert(q);
  startNext(q);
}

void Forwarder::onProbeTimer() {
  if (closed_) return;
  const uint64_t now = health_.nowMs();
  // sendProbe() never adds to targets_, so iterating while probing is safe.
  for (auto& [target, use] : targets_) {
    if (use.probing || use.state->up()) continue;
    if (use.state->claimProbe(now)) sendProbe(target, use);
  }
}

void Forwarder::close() {
  if (closed_) return;
  closed_ = true;
  // Drop the queries first, so that the ARES_EDESTRUCTION callbacks below only free them.
  for (Query* q : queries_) {
    q->owner = nullptr;
    q->done = nullptr;
    if (!q->in_flight) delete q;  // none today: undecided queries are always in flight
  }
  queries_.clear();
  for (Query* q : deferred_) delete q;
  deferred_.clear();
  channels_.clear();
  auto channels = std::move(all_channels_);
  all_channels_.clear();
  for (Channel* ch : channels) {
    ch->owner = nullptr;
    ch->requestDestroy();  // now, or when the entry into c-ares we are inside returns
  }
  for (uv_timer_t* t : {probe_timer_, defer_timer_}) {
    uv_timer_stop(t);
    uv_close(reinterpret_cast<uv_handle_t*>(t),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  probe_timer_ = nullptr;
  defer_timer_ = nullptr;
}

}  // namespace vpcdns::forwarder
