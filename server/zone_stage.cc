#include "server/zone_stage.h"

#include <algorithm>
#include <array>

#include "private_zones/zone.h"
#include "server/local_zones.h"

namespace vpcdns::server {

namespace {

using private_zones::Lookup;
using private_zones::LookupKind;

constexpr uint32_t kHostnameTtl = 60;

bool inVpc(const config::Vpc* vpc, const IpAddress& a) {
  return vpc != nullptr && std::any_of(vpc->cidrs.begin(), vpc->cidrs.end(),
                                       [&](const IpPrefix& p) { return p.contains(a); });
}

// ip-a-b-c-d.<domain> for an address inside the VPC: the A record; nullopt otherwise.
std::optional<dns::Record> hostnameRecord(const PolicyEntry& e, const dns::Name& qname) {
  if (qname.labelCount() != e.hostnames->labelCount() + 1) return std::nullopt;
  auto addr = addressFromHostnameLabel(qname.label(0));
  if (!addr || !inVpc(e.vpc, *addr)) return std::nullopt;
  dns::RdataA a;
  std::copy_n(addr->bytes(), a.addr.size(), a.addr.begin());
  return dns::Record{qname, dns::rrtype::kA, dns::rrclass::kIN, kHostnameTtl, a};
}

// The PTR for an address inside the VPC that no zone names: ip-a-b-c-d.<domain>.
std::optional<dns::Record> hostnamePtr(const PolicyEntry& e, const dns::Name& qname) {
  auto addr = addressFromReverse(qname);
  if (!addr || !addr->isV4() || !inVpc(e.vpc, *addr)) return std::nullopt;
  std::array<uint8_t, kMaxHostnameLabel> label;
  const size_t size = writeHostnameLabel(*addr, label);
  auto target = e.hostnames->prepend({label.data(), size});
  if (!target) return std::nullopt;
  return dns::Record{qname, dns::rrtype::kPTR, dns::rrclass::kIN, kHostnameTtl,
                     dns::RdataName{*target}};
}

// Synthesized names answer like zone data: the record, NODATA for other types, else the zone.
Verdict answerSynthesized(QueryContext& ctx, const dns::Record& rec, uint16_t qtype,
                          const private_zones::Zone& zone) {
  if (qtype == rec.type || qtype == dns::rrtype::kANY) {
    ctx.reply.addRecord(dns::Section::kAnswer, rec);
  } else {
    ctx.reply.addRecord(dns::Section::kAuthority, zone.negativeSoa());
  }
  return Verdict::kAnswered;
}

// Writes one lookup result. Returns the CNAME target to continue with, if any.
const dns::Name* writeLookup(QueryContext& ctx, const Lookup& l, bool first) {
  auto& w = ctx.reply;
  switch (l.kind) {
    case LookupKind::kAnswer:
      for (const auto& rrset : l.rrsets) {
        w.addRRset(dns::Section::kAnswer, rrset.records, l.owner_override);
      }
      return nullptr;
    case LookupKind::kCname: {
      w.addRRset(dns::Section::kAnswer, l.rrset().records, l.owner_override);
      const auto* target = std::get_if<dns::RdataName>(&l.rrset().records.front().rdata);
      return target ? &target->name : nullptr;
    }
    case LookupKind::kNxDomain:
      // After a CNAME the rcode describes the last name in the chain (RFC 6604).
      w.setRcode(dns::rcode::kNXDomain);
      [[fallthrough]];
    case LookupKind::kNoData:
      w.addRecord(dns::Section::kAuthority, *l.soa);
      return nullptr;
    case LookupKind::kDelegation:
      if (first) w.header().aa = false;  // a referral is not authoritative data
      w.addRRset(dns::Section::kAuthority, l.rrset().records);
      for (const auto* glue : l.glue) w.addRRset(dns::Section::kAdditional, glue->records);
      return nullptr;
    case LookupKind::kNotInZone:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

Verdict ZoneStage::answer(QueryContext& ctx) {
  const uint16_t qtype = ctx.query.question.type;
  const dns::Name* name = &ctx.query.question.name;
  const PolicyEntry* entry = ctx.view.table.match(*name);
  // The default ".", and FORWARD and SYSTEM rules: the forwarder and the resolver decide.
  if (entry == nullptr || entry->zone == nullptr) return Verdict::kPass;
  ctx.reply.header().aa = true;
  ctx.path = entry->kind == PolicyEntry::Kind::kPrivateZone ? AnswerPath::kPrivateZone
                                                            : AnswerPath::kLocalZone;

  for (int step = 0; step < kMaxCnameChain; ++step) {
    const auto& zone = *entry->zone;
    if (entry->kind == PolicyEntry::Kind::kHostnames) {
      if (auto rec = hostnameRecord(*entry, *name))
        return answerSynthesized(ctx, *rec, qtype, zone);
    }
    const Lookup l = zone.lookup(*name, qtype);
    if (l.kind == LookupKind::kNxDomain && entry->hostnames != nullptr &&
        entry->kind == PolicyEntry::Kind::kLocalZone) {
      if (auto ptr = hostnamePtr(*entry, *name)) return answerSynthesized(ctx, *ptr, qtype, zone);
    }
    const dns::Name* next = writeLookup(ctx, l, step == 0);
    if (next == nullptr || qtype == dns::rrtype::kCNAME) return Verdict::kAnswered;
    // Follow the CNAME only into names this VPC answers itself; the rest of the chain is for
    // the resolver or a forwarding rule, which take the partial answer from here (RFC 1034
    // §4.3.2 step 3a).
    const PolicyEntry* next_entry = ctx.view.table.match(*next);
    if (next_entry == nullptr || next_entry->zone == nullptr) return Verdict::kAnswered;
    entry = next_entry;
    name = next;
  }
  // A chain longer than any sane zone needs is a loop: what has been written stands, with
  // SERVFAIL (as BIND and Unbound do).
  ctx.reply.setRcode(dns::rcode::kServFail);
  return Verdict::kAnswered;
}

}  // namespace vpcdns::server
