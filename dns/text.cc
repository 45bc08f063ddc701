// Presentation forms: RDATA as in a zone file (RFC 1035 §5.1, RFC 3597 §5 for "\#"), records,
// and a dig-like rendering of whole messages.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <limits>

#include "dns/escape.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::dns {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void appendHex(std::string& s, std::span<const uint8_t> data) {
  for (uint8_t b : data) {
    s += kHex[b >> 4];
    s += kHex[b & 0x0F];
  }
}

// A <character-string> in quotes: `"` and `\` escaped, octets outside [ -~] as \DDD.
void appendQuoted(std::string& s, std::span<const uint8_t> data) {
  s += '"';
  for (uint8_t c : data) {
    if (c == '"' || c == '\\') {
      s += '\\';
      s += static_cast<char>(c);
    } else if (c < 0x20 || c > 0x7E) {
      detail::appendDecimalEscape(s, c);
    } else {
      s += static_cast<char>(c);
    }
  }
  s += '"';
}

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Token {
  std::string_view raw;  // escapes not yet decoded; without the quotes
  bool quoted = false;
};

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Splits on unescaped whitespace; "..." is one token. Escapes stay in `raw`, but an escaped
// quote or space never ends a token.
Result<std::vector<Token>, Error> tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < text.size() && isSpace(text[i])) ++i;
    if (i == text.size()) return out;
    bool quoted = text[i] == '"';
    size_t start = quoted ? ++i : i;
    while (i < text.size()) {
      char c = text[i];
      if (c == '\\') {
        if (i + 1 == text.size()) return fail(Error::kBadText);
        i += 2;
        continue;
      }
      if (quoted ? c == '"' : isSpace(c)) break;
      if (!quoted && c == '"') return fail(Error::kBadText);
      ++i;
    }
    if (quoted && i == text.size()) return fail(Error::kBadText);  // unterminated
    out.push_back(Token{text.substr(start, i - start), quoted});
    if (quoted) ++i;  // the closing quote
    if (quoted && i < text.size() && !isSpace(text[i])) return fail(Error::kBadText);
  }
}

// Decodes `\X` and `\DDD` (RFC 1035 §5.1) of a character-string or CAA value.
Result<std::string, Error> unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    if (raw[i] != '\\') {
      out += raw[i++];
      continue;
    }
    if (i + 1 >= raw.size()) return fail(Error::kBadText);
    if (!isDigit(raw[i + 1])) {
      out += raw[i + 1];
      i += 2;
      continue;
    }
    if (i + 3 >= raw.size() || !isDigit(raw[i + 2]) || !isDigit(raw[i + 3])) {
      return fail(Error::kBadText);
    }
    int v = (raw[i + 1] - '0') * 100 + (raw[i + 2] - '0') * 10 + (raw[i + 3] - '0');
    if (v > 255) return fail(Error::kBadText);
    out += static_cast<char>(static_cast<uint8_t>(v));
    i += 4;
  }
  return out;
}

// Plain decimal within T's range; no sign, no spaces.
template <class T>
bool parseNumber(const Token& t, T& out) {
  if (t.quoted || t.raw.empty() || t.raw.size() > 10) return false;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(t.raw.data(), t.raw.data() + t.raw.size(), v);
  if (ec != std::errc{} || end != t.raw.data() + t.raw.size()) return false;
  if (v > std::numeric_limits<T>::max()) return false;
  out = static_cast<T>(v);
  return true;
}

// `origin` null: every name is absolute (the one-argument rdataFromText()).
bool parseName(const Token& t, const Name* origin, Name& out) {
  if (t.quoted) return false;
  auto n = origin != nullptr ? nameFromText(t.raw, *origin) : Name::fromText(t.raw);
  if (!n) return false;
  out = *n;
  return true;
}

// Whether presentation-form `text` ends with a dot that is not part of an escape.
bool endsWithDot(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\\') {
      i += (i + 1 < text.size() && isDigit(text[i + 1])) ? 4u : 2u;
      continue;
    }
    if (text[i] == '.' && i + 1 == text.size()) return true;
    ++i;
  }
  return false;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3597 §5: "\# <length> <hex>...", the hex possibly split into several words. For a type
// with typed RDATA the octets must be a valid, uncompressed instance of it.
Result<Rdata, Error> genericFromText(uint16_t type, std::span<const Token> tokens) {
  uint16_t len = 0;
  if (tokens.size() < 2 || !parseNumber(tokens[1], len)) return fail(Error::kBadText);
  std::vector<uint8_t> data;
  data.reserve(len);
  int high = -1;
  for (const Token& t : tokens.subspan(2)) {
    if (t.quoted) return fail(Error::kBadText);
    for (char c : t.raw) {
      int v = hexValue(c);
      if (v < 0) return fail(Error::kBadText);
      if (high < 0) {
        high = v;
      } else {
        data.push_back(static_cast<uint8_t>(high << 4 | v));
        high = -1;
      }
    }
  }
  if (high >= 0 || data.size() != len) return fail(Error::kBadText);
  auto rd = readRdata(type, data, 0, len);
  if (!rd) return fail(Error::kBadText);
  std::vector<uint8_t> again;
  if (!appendRdataWire(*rd, again) || again != data) return fail(Error::kBadText);
  return rd;
}

