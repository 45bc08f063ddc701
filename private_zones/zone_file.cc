// Master-file parser (RFC 1035 §5; RFC 2308 §4 $TTL; RFC 3597 §5 "\#"; BIND TTL units).
//
// Two layers: a Lexer that turns text into entries (one directive or record, possibly spread
// over lines by parentheses) of position-tagged tokens, and a FileParser that reads each entry.
// RDATA is checked field by field here, for precise messages, then handed to
// dns::rdataFromText() in zone-file form (relative names completed with the origin).
#include "private_zones/zone_file.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <utility>

#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::private_zones {
namespace {

namespace fs = std::filesystem;
using dns::Name;

constexpr uint32_t kMaxTtl = 0x7FFFFFFF;  // RFC 2181 §8

struct Position {
  int line = 0;
  int column = 0;
};

// An error before the file name is attached.
struct Failure {
  Position at;
  std::string message;
};

struct Token {
  std::string_view text;  // escapes not decoded; a quoted string without its quotes
  bool quoted = false;
  Position at;
};

// One directive or record. Invariant after Lexer::next() returned true: tokens is not empty.
struct Entry {
  std::vector<Token> tokens;
  bool blank_owner = false;  // its first line starts with a space or a tab (RFC 1035 §5.1)
  Position end;              // just past the last token
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string quote(const Token& t) {
  return std::string(t.quoted ? "quoted \"" : "\"") + std::string(t.text) + '"';
}

// Splits text into entries: whitespace separates tokens; ';' starts a comment up to the end of
// the line; '(' and ')' let an entry continue over line ends; "..." is one token. Never reads
// past the text; every step consumes at least one octet.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next entry into `e`; false at the end of the text.
  Result<bool, Failure> next(Entry& e) {
    e.tokens.clear();
    e.blank_owner = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (pos_ == line_start_ && depth_ == 0 && e.tokens.empty()) {
        e.blank_owner = c == ' ' || c == '\t';
      }
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
        if (depth_ == 0 && !e.tokens.empty()) return true;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == ';') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '(') {
        if (depth_ == 0) open_ = here();
        ++depth_;
        ++pos_;
      } else if (c == ')') {
        if (depth_ == 0) return fail(Failure{here(), "unbalanced parentheses: ')' without '('"});
        --depth_;
        ++pos_;
      } else {
        auto t = c == '"' ? quoted() : word();
        if (!t) return fail(t.error());
        e.tokens.push_back(*t);
        e.end = here();
      }
    }
    if (depth_ > 0) {
      return fail(Failure{here(), "unbalanced parentheses (opened at " +
                                      std::to_string(open_.line) + ":" +
                                      std::to_string(open_.column) + ")"});
    }
    return !e.tokens.empty();
  }

 private:
  Position here() const { return {line_, static_cast<int>(pos_ - line_start_) + 1}; }

  static bool isDelimiter(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')' ||
           c == '"';
  }

  // A string in double quotes on one line; `\` escapes the next octet.
  Result<Token, Failure> quoted() {
    Token t{{}, true, here()};
    size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\n') {
      pos_ += (text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') ? 2u : 1u;
    }
    if (pos_ >= text_.size() || text_[pos_] != '"') {
      return fail(Failure{t.at, "unterminated quoted string"});
    }
    t.text = text_.substr(start, pos_ - start);
    ++pos_;
    return t;
  }

  // A run of octets up to a delimiter; `\` makes the next octet (space, ';', ...) part of it.
  Result<Token, Failure> word() {
    Token t{{}, false, here()};
    size_t start = pos_;
    while (pos_ < text_.size() && !isDelimiter(text_[pos_])) {
      if (text_[pos_] == '\\') {
        if (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n' || text_[pos_ + 1] == '\r') {
          return fail(Failure{here(), "backslash at the end of a line"});
        }
        ++pos_;
      }
      ++pos_;
    }
    t.text = text_.substr(start, pos_ - start);
    return t;
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  int depth_ = 0;  // open parentheses
  Position open_;  // where the outermost open parenthesis is
};

// ---- RDATA fields ----------------------------------------------------------------------------

