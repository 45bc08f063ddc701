// The `admin` section (README "Admin API"): where the admin HTTP API listens and its token.
//
// A token is required when the API listens on anything but a loopback address: the API can
// flush the cache, reload and change private zones, so it must not be open to a network
// (GUIDE §5: "loopback by default; a bearer token when bound elsewhere").
#include <algorithm>

#include "config/schema.h"

namespace vpcdns::config::detail {
namespace {

constexpr uint16_t kDefaultAdminPort = 8053;
// Tokens are sent in an HTTP header: printable ASCII, no spaces, and long enough to resist
// guessing over the network.
constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxTokenLength = 4096;

bool isTokenText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

void readAdminListen(Reader& r, const Value& v, AdminSection& s) {
  constexpr std::string_view kWhat = "IP:port (e.g. 127.0.0.1:8053)";
  auto text = readScalar(r, v, kWhat);
  if (!text) return;
  auto address = SocketAddress::parse(*text, kDefaultAdminPort);
  if (!address) return r.expected(v, kWhat);
  s.listen = *address;
  s.line = v.mark.line + 1;
  s.column = v.mark.column + 1;
}

void readAdminToken(Reader& r, const Value& v, AdminSection& s) {
  constexpr std::string_view kWhat = "a token of 16 to 4096 printable characters, no spaces";
  auto text = readScalar(r, v, kWhat);
  if (!text) return;
  if (text->size() < kMinTokenLength || text->size() > kMaxTokenLength || !isTokenText(*text)) {
    return r.expected(v, kWhat);
  }
  s.token = *text;
}

void readAdminTokenFile(Reader& r, const Value& v, AdminSection& s) {
  auto text = readScalar(r, v, "a file name");
  if (!text) return;
  if (text->empty()) return r.expected(v, "a file name");
  s.token_file = *text;
}

constexpr Field<AdminSection> kAdminFields[] = {
    {"listen", readAdminListen},
    {"token", readAdminToken},
    {"token_file", readAdminTokenFile},
};

bool isLoopback(const IpAddress& ip) {
  const IpAddress a = ip.unmapped();
  return IpPrefix::parse("127.0.0.0/8")->contains(a) || a == *IpAddress::parse("::1");
}

}  // namespace

void readAdmin(Reader& r, const Value& v, Config& out) {
  readMap<AdminSection>(r, v, kAdminFields, out.admin);
  const AdminSection& a = out.admin;
  if (!a.token.empty() && !a.token_file.empty()) {
    r.error(v, "token and token_file are exclusive: give one");
  }
  if (a.listen && !isLoopback(a.listen->ip()) && a.token.empty() && a.token_file.empty()) {
    YAML::Mark mark;
    mark.line = a.line - 1;
    mark.column = a.column - 1;
    r.error(mark, v.path.empty() ? "listen" : v.path + ".listen",
            "the admin API listens on " + a.listen->toString() +
                ", not a loopback address: a token (or token_file) is required");
  }
}

// The admin API speaks HTTP over TCP: it cannot share an address with a DNS listener's TCP
// socket (a wildcard DNS listener on the same port also collides).
void checkAdmin(Reader& r, const Config& c) {
  if (!c.admin.listen) return;
  const SocketAddress& admin = *c.admin.listen;
  YAML::Mark mark;
  mark.line = c.admin.line - 1;
  mark.column = c.admin.column - 1;
  for (const auto& l : c.server.listen) {
    const auto& ip = l.address.ip();
    const bool wildcard = ip == *IpAddress::parse(ip.isV4() ? "0.0.0.0" : "::");
    if (l.address == admin || (wildcard && l.address.port() == admin.port())) {
      r.error(mark, "admin.listen",
              "the admin API address " + admin.toString() + " is also a DNS listener (" +
                  l.address.toString() + ")");
      return;
    }
  }
}

}  // namespace vpcdns::config::detail
