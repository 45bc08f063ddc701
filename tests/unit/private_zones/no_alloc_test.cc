// Zone::lookup() makes no heap allocation, whatever the result kind: counted by replacing the
// global operator new in this test binary.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "dns/types.h"
#include "private_zones/zone.h"
#include "private_zones/zone_file.h"

#include "tests/support/alloc_counter.h"

namespace vpcdns::private_zones {
namespace {

using dns::Name;
namespace rrtype = dns::rrtype;

using Counting = vpcdns::test::CountAllocations;
using vpcdns::test::g_allocations;

TEST(ZoneLookup, AllocatesNothing) {
  ZoneFileOptions options;
  options.origin = *Name::fromText("example.");
  auto records = parseZoneText(R"(
$TTL 300
@      SOA   ns1 hostmaster 1 7200 3600 1209600 300
@      NS    ns1
ns1    A     192.0.2.1
www    A     192.0.2.10
alias  CNAME www
a.b    A     192.0.2.20
*.w    A     192.0.2.30
sub    NS    ns.sub
ns.sub A     192.0.2.40
)",
                               "z", options);
  ASSERT_TRUE(records.ok()) << records.error().toString();
  auto zone = Zone::build(options.origin, *records);
  ASSERT_TRUE(zone.ok()) << zone.error();
  const Zone& z = **zone;

  struct Query {
    Name name;
    uint16_t type;
    LookupKind expected;
  };
  const Query queries[] = {
      {*Name::fromText("WWW.example."), rrtype::kA, LookupKind::kAnswer},
      {*Name::fromText("www.example."), rrtype::kAAAA, LookupKind::kNoData},
      {*Name::fromText("b.example."), rrtype::kA, LookupKind::kNoData},
      {*Name::fromText("nope.example."), rrtype::kA, LookupKind::kNxDomain},
      {*Name::fromText("x.y.z.nope.example."), rrtype::kA, LookupKind::kNxDomain},
      {*Name::fromText("alias.example."), rrtype::kA, LookupKind::kCname},
      {*Name::fromText("q.r.w.example."), rrtype::kA, LookupKind::kAnswer},
      {*Name::fromText("host.sub.example."), rrtype::kA, LookupKind::kDelegation},
      {*Name::fromText("example."), rrtype::kANY, LookupKind::kAnswer},
      {*Name::fromText("www.other."), rrtype::kA, LookupKind::kNotInZone},
  };
  LookupKind kinds[std::size(queries)];
  size_t answered = 0;
  {
    Counting c;
    for (size_t i = 0; i < std::size(queries); ++i) {
      Lookup r = z.lookup(queries[i].name, queries[i].type);
      kinds[i] = r.kind;
      answered += r.rrsets.size() + r.glue.size() + (r.soa != nullptr ? 1 : 0);
    }
    EXPECT_EQ(g_allocations, 0u);
  }
  for (size_t i = 0; i < std::size(queries); ++i) {
    EXPECT_EQ(kinds[i], queries[i].expected) << queries[i].name.toText();
  }
  EXPECT_GT(answered, 0u);

  // The counter works: an allocation inside the scope is seen.
  static void* volatile sink = nullptr;
  Counting c;
  sink = ::operator new(16);
  ::operator delete(sink);
  EXPECT_EQ(g_allocations, 1u);
}

}  // namespace
}  // namespace vpcdns::private_zones