enum class Field : uint8_t {
  kIpv4,
  kIpv6,
  kName,
  kU8,
  kU16,
  kU32,
  kTimer,   // u32 or BIND units (SOA timers)
  kString,  // <character-string>, at most 255 octets (TXT, repeated)
  kTag,     // CAA tag
  kValue,   // CAA value: any length
};

const char* describe(Field f) {
  switch (f) {
    case Field::kIpv4:
      return "an IPv4 address";
    case Field::kIpv6:
      return "an IPv6 address";
    case Field::kName:
      return "a domain name";
    case Field::kU8:
      return "an integer 0..255";
    case Field::kU16:
      return "an integer 0..65535";
    case Field::kU32:
      return "an integer 0..4294967295";
    case Field::kTimer:
      return "a time value (0..4294967295 seconds, or units like 1h30m)";
    case Field::kString:
      return "a character string of at most 255 octets";
    case Field::kTag:
      return "a CAA tag (letters and digits)";
    case Field::kValue:
      return "a CAA value";
  }
  return "";
}

// The presentation-form fields of the typed RDATA of dns/ (RFC 1035 §3.3, RFC 3596, RFC 2782,
// RFC 6672, RFC 8659); empty for types that only have the "\#" form. TXT repeats its field.
std::span<const Field> schema(uint16_t type) {
  using F = Field;
  static constexpr F kA[] = {F::kIpv4}, kAAAA[] = {F::kIpv6}, kName[] = {F::kName},
                     kSoa[] = {F::kName,  F::kName,  F::kU32,  F::kTimer,
                               F::kTimer, F::kTimer, F::kTimer},
                     kMx[] = {F::kU16, F::kName}, kTxt[] = {F::kString},
                     kSrv[] = {F::kU16, F::kU16, F::kU16, F::kName},
                     kCaa[] = {F::kU8, F::kTag, F::kValue};
  switch (type) {
    case dns::rrtype::kA:
      return kA;
    case dns::rrtype::kAAAA:
      return kAAAA;
    case dns::rrtype::kNS:
    case dns::rrtype::kCNAME:
    case dns::rrtype::kDNAME:
    case dns::rrtype::kPTR:
      return kName;
    case dns::rrtype::kSOA:
      return kSoa;
    case dns::rrtype::kMX:
      return kMx;
    case dns::rrtype::kTXT:
      return kTxt;
    case dns::rrtype::kSRV:
      return kSrv;
    case dns::rrtype::kCAA:
      return kCaa;
    default:
      return {};
  }
}

std::string nameProblem(dns::Error e) {
  switch (e) {
    case dns::Error::kLabelTooLong:
      return "a label is longer than 63 octets";
    case dns::Error::kNameTooLong:
      return "the name is longer than 255 octets";
    case dns::Error::kEmptyLabel:
      return "empty label";
    default:
      return "bad escape";
  }
}

// Decoded length of a <character-string> with \X and \DDD escapes (RFC 1035 §5.1); nullopt if
// an escape is malformed.
std::optional<size_t> unescapedLength(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    if (s[i] != '\\') {
      ++i;
    } else if (i + 1 < s.size() && !isDigit(s[i + 1])) {
      i += 2;
    } else if (i + 3 < s.size() && isDigit(s[i + 1]) && isDigit(s[i + 2]) && isDigit(s[i + 3]) &&
               (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0') <= 255) {
      i += 4;
    } else {
      return std::nullopt;
    }
  }
  return n;
}

