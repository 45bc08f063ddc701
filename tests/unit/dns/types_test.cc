// Mnemonics of types, classes, RCODEs and opcodes, both ways.
#include <gtest/gtest.h>

#include "dns/error.h"
#include "dns/types.h"

namespace vpcdns::dns {
namespace {

TEST(Types, TypeMnemonics) {
  EXPECT_EQ(typeToText(rrtype::kA), "A");
  EXPECT_EQ(typeToText(rrtype::kAAAA), "AAAA");
  EXPECT_EQ(typeToText(rrtype::kCAA), "CAA");
  EXPECT_EQ(typeToText(rrtype::kOPT), "OPT");
  EXPECT_EQ(typeToText(0), "TYPE0");
  EXPECT_EQ(typeToText(1234), "TYPE1234");
  EXPECT_EQ(typeToText(65535), "TYPE65535");
  EXPECT_EQ(typeFromText("a"), rrtype::kA);
  EXPECT_EQ(typeFromText("Srv"), rrtype::kSRV);
  EXPECT_EQ(typeFromText("TYPE1234"), 1234);
  EXPECT_EQ(typeFromText("type1"), rrtype::kA);
  EXPECT_EQ(typeFromText("TYPE65535"), 65535);
  for (const char* bad :
       {"", "TYPE", "TYPE65536", "TYPE-1", "TYPE1x", "TYPE 1", "AA", "TYPE999999"}) {
    EXPECT_FALSE(typeFromText(bad).has_value()) << bad;
  }
  for (uint32_t t = 0; t <= 0xFFFF; t += 7) {
    auto back = typeFromText(typeToText(static_cast<uint16_t>(t)));
    ASSERT_TRUE(back.has_value()) << t;
    EXPECT_EQ(*back, t);
  }
}

TEST(Types, ClassMnemonics) {
  EXPECT_EQ(classToText(rrclass::kIN), "IN");
  EXPECT_EQ(classToText(rrclass::kCH), "CH");
  EXPECT_EQ(classToText(rrclass::kNONE), "NONE");
  EXPECT_EQ(classToText(3), "CH");
  EXPECT_EQ(classToText(2), "CLASS2");
  EXPECT_EQ(classFromText("in"), rrclass::kIN);
  EXPECT_EQ(classFromText("HS"), rrclass::kHS);
  EXPECT_EQ(classFromText("CLASS3"), 3);
  EXPECT_EQ(classFromText("ANY"), rrclass::kANY);
  EXPECT_FALSE(classFromText("CLASS").has_value());
  EXPECT_FALSE(classFromText("TYPE1").has_value());
}

TEST(Types, RcodeAndOpcodeMnemonics) {
  EXPECT_EQ(rcodeToText(rcode::kNoError), "NOERROR");
  EXPECT_EQ(rcodeToText(rcode::kServFail), "SERVFAIL");
  EXPECT_EQ(rcodeToText(rcode::kNXDomain), "NXDOMAIN");
  EXPECT_EQ(rcodeToText(rcode::kBadVers), "BADVERS");
  EXPECT_EQ(rcodeToText(4000), "RCODE4000");
  EXPECT_EQ(opcodeToText(opcode::kQuery), "QUERY");
  EXPECT_EQ(opcodeToText(opcode::kUpdate), "UPDATE");
  EXPECT_EQ(opcodeToText(15), "OPCODE15");
}

TEST(Types, ErrorTextCoversEveryError) {
  for (int e = 0; e <= static_cast<int>(Error::kNoSpace); ++e) {
    EXPECT_NE(errorText(static_cast<Error>(e)), "unknown error") << e;
  }
}

}  // namespace
}  // namespace vpcdns::dns