Result<Rdata, Error> typedFromText(uint16_t type, std::span<const Token> t, const Name* origin) {
  auto need = [&](size_t n) { return t.size() == n; };
  const Error bad = Error::kBadText;
  switch (type) {
    case rrtype::kA:
    case rrtype::kAAAA: {
      if (!need(1) || t[0].quoted) return fail(bad);
      std::string s(t[0].raw);
      if (type == rrtype::kA) {
        RdataA d;
        if (inet_pton(AF_INET, s.c_str(), d.addr.data()) != 1) return fail(bad);
        return Rdata{d};
      }
      RdataAAAA d;
      if (inet_pton(AF_INET6, s.c_str(), d.addr.data()) != 1) return fail(bad);
      return Rdata{d};
    }
    case rrtype::kNS:
    case rrtype::kCNAME:
    case rrtype::kDNAME:
    case rrtype::kPTR: {
      RdataName d;
      if (!need(1) || !parseName(t[0], origin, d.name)) return fail(bad);
      return Rdata{d};
    }
    case rrtype::kSOA: {
      RdataSoa d;
      if (!need(7) || !parseName(t[0], origin, d.mname) || !parseName(t[1], origin, d.rname) ||
          !parseNumber(t[2], d.serial) || !parseNumber(t[3], d.refresh) ||
          !parseNumber(t[4], d.retry) || !parseNumber(t[5], d.expire) ||
          !parseNumber(t[6], d.minimum)) {
        return fail(bad);
      }
      return Rdata{d};
    }
    case rrtype::kMX: {
      RdataMx d;
      if (!need(2) || !parseNumber(t[0], d.preference) || !parseName(t[1], origin, d.exchange)) {
        return fail(bad);
      }
      return Rdata{d};
    }
    case rrtype::kTXT: {
      RdataTxt d;
      if (t.empty()) return fail(bad);
      for (const Token& tok : t) {
        auto s = unescape(tok.raw);
        if (!s || s->size() > 255) return fail(bad);
        d.strings.push_back(std::move(*s));
      }
      return Rdata{std::move(d)};
    }
    case rrtype::kSRV: {
      RdataSrv d;
      if (!need(4) || !parseNumber(t[0], d.priority) || !parseNumber(t[1], d.weight) ||
          !parseNumber(t[2], d.port) || !parseName(t[3], origin, d.target)) {
        return fail(bad);
      }
      return Rdata{d};
    }
    case rrtype::kCAA: {
      // RFC 8659 §4.1.1: flags, an alphanumeric tag, then the value as one (quoted) string.
      RdataCaa d;
      if (!need(3) || !parseNumber(t[0], d.flags) || t[1].quoted || t[1].raw.empty() ||
          t[1].raw.size() > 255) {
        return fail(bad);
      }
      for (char c : t[1].raw) {
        if (!isDigit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')) return fail(bad);
      }
      d.tag = std::string(t[1].raw);
      auto v = unescape(t[2].raw);
      if (!v) return fail(bad);
      d.value.assign(v->begin(), v->end());
      return Rdata{std::move(d)};
    }
    default:
      return fail(bad);  // no typed form: only "\#" is understood
  }
}

std::string numbers(std::initializer_list<uint32_t> values) {
  std::string s;
  for (uint32_t v : values) {
    if (!s.empty()) s += ' ';
    s += std::to_string(v);
  }
  return s;
}

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

void appendSection(std::string& s, std::string_view title, const std::vector<Record>& records) {
  if (records.empty()) return;
  s += "\n;; ";
  s += title;
  s += " SECTION:\n";
  for (const auto& r : records) {
    s += recordToText(r);
    s += '\n';
  }
}

}  // namespace

