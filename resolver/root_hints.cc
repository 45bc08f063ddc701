// Root hints: the built-in IANA set and a parser for the named.root format.
//
// The parser reads the subset of the master-file format (RFC 1035 §5.1) that named.root uses:
// one record per line, `owner [TTL] [class] type rdata` with TTL and class in either order, ';'
// comments, blank lines, and a blank owner meaning the previous owner. Parentheses and $
// directives never appear in named.root and are rejected rather than half-supported.
#include "resolver/root_hints.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::resolver {
namespace {

using dns::Name;

constexpr uint32_t kRootHintsTtl = 3600000;  // as published in named.root
constexpr uint32_t kMaxTtl = 0x7FFFFFFF;     // RFC 2181 §8

// https://www.internic.net/domain/named.root (root zone 2024041801; b.root-servers.net
// renumbered on 2023-11-27).
struct BuiltinServer {
  const char* name;
  const char* v4;
  const char* v6;
};
constexpr BuiltinServer kBuiltinServers[] = {
    {"a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"},
    {"b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"},
    {"c.root-servers.net.", "192.33.4.12", "2001:500:2::c"},
    {"d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"},
    {"e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"},
    {"f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"},
    {"g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"},
    {"h.root-servers.net.", "198.97.190.53", "2001:500:1::53"},
    {"i.root-servers.net.", "192.36.148.17", "2001:7fe::53"},
    {"j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"},
    {"k.root-servers.net.", "193.0.14.129", "2001:7fd::1"},
    {"l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"},
    {"m.root-servers.net.", "202.12.27.33", "2001:dc3::35"},
};

RootHints makeBuiltin() {
  RootHints hints;
  for (const auto& s : kBuiltinServers) {
    Name name = Name::fromText(s.name).value();
    hints.ns.push_back(dns::Record{Name(), dns::rrtype::kNS, dns::rrclass::kIN, kRootHintsTtl,
                                   dns::RdataName{name}});
    hints.addresses.push_back(dns::Record{name, dns::rrtype::kA, dns::rrclass::kIN, kRootHintsTtl,
                                          dns::rdataFromText(dns::rrtype::kA, s.v4).value()});
    hints.addresses.push_back(dns::Record{name, dns::rrtype::kAAAA, dns::rrclass::kIN,
                                          kRootHintsTtl,
                                          dns::rdataFromText(dns::rrtype::kAAAA, s.v6).value()});
  }
  return hints;
}

struct Token {
  std::string_view text;
  int column = 0;  // 1-based
};

struct Line {
  std::vector<Token> tokens;
  bool blank_owner = false;  // starts with a space or tab (RFC 1035 §5.1: previous owner)
  int line = 0;
  int end_column = 0;  // just past the last token
};

// Splits one line (without its '\n') into whitespace-separated tokens, dropping a ';' comment.
Line splitLine(std::string_view text, int line_number) {
  Line line;
  line.line = line_number;
  line.blank_owner = !text.empty() && (text[0] == ' ' || text[0] == '\t');
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (i < text.size()) {
    if (space(text[i])) {
      ++i;
      continue;
    }
    if (text[i] == ';') break;
    size_t start = i;
    while (i < text.size() && !space(text[i]) && text[i] != ';') ++i;
    line.tokens.push_back({text.substr(start, i - start), static_cast<int>(start) + 1});
    line.end_column = static_cast<int>(i) + 1;
  }
  return line;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Plain seconds only: named.root never uses BIND's unit suffixes.
std::optional<uint32_t> parseTtl(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxTtl) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

class Parser {
 public:
  explicit Parser(const std::string& file) : file_(file) {}

  Result<RootHints, std::string> run(std::string_view text) {
    int line_number = 0;
    int last_line = 1, last_column = 1;  // the end of the text, for errors about the whole file
    size_t pos = 0;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      std::string_view raw = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
      ++line_number;
      Line line = splitLine(raw, line_number);
      if (!line.tokens.empty()) {
        if (auto s = record(line); !s.ok()) return fail(s.error());
      }
      last_line = line_number;
      last_column = static_cast<int>(raw.size()) + 1;
      if (eol == std::string_view::npos) break;
      pos = eol + 1;
      if (pos == text.size()) {
        last_line = line_number + 1;
        last_column = 1;
      }
    }
    return finish(last_line, last_column);
  }

 private:
  struct Pending {  // an address record, checked against the NS set at the end
    dns::Record record;
    int line = 0;
    int column = 0;
  };

  std::string at(int line, int column, const std::string& message) const {
    return file_ + ':' + std::to_string(line) + ':' + std::to_string(column) + ": " + message;
  }

  Status<std::string> record(const Line& line) {
    size_t i = 0;
    Name owner;
    if (line.blank_owner) {
      if (!owner_) return fail(at(line.line, 1, "no previous owner name for a blank owner"));
      owner = *owner_;
    } else {
      const Token& t = line.tokens[0];
      if (t.text.starts_with('$')) {
        return fail(at(line.line, t.column,
                       "directive " + quote(t.text) + " is not supported in root hints"));
      }
      auto n = Name::fromText(t.text);
      if (!n) {
        return fail(at(line.line, t.column,
                       "expected an owner name, got " + quote(t.text) + ": " +
                           std::string(dns::errorText(n.error()))));
      }
      owner = *n;
      i = 1;
    }

    // TTL and class in either order, both optional, then the type. Types never start with a
    // digit and TTLs always do.
    std::optional<uint32_t> ttl;
    bool have_class = false;
    std::optional<uint16_t> type;
    for (; i < line.tokens.size() && !type; ++i) {
      const Token& t = line.tokens[i];
      if (t.text.find_first_of("()") != std::string_view::npos) {
        return fail(at(line.line, t.column, "parentheses are not supported in root hints"));
      }
      if (!have_class && dns::classFromText(t.text)) {
        if (*dns::classFromText(t.text) != dns::rrclass::kIN) {
          return fail(at(line.line, t.column, "only class IN is supported, got " + quote(t.text)));
        }
        have_class = true;
      } else if (!ttl && isDigit(t.text[0])) {
        ttl = parseTtl(t.text);
        if (!ttl) {
          return fail(at(line.line, t.column,
                         "expected a TTL (0..2147483647 seconds), got " + quote(t.text)));
        }
      } else {
        type = dns::typeFromText(t.text);
        if (!type) {
          return fail(at(line.line, t.column, "expected a record type, got " + quote(t.text)));
        }
        if (*type != dns::rrtype::kNS && *type != dns::rrtype::kA && *type != dns::rrtype::kAAAA) {
          return fail(at(line.line, t.column,
                         "type " + dns::typeToText(*type) +
                             " is not allowed in root hints (only NS, A and AAAA)"));
        }
      }
    }
    if (!type)
      return fail(at(line.line, line.end_column, "expected a record type, got end of line"));
    const std::string type_name = dns::typeToText(*type);
    if (i >= line.tokens.size()) {
      return fail(
          at(line.line, line.end_column, "expected " + type_name + " RDATA, got end of line"));
    }
    const Token& rdata_token = line.tokens[i];
    if (i + 1 < line.tokens.size()) {
      const Token& extra = line.tokens[i + 1];
      return fail(at(line.line, extra.column,
                     "unexpected " + quote(extra.text) + " after the " + type_name + " RDATA"));
    }
    auto rd = dns::rdataFromText(*type, rdata_token.text);
    if (!rd) {
      const char* what = *type == dns::rrtype::kNS  ? "a server name"
                         : *type == dns::rrtype::kA ? "an IPv4 address"
                                                    : "an IPv6 address";
      return fail(at(line.line, rdata_token.column,
                     std::string("expected ") + what + ", got " + quote(rdata_token.text)));
    }
    owner_ = owner;
    dns::Record r{owner, *type, dns::rrclass::kIN, ttl.value_or(kRootHintsTtl), std::move(*rd)};
    if (*type == dns::rrtype::kNS) {
      if (!owner.isRoot()) {
        const int column = line.blank_owner ? 1 : line.tokens[0].column;
        return fail(at(line.line, column,
                       "NS records must be owned by the root \".\", got " + quote(owner.toText())));
      }
      const Name& target = std::get<dns::RdataName>(r.rdata).name;
      for (const auto& ns : hints_.ns) {
        if (std::get<dns::RdataName>(ns.rdata).name == target) return {};  // duplicate
      }
      hints_.ns.push_back(std::move(r));
    } else {
      for (const auto& p : pending_) {
        if (p.record == r) return {};  // duplicate (names compare case-insensitively)
      }
      const int column = line.blank_owner ? 1 : line.tokens[0].column;
      pending_.push_back({std::move(r), line.line, column});
    }
    return {};
  }

  // Whole-file checks: every address belongs to an NS name, and some NS has an address.
  Result<RootHints, std::string> finish(int end_line, int end_column) {
    if (hints_.ns.empty()) return fail(at(end_line, end_column, "no NS records in root hints"));
    bool any_reachable = false;
    for (auto& p : pending_) {
      bool listed = false;
      for (const auto& ns : hints_.ns) {
        if (std::get<dns::RdataName>(ns.rdata).name == p.record.name) listed = true;
      }
      if (!listed) {
        return fail(at(p.line, p.column,
                       dns::typeToText(p.record.type) + " record for " +
                           quote(p.record.name.toText()) +
                           ", which is not the name of a root NS record"));
      }
      any_reachable = true;
      hints_.addresses.push_back(std::move(p.record));
    }
    if (!any_reachable) {
      return fail(at(end_line, end_column, "no A or AAAA record for any root NS name"));
    }
    return std::move(hints_);
  }

  const std::string& file_;
  std::optional<Name> owner_;
  RootHints hints_;
  std::vector<Pending> pending_;
};

}  // namespace

const RootHints& builtinRootHints() {
  static const RootHints hints = makeBuiltin();
  return hints;
}

Result<RootHints, std::string> parseRootHints(std::string_view text, const std::string& name) {
  return Parser(name).run(text);
}

Result<RootHints, std::string> loadRootHints(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail(path + ": cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return fail(path + ": cannot read: " + std::strerror(errno));
  return parseRootHints(content.str(), path);
}

}  // namespace vpcdns::resolver
