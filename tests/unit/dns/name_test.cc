// Name: presentation and wire forms, limits, compression on read, case rules, ordering.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/name.h"

namespace vpcdns::dns {
namespace {

Name N(std::string_view text) {
  auto n = Name::fromText(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : Name();
}

std::vector<uint8_t> W(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

std::vector<uint8_t> wireOf(const Name& n) {
  return {n.wire().begin(), n.wire().end()};
}

// 12 zero bytes standing in for a header, so pointer targets are >= 12.
std::vector<uint8_t> withHeader(std::initializer_list<int> v) {
  std::vector<uint8_t> out(12, 0);
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

Error textError(std::string_view text) {
  auto n = Name::fromText(text);
  EXPECT_FALSE(n.ok()) << text;
  return n.ok() ? Error::kNoSpace : n.error();
}

Error wireError(const std::vector<uint8_t>& msg, size_t offset) {
  size_t off = offset;
  auto n = Name::fromWire(msg, off);
  EXPECT_FALSE(n.ok());
  EXPECT_EQ(off, offset) << "offset must not move on failure";
  return n.ok() ? Error::kNoSpace : n.error();
}

TEST(NameText, RootForms) {
  EXPECT_TRUE(N(".").isRoot());
  EXPECT_TRUE(N("").isRoot());
  EXPECT_EQ(N(".").toText(), ".");
  EXPECT_EQ(wireOf(N(".")), W({0}));
  EXPECT_EQ(Name().wireLength(), 1u);
}

TEST(NameText, SimpleRoundTrip) {
  Name n = N("www.Example.com");
  EXPECT_EQ(wireOf(n),
            W({3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0}));
  EXPECT_EQ(n.labelCount(), 3u);
  EXPECT_EQ(n.toText(), "www.Example.com.");
  EXPECT_TRUE(n.identical(N("www.Example.com.")));
}

TEST(NameText, EscapedDotInsideLabel) {
  Name n = N("a\\.b.example.");
  EXPECT_EQ(n.labelCount(), 2u);
  EXPECT_EQ(n.label(0).size(), 3u);
  EXPECT_EQ(n.toText(), "a\\.b.example.");
  EXPECT_EQ(N("back\\\\slash.").label(0).size(), 10u);
  EXPECT_EQ(N("back\\\\slash.").toText(), "back\\\\slash.");
}

TEST(NameText, DecimalEscapes) {
  Name n = N("a\\032b.\\000.");
  EXPECT_EQ(wireOf(n), W({3, 'a', ' ', 'b', 1, 0, 0}));
  EXPECT_EQ(n.toText(), "a\\032b.\\000.");
  EXPECT_EQ(N("\\255.").label(0)[0], 255);
  EXPECT_EQ(N("\\065").toText(), "A.");
  // Specials are escaped with a backslash on output.
  EXPECT_EQ(N("\\;\\(\\)\\\"\\@\\$.").toText(), "\\;\\(\\)\\\"\\@\\$.");
}

TEST(NameText, BadEscapes) {
  EXPECT_EQ(textError("\\256.example."), Error::kBadText);
  EXPECT_EQ(textError("\\1"), Error::kBadText);
  EXPECT_EQ(textError("\\12"), Error::kBadText);
  EXPECT_EQ(textError("a\\1b.c"), Error::kBadText);
  EXPECT_EQ(textError("abc\\"), Error::kBadText);
}

TEST(NameText, EmptyLabels) {
  EXPECT_EQ(textError("a..b"), Error::kEmptyLabel);
  EXPECT_EQ(textError(".a"), Error::kEmptyLabel);
  EXPECT_EQ(textError(".."), Error::kEmptyLabel);
  EXPECT_EQ(textError("a.."), Error::kEmptyLabel);
}

TEST(NameText, LabelLimit) {
  std::string l63(63, 'a'), l64(64, 'a');
  EXPECT_EQ(N(l63 + ".com").label(0).size(), 63u);
  EXPECT_EQ(textError(l64 + ".com"), Error::kLabelTooLong);
  EXPECT_EQ(textError("x." + l64), Error::kLabelTooLong);
}

TEST(NameText, NameLimit) {
  std::string l63(63, 'a');
  // 3 * 64 + 62 + 1 = 255 octets: the longest legal name.
  std::string longest = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  EXPECT_EQ(N(longest).wireLength(), 255u);
  EXPECT_EQ(textError(longest + "b"), Error::kNameTooLong);
  EXPECT_EQ(textError(longest + ".c"), Error::kNameTooLong);
  std::string many;
  for (int i = 0; i < 128; ++i) many += "a.";
  EXPECT_EQ(textError(many), Error::kNameTooLong);
}

TEST(NameText, NonPrintableOctetsRoundTrip) {
  std::vector<uint8_t> label;
  for (int i = 0; i < 63; ++i) label.push_back(static_cast<uint8_t>(i * 4 + 1));
  auto n = Name().prepend(label);
  ASSERT_TRUE(n.ok());
  auto back = Name::fromText(n->toText());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->identical(*n));
}

TEST(NameWire, Uncompressed) {
  auto msg = W({3, 'f', 'o', 'o', 0, 0xAA});
  size_t off = 0;
  auto n = Name::fromWire(msg, off);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(off, 5u);
  EXPECT_EQ(n->toText(), "foo.");
}

TEST(NameWire, DecompressesAndAdvancesPastFirstPointer) {
  // 12: example.com.  25: www + ptr(12)  31: ptr(25)
  auto msg = withHeader({7,   'e', 'x', 'a', 'm', 'p', 'l',  'e', 3,    'c', 'o',
                         'm', 0,   3,   'w', 'w', 'w', 0xC0, 12,  0xC0, 25});
  size_t off = 25;
  auto n = Name::fromWire(msg, off);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->toText(), "www.example.com.");
  EXPECT_EQ(off, 31u);
  off = 31;
  n = Name::fromWire(msg, off);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->toText(), "www.example.com.");
  EXPECT_EQ(off, 33u);
}

TEST(NameWire, Truncated) {
  EXPECT_EQ(wireError(W({}), 0), Error::kTruncated);
  EXPECT_EQ(wireError(W({3, 'a', 'b'}), 0), Error::kTruncated);
  EXPECT_EQ(wireError(W({3, 'a', 'b', 'c'}), 0), Error::kTruncated);  // no root label
  EXPECT_EQ(wireError(withHeader({1, 'a', 0xC0}), 14), Error::kTruncated);
}

TEST(NameWire, LabelTypes) {
  // A length octet of 64..191 is the 0b01 / 0b10 label type, not a long label.
  EXPECT_EQ(wireError(W({0x40, 'a', 0}), 0), Error::kBadLabelType);
  EXPECT_EQ(wireError(W({0x80, 0}), 0), Error::kBadLabelType);
  EXPECT_EQ(wireError(W({1, 'a', 0x7F, 0}), 0), Error::kBadLabelType);
}

TEST(NameWire, TooLongDirect) {
  std::vector<uint8_t> msg;
  for (int l = 0; l < 4; ++l) {
    msg.push_back(63);
    msg.insert(msg.end(), 63, 'x');
  }
  msg.push_back(0);  // 4 * 64 + 1 = 257 octets
  EXPECT_EQ(wireError(msg, 0), Error::kNameTooLong);
}

TEST(NameWire, TooLongViaPointers) {
  // Three 63-octet labels at 12, then a 63-octet label + pointer to 12: 64 + 193 = 257.
  std::vector<uint8_t> msg(12, 0);
  for (int l = 0; l < 3; ++l) {
    msg.push_back(63);
    msg.insert(msg.end(), 63, 'x');
  }
  msg.push_back(0);
  size_t second = msg.size();
  msg.push_back(63);
  msg.insert(msg.end(), 63, 'y');
  msg.push_back(0xC0);
  msg.push_back(12);
  size_t off = 12;
  ASSERT_TRUE(Name::fromWire(msg, off).ok());
  EXPECT_EQ(wireError(msg, second), Error::kNameTooLong);
}

TEST(NameWire, ForwardPointer) {
  auto msg = withHeader({0xC0, 14, 0});
  EXPECT_EQ(wireError(msg, 12), Error::kBadPointer);
}

TEST(NameWire, PointerIntoHeader) {
  auto msg = withHeader({0xC0, 11});
  EXPECT_EQ(wireError(msg, 12), Error::kBadPointer);
  auto msg0 = withHeader({0xC0, 0});
  EXPECT_EQ(wireError(msg0, 12), Error::kBadPointer);
}

TEST(NameWire, SelfPointer) {
  auto msg = withHeader({0xC0, 12});
  EXPECT_EQ(wireError(msg, 12), Error::kPointerLoop);
}

TEST(NameWire, LabelPointerCycle) {
  // 12: "a", 14: pointer to 12 -> a.a.a.a... forever.
  auto msg = withHeader({1, 'a', 0xC0, 12});
  EXPECT_EQ(wireError(msg, 14), Error::kPointerLoop);
  EXPECT_EQ(wireError(msg, 12), Error::kPointerLoop);
}

TEST(NameWire, TwoPointerCycle) {
  // Two backward pointers feeding each other: 18 -> 13, 15 -> 12, and the label at 12 spans
  // 13..17 so that reading on from it reaches 18 again.
  auto msg = withHeader({5, 1, 'q', 0xC0, 12, 'z', 0xC0, 13});
  EXPECT_EQ(wireError(msg, 18), Error::kPointerLoop);
}

TEST(NameWire, PointerChainLimit) {
  // 12: root; then 130 pointers each to the previous one.
  std::vector<uint8_t> msg(12, 0);
  msg.push_back(0);
  for (size_t i = 0; i < 130; ++i) {
    size_t prev = i == 0 ? 12 : msg.size() - 2;
    msg.push_back(static_cast<uint8_t>(0xC0 | (prev >> 8)));
    msg.push_back(static_cast<uint8_t>(prev));
  }
  size_t off = 13 + 2 * 126;  // 127 jumps: fine
  auto ok = Name::fromWire(msg, off);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->isRoot());
  EXPECT_EQ(wireError(msg, 13 + 2 * 127), Error::kPointerLoop);  // 128 jumps
}

TEST(NameWire, SkipAgreesWithFromWire) {
  const std::vector<std::vector<uint8_t>> cases = {
      withHeader({7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 3, 'w', 'w', 'w', 0xC0, 12}),
      withHeader({0xC0, 12}),
      withHeader({0xC0, 14, 0}),
      withHeader({1, 'a', 0xC0, 12}),
      withHeader({0x40, 0}),
      withHeader({3, 'a'}),
      withHeader({0})};
  for (const auto& msg : cases) {
    for (size_t start = 12; start < msg.size(); ++start) {
      size_t a = start, b = start;
      auto n = Name::fromWire(msg, a);
      auto len = skipWireName(msg, b);
      ASSERT_EQ(n.ok(), len.ok()) << start;
      EXPECT_EQ(a, b);
      if (n.ok()) {
        EXPECT_EQ(n->wireLength(), *len);
      } else {
        EXPECT_EQ(n.error(), len.error());
      }
    }
  }
}

TEST(NameOps, EqualityAndHashIgnoreCase) {
  Name a = N("WWW.Example.COM"), b = N("www.example.com.");
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.identical(b));
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.hash(42), b.hash(42));
  EXPECT_NE(a.hash(1), a.hash(2));
  EXPECT_NE(N("www.example.com").hash(7), N("www.example.org").hash(7));
  EXPECT_NE(N("a.b"), N("ab"));
  EXPECT_NE(N("a"), N("a.a"));
  EXPECT_EQ(a.lowercased().toText(), "www.example.com.");
  EXPECT_TRUE(a.lowercased().identical(b));
  EXPECT_EQ(NameHash{}(a), NameHash{}(b));
}

