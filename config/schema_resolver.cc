// The `resolver` and `cache` sections (README "resolver", "cache").
#include "config/schema.h"

namespace vpcdns::config::detail {
namespace {

constexpr uint64_t kMaxCacheMemory = uint64_t{1} << 40;

void readRootHints(Reader& r, const Value& v, ResolverSection& s) {
  auto text = readScalar(r, v, "a file name (named.root format)");
  if (!text) return;
  if (text->empty()) return r.expected(v, "a file name (named.root format)");
  s.root_hints = *text;
}

void readQnameMin(Reader& r, const Value& v, ResolverSection& s) {
  s.qname_minimisation = readBool(r, v);
}

void readIpv6(Reader& r, const Value& v, ResolverSection& s) {
  s.ipv6 = readBool(r, v);
}

void readDontQuery(Reader& r, const Value& v, ResolverSection& s) {
  std::vector<IpPrefix> list;
  bool is_list = readList(r, v, "a list of address prefixes (e.g. [127.0.0.0/8, \"::1/128\"])",
                          [&](const Value& item) {
                            if (auto p = readPrefix(r, item)) list.push_back(*p);
                          });
  if (is_list) s.dont_query = std::move(list);
}

constexpr Field<ResolverSection> kResolverFields[] = {
    {"root_hints", readRootHints},
    {"qname_minimisation", readQnameMin},
    {"ipv6", readIpv6},
    {"dont_query", readDontQuery},
    {"edns_udp_size", uintField<&ResolverSection::edns_udp_size, 512, 4096>},
    {"max_upstream_queries", uintField<&ResolverSection::max_upstream_queries, 1, 1000>},
    {"max_referral_depth", uintField<&ResolverSection::max_referral_depth, 1, 64>},
    {"max_cname_chain", uintField<&ResolverSection::max_cname_chain, 1, 64>},
    {"max_glueless_ns", uintField<&ResolverSection::max_glueless_ns, 1, 32>},
    {"upstream_timeout_ms", uintField<&ResolverSection::upstream_timeout_ms, 10, 30000>},
    {"resolution_timeout_ms", uintField<&ResolverSection::resolution_timeout_ms, 100, 60000>},
};

constexpr Field<CacheSection> kCacheFields[] = {
    {"max_memory", sizeField<&CacheSection::max_memory, kMaxCacheMemory>},
    {"min_ttl", uintField<&CacheSection::min_ttl, 0, 86400>},
    {"max_ttl", uintField<&CacheSection::max_ttl, 1, 604800>},
    {"max_negative_ttl", uintField<&CacheSection::max_negative_ttl, 0, 86400>},
};

}  // namespace

void readResolver(Reader& r, const Value& v, Config& out) {
  readMap<ResolverSection>(r, v, kResolverFields, out.resolver);
}

void readCache(Reader& r, const Value& v, Config& out) {
  readMap<CacheSection>(r, v, kCacheFields, out.cache);
  if (out.cache.min_ttl > out.cache.max_ttl) {
    r.error(v, "min_ttl (" + std::to_string(out.cache.min_ttl) + ") is above max_ttl (" +
                   std::to_string(out.cache.max_ttl) + ")");
  }
  if (out.cache.max_memory < (uint64_t{1} << 20)) {
    r.error(v, "max_memory must be at least 1MiB");
  }
}

}  // namespace vpcdns::config::detail
