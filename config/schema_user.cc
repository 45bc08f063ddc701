// server.user and server.group: who vpcdns becomes after binding its listeners. Names are looked
// up in the passwd and group databases when the config is loaded (as unbound-checkconf does for
// `username:`), so --check-config and a reload report an unknown user at its line.
#include "common/privileges.h"
#include "config/schema.h"

namespace vpcdns::config::detail {
namespace {

constexpr std::string_view kWhat = "a user or group name, or a numeric id";

// The value of `key` in map `v`, with its position (Undefined when absent or `v` is no map).
Value childOf(const Value& v, std::string_view key) {
  if (!v.node.IsMap()) return {};
  for (size_t i = 0; i < v.node.size(); ++i) {
    const YamlNode k = v.node.key(i);
    if (k.IsScalar() && k.Scalar() == key) return v.child(v.node.value(i), k.Mark(), key);
  }
  return {};
}

}  // namespace

void readRunAsNameInto(Reader& r, const Value& v, std::string& out) {
  auto text = readScalar(r, v, kWhat);
  if (!text) return;
  if (text->empty()) return r.expected(v, kWhat);
  out = *text;
}

void resolveRunAs(Reader& r, const Value& v, ServerSection& s) {
  if (s.user.empty()) {
    if (!s.group.empty()) {
      const Value g = childOf(v, "group");
      r.error(g, "'group' needs 'user' (the user to run as after binding)");
    }
    return;
  }
  auto user = resolveIdentity(s.user, "");
  if (!user) return r.error(childOf(v, "user"), user.error());
  s.uid = user->uid;
  s.gid = user->gid;
  if (s.group.empty()) return;
  auto both = resolveIdentity(s.user, s.group);
  if (!both) return r.error(childOf(v, "group"), both.error());
  s.gid = both->gid;
}

}  // namespace vpcdns::config::detail