TEST(NameOps, HashSpreadsAcrossSeeds) {
  // Different seeds must permute a set of names differently (the seed is really mixed in).
  std::vector<std::string> names = {"a.", "b.", "c.", "d.", "e.", "f.", "g.", "h."};
  auto order = [&](uint64_t seed) {
    std::vector<std::pair<size_t, std::string>> v;
    for (auto& s : names) v.push_back({N(s).hash(seed) % 1024, s});
    std::sort(v.begin(), v.end());
    std::string out;
    for (auto& p : v) out += p.second;
    return out;
  };
  EXPECT_NE(order(1), order(2));
}

TEST(NameOps, CanonicalOrderRfc4034Example) {
  // RFC 4034 §6.1, in order.
  std::vector<Name> expected = {
      N("example."),         N("a.example."),      N("yljkjljk.a.example."),
      N("Z.a.example."),     N("zABC.a.EXAMPLE."), N("z.example."),
      N("\\001.z.example."), N("*.z.example."),    N("\\200.z.example."),
  };
  std::vector<Name> shuffled = {expected[5], expected[8], expected[0], expected[3], expected[7],
                                expected[1], expected[6], expected[4], expected[2]};
  std::sort(shuffled.begin(), shuffled.end(),
            [](const Name& x, const Name& y) { return x.canonicalCompare(y) < 0; });
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(shuffled[i].identical(expected[i])) << i << ": " << shuffled[i].toText();
  }
  EXPECT_EQ(N("A.example").canonicalCompare(N("a.EXAMPLE")), std::strong_ordering::equal);
  EXPECT_EQ(N(".").canonicalCompare(N("example")), std::strong_ordering::less);
}

