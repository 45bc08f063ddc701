#include "cache/answer.h"

#include <algorithm>
#include <variant>

#include "dns/types.h"

namespace vpcdns::cache {

namespace {
constexpr size_t kMaxCachedLinks = 32;  // the ranges array below lives on the stack

uint32_t minTtl(const std::vector<dns::Record>& rrset) {
  uint32_t ttl = UINT32_MAX;
  for (const auto& r : rrset) ttl = std::min(ttl, r.ttl);
  return ttl;
}
}  // namespace

bool writeCachedAnswer(RecordCache& cache, uint64_t context, const dns::Question& q,
                       size_t max_links, Trust min_trust, std::vector<dns::Record>& scratch,
                       dns::MessageWriter& w) {
  if (q.cls != dns::rrclass::kIN) return false;
  scratch.clear();
  struct Range {
    size_t begin, end;
  };
  Range ranges[kMaxCachedLinks + 1];
  size_t nranges = 0;
  bool negative = false;
  uint16_t rcode = dns::rcode::kNoError;
  max_links = std::min(max_links, kMaxCachedLinks);
  dns::Name name = q.name;  // copied: lookups append to scratch, which may move
  for (size_t link = 0;; ++link) {
    size_t begin = scratch.size();
    const auto r = cache.lookup({context, name, q.type, q.cls}, scratch);
    if (r.hit()) {
      if (r.trust < min_trust) return false;
      ranges[nranges++] = {begin, scratch.size()};
      negative = r.outcome != Outcome::kRecords;
      if (r.outcome == Outcome::kNxDomain) rcode = dns::rcode::kNXDomain;
      break;
    }
    if (q.type == dns::rrtype::kCNAME || link >= max_links) return false;
    begin = scratch.size();
    const auto c = cache.lookup({context, name, dns::rrtype::kCNAME, q.cls}, scratch);
    if (c.outcome != Outcome::kRecords || c.trust < min_trust || scratch.size() == begin) {
      return false;
    }
    const auto* target = std::get_if<dns::RdataName>(&scratch[begin].rdata);
    if (target == nullptr) return false;
    ranges[nranges++] = {begin, scratch.size()};
    name = target->name;
  }
  for (size_t i = 0; i < nranges; ++i) {
    const std::span<const dns::Record> set(scratch.data() + ranges[i].begin,
                                           ranges[i].end - ranges[i].begin);
    const bool is_soa = negative && i + 1 == nranges;
    w.addRRset(is_soa ? dns::Section::kAuthority : dns::Section::kAnswer, set);
  }
  w.setRcode(rcode);
  return true;
}

size_t storeReply(RecordCache& cache, uint64_t context, const dns::Question& q,
                  const dns::Message& reply, Trust trust) {
  const uint16_t rcode = reply.rcode();
  if (rcode != dns::rcode::kNoError && rcode != dns::rcode::kNXDomain) return 0;
  size_t stored = 0;
  dns::Name name = q.name;
  bool has_data = false;
  for (size_t link = 0; link <= kMaxCachedLinks; ++link) {
    std::vector<dns::Record> data, cname;
    for (const auto& r : reply.answer) {
      if (r.cls != q.cls || !(r.name == name)) continue;
      if (r.type == q.type) data.push_back(r);
      if (r.type == dns::rrtype::kCNAME) cname.push_back(r);
    }
    if (!data.empty()) {
      stored += cache.insert({context, name, q.type, q.cls}, data, minTtl(data), trust) ==
                InsertResult::kStored;
      has_data = true;
      break;
    }
    if (cname.empty() || q.type == dns::rrtype::kCNAME) break;
    const auto* target = std::get_if<dns::RdataName>(&cname.front().rdata);
    if (target == nullptr) break;
    cname.resize(1);  // a CNAME RRset has one record (RFC 2181 §10.1)
    stored += cache.insert({context, name, dns::rrtype::kCNAME, q.cls}, cname, cname.front().ttl,
                           trust) == InsertResult::kStored;
    name = target->name;
  }
  if (has_data) return stored;
  const auto soa = std::find_if(reply.authority.begin(), reply.authority.end(), [&](auto& r) {
    return r.type == dns::rrtype::kSOA && name.isSubdomainOf(r.name);
  });
  if (soa == reply.authority.end()) return stored;
  const Key key{context, name, q.type, q.cls};
  const auto result = rcode == dns::rcode::kNXDomain ? cache.insertNxDomain(key, *soa, trust)
                                                     : cache.insertNoData(key, *soa, trust);
  return stored + (result == InsertResult::kStored);
}

}  // namespace vpcdns::cache
