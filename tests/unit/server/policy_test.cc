// PolicyTable: longest-suffix matching on whole labels, case-insensitive, replacement on ties.
#include "server/policy.h"

#include <gtest/gtest.h>

#include <string>

namespace vpcdns::server {
namespace {

dns::Name N(std::string_view text) {
  return dns::Name::fromText(text).value();
}

PolicyEntry entry(PolicyEntry::Kind kind) {
  PolicyEntry e;
  e.kind = kind;
  return e;
}

// The apex of the entry `qname` matches, as text, or "(none)".
std::string matchOf(const PolicyTable& t, std::string_view qname) {
  const PolicyEntry* e = t.match(N(qname));
  return e == nullptr ? "(none)" : e->apex.toText();
}

PolicyTable threeLevels() {
  PolicyTable t;
  t.set(N("example."), entry(PolicyEntry::Kind::kPrivateZone));
  t.set(N("b.example."), entry(PolicyEntry::Kind::kPrivateZone));
  t.set(N("a.b.example."), entry(PolicyEntry::Kind::kPrivateZone));
  return t;
}

TEST(PolicyTable, MostSpecificSuffixWins) {
  const PolicyTable t = threeLevels();
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(matchOf(t, "example."), "example.");
  EXPECT_EQ(matchOf(t, "www.example."), "example.");
  EXPECT_EQ(matchOf(t, "b.example."), "b.example.");
  EXPECT_EQ(matchOf(t, "x.b.example."), "b.example.");
  EXPECT_EQ(matchOf(t, "a.b.example."), "a.b.example.");
  EXPECT_EQ(matchOf(t, "z.y.x.a.b.example."), "a.b.example.");
  // a sibling of a.b.example. falls back to b.example.
  EXPECT_EQ(matchOf(t, "c.b.example."), "b.example.");
  EXPECT_EQ(matchOf(t, "a.example."), "example.");
}

TEST(PolicyTable, MatchesWholeLabelsOnly) {
  const PolicyTable t = threeLevels();
  EXPECT_EQ(matchOf(t, "bexample."), "(none)");
  EXPECT_EQ(matchOf(t, "www.bexample."), "(none)");
  EXPECT_EQ(matchOf(t, "xb.example."), "example.");
  EXPECT_EQ(matchOf(t, "aa.b.example."), "b.example.");
  EXPECT_EQ(matchOf(t, "example.com."), "(none)");
  EXPECT_EQ(matchOf(t, "com."), "(none)");
  // A label that contains a dot is one label, not two.
  EXPECT_EQ(matchOf(t, "a\\.b.example."), "example.");
}

TEST(PolicyTable, CaseInsensitiveBothWays) {
  PolicyTable t;
  t.set(N("Corp.Internal."), entry(PolicyEntry::Kind::kPrivateZone));
  EXPECT_EQ(matchOf(t, "corp.internal."), "Corp.Internal.");
  EXPECT_EQ(matchOf(t, "WWW.CORP.INTERNAL."), "Corp.Internal.");
  EXPECT_EQ(matchOf(t, "wWw.cOrP.iNtErNaL."), "Corp.Internal.");
  EXPECT_EQ(matchOf(t, "corp.internals."), "(none)");
}

TEST(PolicyTable, EmptyTableAndRootQueries) {
  PolicyTable empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.match(N(".")), nullptr);
  EXPECT_EQ(empty.match(N("www.example.")), nullptr);

  const PolicyTable t = threeLevels();
  EXPECT_EQ(t.match(N(".")), nullptr) << "no entry for the root: the default \".\"";

  // An entry for the root itself matches everything not covered by a deeper one.
  PolicyTable with_root = threeLevels();
  with_root.set(N("."), entry(PolicyEntry::Kind::kLocalZone));
  EXPECT_EQ(matchOf(with_root, "."), ".");
  EXPECT_EQ(matchOf(with_root, "com."), ".");
  EXPECT_EQ(matchOf(with_root, "www.b.example."), "b.example.");
}

TEST(PolicyTable, ExactTieReplacesTheEntry) {
  PolicyTable t;
  t.set(N("10.in-addr.arpa."), entry(PolicyEntry::Kind::kLocalZone));
  ASSERT_NE(t.match(N("1.0.0.10.in-addr.arpa.")), nullptr);
  EXPECT_EQ(t.match(N("1.0.0.10.in-addr.arpa."))->kind, PolicyEntry::Kind::kLocalZone);

  // The same name in another case is the same key.
  t.set(N("10.IN-ADDR.ARPA."), entry(PolicyEntry::Kind::kPrivateZone));
  EXPECT_EQ(t.size(), 1u);
  const PolicyEntry* e = t.match(N("1.0.0.10.in-addr.arpa."));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, PolicyEntry::Kind::kPrivateZone);
  EXPECT_EQ(e->apex.toText(), "10.IN-ADDR.ARPA.") << "apex is the name given to set()";
}