bool parseUnsigned(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

bool isAlnum(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Checks token `t` as field `f`; on success appends its presentation form to `out`. On failure
// `reason` may say more than the field's description.
bool checkField(Field f, const Token& t, const Name& origin, std::string& out,
                std::string& reason) {
  if (t.quoted && f != Field::kString && f != Field::kValue) return false;
  const std::string s(t.text);
  uint64_t v = 0;
  switch (f) {
    case Field::kIpv4:
    case Field::kIpv6: {
      unsigned char buf[16];
      if (inet_pton(f == Field::kIpv4 ? AF_INET : AF_INET6, s.c_str(), buf) != 1) return false;
      break;
    }
    case Field::kName: {
      auto n = dns::nameFromText(t.text, origin);
      if (!n) {
        reason = nameProblem(n.error());
        return false;
      }
      break;
    }
    case Field::kU8:
      if (!parseUnsigned(t.text, 0xFF, v)) return false;
      break;
    case Field::kU16:
      if (!parseUnsigned(t.text, 0xFFFF, v)) return false;
      break;
    case Field::kU32:
      if (!parseUnsigned(t.text, 0xFFFFFFFF, v)) return false;
      break;
    case Field::kTimer: {
      if (parseUnsigned(t.text, 0xFFFFFFFF, v)) break;
      uint32_t ttl = 0;
      if (!parseTtl(t.text, ttl)) return false;
      out += std::to_string(ttl);
      return true;
    }
    case Field::kString:
    case Field::kValue: {
      auto n = unescapedLength(t.text);
      if (!n) {
        reason = "bad escape";
        return false;
      }
      if (f == Field::kString && *n > 255) return false;
      out += '"';
      out += t.text;
      out += '"';
      return true;
    }
    case Field::kTag:
      if (t.text.empty() || t.text.size() > 255) return false;
      for (char c : t.text) {
        if (!isAlnum(c)) return false;
      }
      break;
  }
  out += t.text;
  return true;
}

// ---- Files ------------------------------------------------------------------------------------

// Reads a whole regular file (devices, FIFOs and directories are refused: they may never end).
Result<std::string, std::string> readFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(std::string(std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail(std::string("not a regular file"));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fail(std::string(std::strerror(errno)));
  std::string content;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) content.append(buf, n);
  bool error = std::ferror(f) != 0;
  std::fclose(f);
  if (error) return fail(std::string("read error"));
  return content;
}

std::string canonicalPath(const fs::path& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal().string() : c.string();
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return u;
}

// State shared by every file of one parse.
struct Shared {
  const ZoneFileOptions& options;
  std::vector<dns::Record> records;
  std::vector<std::string> reading;  // canonical paths of the files being read (include stack)
  std::optional<uint32_t> soa_minimum;
  std::vector<uint8_t> scratch;
};

// Per-file state (RFC 1035 §5.1): an included file gets its own copy, so nothing it changes
// leaks back into the including file.
struct Scope {
  Name origin;
  std::optional<Name> owner;    // previous owner, for lines with a blank owner field
  std::optional<uint32_t> ttl;  // $TTL
};

class FileParser {
 public:
  FileParser(Shared& shared, std::string file, fs::path dir, Scope scope, int depth)
      : sh_(shared),
        file_(std::move(file)),
        dir_(std::move(dir)),
        scope_(std::move(scope)),
        depth_(depth) {}

  Status<ZoneFileError> run(std::string_view text) {
    Lexer lexer(text);
    Entry e;
    for (;;) {
      auto more = lexer.next(e);
      if (!more) return errorAt(more.error().at, more.error().message);
      if (!*more) return {};
      auto s = entry(e);
      if (!s) return s;
    }
  }

 private:
  Unexpected<ZoneFileError> errorAt(Position at, std::string message) const {
    return fail(ZoneFileError{file_, at.line, at.column, std::move(message)});
  }
  Unexpected<ZoneFileError> error(const Token& t, std::string message) const {
    return errorAt(t.at, std::move(message));
  }

  Status<ZoneFileError> entry(const Entry& e) {
    const Token& first = e.tokens.front();
    if (!e.blank_owner && !first.quoted && first.text.starts_with('$')) return directive(e);
    return record(e);
  }

  // ---- directives ----

  Status<ZoneFileError> directive(const Entry& e) {
    const Token& d = e.tokens.front();
    const std::string name = upper(d.text);
    if (name == "$ORIGIN") return originDirective(e);
    if (name == "$TTL") return ttlDirective(e);
    if (name == "$INCLUDE") return includeDirective(e);
    return error(d, "unknown directive " + quote(d) + " (expected $ORIGIN, $TTL or $INCLUDE)");
  }

  // Checks that `e` has between min and max arguments after the directive.
  Status<ZoneFileError> arguments(const Entry& e, size_t min, size_t max, const char* what) {
    const std::string name = upper(e.tokens.front().text);
    if (e.tokens.size() - 1 < min) {
      return errorAt(e.end, name + ": expected " + what + ", got end of line");
    }
    if (e.tokens.size() - 1 > max) {
      return error(e.tokens[max + 1], "unexpected " + quote(e.tokens[max + 1]) + " after " + name);
    }
    return {};
  }

  Result<Name, ZoneFileError> domainName(const Token& t, const char* what) const {
    if (t.quoted) return error(t, std::string("expected ") + what + ", got " + quote(t));
    auto n = dns::nameFromText(t.text, scope_.origin);
    if (!n) {
      return error(
          t, std::string("expected ") + what + ", got " + quote(t) + ": " + nameProblem(n.error()));
    }
    return *n;
  }

  Status<ZoneFileError> originDirective(const Entry& e) {
    if (auto s = arguments(e, 1, 1, "a domain name"); !s) return s;
    auto n = domainName(e.tokens[1], "a domain name");
    if (!n) return fail(n.error());
    scope_.origin = *n;
    return {};
  }

  Status<ZoneFileError> ttlDirective(const Entry& e) {
    if (auto s = arguments(e, 1, 1, "a TTL"); !s) return s;
    const Token& t = e.tokens[1];
    uint32_t ttl = 0;
    if (t.quoted || !parseTtl(t.text, ttl)) {
      return error(
          t, "$TTL: expected a TTL (0..2147483647 seconds, or units like 1h30m), got " + quote(t));
    }
    scope_.ttl = ttl;
    return {};
  }

  Status<ZoneFileError> includeDirective(const Entry& e) {
    const Token& d = e.tokens.front();
    if (!sh_.options.allow_include) return error(d, "$INCLUDE is not allowed here");
    if (auto s = arguments(e, 1, 2, "a file name"); !s) return s;
    const Token& file = e.tokens[1];
    Scope inner{scope_.origin, std::nullopt, scope_.ttl};
    if (e.tokens.size() == 3) {
      auto n = domainName(e.tokens[2], "an origin domain name");
      if (!n) return fail(n.error());
      inner.origin = *n;
    }
    if (depth_ >= sh_.options.max_include_depth) {
      return error(d, "$INCLUDE nested more than " + std::to_string(sh_.options.max_include_depth) +
                          " deep");
    }
    auto unescaped = unescapedLength(file.text);
    if (!unescaped || file.text.empty() || file.text.find('\0') != std::string_view::npos) {
      return error(file, "$INCLUDE: expected a file name, got " + quote(file));
    }
    const fs::path path = dir_ / fs::path(unescapeFileName(file.text));
    const std::string display = path.string();
    const std::string canonical = canonicalPath(path);
    for (const auto& p : sh_.reading) {
      if (p == canonical) {
        return error(file, "$INCLUDE loop: \"" + display + "\" is already being read");
      }
    }
    auto content = readFile(display);
    if (!content) {
      return error(file, "cannot open $INCLUDE file \"" + display + "\": " + content.error());
    }
    sh_.reading.push_back(canonical);
    FileParser sub(sh_, display, path.parent_path(), std::move(inner), depth_ + 1);
    auto s = sub.run(*content);
    sh_.reading.pop_back();
    return s;
  }

  static std::string unescapeFileName(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        if (isDigit(s[i + 1])) {  // \DDD, validated by unescapedLength()
          out +=
              static_cast<char>((s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0'));
          i += 3;
          continue;
        }
        ++i;
      }
      out += s[i];
    }
    return out;
  }

  // ---- records ----

  Result<Name, ZoneFileError> owner(const Entry& e, size_t& next) const {
    if (e.blank_owner) {
      if (!scope_.owner) {
        return error(e.tokens.front(), "no previous owner name for a line starting with a blank");
      }
      return *scope_.owner;
    }
    const Token& t = e.tokens.front();
    next = 1;
    auto n = domainName(t, "an owner name");
    if (!n) return n;
    if (!n->isSubdomainOf(sh_.options.origin)) {
      return error(t, "owner name \"" + n->toText() + "\" is out of zone \"" +
                          sh_.options.origin.toText() + "\"");
    }
    return n;
  }

  static std::string expectation(bool have_ttl, bool have_class) {
    if (have_ttl && have_class) return "a record type";
    if (have_ttl) return "a class or record type";
    if (have_class) return "a TTL or record type";
    return "a TTL, class or record type";
  }

  // TTL and class in either order, both optional, then the type (RFC 1035 §5.1). Types never
  // start with a digit and TTLs always do, so the three cannot be confused.
  Result<uint16_t, ZoneFileError> ttlClassType(const Entry& e, size_t& i,
                                               std::optional<uint32_t>& ttl) const {
    bool have_class = false;
    for (; i < e.tokens.size(); ++i) {
      const Token& t = e.tokens[i];
      if (!t.quoted && !have_class && dns::classFromText(t.text)) {
        if (*dns::classFromText(t.text) != dns::rrclass::kIN) {
          return error(t, "only class IN is supported, got " + quote(t));
        }
        have_class = true;
      } else if (!t.quoted && !ttl && !t.text.empty() && isDigit(t.text[0])) {
        uint32_t v = 0;
        if (!parseTtl(t.text, v)) {
          return error(
              t, "expected a TTL (0..2147483647 seconds, or units like 1h30m), got " + quote(t));
        }
        ttl = v;
      } else {
        auto type = t.quoted ? std::nullopt : dns::typeFromText(t.text);
        if (!type) {
          return error(
              t, "expected " + expectation(ttl.has_value(), have_class) + ", got " + quote(t));
        }
        if (*type == 0 || *type == dns::rrtype::kOPT || (*type >= 128 && *type <= 255)) {
          return error(t, "type " + dns::typeToText(*type) + " cannot appear in zone data");
        }
        ++i;
        return *type;
      }
    }
    return errorAt(e.end,
                   "expected " + expectation(ttl.has_value(), have_class) + ", got end of line");
  }

  Status<ZoneFileError> record(const Entry& e) {
    size_t i = 0;
    auto name = owner(e, i);
    if (!name) return fail(name.error());
    std::optional<uint32_t> ttl;
    auto type = ttlClassType(e, i, ttl);
    if (!type) return fail(type.error());
    const Token& type_token = e.tokens[i - 1];
    auto rd = rdata(*type, std::span<const Token>(e.tokens).subspan(i), e, type_token);
    if (!rd) return fail(rd.error());
    sh_.scratch.clear();
    if (!dns::appendRdataWire(*rd, sh_.scratch)) {
      return error(e.tokens[i], "RDATA longer than 65535 octets");
    }
    if (*type == dns::rrtype::kSOA) sh_.soa_minimum = std::get<dns::RdataSoa>(*rd).minimum;
    uint32_t record_ttl = ttl               ? *ttl
                          : scope_.ttl      ? *scope_.ttl
                          : sh_.soa_minimum ? *sh_.soa_minimum
                                            : sh_.options.default_ttl;
    sh_.records.push_back(dns::Record{*name, *type, dns::rrclass::kIN, record_ttl, std::move(*rd)});
    scope_.owner = *name;
    return {};
  }

  // ---- RDATA ----

  Result<dns::Rdata, ZoneFileError> rdata(uint16_t type, std::span<const Token> t, const Entry& e,
                                          const Token& type_token) const {
    const std::string type_name = dns::typeToText(type);
    if (t.empty()) return errorAt(e.end, "expected " + type_name + " RDATA, got end of line");
    if (!t[0].quoted && t[0].text == "\\#") return generic(type, t, e);
    auto fields = schema(type);
    if (fields.empty()) {
      return error(t[0], "type " + type_name + " has no text form here: use \\# (RFC 3597)");
    }
    const bool repeated = type == dns::rrtype::kTXT;
    std::string text;
    for (size_t k = 0; k < t.size(); ++k) {
      if (!repeated && k >= fields.size()) {
        return error(t[k], "unexpected " + quote(t[k]) + " after the " + type_name + " RDATA");
      }
      const Field f = fields[repeated ? 0 : k];
      std::string reason;
      if (k > 0) text += ' ';
      if (!checkField(f, t[k], scope_.origin, text, reason)) {
        return error(t[k], std::string("expected ") + describe(f) + ", got " + quote(t[k]) +
                               (reason.empty() ? "" : ": " + reason));
      }
    }
    if (!repeated && t.size() < fields.size()) {
      return errorAt(e.end, std::string("expected ") + describe(fields[t.size()]) + " (" +
                                type_name + " field " + std::to_string(t.size() + 1) + " of " +
                                std::to_string(fields.size()) + "), got end of line");
    }
    auto rd = dns::rdataFromText(type, text, scope_.origin);
    if (!rd) return error(type_token, "invalid " + type_name + " RDATA");
    return std::move(*rd);
  }

  // RFC 3597 §5: "\# <length> <hex words>".
  Result<dns::Rdata, ZoneFileError> generic(uint16_t type, std::span<const Token> t,
                                            const Entry& e) const {
    const std::string type_name = dns::typeToText(type);
    if (t.size() < 2) return errorAt(e.end, "expected the RDATA length after \\#, got end of line");
    uint64_t declared = 0;
    if (t[1].quoted || !parseUnsigned(t[1].text, 0xFFFF, declared)) {
      return error(t[1], "expected the RDATA length (0..65535) after \\#, got " + quote(t[1]));
    }
    size_t digits = 0;
    std::string text = "\\# " + std::string(t[1].text);
    for (const Token& w : t.subspan(2)) {
      for (char c : w.text) {
        if (w.quoted || hexValue(c) < 0) {
          return error(w, "expected hexadecimal RDATA after \\# " + std::string(t[1].text) +
                              ", got " + quote(w));
        }
      }
      digits += w.text.size();
      text += ' ';
      text += w.text;
    }
    if (digits % 2 != 0) return error(t.back(), "odd number of hex digits in \\# RDATA");
    if (digits / 2 != declared) {
      return error(t[1], "\\# RDATA length mismatch: declared " + std::to_string(declared) +
                             " octets, got " + std::to_string(digits / 2));
    }
    auto rd = dns::rdataFromText(type, text);
    if (!rd) return error(t[0], "\\# RDATA is not a valid " + type_name + " RDATA");
    return std::move(*rd);
  }

  Shared& sh_;
  std::string file_;
  fs::path dir_;
  Scope scope_;
  int depth_;
};

}  // namespace

std::string ZoneFileError::toString() const {
  if (line == 0) return file + ": " + message;
  return file + ':' + std::to_string(line) + ':' + std::to_string(column) + ": " + message;
}

bool parseTtl(std::string_view text, uint32_t& out) {
  if (text.empty()) return false;
  uint64_t total = 0, number = 0;
  bool digits = false, units = false;
  for (char c : text) {
    if (isDigit(c)) {
      number = number * 10 + static_cast<uint64_t>(c - '0');
      if (number > kMaxTtl) return false;
      digits = true;
      continue;
    }
    uint64_t unit = 0;
    switch (c) {
      case 's':
      case 'S':
        unit = 1;
        break;
      case 'm':
      case 'M':
        unit = 60;
        break;
      case 'h':
      case 'H':
        unit = 3600;
        break;
      case 'd':
      case 'D':
        unit = 86400;
        break;
      case 'w':
      case 'W':
        unit = 604800;
        break;
      default:
        return false;
    }
    if (!digits) return false;
    total += number * unit;
    if (total > kMaxTtl) return false;
    number = 0;
    digits = false;
    units = true;
  }
  if (digits) {
    if (units) return false;  // "1h30": every number needs a unit once one has one
    total = number;
  }
  out = static_cast<uint32_t>(total);
  return true;
}

Result<std::vector<dns::Record>, ZoneFileError> parseZoneFile(const std::string& path,
                                                              const ZoneFileOptions& options) {
  auto content = readFile(path);
  if (!content) return fail(ZoneFileError{path, 0, 0, "cannot read file: " + content.error()});
  Shared shared{options, {}, {canonicalPath(path)}, std::nullopt, {}};
  FileParser parser(shared, path, fs::path(path).parent_path(), Scope{options.origin, {}, {}}, 0);
  if (auto s = parser.run(*content); !s) return fail(s.error());
  return std::move(shared.records);
}

Result<std::vector<dns::Record>, ZoneFileError> parseZoneText(std::string_view text,
                                                              const std::string& name,
                                                              const ZoneFileOptions& options) {
  Shared shared{options, {}, {}, std::nullopt, {}};
  FileParser parser(shared, name, fs::path(), Scope{options.origin, {}, {}}, 0);
  if (auto s = parser.run(text); !s) return fail(s.error());
  return std::move(shared.records);
}

}  // namespace vpcdns::private_zones
