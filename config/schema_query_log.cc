// The `query_log` section (README "Query log").
#include "config/schema.h"

namespace vpcdns::config::detail {
namespace {

constexpr uint64_t kMinLogSize = 1024;
constexpr uint64_t kMaxLogSize = uint64_t{1} << 40;

void readFile(Reader& r, const Value& v, QueryLogSection& s) {
  auto text = readScalar(r, v, "a file name");
  if (!text) return;
  if (text->empty()) return r.expected(v, "a file name");
  s.file = *text;
}

void readVpcList(Reader& r, const Value& v, QueryLogSection& s) {
  std::vector<std::string> ids;
  const bool is_list = readList(r, v, "a list of VPC ids", [&](const Value& item) {
    if (auto id = readId(r, item)) {
      r.vpcRefs().push_back({item.mark, item.path, *id});  // must be declared under vpcs
      ids.push_back(*id);
    }
  });
  if (is_list) s.vpcs = std::move(ids);
}

void readMaxSize(Reader& r, const Value& v, QueryLogSection& s) {
  if (auto n = readSize(r, v, kMaxLogSize)) {
    if (*n < kMinLogSize) return r.expected(v, "a size of at least 1KiB");
    s.max_size = *n;
  }
}

void readAccount(Reader& r, const Value& v, QueryLogSection& s) {
  if (auto id = readId(r, v)) s.account_id = *id;
}

void readRegion(Reader& r, const Value& v, QueryLogSection& s) {
  if (auto id = readId(r, v)) s.region = *id;
}

constexpr Field<QueryLogSection> kQueryLogFields[] = {
    {"file", readFile, true},
    {"vpcs", readVpcList},
    {"max_size", readMaxSize},
    {"max_files", uintField<&QueryLogSection::max_files, 0, 1000>},
    {"account_id", readAccount},
    {"region", readRegion},
    {"queue", uintField<&QueryLogSection::queue, 16, 16777216>},
};

}  // namespace

void readQueryLog(Reader& r, const Value& v, Config& out) {
  QueryLogSection s;
  readMap<QueryLogSection>(r, v, kQueryLogFields, s);
  if (!s.file.empty()) out.query_log = std::move(s);
}

}  // namespace vpcdns::config::detail