TEST(PolicyTable, EntryFieldsAreKept) {
  const dns::Name hostnames = N("ec2.internal.");
  PolicyEntry e = entry(PolicyEntry::Kind::kHostnames);
  e.hostnames = &hostnames;
  PolicyTable t;
  t.set(hostnames, e);
  const PolicyEntry* m = t.match(N("ip-10-0-0-1.ec2.internal."));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kind, PolicyEntry::Kind::kHostnames);
  EXPECT_EQ(m->hostnames, &hostnames);
  EXPECT_EQ(m->zone, nullptr);
  EXPECT_EQ(m->vpc, nullptr);
}

// "l.l.l....l." with `labels` single-octet labels (127 of them make a 255-octet name).
std::string deepName(size_t labels, std::string_view leaf = "l") {
  std::string text(leaf);
  text += '.';
  for (size_t i = 1; i < labels; ++i) text += "l.";
  return text;
}

TEST(PolicyTable, DeepestPossibleNames) {
  const dns::Name deepest = N(deepName(127));
  ASSERT_EQ(deepest.labelCount(), 127u);
  ASSERT_EQ(deepest.wireLength(), 255u);

  PolicyTable t;
  t.set(N("l."), entry(PolicyEntry::Kind::kPrivateZone));
  t.set(N(deepName(126)), entry(PolicyEntry::Kind::kLocalZone));
  EXPECT_EQ(t.match(deepest)->kind, PolicyEntry::Kind::kLocalZone);
  EXPECT_EQ(t.match(deepest)->apex.labelCount(), 126u);
  EXPECT_EQ(t.match(N(deepName(127, "m")))->apex.labelCount(), 126u);
  EXPECT_EQ(t.match(N(deepName(126, "m")))->apex.labelCount(), 1u);

  // An entry of 127 labels matches exactly that name.
  t.set(deepest, entry(PolicyEntry::Kind::kHostnames));
  EXPECT_EQ(t.match(deepest)->kind, PolicyEntry::Kind::kHostnames);
  EXPECT_EQ(t.match(N(deepName(127, "m")))->kind, PolicyEntry::Kind::kLocalZone);
  EXPECT_EQ(t.match(N(deepName(127, "L")))->kind, PolicyEntry::Kind::kHostnames);

  // Nothing matches a deep name under an unrelated tree.
  PolicyTable other;
  other.set(N("example."), entry(PolicyEntry::Kind::kPrivateZone));
  EXPECT_EQ(other.match(deepest), nullptr);
}

TEST(PolicyTable, NamesShallowerThanEveryEntry) {
  PolicyTable t;
  t.set(N("x.y.z.example."), entry(PolicyEntry::Kind::kPrivateZone));
  EXPECT_EQ(matchOf(t, "example."), "(none)");
  EXPECT_EQ(matchOf(t, "z.example."), "(none)");
  EXPECT_EQ(matchOf(t, "y.z.example."), "(none)");
  EXPECT_EQ(matchOf(t, "."), "(none)");
  EXPECT_EQ(matchOf(t, "x.y.z.example."), "x.y.z.example.");
  EXPECT_EQ(matchOf(t, "w.x.y.z.example."), "x.y.z.example.");

  // With a shallow entry too, shallow names find it and skip the deep one.
  t.set(N("example."), entry(PolicyEntry::Kind::kLocalZone));
  EXPECT_EQ(matchOf(t, "y.z.example."), "example.");
  EXPECT_EQ(matchOf(t, "v.w.x.y.z.example."), "x.y.z.example.");
}

}  // namespace
}  // namespace vpcdns::server
