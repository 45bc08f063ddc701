// The `vpcs` and `zones` sections: which clients form a VPC, and the private zones each sees.
#include <algorithm>

#include "config/schema.h"
#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::config::detail {
namespace {

constexpr uint32_t kDefaultInlineTtl = 300;
constexpr uint64_t kMaxTtl = 0x7fffffff;  // RFC 2181 §8

std::optional<dns::Name> readDomain(Reader& r, const Value& v) {
  constexpr std::string_view kWhat = "a domain name (e.g. corp.internal)";
  auto text = readScalar(r, v, kWhat);
  if (!text) return std::nullopt;
  auto name = dns::Name::fromText(*text);
  if (!name || text->empty()) {
    r.expected(v, kWhat);
    return std::nullopt;
  }
  return *name;
}

bool readBool(Reader& r, const Value& v) {
  auto text = readScalar(r, v, "true or false");
  if (text && (*text == "true" || *text == "false")) return *text == "true";
  if (text) r.expected(v, "true or false");
  return false;
}

// ---- vpcs --------------------------------------------------------------------------------------

void readVpcId(Reader& r, const Value& v, Vpc& vpc) {
  if (auto id = readId(r, v)) vpc.id = *id;
}

void readVpcCidrs(Reader& r, const Value& v, Vpc& vpc) {
  readList(r, v, "a list of address prefixes (e.g. [10.0.0.0/16])", [&](const Value& item) {
    if (auto p = readPrefix(r, item)) vpc.cidrs.push_back(*p);
  });
}

void readVpcHostnames(Reader& r, const Value& v, Vpc& vpc) {
  if (auto d = readDomain(r, v)) vpc.hostnames = *d;
}

void readVpcLocalZones(Reader& r, const Value& v, Vpc& vpc) {
  vpc.local_zones = readBool(r, v);
}

constexpr Field<Vpc> kVpcFields[] = {
    {"id", readVpcId, true},
    {"cidrs", readVpcCidrs},
    {"hostnames", readVpcHostnames},
    {"local_zones", readVpcLocalZones},
};

// ---- zones -------------------------------------------------------------------------------------

// A zone being read: inline records need the zone's name, which may come after them.
struct ZoneEntry {
  ZoneSpec spec;
  bool has_name = false;
  uint32_t ttl = kDefaultInlineTtl;
  std::vector<Value> record_values;
  Value records_value;
  bool has_records = false;
};

void readZoneName(Reader& r, const Value& v, ZoneEntry& z) {
  if (auto d = readDomain(r, v)) {
    z.spec.name = *d;
    z.has_name = true;
  }
}

void readZoneVpcs(Reader& r, const Value& v, ZoneEntry& z) {
  readList(r, v, "a list of VPC ids", [&](const Value& item) {
    if (auto id = readId(r, item)) {
      z.spec.vpcs.push_back(*id);
      r.vpcRefs().push_back({item.mark, item.path, *id});
    }
  });
}

void readZoneFile(Reader& r, const Value& v, ZoneEntry& z) {
  if (auto f = readScalar(r, v, "a file name")) {
    if (f->empty()) return r.expected(v, "a file name");
    z.spec.file = *f;
  }
}

void readZoneTtl(Reader& r, const Value& v, ZoneEntry& z) {
  if (auto n = readUint(r, v, 0, kMaxTtl)) z.ttl = static_cast<uint32_t>(*n);
}

void readZonePtr(Reader& r, const Value& v, ZoneEntry& z) {
  z.spec.ptr = readBool(r, v);
}

void readZoneRecords(Reader& r, const Value& v, ZoneEntry& z) {
  z.has_records = true;
  z.records_value = v;
  readList(r, v, "a list of records ({name, type, ttl, values})",
           [&](const Value& item) { z.record_values.push_back(item); });
}

constexpr Field<ZoneEntry> kZoneFields[] = {
    {"name", readZoneName, true}, {"vpcs", readZoneVpcs}, {"file", readZoneFile},
    {"ttl", readZoneTtl},         {"ptr", readZonePtr},   {"records", readZoneRecords},
};

// One inline record: {name, type, ttl, values}; names are relative to the zone.
struct InlineRecord {
  const dns::Name* origin = nullptr;
  std::optional<dns::Name> owner;
  std::optional<uint16_t> type;
  uint32_t ttl = 0;
  std::vector<Value> values;
};

void readRecordName(Reader& r, const Value& v, InlineRecord& rec) {
  constexpr std::string_view kWhat = "a name relative to the zone, \"@\" or an absolute name";
  auto text = readScalar(r, v, kWhat);
  if (!text) return;
  std::optional<dns::Name> name;
  if (*text == "@") {
    name = *rec.origin;
  } else if (!text->empty() && text->back() == '.') {
    if (auto n = dns::Name::fromText(*text)) name = *n;
  } else if (!text->empty()) {
    if (auto n = dns::Name::fromText(*text + "." + rec.origin->toText())) name = *n;
  }
  if (!name) return r.expected(v, kWhat);
  if (!name->isSubdomainOf(*rec.origin)) {
    return r.error(v, "name " + name->toText() + " is outside the zone " + rec.origin->toText());
  }
  rec.owner = *name;
}

void readRecordType(Reader& r, const Value& v, InlineRecord& rec) {
  auto text = readScalar(r, v, "a record type (A, AAAA, CNAME, MX, TXT, ...)");
  if (!text) return;
  auto type = dns::typeFromText(*text);
  if (!type || *type == dns::rrtype::kOPT || *type == dns::rrtype::kANY ||
      *type == dns::rrtype::kAXFR || *type == dns::rrtype::kIXFR) {
    return r.expected(v, "a record type (A, AAAA, CNAME, MX, TXT, ...)");
  }
  rec.type = *type;
}

void readRecordTtl(Reader& r, const Value& v, InlineRecord& rec) {
  if (auto n = readUint(r, v, 0, kMaxTtl)) rec.ttl = static_cast<uint32_t>(*n);
}

void readRecordValues(Reader& r, const Value& v, InlineRecord& rec) {
  if (v.node.IsScalar()) {
    rec.values.push_back(v);
    return;
  }
  readList(r, v, "a list of record data in zone-file form",
           [&](const Value& item) { rec.values.push_back(item); });
}

constexpr Field<InlineRecord> kRecordFields[] = {
    {"name", readRecordName, true},
    {"type", readRecordType, true},
    {"ttl", readRecordTtl},
    {"values", readRecordValues, true},
};

void readInlineRecords(Reader& r, ZoneEntry& z) {
  for (const Value& item : z.record_values) {
    InlineRecord rec;
    rec.origin = &z.spec.name;
    rec.ttl = z.ttl;
    readMap<InlineRecord>(r, item, kRecordFields, rec);
    if (!rec.owner || !rec.type) continue;
    if (rec.values.empty()) r.error(item, "a record needs at least one value");
    for (const Value& value : rec.values) {
      auto text = readScalar(r, value, "record data in zone-file form");
      if (!text) continue;
      auto rdata = dns::rdataFromText(*rec.type, *text, z.spec.name);
      if (!rdata) {
        r.error(value, "invalid " + dns::typeToText(*rec.type) + " data \"" + *text +
                           "\": " + std::string(dns::errorText(rdata.error())));
        continue;
      }
      z.spec.records.push_back({*rec.owner, *rec.type, dns::rrclass::kIN, rec.ttl, *rdata});
    }
  }
}

void addZone(Reader& r, const Value& item, Config& out) {
  ZoneEntry z;
  z.spec.line = item.mark.line + 1;
  z.spec.column = item.mark.column + 1;
  readMap<ZoneEntry>(r, item, kZoneFields, z);
  if (!z.has_name) return;
  if (z.spec.file.empty() == !z.has_records) {
    return r.error(item, "a zone needs exactly one of 'file' or 'records'");
  }
  readInlineRecords(r, z);
  out.zones.push_back(std::move(z.spec));
}

// The same zone name twice for one VPC would make the answer depend on file order.
void checkZoneOverlap(Reader& r, const Value& v, const Config& c) {
  for (size_t i = 0; i < c.zones.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (!(c.zones[i].name == c.zones[j].name)) continue;
      for (const auto& id : c.zones[i].vpcs) {
        if (std::find(c.zones[j].vpcs.begin(), c.zones[j].vpcs.end(), id) ==
            c.zones[j].vpcs.end()) {
          continue;
        }
        YAML::Mark m;
        m.line = c.zones[i].line - 1;
        m.column = c.zones[i].column - 1;
        r.error(m, v.path + "[" + std::to_string(i) + "]",
                "zone " + c.zones[i].name.toText() + " is already associated with VPC '" + id +
                    "' (at line " + std::to_string(c.zones[j].line) + ")");
      }
    }
  }
}

}  // namespace

