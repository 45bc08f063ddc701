// libFuzzer target for what the resolver does with an authoritative server's reply: parse it,
// then classify it for each of a few zones and question names. Properties checked (abort on
// violation):
//  - nothing crashes, loops or reads out of bounds (ASan/UBSan);
//  - bailiwick: every record classify() keeps (data, chain owners, referral NS and glue, SOA)
//    is at or below the zone the server was asked about;
//  - a referral's cut is strictly below that zone and at or above the question name.
#include <cstdlib>
#include <span>

#include "dns/message.h"
#include "resolver/classify.h"

namespace {

using namespace vpcdns;

void check(bool ok) {
  if (!ok) std::abort();
}

void checkInZone(const std::vector<dns::Record>& records, const dns::Name& zone) {
  for (const auto& r : records) check(r.name.isSubdomainOf(zone));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = dns::Message::parse(std::span<const uint8_t>(data, size));
  if (!m) return 0;
  static const dns::Name kZones[] = {dns::Name(), *dns::Name::fromText("test."),
                                     *dns::Name::fromText("example.test.")};
  std::vector<dns::Name> qnames = {*dns::Name::fromText("www.example.test.")};
  uint16_t qtype = 1;
  if (!m->questions.empty()) {
    qnames.push_back(m->questions.front().name);
    qtype = m->questions.front().type;
  }
  for (const auto& zone : kZones) {
    for (const auto& qname : qnames) {
      const auto c = resolver::classify(*m, zone, qname, qtype, 8);
      checkInZone(c.data, zone);
      checkInZone(c.ns, zone);
      checkInZone(c.glue, zone);
      for (const auto& link : c.chain) check(link.name.isSubdomainOf(zone));
      if (c.soa) check(c.soa->name.isSubdomainOf(zone));
      if (c.kind == resolver::ReplyKind::kReferral) {
        check(c.cut.isSubdomainOf(zone) && !(c.cut == zone));
        check(c.next.isSubdomainOf(c.cut));
      }
    }
  }
  return 0;
}
