// The admin API's cache flushes (POST /v1/cache/flush): everything, one name, or a name and its
// subtree, across every context (public recursive data and forwarding rules' target sets).
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "cache/record_cache.h"

namespace vpcdns::cache {
namespace {

using dns::rrtype::kA;
using dns::rrtype::kAAAA;

dns::Name name(std::string_view text) {
  return dns::Name::fromText(text).value();
}

Key key(std::string_view owner, uint16_t type = kA, uint64_t context = kPublicContext) {
  return Key{context, name(owner), type, dns::rrclass::kIN};
}

std::vector<dns::Record> aSet(std::string_view owner) {
  return {{name(owner), kA, dns::rrclass::kIN, 300, dns::RdataA{{192, 0, 2, 1}}}};
}

dns::Record soa(std::string_view zone) {
  dns::RdataSoa rd{
      name("ns1.example.net."), name("hostmaster.example.net."), 1, 7200, 900, 1209600, 60};
  return {name(zone), dns::rrtype::kSOA, dns::rrclass::kIN, 300, rd};
}

class CacheFlushTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  RecordCache cache_{CacheOptions{.shards = 8}, clock_};

  void put(std::string_view owner, uint64_t context) {
    ASSERT_EQ(cache_.insert(key(owner, kA, context), aSet(owner), 300, Trust::kAnswerAuth),
              InsertResult::kStored);
  }
  bool cached(std::string_view owner, uint64_t context, uint16_t type = kA) {
    std::vector<dns::Record> out;
    return cache_.lookup(key(owner, type, context), out).hit();
  }
};

TEST_F(CacheFlushTest, NameRemovesEveryTypeInEveryContextAndNothingElse) {
  for (uint64_t ctx : {uint64_t{0}, uint64_t{7}, uint64_t{99}}) {
    put("n.example.", ctx);
    put("a.n.example.", ctx);
    put("example.", ctx);
  }
  ASSERT_EQ(cache_.insertNoData(key("n.example.", kAAAA), soa("example."), Trust::kAuthorityAuth),
            InsertResult::kStored);
  // 3 A RRsets + 1 NODATA, the name spelled in another case.
  EXPECT_EQ(cache_.flushName(name("N.Example."), false), 4u);
  for (uint64_t ctx : {uint64_t{0}, uint64_t{7}, uint64_t{99}}) {
    EXPECT_FALSE(cached("n.example.", ctx));
    EXPECT_TRUE(cached("a.n.example.", ctx));
    EXPECT_TRUE(cached("example.", ctx));
  }
  EXPECT_FALSE(cached("n.example.", 0, kAAAA));
  EXPECT_EQ(cache_.flushName(name("n.example."), false), 0u);
  EXPECT_EQ(cache_.stats().entries, 6u);
}

TEST_F(CacheFlushTest, SubtreeRemovesTheNameAndBelowOnWholeLabels) {
  for (uint64_t ctx : {uint64_t{0}, uint64_t{5}}) {
    for (const char* owner : {"example.com.", "www.example.com.", "a.b.example.com.",
                              "xexample.com.", "com.", "example.org."}) {
      put(owner, ctx);
    }
  }
  EXPECT_EQ(cache_.flushName(name("EXAMPLE.com."), true), 6u);
  for (uint64_t ctx : {uint64_t{0}, uint64_t{5}}) {
    EXPECT_FALSE(cached("example.com.", ctx));
    EXPECT_FALSE(cached("www.example.com.", ctx));
    EXPECT_FALSE(cached("a.b.example.com.", ctx));
    EXPECT_TRUE(cached("xexample.com.", ctx));  // not below example.com: another label
    EXPECT_TRUE(cached("com.", ctx));
    EXPECT_TRUE(cached("example.org.", ctx));
  }
}

TEST_F(CacheFlushTest, SubtreeOfTheRootAndClearEmptyTheCacheAndCount) {
  for (uint64_t ctx : {uint64_t{0}, uint64_t{3}}) {
    put("a.example.", ctx);
    put("b.example.", ctx);
  }
  EXPECT_EQ(cache_.flushName(dns::Name(), true), 4u);
  EXPECT_EQ(cache_.stats().entries, 0u);
  EXPECT_EQ(cache_.stats().bytes, 0u);

  put("a.example.", 0);
  ASSERT_EQ(
      cache_.insertNxDomain(key("gone.example.", kA, 3), soa("example."), Trust::kAuthorityAuth),
      InsertResult::kStored);
  EXPECT_EQ(cache_.clear(), 2u);
  EXPECT_EQ(cache_.stats().entries, 0u);
  EXPECT_EQ(cache_.stats().names, 0u);
  EXPECT_EQ(cache_.stats().bytes, 0u);
  EXPECT_FALSE(cached("a.example.", 0));
  EXPECT_EQ(cache_.clear(), 0u);
}

}  // namespace
}  // namespace vpcdns::cache
