#include "cache/record_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace vpcdns::cache {
namespace {

using dns::rrtype::kA;
using dns::rrtype::kAAAA;
using dns::rrtype::kMX;

dns::Name name(std::string_view text) {
  return dns::Name::fromText(text).value();
}

Key key(std::string_view owner, uint16_t type = dns::rrtype::kA,
        uint64_t context = kPublicContext) {
  return Key{context, name(owner), type, dns::rrclass::kIN};
}

dns::Record a(std::string_view owner, uint8_t last, uint32_t ttl = 300) {
  return {name(owner), dns::rrtype::kA, dns::rrclass::kIN, ttl, dns::RdataA{{192, 0, 2, last}}};
}

// An RRset of `count` A records 192.0.2.first, .first+1, ...
std::vector<dns::Record> aSet(std::string_view owner, uint8_t first, size_t count = 1) {
  std::vector<dns::Record> set;
  for (size_t i = 0; i < count; ++i) set.push_back(a(owner, static_cast<uint8_t>(first + i)));
  return set;
}

dns::Record soa(std::string_view zone, uint32_t ttl, uint32_t minimum) {
  dns::RdataSoa rd{name("ns1.example.net."),
                   name("hostmaster.example.net."),
                   2024010101,
                   7200,
                   900,
                   1209600,
                   minimum};
  return {name(zone), dns::rrtype::kSOA, dns::rrclass::kIN, ttl, rd};
}

class RecordCacheTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  RecordCache cache_{CacheOptions{}, clock_};
  std::vector<dns::Record> out_;

  LookupResult get(const Key& k) {
    out_.clear();
    return cache_.lookup(k, out_);
  }
};

TEST_F(RecordCacheTest, InsertThenLookupReturnsTheRRset) {
  auto set = aSet("www.example.com.", 1, 2);
  EXPECT_EQ(cache_.insert(key("www.example.com."), set, 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  LookupResult r = get(key("www.example.com."));
  EXPECT_EQ(r.outcome, Outcome::kRecords);
  EXPECT_EQ(r.trust, Trust::kAnswerAuth);
  EXPECT_EQ(r.ttl, 300u);
  EXPECT_EQ(out_, set);
}

TEST_F(RecordCacheTest, LookupAppendsToOut) {
  ASSERT_EQ(cache_.insert(key("a.example."), aSet("a.example.", 1), 60, Trust::kAnswerAuth),
            InsertResult::kStored);
  std::vector<dns::Record> out = aSet("z.example.", 9);
  EXPECT_TRUE(cache_.lookup(key("a.example."), out).hit());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], a("a.example.", 1, 60));
}

TEST_F(RecordCacheTest, MissLeavesOutAlone) {
  LookupResult r = get(key("nothing.example."));
  EXPECT_EQ(r.outcome, Outcome::kMiss);
  EXPECT_FALSE(r.hit());
  EXPECT_TRUE(out_.empty());
}

TEST_F(RecordCacheTest, KeysIgnoreCaseAndKeepTheFirstSpelling) {
  ASSERT_EQ(
      cache_.insert(key("WWW.Example.COM."), aSet("WWW.Example.COM.", 1), 300, Trust::kAnswerAuth),
      InsertResult::kStored);
  EXPECT_EQ(get(key("www.example.com.")).outcome, Outcome::kRecords);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_TRUE(out_[0].name.identical(name("WWW.Example.COM.")));
  EXPECT_EQ(get(key("wWw.eXample.cOm.")).outcome, Outcome::kRecords);
}

