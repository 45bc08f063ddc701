// The `vpcs` and `zones` sections: which clients form a VPC, and the private zones each sees.
#include <algorithm>
#include <unordered_map>

#include "config/schema.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "dns/types.h"

namespace vpcdns::config::detail {
namespace {

constexpr uint32_t kDefaultInlineTtl = 300;
constexpr uint64_t kMaxTtl = 0x7fffffff;  // RFC 2181 §8

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
  bool has_file = false;  // `file` is given (a bad value is reported on its own)
  Value update_value;
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
  z.has_file = true;
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

void readUpdateKeys(Reader& r, const Value& v, UpdatePolicy& u) {
  readList(r, v, "a list of TSIG key names", [&](const Value& item) {
    if (auto k = readScalar(r, item, "a TSIG key name")) {
      u.keys.push_back(*k);
      r.keyRefs().push_back({item.mark, item.path, *k});
    }
  });
}

void readUpdateAllow(Reader& r, const Value& v, UpdatePolicy& u) {
  readList(r, v, "a list of address prefixes", [&](const Value& item) {
    if (auto p = readPrefix(r, item)) u.allow.push_back(*p);
  });
}

constexpr Field<UpdatePolicy> kUpdateFields[] = {
    {"keys", readUpdateKeys, true},
    {"allow", readUpdateAllow, true},
};

void readZoneUpdate(Reader& r, const Value& v, ZoneEntry& z) {
  UpdatePolicy u;
  readMap<UpdatePolicy>(r, v, kUpdateFields, u);
  if (u.keys.empty()) return r.error(v, "updates need at least one TSIG key (keys: [...])");
  z.spec.update = std::move(u);
  z.update_value = v;
}

constexpr Field<ZoneEntry> kZoneFields[] = {
    {"name", readZoneName, true}, {"vpcs", readZoneVpcs}, {"file", readZoneFile},
    {"ttl", readZoneTtl},         {"ptr", readZonePtr},   {"records", readZoneRecords},
    {"update", readZoneUpdate},
};

// One inline record: {name, type, ttl, values}; names are relative to the zone.
struct InlineRecord {
  const dns::Name* origin = nullptr;
  const std::string* origin_text = nullptr;  // origin->toText(), made once per zone
  std::optional<dns::Name> owner;
  std::optional<uint16_t> type;
  uint32_t ttl = 0;
  std::vector<Value> values;
  bool values_read = false;  // `values` is a scalar or a list (else it was reported already)
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
    if (auto n = dns::Name::fromText(*text + "." + *rec.origin_text)) name = *n;
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
  rec.values_read = true;
  if (v.node.IsScalar()) {
    rec.values.push_back(v);
    return;
  }
  rec.values_read = readList(r, v, "a list of record data in zone-file form",
                             [&](const Value& item) { rec.values.push_back(item); });
}

constexpr Field<InlineRecord> kRecordFields[] = {
    {"name", readRecordName, true},
    {"type", readRecordType, true},
    {"ttl", readRecordTtl},
    {"values", readRecordValues, true},
};

void readInlineRecords(Reader& r, ZoneEntry& z) {
  const std::string origin_text = z.spec.name.toText();
  for (const Value& item : z.record_values) {
    InlineRecord rec;
    rec.origin = &z.spec.name;
    rec.origin_text = &origin_text;
    rec.ttl = z.ttl;
    readMap<InlineRecord>(r, item, kRecordFields, rec);
    if (!rec.owner || !rec.type) continue;
    // Only for `values: []`: a missing or malformed `values` has its own error.
    if (rec.values_read && rec.values.empty()) {
      r.error(item, "a record needs at least one value");
    }
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
  if (z.has_file == z.has_records) {
    return r.error(item, "a zone needs exactly one of 'file' or 'records'");
  }
  if (z.spec.update && z.spec.file.empty()) {
    return r.error(z.update_value, "updates are written back to the zone's file: use 'file'");
  }
  readInlineRecords(r, z);
  out.zones.push_back(std::move(z.spec));
}

// The same zone name twice for one VPC would make the answer depend on file order. Zones are
// grouped by name first: linear in the number of zones.
void checkZoneOverlap(Reader& r, const Value& v, const Config& c) {
  std::unordered_map<dns::Name, std::vector<size_t>, dns::NameHash> by_name;
  for (size_t i = 0; i < c.zones.size(); ++i) by_name[c.zones[i].name].push_back(i);
  for (size_t i = 0; i < c.zones.size(); ++i) {
    for (size_t j : by_name[c.zones[i].name]) {
      if (j >= i) break;
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

// ---- tsig_keys ---------------------------------------------------------------------------------

constexpr std::string_view kAlgorithms[] = {"hmac-sha256", "hmac-sha512", "hmac-sha384",
                                            "hmac-sha224", "hmac-sha1"};

void readKeyName(Reader& r, const Value& v, TsigKeySpec& k) {
  if (auto d = readDomain(r, v)) {
    k.name = *d;
    k.name_text = v.node.as<std::string>();
  }
}

void readKeyAlgorithm(Reader& r, const Value& v, TsigKeySpec& k) {
  if (auto a = readChoice(r, v, kAlgorithms)) k.algorithm = *dns::Name::fromText(*a + ".");
}

void readKeySecret(Reader& r, const Value& v, TsigKeySpec& k) {
  constexpr std::string_view kWhat = "a base64 secret (as in a BIND key file)";
  auto text = readScalar(r, v, kWhat);
  if (!text) return;
  auto secret = dns::base64Decode(*text);
  if (!secret || secret->empty()) return r.expected(v, kWhat);
  k.secret = std::move(*secret);
}

constexpr Field<TsigKeySpec> kKeyFields[] = {
    {"name", readKeyName, true},
    {"algorithm", readKeyAlgorithm},
    {"secret", readKeySecret, true},
};

}  // namespace

void readTsigKeys(Reader& r, const Value& v, Config& out) {
  readList(r, v, "a list of TSIG keys (- name: ..., secret: ...)", [&](const Value& item) {
    TsigKeySpec k;
    k.algorithm = *dns::Name::fromText("hmac-sha256.");
    readMap<TsigKeySpec>(r, item, kKeyFields, k);
    if (k.name_text.empty() || k.secret.empty()) return;
    if (out.findKey(k.name_text) != nullptr) {
      return r.error(item, "duplicate TSIG key '" + k.name_text + "'");
    }
    out.tsig_keys.push_back(std::move(k));
  });
}

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
  for (const auto& ref : r.keyRefs()) {
    if (c.findKey(ref.id) == nullptr) {
      r.error(ref.mark, ref.path, "unknown TSIG key '" + ref.id + "' (declare it under tsig_keys)");
    }
  }
  for (const auto& ref : r.vpcRefs()) {
    if (c.findVpc(ref.id) == nullptr) {
      r.error(ref.mark, ref.path, "unknown VPC '" + ref.id + "' (declare it under vpcs)");
    }
  }
}

bool readBool(Reader& r, const Value& v) {
  auto text = readScalar(r, v, "true or false");
  if (text && (*text == "true" || *text == "false")) return *text == "true";
  if (text) r.expected(v, "true or false");
  return false;
}

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

}  // namespace vpcdns::config::detail

namespace vpcdns::config {

const TsigKeySpec* Config::findKey(std::string_view name) const {
  for (const auto& k : tsig_keys) {
    if (k.name_text == name) return &k;
  }
  return nullptr;
}

const Vpc* Config::findVpc(std::string_view id) const {
  for (const auto& v : vpcs) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

}  // namespace vpcdns::config