void readVpcs(Reader& r, const Value& v, Config& out) {
  readList(r, v, "a list of VPCs (- id: ..., cidrs: [...])", [&](const Value& item) {
    Vpc vpc;
    readMap<Vpc>(r, item, kVpcFields, vpc);
    if (vpc.id.empty()) return;
    if (out.findVpc(vpc.id) != nullptr) {
      return r.error(item, "duplicate VPC id '" + vpc.id + "'");
    }
    out.vpcs.push_back(std::move(vpc));
  });
}

void readZones(Reader& r, const Value& v, Config& out) {
  readList(r, v, "a list of zones (- name: ..., vpcs: [...], file: ... | records: [...])",
           [&](const Value& item) { addZone(r, item, out); });
  checkZoneOverlap(r, v, out);
}

void checkVpcRefs(Reader& r, const Config& c) {
  for (const auto& ref : r.vpcRefs()) {
    if (c.findVpc(ref.id) == nullptr) {
      r.error(ref.mark, ref.path, "unknown VPC '" + ref.id + "' (declare it under vpcs)");
    }
  }
}

}  // namespace vpcdns::config::detail

namespace vpcdns::config {

const Vpc* Config::findVpc(std::string_view id) const {
  for (const auto& v : vpcs) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

}  // namespace vpcdns::config