TEST_F(RecordCacheTest, ContextsAreIsolated) {
  ASSERT_EQ(cache_.insert(key("db.corp.", kA, 0), aSet("db.corp.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  ASSERT_EQ(cache_.insert(key("db.corp.", kA, 7), aSet("db.corp.", 7), 300, Trust::kAnswerNonAuth),
            InsertResult::kStored);
  EXPECT_EQ(get(key("db.corp.", kA, 0)).outcome, Outcome::kRecords);
  EXPECT_EQ(out_, aSet("db.corp.", 1));
  EXPECT_EQ(get(key("db.corp.", kA, 7)).outcome, Outcome::kRecords);
  EXPECT_EQ(out_, aSet("db.corp.", 7));
  EXPECT_EQ(get(key("db.corp.", kA, 8)).outcome, Outcome::kMiss);
  EXPECT_EQ(cache_.stats().names, 2u);
}

TEST_F(RecordCacheTest, TypesAndClassesAreSeparateEntries) {
  ASSERT_EQ(cache_.insert(key("h.example."), aSet("h.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(get(key("h.example.", kAAAA)).outcome, Outcome::kMiss);
  Key chaos = key("h.example.");
  chaos.cls = dns::rrclass::kCH;
  EXPECT_EQ(get(chaos).outcome, Outcome::kMiss);
}

TEST_F(RecordCacheTest, TtlCountsDownWithTheClock) {
  ASSERT_EQ(cache_.insert(key("t.example."), aSet("t.example.", 1, 3), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  clock_.advance(100);
  LookupResult r = get(key("t.example."));
  EXPECT_EQ(r.ttl, 200u);
  ASSERT_EQ(out_.size(), 3u);
  for (const dns::Record& rec : out_) EXPECT_EQ(rec.ttl, 200u);
  clock_.advance(199);
  EXPECT_EQ(get(key("t.example.")).ttl, 1u);
}

TEST_F(RecordCacheTest, ExpiredEntriesAreGone) {
  ASSERT_EQ(cache_.insert(key("t.example."), aSet("t.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  clock_.advance(300);
  EXPECT_EQ(get(key("t.example.")).outcome, Outcome::kMiss);
  CacheStats s = cache_.stats();
  EXPECT_EQ(s.expired, 1u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.names, 0u);
  EXPECT_EQ(s.bytes, 0u);
}

TEST(RecordCacheTtl, ClampedToMinAndMax) {
  ManualClock clock;
  RecordCache cache({.min_ttl = 60, .max_ttl = 3600}, clock);
  std::vector<dns::Record> out;
  ASSERT_EQ(cache.insert(key("short."), aSet("short.", 1), 5, Trust::kAnswerAuth),
            InsertResult::kStored);
  ASSERT_EQ(cache.insert(key("zero."), aSet("zero.", 1), 0, Trust::kAnswerAuth),
            InsertResult::kStored);
  ASSERT_EQ(cache.insert(key("long."), aSet("long.", 1), 1000000, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(cache.lookup(key("short."), out).ttl, 60u);
  EXPECT_EQ(cache.lookup(key("zero."), out).ttl, 60u);
  EXPECT_EQ(cache.lookup(key("long."), out).ttl, 3600u);
}

TEST_F(RecordCacheTest, ZeroTtlIsNotCached) {
  EXPECT_EQ(cache_.insert(key("z.example."), aSet("z.example.", 1), 0, Trust::kAnswerAuth),
            InsertResult::kUncacheable);
  EXPECT_EQ(get(key("z.example.")).outcome, Outcome::kMiss);
}

TEST_F(RecordCacheTest, GlueNeverReplacesAnAuthoritativeAnswer) {
  Key k = key("ns1.example.");
  ASSERT_EQ(cache_.insert(k, aSet("ns1.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(cache_.insert(k, aSet("ns1.example.", 99), 300, Trust::kAdditional),
            InsertResult::kRejectedTrust);
  EXPECT_EQ(cache_.insert(k, aSet("ns1.example.", 98), 300, Trust::kAnswerNonAuth),
            InsertResult::kRejectedTrust);
  EXPECT_EQ(get(k).trust, Trust::kAnswerAuth);
  EXPECT_EQ(out_, aSet("ns1.example.", 1));
  EXPECT_EQ(cache_.stats().rejected, 2u);
}

TEST_F(RecordCacheTest, AuthoritativeAnswerReplacesGlue) {
  Key k = key("ns1.example.");
  ASSERT_EQ(cache_.insert(k, aSet("ns1.example.", 99), 300, Trust::kAdditional),
            InsertResult::kStored);
  EXPECT_EQ(cache_.insert(k, aSet("ns1.example.", 1), 60, Trust::kAnswerAuth),
            InsertResult::kStored);
  LookupResult r = get(k);
  EXPECT_EQ(r.trust, Trust::kAnswerAuth);
  EXPECT_EQ(r.ttl, 60u);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0], a("ns1.example.", 1, 60));
}

TEST_F(RecordCacheTest, EqualTrustReplaces) {
  Key k = key("x.example.");
  ASSERT_EQ(cache_.insert(k, aSet("x.example.", 1), 300, Trust::kAnswerNonAuth),
            InsertResult::kStored);
  EXPECT_EQ(cache_.insert(k, aSet("x.example.", 2, 2), 100, Trust::kAnswerNonAuth),
            InsertResult::kStored);
  EXPECT_EQ(get(k).ttl, 100u);
  EXPECT_EQ(out_.size(), 2u);
  EXPECT_EQ(cache_.stats().entries, 1u);
}

TEST_F(RecordCacheTest, ExpiredHigherTrustCanBeReplaced) {
  Key k = key("ns1.example.");
  ASSERT_EQ(cache_.insert(k, aSet("ns1.example.", 1), 10, Trust::kAnswerAuth),
            InsertResult::kStored);
  clock_.advance(10);
  EXPECT_EQ(cache_.insert(k, aSet("ns1.example.", 99), 300, Trust::kAdditional),
            InsertResult::kStored);
  EXPECT_EQ(get(k).trust, Trust::kAdditional);
  EXPECT_EQ(out_, aSet("ns1.example.", 99));
}

TEST_F(RecordCacheTest, TrustLadderIsOrdered) {
  EXPECT_LT(Trust::kAdditional, Trust::kAuthorityNonAuth);
  EXPECT_LT(Trust::kAuthorityNonAuth, Trust::kAnswerNonAuth);
  EXPECT_LT(Trust::kAnswerNonAuth, Trust::kAuthorityAuth);
  EXPECT_LT(Trust::kAuthorityAuth, Trust::kAnswerAuth);
}

TEST_F(RecordCacheTest, InvalidInsertsAreRefused) {
  Key k = key("bad.example.");
  EXPECT_EQ(cache_.insert(k, {}, 300, Trust::kAnswerAuth), InsertResult::kInvalid);
  EXPECT_EQ(cache_.insert(k, aSet("other.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kInvalid);
  EXPECT_EQ(
      cache_.insert(key("bad.example.", kAAAA), aSet("bad.example.", 1), 300, Trust::kAnswerAuth),
      InsertResult::kInvalid);
  EXPECT_EQ(cache_.insert(key("bad.example.", 0), {}, 300, Trust::kAnswerAuth),
            InsertResult::kInvalid);
  dns::Record empty_txt{name("bad.example."), dns::rrtype::kTXT, dns::rrclass::kIN, 60,
                        dns::RdataTxt{}};
  EXPECT_EQ(cache_.insert(key("bad.example.", dns::rrtype::kTXT), {&empty_txt, 1}, 60,
                          Trust::kAnswerAuth),
            InsertResult::kInvalid);
  EXPECT_EQ(cache_.insertNoData(k, a("example.", 1), Trust::kAuthorityAuth),
            InsertResult::kInvalid);
  EXPECT_EQ(cache_.stats().entries, 0u);
}

TEST_F(RecordCacheTest, EveryRdataShapeRoundTrips) {
  auto rr = [](uint16_t type, dns::Rdata rd) {
    return dns::Record{name("rt.example."), type, dns::rrclass::kIN, 60, std::move(rd)};
  };
  std::vector<dns::Record> records = {
      rr(kMX, dns::RdataMx{10, name("Mail.Example.")}),
      rr(dns::rrtype::kTXT, dns::RdataTxt{{"v=spf1 -all", ""}}),
      rr(dns::rrtype::kSRV, dns::RdataSrv{1, 2, 5060, name("sip.example.")}),
      rr(dns::rrtype::kCAA, dns::RdataCaa{0, "issue", {'c', 'a'}}),
      rr(kAAAA, dns::RdataAAAA{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}),
      rr(dns::rrtype::kCNAME, dns::RdataName{name("target.example.")}),
      rr(65280, dns::RdataOpaque{{1, 2, 3}}),
      rr(kA, dns::RdataOpaque{{1, 2, 3, 4, 5}}),  // malformed for A: kept opaque
  };
  for (const dns::Record& r : records) {
    Key k = key("rt.example.", r.type);
    ASSERT_EQ(cache_.insert(k, {&r, 1}, 60, Trust::kAnswerAuth), InsertResult::kStored) << r.type;
    EXPECT_EQ(get(k).outcome, Outcome::kRecords);
    ASSERT_EQ(out_.size(), 1u);
    EXPECT_EQ(out_[0], r) << dns::recordToText(r);
  }
}

TEST_F(RecordCacheTest, StatsCountersMove) {
  Key k = key("s.example.");
  ASSERT_EQ(cache_.insert(k, aSet("s.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  get(k);
  get(k);
  get(key("absent.example."));
  CacheStats s = cache_.stats();
  EXPECT_EQ(s.names, 1u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_GT(s.bytes, 0u);
  EXPECT_EQ(s.inserts, 1u);
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.evictions, 0u);
}

TEST_F(RecordCacheTest, EraseRemovesOneType) {
  ASSERT_EQ(cache_.insert(key("e.example."), aSet("e.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  dns::Record mx{name("e.example."), kMX, dns::rrclass::kIN, 300,
                 dns::RdataMx{10, name("mx.example.")}};
  ASSERT_EQ(cache_.insert(key("e.example.", kMX), {&mx, 1}, 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_TRUE(cache_.erase(key("e.example.")));
  EXPECT_FALSE(cache_.erase(key("e.example.")));
  EXPECT_EQ(get(key("e.example.")).outcome, Outcome::kMiss);
  EXPECT_EQ(get(key("e.example.", kMX)).outcome, Outcome::kRecords);
  EXPECT_TRUE(cache_.erase(key("e.example.", kMX)));
  EXPECT_EQ(cache_.stats().names, 0u);
  EXPECT_EQ(cache_.stats().bytes, 0u);
}

TEST_F(RecordCacheTest, EraseNameRemovesEveryTypeInOneContext) {
  for (uint64_t ctx : {uint64_t{0}, uint64_t{7}}) {
    ASSERT_EQ(
        cache_.insert(key("n.example.", kA, ctx), aSet("n.example.", 1), 300, Trust::kAnswerAuth),
        InsertResult::kStored);
    ASSERT_EQ(cache_.insertNoData(key("n.example.", kAAAA, ctx), soa("example.", 300, 60),
                                  Trust::kAuthorityAuth),
              InsertResult::kStored);
  }
  EXPECT_EQ(cache_.eraseName(7, name("N.EXAMPLE.")), 2u);
  EXPECT_EQ(cache_.eraseName(7, name("n.example.")), 0u);
  EXPECT_EQ(get(key("n.example.", kA, 7)).outcome, Outcome::kMiss);
  EXPECT_EQ(get(key("n.example.", kA, 0)).outcome, Outcome::kRecords);
  EXPECT_EQ(get(key("n.example.", kAAAA, 0)).outcome, Outcome::kNoData);
}

TEST_F(RecordCacheTest, EraseBelowRemovesTheSubtreeOnly) {
  for (const char* owner : {"example.com.", "www.example.com.", "a.b.example.com.", "xexample.com.",
                            "com.", "example.org."}) {
    ASSERT_EQ(cache_.insert(key(owner), aSet(owner, 1), 300, Trust::kAnswerAuth),
              InsertResult::kStored);
  }
  ASSERT_EQ(cache_.insert(key("www.example.com.", kA, 3), aSet("www.example.com.", 1), 300,
                          Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(cache_.eraseBelow(0, name("Example.COM.")), 3u);
  EXPECT_EQ(get(key("www.example.com.")).outcome, Outcome::kMiss);
  EXPECT_EQ(get(key("example.com.")).outcome, Outcome::kMiss);
  EXPECT_EQ(get(key("xexample.com.")).outcome, Outcome::kRecords);
  EXPECT_EQ(get(key("com.")).outcome, Outcome::kRecords);
  EXPECT_EQ(get(key("www.example.com.", kA, 3)).outcome, Outcome::kRecords);
  EXPECT_EQ(cache_.eraseBelow(0, dns::Name()), 3u);  // the root: the whole context
  EXPECT_EQ(cache_.stats().names, 1u);
}

TEST_F(RecordCacheTest, ClearEmptiesEverything) {
  for (uint8_t i = 0; i < 50; ++i) {
    std::string owner = "h" + std::to_string(i) + ".example.";
    ASSERT_EQ(cache_.insert(key(owner), aSet(owner, i), 300, Trust::kAnswerAuth),
              InsertResult::kStored);
  }
  cache_.clear();
  CacheStats s = cache_.stats();
  EXPECT_EQ(s.names, 0u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);
  EXPECT_EQ(get(key("h1.example.")).outcome, Outcome::kMiss);
}

// --- Negative answers (RFC 2308 §5) ---

TEST_F(RecordCacheTest, NxDomainAnswersEveryType) {
  ASSERT_EQ(cache_.insertNxDomain(key("gone.example."), soa("example.", 3600, 300),
                                  Trust::kAuthorityAuth),
            InsertResult::kStored);
  for (uint16_t type : {kA, kAAAA, kMX}) {
    LookupResult r = get(key("gone.example.", type));
    EXPECT_EQ(r.outcome, Outcome::kNxDomain);
    EXPECT_EQ(r.ttl, 300u);
    ASSERT_EQ(out_.size(), 1u);
    EXPECT_EQ(out_[0], soa("example.", 300, 300));  // the SOA, with the negative TTL
  }
  EXPECT_EQ(get(key("gone.example.", kA, 7)).outcome, Outcome::kMiss);
  EXPECT_EQ(get(key("below.gone.example.")).outcome, Outcome::kMiss);
}

TEST_F(RecordCacheTest, NoDataIsPerType) {
  ASSERT_EQ(cache_.insertNoData(key("v4only.example.", kAAAA), soa("example.", 60, 3600),
                                Trust::kAuthorityAuth),
            InsertResult::kStored);
  LookupResult r = get(key("v4only.example.", kAAAA));
  EXPECT_EQ(r.outcome, Outcome::kNoData);
  EXPECT_EQ(r.ttl, 60u);  // SOA TTL below MINIMUM: the SOA TTL
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].type, dns::rrtype::kSOA);
  EXPECT_TRUE(out_[0].name == name("example."));
  EXPECT_EQ(get(key("v4only.example.", kA)).outcome, Outcome::kMiss);
}

TEST(RecordCacheNegative, TtlIsCappedByMaxNegativeTtl) {
  ManualClock clock;
  RecordCache cache({.max_negative_ttl = 900}, clock);
  std::vector<dns::Record> out;
  ASSERT_EQ(
      cache.insertNxDomain(key("x.example."), soa("example.", 86400, 86400), Trust::kAuthorityAuth),
      InsertResult::kStored);
  EXPECT_EQ(cache.lookup(key("x.example."), out).ttl, 900u);
  EXPECT_EQ(out.at(0).ttl, 900u);
}

TEST_F(RecordCacheTest, NegativeTtlCountsDownAndExpires) {
  ASSERT_EQ(
      cache_.insertNxDomain(key("x.example."), soa("example.", 600, 120), Trust::kAuthorityAuth),
      InsertResult::kStored);
  clock_.advance(20);
  EXPECT_EQ(get(key("x.example.")).ttl, 100u);
  EXPECT_EQ(out_.at(0).ttl, 100u);
  clock_.advance(100);
  EXPECT_EQ(get(key("x.example.")).outcome, Outcome::kMiss);
}

TEST_F(RecordCacheTest, ZeroNegativeTtlIsNotCached) {
  EXPECT_EQ(
      cache_.insertNxDomain(key("x.example."), soa("example.", 0, 300), Trust::kAuthorityAuth),
      InsertResult::kUncacheable);
  EXPECT_EQ(get(key("x.example.")).outcome, Outcome::kMiss);
}

TEST_F(RecordCacheTest, DataReplacesNoDataAndNoDataReplacesData) {
  Key k = key("flip.example.");
  ASSERT_EQ(cache_.insertNoData(k, soa("example.", 300, 300), Trust::kAuthorityAuth),
            InsertResult::kStored);
  ASSERT_EQ(cache_.insert(k, aSet("flip.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(get(k).outcome, Outcome::kRecords);
  EXPECT_EQ(cache_.insertNoData(k, soa("example.", 300, 300), Trust::kAuthorityAuth),
            InsertResult::kRejectedTrust);
  ASSERT_EQ(cache_.insertNoData(k, soa("example.", 300, 300), Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(get(k).outcome, Outcome::kNoData);
  EXPECT_EQ(cache_.stats().entries, 1u);
}

TEST_F(RecordCacheTest, NxDomainDropsLowerTrustDataOfTheName) {
  ASSERT_EQ(cache_.insert(key("n.example."), aSet("n.example.", 1), 300, Trust::kAdditional),
            InsertResult::kStored);
  ASSERT_EQ(cache_.insertNoData(key("n.example.", kMX), soa("example.", 300, 300),
                                Trust::kAuthorityNonAuth),
            InsertResult::kStored);
  ASSERT_EQ(
      cache_.insertNxDomain(key("n.example."), soa("example.", 300, 300), Trust::kAuthorityAuth),
      InsertResult::kStored);
  EXPECT_EQ(get(key("n.example.")).outcome, Outcome::kNxDomain);
  EXPECT_EQ(get(key("n.example.", kMX)).outcome, Outcome::kNxDomain);
  EXPECT_EQ(cache_.stats().entries, 1u);
}

TEST_F(RecordCacheTest, NxDomainCannotDropHigherTrustData) {
  ASSERT_EQ(cache_.insert(key("n.example."), aSet("n.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(cache_.insertNxDomain(key("n.example.", kMX), soa("example.", 300, 300),
                                  Trust::kAnswerNonAuth),
            InsertResult::kRejectedTrust);
  EXPECT_EQ(get(key("n.example.")).outcome, Outcome::kRecords);
  EXPECT_EQ(get(key("n.example.", kMX)).outcome, Outcome::kMiss);
}

TEST_F(RecordCacheTest, DataReplacesAnNxDomainOfNoHigherTrust) {
  ASSERT_EQ(
      cache_.insertNxDomain(key("n.example."), soa("example.", 300, 300), Trust::kAnswerNonAuth),
      InsertResult::kStored);
  EXPECT_EQ(cache_.insert(key("n.example."), aSet("n.example.", 1), 300, Trust::kAdditional),
            InsertResult::kRejectedTrust);
  ASSERT_EQ(cache_.insert(key("n.example."), aSet("n.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_EQ(get(key("n.example.")).outcome, Outcome::kRecords);
  EXPECT_EQ(get(key("n.example.", kMX)).outcome, Outcome::kMiss);  // the NXDOMAIN is gone
}

TEST_F(RecordCacheTest, EraseTypeZeroRemovesTheNxDomain) {
  ASSERT_EQ(
      cache_.insertNxDomain(key("n.example."), soa("example.", 300, 300), Trust::kAuthorityAuth),
      InsertResult::kStored);
  EXPECT_FALSE(cache_.erase(key("n.example.")));
  EXPECT_TRUE(cache_.erase(key("n.example.", 0)));
  EXPECT_EQ(get(key("n.example.")).outcome, Outcome::kMiss);
}

TEST_F(RecordCacheTest, NegativeEntriesAreContextIsolated) {
  ASSERT_EQ(cache_.insertNxDomain(key("onprem.corp.", kA, 7), soa("corp.", 300, 300),
                                  Trust::kAnswerNonAuth),
            InsertResult::kStored);
  EXPECT_EQ(get(key("onprem.corp.", kA, 0)).outcome, Outcome::kMiss);
  EXPECT_EQ(get(key("onprem.corp.", kA, 7)).outcome, Outcome::kNxDomain);
}

// --- Memory bound and eviction ---

TEST(RecordCacheEviction, StaysUnderTheBoundAndKeepsTheMostRecent) {
  constexpr size_t kMax = size_t{4} << 20;
  constexpr int kNames = 200000;
  ManualClock clock;
  RecordCache cache({.max_memory_bytes = kMax}, clock);
  auto owner = [](int i) { return "host" + std::to_string(i) + ".example.com."; };
  for (int i = 0; i < kNames; ++i) {
    std::string o = owner(i);
    ASSERT_EQ(cache.insert(key(o), aSet(o, static_cast<uint8_t>(i), 2), 300, Trust::kAnswerAuth),
              InsertResult::kStored);
    if (i % 10000 == 0) {
      ASSERT_LE(cache.stats().bytes, kMax);
    }
  }
  CacheStats s = cache.stats();
  EXPECT_LE(s.bytes, kMax);
  EXPECT_GT(s.bytes, kMax * 3 / 4);  // the budget is used, not left idle
  EXPECT_GT(s.evictions, 0u);
  EXPECT_EQ(s.entries + s.evictions, static_cast<uint64_t>(kNames));
  std::vector<dns::Record> out;
  for (int i = kNames - 2000; i < kNames; ++i) {
    ASSERT_TRUE(cache.lookup(key(owner(i)), out).hit()) << owner(i);
  }
  EXPECT_FALSE(cache.lookup(key(owner(0)), out).hit());
}

TEST(RecordCacheEviction, RecentlyReadNamesSurvive) {
  ManualClock clock;
  RecordCache cache({.max_memory_bytes = size_t{256} << 10, .shards = 1}, clock);
  std::vector<dns::Record> out;
  ASSERT_EQ(cache.insert(key("hot.example."), aSet("hot.example.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  for (int i = 0; i < 20000; ++i) {
    std::string o = "cold" + std::to_string(i) + ".example.";
    ASSERT_EQ(cache.insert(key(o), aSet(o, 1), 300, Trust::kAnswerAuth), InsertResult::kStored);
    ASSERT_TRUE(cache.lookup(key("hot.example."), out).hit()) << i;
  }
  EXPECT_GT(cache.stats().evictions, 0u);
}

TEST(RecordCacheEviction, TooLargeForAShardIsRefused) {
  ManualClock clock;
  RecordCache cache({.max_memory_bytes = 4096, .shards = 4}, clock);  // 1 KiB per shard
  EXPECT_EQ(
      cache.insert(key("big.example."), aSet("big.example.", 0, 200), 300, Trust::kAnswerAuth),
      InsertResult::kTooLarge);
  EXPECT_EQ(
      cache.insert(key("small.example."), aSet("small.example.", 0, 1), 300, Trust::kAnswerAuth),
      InsertResult::kStored);
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(RecordCacheOptions, ShardCountIsAPowerOfTwo) {
  ManualClock clock;
  EXPECT_EQ(RecordCache({.shards = 10}, clock).options().shards, 16u);
  EXPECT_EQ(RecordCache({.shards = 0}, clock).options().shards, 1u);
  EXPECT_EQ(RecordCache({.shards = 1}, clock).options().shards, 1u);
  EXPECT_EQ(RecordCache({.shards = 100000}, clock).options().shards, 1024u);
}

TEST(RecordCacheOptions, OneShardWorks) {
  ManualClock clock;
  RecordCache cache({.shards = 1}, clock);
  std::vector<dns::Record> out;
  ASSERT_EQ(cache.insert(key("one."), aSet("one.", 1), 300, Trust::kAnswerAuth),
            InsertResult::kStored);
  EXPECT_TRUE(cache.lookup(key("one."), out).hit());
}

TEST(RecordCacheDefaults, UsesTheSteadyClock) {
  RecordCache cache;
  std::vector<dns::Record> out;
  ASSERT_EQ(cache.insert(key("s."), aSet("s.", 1), 300, Trust::kAnswerAuth), InsertResult::kStored);
  LookupResult r = cache.lookup(key("s."), out);
  EXPECT_TRUE(r.hit());
  EXPECT_GE(r.ttl, 299u);
}

}  // namespace
}  // namespace vpcdns::cache
