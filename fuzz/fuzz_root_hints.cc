// libFuzzer target for the named.root parser (resolver.root_hints). Properties checked (abort
// on violation): no crash, loop or out-of-bounds read; on success there is at least one NS,
// every NS is owned by the root, and every address belongs to a name of the NS set; on failure
// the message names the input with a 1-based line.
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "dns/types.h"
#include "resolver/root_hints.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vpcdns;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto hints = resolver::parseRootHints(text, "hints");
  if (!hints) {
    check(hints.error().rfind("hints:", 0) == 0);
    return 0;
  }
  check(!hints->ns.empty());
  for (const auto& ns : hints->ns) {
    check(ns.name.isRoot() && ns.type == dns::rrtype::kNS);
  }
  for (const auto& a : hints->addresses) {
    bool named = false;
    for (const auto& ns : hints->ns) {
      const auto* target = std::get_if<dns::RdataName>(&ns.rdata);
      named = named || (target != nullptr && target->name == a.name);
    }
    check(named);
  }
  return 0;
}