std::string rdataToText(uint16_t type, const Rdata& rdata) {
  (void)type;  // the variant alone decides the form; `type` names the record for callers
  return std::visit(
      Overloaded{
          [](const RdataOpaque& d) {
            std::string s = "\\# " + std::to_string(d.data.size());
            if (!d.data.empty()) {
              s += ' ';
              appendHex(s, d.data);
            }
            return s;
          },
          [](const RdataA& d) {
            char buf[INET_ADDRSTRLEN] = {};
            inet_ntop(AF_INET, d.addr.data(), buf, sizeof buf);
            return std::string(buf);
          },
          [](const RdataAAAA& d) {
            char buf[INET6_ADDRSTRLEN] = {};
            inet_ntop(AF_INET6, d.addr.data(), buf, sizeof buf);
            return std::string(buf);
          },
          [](const RdataName& d) { return d.name.toText(); },
          [](const RdataSoa& d) {
            return d.mname.toText() + ' ' + d.rname.toText() + ' ' +
                   numbers({d.serial, d.refresh, d.retry, d.expire, d.minimum});
          },
          [](const RdataMx& d) { return numbers({d.preference}) + ' ' + d.exchange.toText(); },
          [](const RdataTxt& d) {
            std::string s;
            for (const auto& str : d.strings) {
              if (!s.empty()) s += ' ';
              appendQuoted(s, bytesOf(str));
            }
            return s;
          },
          [](const RdataSrv& d) {
            return numbers({d.priority, d.weight, d.port}) + ' ' + d.target.toText();
          },
          [](const RdataCaa& d) {
            std::string s = numbers({d.flags}) + ' ' + d.tag + ' ';
            appendQuoted(s, d.value);
            return s;
          },
      },
      rdata);
}

namespace {

Result<Rdata, Error> rdataFromTextIn(uint16_t type, std::string_view text, const Name* origin) {
  auto tokens = tokenize(text);
  if (!tokens) return fail(tokens.error());
  if (!tokens->empty() && !(*tokens)[0].quoted && (*tokens)[0].raw == "\\#") {
    return genericFromText(type, *tokens);
  }
  return typedFromText(type, *tokens, origin);
}

}  // namespace

Result<Rdata, Error> rdataFromText(uint16_t type, std::string_view text) {
  return rdataFromTextIn(type, text, nullptr);
}

Result<Rdata, Error> rdataFromText(uint16_t type, std::string_view text, const Name& origin) {
  return rdataFromTextIn(type, text, &origin);
}

Result<Name, Error> nameFromText(std::string_view text, const Name& origin) {
  if (text == "@") return origin;
  if (text.empty()) return fail(Error::kBadText);
  auto name = Name::fromText(text);
  if (!name || endsWithDot(text)) return name;
  // Relative: prepend its labels to the origin, rightmost first.
  Name out = origin;
  for (size_t i = name->labelCount(); i > 0; --i) {
    auto longer = out.prepend(name->label(i - 1));
    if (!longer) return fail(longer.error());
    out = *longer;
  }
  return out;
}

std::string recordToText(const Record& r) {
  return r.name.toText() + ' ' + std::to_string(r.ttl) + ' ' + classToText(r.cls) + ' ' +
         typeToText(r.type) + ' ' + rdataToText(r.type, r.rdata);
}

std::string Message::toText() const {
  const Header& h = header;
  std::string s = ";; ->>HEADER<<- opcode: " + opcodeToText(h.opcode) +
                  ", status: " + rcodeToText(rcode()) + ", id: " + std::to_string(h.id) + '\n';
  s += ";; flags:";
  const std::pair<bool, const char*> flags[] = {{h.qr, " qr"}, {h.aa, " aa"}, {h.tc, " tc"},
                                                {h.rd, " rd"}, {h.ra, " ra"}, {h.z, " z"},
                                                {h.ad, " ad"}, {h.cd, " cd"}};
  for (auto [set, text] : flags) {
    if (set) s += text;
  }
  s += "; QUERY: " + std::to_string(questions.size()) +
       ", ANSWER: " + std::to_string(answer.size()) +
       ", AUTHORITY: " + std::to_string(authority.size()) +
       ", ADDITIONAL: " + std::to_string(additional.size() + (edns ? 1 : 0)) + '\n';
  if (edns) {
    s += "\n;; OPT PSEUDOSECTION:\n; EDNS: version: " + std::to_string(edns->version) +
         ", flags:" + (edns->do_bit ? " do" : "");
    if (edns->z != 0) s += "; MBZ: " + std::to_string(edns->z);
    s += "; udp: " + std::to_string(edns->udp_size) + '\n';
    for (const auto& o : edns->options) {
      s += "; OPTION: " + std::to_string(o.code) + ": ";
      appendHex(s, o.data);
      s += '\n';
    }
  }
  if (!questions.empty()) {
    s += "\n;; QUESTION SECTION:\n";
    for (const auto& q : questions) {
      s += ';' + q.name.toText() + ' ' + classToText(q.cls) + ' ' + typeToText(q.type) + '\n';
    }
  }
  appendSection(s, "ANSWER", answer);
  appendSection(s, "AUTHORITY", authority);
  appendSection(s, "ADDITIONAL", additional);
  return s;
}

}  // namespace vpcdns::dns
