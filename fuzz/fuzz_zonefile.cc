// libFuzzer target for the master-file parser and the zone built from it. Properties checked
// (abort on violation):
//  - parseZoneText() never crashes, loops or reads out of bounds (ASan/UBSan), and every error
//    has a 1-based position;
//  - every record it yields is inside the origin, of class IN, and its RDATA survives
//    rdataToText() and rdataFromText() unchanged;
//  - Zone::build() on the records never crashes, and when it succeeds, a lookup of every owner
//    (and of a name below it) gives a consistent result.
// $INCLUDE is disabled: the input must not name files to read.
#include <cstdlib>
#include <string>
#include <string_view>

#include "dns/types.h"
#include "private_zones/zone.h"
#include "private_zones/zone_file.h"

namespace {

using namespace vpcdns;
using namespace vpcdns::private_zones;

void check(bool ok) {
  if (!ok) std::abort();
}

void checkLookups(const Zone& zone, const std::vector<dns::Record>& records) {
  static constexpr uint8_t kLabel[] = {'z', 'q'};
  for (const auto& r : records) {
    for (uint16_t type : {r.type, dns::rrtype::kA, dns::rrtype::kANY}) {
      Lookup l = zone.lookup(r.name, type);
      check(l.kind != LookupKind::kNotInZone && l.kind != LookupKind::kNxDomain);
      check((l.soa != nullptr) == (l.kind == LookupKind::kNoData));
      check(l.kind == LookupKind::kNoData || !l.rrsets.empty());
      check(!l.wildcard);
    }
    if (auto below = r.name.prepend(kLabel); below) {
      Lookup l = zone.lookup(*below, r.type);
      check(l.kind != LookupKind::kNotInZone);
      check(l.owner_override == nullptr || l.owner_override == &*below);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ZoneFileOptions options = [] {
    ZoneFileOptions o;
    o.origin = dns::Name::fromText("example.").value();
    o.allow_include = false;
    return o;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto records = parseZoneText(text, "fuzz.zone", options);
  if (!records) {
    check(records.error().line >= 1 && records.error().column >= 1);
    return 0;
  }
  for (const auto& r : *records) {
    check(r.name.isSubdomainOf(options.origin) && r.cls == dns::rrclass::kIN);
    auto back = dns::rdataFromText(r.type, dns::rdataToText(r.type, r.rdata));
    check(back.ok() && *back == r.rdata);
  }
  auto zone = Zone::build(options.origin, *records);
  if (zone) {
    checkLookups(**zone, *records);
    check(Zone::build(options.origin, (*zone)->records()).ok());
  }
  return 0;
}
