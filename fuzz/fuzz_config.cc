// libFuzzer target for the config loader: any text must give a Config or a list of errors, each
// with a position inside the text (or 0 for whole-file errors), never a crash, a hang or an
// exception escaping.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = vpcdns::config::loadString(text, "fuzz.yaml");
  if (loaded) return 0;
  if (loaded.error().empty()) std::abort();  // a failure must say why
  int lines = 1;
  for (char c : text) lines += c == '\n';
  for (const auto& e : loaded.error()) {
    if (e.line < 0 || e.line > lines + 1 || e.column < 0 || e.message.empty()) std::abort();
    (void)e.toString();
  }
  return 0;
}