TEST(NameOps, IsSubdomainOfWholeLabels) {
  EXPECT_TRUE(N("www.example.com").isSubdomainOf(N("example.com")));
  EXPECT_TRUE(N("example.com").isSubdomainOf(N("EXAMPLE.com")));
  EXPECT_TRUE(N("example.com").isSubdomainOf(N(".")));
  EXPECT_FALSE(N("bexample.com").isSubdomainOf(N("example.com")));
  EXPECT_FALSE(N("example.com").isSubdomainOf(N("www.example.com")));
  EXPECT_FALSE(N("example.org").isSubdomainOf(N("example.com")));
  EXPECT_FALSE(N("a\\.example.com").isSubdomainOf(N("example.com.com")));
}

TEST(NameOps, LabelsStripAndPrepend) {
  Name n = N("a.bb.ccc");
  EXPECT_EQ(n.label(1).size(), 2u);
  EXPECT_EQ(n.stripLeft(1).toText(), "bb.ccc.");
  EXPECT_EQ(n.stripLeft(3).toText(), ".");
  EXPECT_EQ(n.parent().parent().toText(), "ccc.");
  EXPECT_TRUE(Name().parent().isRoot());
  std::vector<uint8_t> label = {'x', 'y'};
  auto p = n.prepend(label);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->toText(), "xy.a.bb.ccc.");
  EXPECT_EQ(p->labelCount(), 4u);
  EXPECT_EQ(n.prepend({}).error(), Error::kEmptyLabel);
  std::vector<uint8_t> l64(64, 'a'), l63(63, 'a');
  EXPECT_EQ(n.prepend(l64).error(), Error::kLabelTooLong);
  Name big;
  for (int i = 0; i < 3; ++i) big = big.prepend(l63).value();
  EXPECT_EQ(big.wireLength(), 193u);
  std::vector<uint8_t> l61(61, 'a'), l62(62, 'a');
  EXPECT_TRUE(big.prepend(l61).ok());  // 255
  EXPECT_EQ(big.prepend(l62).error(), Error::kNameTooLong);
}

}  // namespace
}  // namespace vpcdns::dns
