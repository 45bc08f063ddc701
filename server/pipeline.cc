#include "server/pipeline.h"

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
  if (client.sink != nullptr && !reply.empty()) client.sink->sendLater(client, reply);
}

Pipeline::Pipeline(std::shared_ptr<const Snapshot> snapshot) : snapshot_(std::move(snapshot)) {}

Pipeline::Pipeline(const SnapshotHolder& holder)
    : holder_(&holder), generation_(holder.generation()), snapshot_(holder.current()) {}

void Pipeline::refreshSnapshot() {
  if (holder_ == nullptr) return;
  const uint64_t g = holder_->generation();
  if (g == generation_) return;
  generation_ = g;
  snapshot_ = holder_->current();
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
size_t Pipeline::replyError(std::span<const uint8_t> packet, uint16_t rcode,
                            std::span<uint8_t> out) {
  auto header = dns::parseHeader(packet);
  if (!header) return 0;
  const size_t limit = std::min<size_t>(out.size(), dns::kMinUdpPayload);
  dns::MessageWriter w(out, limit);
  w.setHeader(replyHeader(*header, rcode));
  if (rcode != dns::rcode::kFormErr) {
    if (auto q = dns::parseQuery(packet); q && q->header.qdcount == 1) {
      w.addQuestion(q->question);
    }
  }
  return w.finish();
}

size_t Pipeline::handle(std::span<const uint8_t> packet, const ClientInfo& client,
                        std::span<uint8_t> out) {
  ++stats_.queries;
  refreshSnapshot();
  auto header = dns::parseHeader(packet);
  if (!header || header->qr) {  // unreadable, or a response: answering it could start a loop
    ++stats_.dropped;
    return 0;
  }
  const Snapshot& snapshot = *snapshot_;  // one snapshot for the whole query
  const View* view = snapshot.viewFor(client.address.ip(), client.listener_index);
  if (view == nullptr) {
    ++stats_.refused;
    return replyError(packet, dns::rcode::kRefused, out);
  }
  if (header->opcode == dns::opcode::kUpdate && updater_ != nullptr) {
    return updater_->handle(packet, client, out);
  }
  if (header->opcode != dns::opcode::kQuery) {
    ++stats_.notimp;
    return replyError(packet, dns::rcode::kNotImp, out);
  }
  auto parsed = dns::parseQuery(packet);
  if (!parsed || parsed->header.qdcount != 1) {
    ++stats_.formerr;
    return replyError(packet, dns::rcode::kFormErr, out);
  }
  const dns::QueryView& q = *parsed;

  dns::MessageWriter w(out, sizeLimit(q, client, out.size()));
  w.setHeader(replyHeader(q.header, dns::rcode::kNoError));
  w.addQuestion(q.question);
  if (q.has_edns) {
    dns::Edns edns;
    edns.udp_size = snapshot_->config->server.edns_udp_size;
    edns.do_bit = q.edns_do;
    w.setEdns(edns);
    if (q.edns_version > 0) {  // RFC 6891 §6.1.3: we speak version 0 only
      ++stats_.badvers;
      w.setRcode(dns::rcode::kBadVers);
      return w.finish();
    }
  }

  QueryContext ctx{q, packet, client, snapshot, *view, w, sizeLimit(q, client, out.size())};
  for (auto& stage : stages_) {
    switch (stage->answer(ctx)) {
      case Verdict::kPass:
        continue;
      case Verdict::kAnswered:
        ++stats_.answered;
        if (w.truncated()) ++stats_.truncated;
        return w.finish();
      case Verdict::kDeferred:
        ++stats_.deferred;
        return 0;
    }
  }
  ++stats_.servfail;
  w.setRcode(dns::rcode::kServFail);
  return w.finish();
}

}  // namespace vpcdns::server
