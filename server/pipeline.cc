#include "server/pipeline.h"

#include "server/query_log.h"
#include "server/query_stats.h"
#include "server/updater.h"

#include <algorithm>
#include <utility>

namespace vpcdns::server {

namespace {

// The reply header mirrors the query's ID, opcode, RD and CD (RFC 1035 §4.1.1, RFC 4035 §3.2.2).
dns::Header replyHeader(const dns::Header& q, uint16_t rcode) {
  dns::Header h;
  h.id = q.id;
  h.qr = true;
  h.opcode = q.opcode;
  h.rd = q.rd;
  h.cd = q.cd;
  h.ra = true;  // we offer recursion to admitted clients
  h.rcode = static_cast<uint8_t>(rcode & 0xf);
  return h;
}

}  // namespace

PendingReply QueryContext::defer() const {
  PendingReply p;
  p.client = client;
  p.header = replyHeader(query.header, dns::rcode::kNoError);
  p.question = query.question;
  p.has_edns = query.has_edns;
  p.do_bit = query.edns_do;
  p.our_udp_size = snapshot.config->server.edns_udp_size;
  p.size_limit = size_limit;
  p.pipeline = pipeline;
  p.start_ns = start_ns;
  p.path = path;
  p.vpc = vpc;
  p.log = log;
  p.config = snapshot.config;
  return p;
}

dns::MessageWriter PendingReply::startReply(std::span<uint8_t> buf) const {
  dns::MessageWriter w(buf, std::min(size_limit, buf.size()));
  w.setHeader(header);
  w.addQuestion(question);
  if (has_edns) {
    dns::Edns edns;
    edns.udp_size = our_udp_size;
    edns.do_bit = do_bit;
    w.setEdns(edns);
  }
  return w;
}

void PendingReply::send(std::span<const uint8_t> reply) const {
  if (client.sink == nullptr || reply.empty()) return;
  client.sink->sendLater(client, reply);
  if (pipeline == nullptr || reply.size() < dns::kHeaderSize) return;
  QueryEvent e;
  e.start_ns = start_ns;
  e.end_ns = monotonicNanos();
  e.config = config.get();
  e.vpc = vpc;
  e.log = log;
  e.path = path;
  e.transport = client.transport;
  e.qtype = question.type;
  e.rcode = reply[3] & 0xf;
  e.client = &client.address;
  e.listener_index = client.listener_index;
  e.reply = reply;
  pipeline->report(e);
}

void Pipeline::setQueryObservers(QueryStats* stats, QueryLogRing* log) {
  query_stats_ = stats;
  log_ring_ = log;
  onNewSnapshot();
}

// Off the query path: once per snapshot change.
void Pipeline::onNewSnapshot() {
  const auto& config = snapshot_->config;
  if (query_stats_ != nullptr) query_stats_->setConfig(config);
  const auto& ql = config->query_log;
  log_views_.assign(snapshot_->views.size(), 0);
  if (log_ring_ == nullptr || !ql) return;
  for (size_t i = 0; i < log_views_.size(); ++i) {
    if (!ql->vpcs) {
      log_views_[i] = 1;  // every VPC, and clients in none
    } else if (i < config->vpcs.size()) {
      const auto& id = config->vpcs[i].id;
      log_views_[i] = std::find(ql->vpcs->begin(), ql->vpcs->end(), id) != ql->vpcs->end();
    }
  }
}

void Pipeline::report(const QueryEvent& e) {
  if (query_stats_ != nullptr) query_stats_->record(e);
  if (log_ring_ != nullptr && e.log && e.qtype != 0) {
    std::string_view id;
    if (e.vpc >= 0 && e.config != nullptr) id = e.config->vpcs[static_cast<size_t>(e.vpc)].id;
    if (!log_ring_->push(e, id) && query_stats_ != nullptr) query_stats_->countLogDrop();
  }
}

Pipeline::Pipeline(std::shared_ptr<const Snapshot> snapshot) : snapshot_(std::move(snapshot)) {}

Pipeline::Pipeline(const SnapshotHolder& holder)
    : holder_(&holder),
      generation_(holder.generation()),
      served_generation_(generation_),
      snapshot_(holder.current()) {}

// The generation is read before the pointer, and publish() stores the pointer before it bumps
// the generation: the snapshot taken is that generation's or a newer one, so the generation
// reported as served never claims more than is served.
void Pipeline::refreshSnapshot() {
  if (holder_ == nullptr) return;
  const uint64_t g = holder_->generation();
  if (g == generation_) return;
  generation_ = g;
  snapshot_ = holder_->current();
  onNewSnapshot();
  served_generation_.store(g, std::memory_order_release);
}

void Pipeline::addStage(std::unique_ptr<Stage> stage) {
  stages_.push_back(std::move(stage));
}

size_t Pipeline::sizeLimit(const dns::QueryView& q, const ClientInfo& client,
                           size_t out_size) const {
  size_t limit = client.transport == Transport::kTcp
                     ? 65535
                     : q.responseSizeLimit(snapshot_->config->server.edns_udp_size);
  return std::min(limit, out_size);
}

// A reply that carries only the header (and, when the question could be read, the question):
// for packets too broken, or too unwelcome, to deserve more.
size_t Pipeline::replyError(std::span<const uint8_t> packet, uint16_t rcode, std::span<uint8_t> out,
                            uint16_t* qtype) {
  auto header = dns::parseHeader(packet);
  if (!header) return 0;
  const size_t limit = std::min<size_t>(out.size(), dns::kMinUdpPayload);
  dns::MessageWriter w(out, limit);
  w.setHeader(replyHeader(*header, rcode));
  if (rcode != dns::rcode::kFormErr) {
    if (auto q = dns::parseQuery(packet); q && q->header.qdcount == 1) {
      w.addQuestion(q->question);
      *qtype = q->question.type;
    }
  }
  return w.finish();
}

size_t Pipeline::handle(std::span<const uint8_t> packet, const ClientInfo& client,
                        std::span<uint8_t> out) {
  QueryEvent e;
  e.start_ns = monotonicNanos();
  const size_t n = process(packet, client, out, e);
  // One event per reply sent now; deferred ones report through PendingReply::send, and what is
  // not a query's reply (drops, UPDATE) leaves e.client null.
  if (n >= dns::kHeaderSize && e.client != nullptr) {
    e.end_ns = monotonicNanos();
    if (e.rcode == 0) e.rcode = out[3] & 0xf;
    e.reply = out.first(n);
    report(e);
  }
  return n;
}

// The query's path; fills `e` (client, view, question type, answering part) for handle() to
// report; leaves e.client null for what is not reported (drops, UPDATE).
size_t Pipeline::process(std::span<const uint8_t> packet, const ClientInfo& client,
                         std::span<uint8_t> out, QueryEvent& e) {
  stats_.queries.add();
  refreshSnapshot();
  auto header = dns::parseHeader(packet);
  if (!header || header->qr) {  // unreadable, or a response: answering it could start a loop
    stats_.dropped.add();
    return 0;
  }
  const Snapshot& snapshot = *snapshot_;  // one snapshot for the whole query
  const View* view = snapshot.viewFor(client.address.ip(), client.listener_index);
  if (header->opcode == dns::opcode::kUpdate && updater_ != nullptr && view != nullptr) {
    return updater_->handle(packet, client, out);
  }
  e.client = &client.address;
  e.transport = client.transport;
  e.listener_index = client.listener_index;
  e.config = snapshot.config.get();
  if (view == nullptr) {  // not admitted: no VPC, and logged as the default view would be
    stats_.refused.add();
    e.path = AnswerPath::kRefused;
    e.log = !log_views_.empty() && log_views_.back() != 0;
    return replyError(packet, dns::rcode::kRefused, out, &e.qtype);
  }
  const size_t view_index = static_cast<size_t>(view - snapshot.views.data());
  e.vpc = view_index < snapshot.config->vpcs.size() ? static_cast<int>(view_index) : -1;
  e.log = view_index < log_views_.size() && log_views_[view_index] != 0;
  e.path = AnswerPath::kError;
  if (header->opcode != dns::opcode::kQuery) {
    stats_.notimp.add();
    return replyError(packet, dns::rcode::kNotImp, out, &e.qtype);
  }
  auto parsed = dns::parseQuery(packet);
  if (!parsed || parsed->header.qdcount != 1) {
    stats_.formerr.add();
    return replyError(packet, dns::rcode::kFormErr, out, &e.qtype);
  }
  const dns::QueryView& q = *parsed;
  e.qtype = q.question.type;

  dns::MessageWriter w(out, sizeLimit(q, client, out.size()));
  w.setHeader(replyHeader(q.header, dns::rcode::kNoError));
  w.addQuestion(q.question);
  if (q.has_edns) {
    dns::Edns edns;
    edns.udp_size = snapshot_->config->server.edns_udp_size;
    edns.do_bit = q.edns_do;
    w.setEdns(edns);
    if (q.edns_version > 0) {  // RFC 6891 §6.1.3: we speak version 0 only
      stats_.badvers.add();
      w.setRcode(dns::rcode::kBadVers);
      e.rcode = dns::rcode::kBadVers;
      return w.finish();
    }
  }

  QueryContext ctx{q, packet, client, snapshot, *view, w, sizeLimit(q, client, out.size())};
  ctx.start_ns = e.start_ns;
  ctx.vpc = e.vpc;
  ctx.log = e.log;
  ctx.pipeline = this;
  for (auto& stage : stages_) {
    switch (stage->answer(ctx)) {
      case Verdict::kPass:
        continue;
      case Verdict::kAnswered:
        stats_.answered.add();
        if (w.truncated()) stats_.truncated.add();
        e.path = ctx.path;
        return w.finish();
      case Verdict::kDeferred:
        stats_.deferred.add();
        e.client = nullptr;  // reported when the reply goes (PendingReply::send)
        return 0;
    }
  }
  stats_.servfail.add();
  e.path = AnswerPath::kError;
  w.setRcode(dns::rcode::kServFail);
  return w.finish();
}

}  // namespace vpcdns::server
