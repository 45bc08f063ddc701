#include "resolver/classify.h"

#include <algorithm>
#include <variant>

#include "dns/types.h"

namespace vpcdns::resolver {

namespace {

const dns::Name* nameIn(const dns::Record& r) {
  if (const auto* n = std::get_if<dns::RdataName>(&r.rdata)) return &n->name;
  return nullptr;
}

bool isAddress(uint16_t type) {
  return type == dns::rrtype::kA || type == dns::rrtype::kAAAA;
}

// Records of `section` owned by `name` with `type` (any type for ANY), in class IN.
std::vector<dns::Record> rrsetAt(const std::vector<dns::Record>& section, const dns::Name& name,
                                 uint16_t type) {
  std::vector<dns::Record> out;
  for (const auto& r : section) {
    if (r.cls != dns::rrclass::kIN || !(r.name == name)) continue;
    if (r.type == type || (type == dns::rrtype::kANY && r.type != dns::rrtype::kRRSIG)) {
      out.push_back(r);
    }
  }
  return out;
}

// The glue of `ns`: A/AAAA records in `additional` owned by one of the NS names and inside
// `zone` (the bailiwick of the server that sent them).
std::vector<dns::Record> glueFor(const std::vector<dns::Record>& ns,
                                 const std::vector<dns::Record>& additional,
                                 const dns::Name& zone) {
  std::vector<dns::Record> glue;
  for (const auto& r : additional) {
    if (!isAddress(r.type) || r.cls != dns::rrclass::kIN || !r.name.isSubdomainOf(zone)) continue;
    const bool named = std::any_of(ns.begin(), ns.end(), [&](const dns::Record& n) {
      const dns::Name* target = nameIn(n);
      return target != nullptr && *target == r.name;
    });
    if (named) glue.push_back(r);
  }
  return glue;
}

// The SOA of a negative answer: in the authority section, owned by an ancestor of `name` inside
// the zone queried (RFC 2308 §2.1).
std::optional<dns::Record> negativeSoa(const dns::Message& m, const dns::Name& zone,
                                       const dns::Name& name) {
  for (const auto& r : m.authority) {
    if (r.type == dns::rrtype::kSOA && r.cls == dns::rrclass::kIN && r.name.isSubdomainOf(zone) &&
        name.isSubdomainOf(r.name) && std::holds_alternative<dns::RdataSoa>(r.rdata)) {
      return r;
    }
  }
  return std::nullopt;
}

// Follows CNAMEs and DNAMEs for `c.next` inside the answer section. Returns false if the chain
// is unusable (a loop inside the reply, too long, a DNAME substitution overflowing).
bool followChain(const dns::Message& m, const dns::Name& zone, uint16_t qtype, size_t max_chain,
                 Classified& c) {
  for (size_t links = 0;; ++links) {
    if (!c.next.isSubdomainOf(zone)) return true;  // the rest is not this server's to say
    c.data = rrsetAt(m.answer, c.next, qtype);
    if (!c.data.empty()) return true;
    if (links >= max_chain) return false;
    // A DNAME at a proper ancestor of the name, inside the zone (RFC 6672 §3), comes first: the
    // CNAME a server sends with it is its own synthesis, which we redo rather than trust.
    const dns::Record* dname = nullptr;
    for (const auto& r : m.answer) {
      if (r.type == dns::rrtype::kDNAME && r.cls == dns::rrclass::kIN &&
          r.name.isSubdomainOf(zone) && c.next.isSubdomainOf(r.name) && !(c.next == r.name) &&
          nameIn(r) != nullptr) {
        dname = &r;
        break;
      }
    }
    if (dname != nullptr && qtype != dns::rrtype::kDNAME) {
      auto substituted = dnameSubstitute(c.next, dname->name, *nameIn(*dname));
      if (!substituted) return false;
      c.chain.push_back(*dname);
      dns::Record synth{c.next, dns::rrtype::kCNAME, dns::rrclass::kIN, dname->ttl,
                        dns::RdataName{*substituted}};
      c.chain.push_back(synth);  // RFC 6672 §3.4: the synthesized CNAME goes with the DNAME
      c.next = *substituted;
      continue;
    }
    if (qtype == dns::rrtype::kCNAME) return true;
    auto cname = rrsetAt(m.answer, c.next, dns::rrtype::kCNAME);
    if (cname.empty()) return true;
    const dns::Name* target = nameIn(cname.front());
    if (target == nullptr) return false;
    c.chain.push_back(cname.front());  // a CNAME RRset has one record (RFC 2181 §10.1)
    c.next = *target;
  }
}

}  // namespace

std::optional<dns::Name> dnameSubstitute(const dns::Name& name, const dns::Name& owner,
                                         const dns::Name& target) {
  if (!name.isSubdomainOf(owner)) return std::nullopt;
  const size_t prefix = name.labelCount() - owner.labelCount();
  dns::Name out = target;
  for (size_t i = prefix; i-- > 0;) {
    auto longer = out.prepend(name.label(i));
    if (!longer) return std::nullopt;
    out = *longer;
  }
  return out;
}

std::vector<std::vector<dns::Record>> splitRRsets(const std::vector<dns::Record>& records) {
  std::vector<std::vector<dns::Record>> sets;
  for (const auto& r : records) {
    auto it = std::find_if(sets.begin(), sets.end(), [&](const std::vector<dns::Record>& s) {
      return s.front().type == r.type && s.front().cls == r.cls && s.front().name == r.name;
    });
    if (it == sets.end()) {
      sets.push_back({r});
    } else {
      it->push_back(r);
    }
  }
  return sets;
}

Classified classify(const dns::Message& m, const dns::Name& zone, const dns::Name& qname,
                    uint16_t qtype, size_t max_chain) {
  Classified c;
  c.aa = m.header.aa;
  c.next = qname;
  const uint16_t rcode = m.rcode();
  if (rcode != dns::rcode::kNoError && rcode != dns::rcode::kNXDomain) return c;  // kError
  if (!qname.isSubdomainOf(zone)) return c;  // we asked the wrong server: nothing to believe

  if (!followChain(m, zone, qtype, max_chain, c)) {
    c.kind = ReplyKind::kError;
    return c;
  }
  // RA without AA: a recursive server's cached view, not an authority speaking ("recursion
  // lame", as Unbound calls it); a referral is the only non-authoritative reply believed.
  const bool recursion_lame = m.header.ra && !m.header.aa;
  if (!c.data.empty()) {
    if (recursion_lame) {
      c.kind = ReplyKind::kLame;
      c.data.clear();
      c.chain.clear();
      return c;
    }
    c.kind = ReplyKind::kAnswer;
    if (qtype == dns::rrtype::kNS) {
      c.ns = c.data;
      c.glue = glueFor(c.ns, m.additional, zone);
    }
    return c;
  }
  const bool in_zone = c.next.isSubdomainOf(zone);
  if (!c.chain.empty() && !in_zone) {
    // The RCODE speaks of a name this server does not serve: go on from the chain's end.
    c.kind = recursion_lame ? ReplyKind::kLame : ReplyKind::kCname;
    return c;
  }
  if (rcode == dns::rcode::kNXDomain) {
    c.soa = negativeSoa(m, zone, c.next);
    // Without AA and without an SOA nothing says an authority denied the name.
    c.kind = (m.header.aa || c.soa) && !recursion_lame ? ReplyKind::kNxDomain : ReplyKind::kLame;
    return c;
  }

  // NOERROR without data for the name: a referral, NODATA, or a lame reply.
  for (const auto& r : m.authority) {
    if (r.type != dns::rrtype::kNS || r.cls != dns::rrclass::kIN) continue;
    if (c.next.isSubdomainOf(r.name) && r.name.isSubdomainOf(zone) && !(r.name == zone)) {
      c.kind = ReplyKind::kReferral;
      c.cut = r.name;
      c.ns = rrsetAt(m.authority, r.name, dns::rrtype::kNS);
      c.glue = glueFor(c.ns, m.additional, zone);
      return c;
    }
    if (!m.header.aa && (zone.isSubdomainOf(r.name) || !r.name.isSubdomainOf(zone))) {
      c.kind = ReplyKind::kLame;  // upward or sideways: this server does not serve the zone
      return c;
    }
  }
  c.soa = negativeSoa(m, zone, c.next);
  if (recursion_lame) {
    c.kind = ReplyKind::kLame;
    return c;
  }
  if (!c.chain.empty() && !c.soa) {
    // A bare CNAME: a server that does not chase in-zone targets (or an upstream that stopped):
    // ask for the target, as Unbound and BIND do; only an SOA makes it NODATA (RFC 2308 §2.2).
    c.kind = ReplyKind::kCname;
    return c;
  }
  if (m.header.aa || c.soa) {
    c.kind = ReplyKind::kNoData;
    return c;
  }
  c.kind = ReplyKind::kLame;
  return c;
}

}  // namespace vpcdns::resolver
