#include "server/policy.h"

#include <algorithm>
#include <array>

namespace vpcdns::server {

namespace {

uint8_t lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

}  // namespace

void PolicyTable::set(const dns::Name& name, PolicyEntry entry) {
  const dns::Name lower_name = name.lowercased();
  const auto wire = lower_name.wire();
  entry.apex = name;
  entries_.insert_or_assign(std::string(wire.begin(), wire.end()), std::move(entry));
  max_labels_ = std::max(max_labels_, name.labelCount());
}

const PolicyEntry* PolicyTable::find(const dns::Name& name) const {
  const dns::Name lower_name = name.lowercased();
  const auto wire = lower_name.wire();
  auto it =
      entries_.find(std::string_view(reinterpret_cast<const char*>(wire.data()), wire.size()));
  return it == entries_.end() ? nullptr : &it->second;
}

const PolicyEntry* PolicyTable::match(const dns::Name& qname) const {
  if (entries_.empty()) return nullptr;
  std::array<char, dns::kMaxNameLength> buf;
  const auto wire = qname.wire();
  std::transform(wire.begin(), wire.end(), buf.begin(),
                 [](uint8_t c) { return static_cast<char>(lower(c)); });
  // Walk suffixes from the longest that can match to the root; the first hit is the longest.
  size_t offset = 0;
  for (size_t labels = qname.labelCount(); labels > max_labels_; --labels) {
    offset += size_t{wire[offset]} + 1;
  }
  for (;;) {
    const std::string_view suffix(buf.data() + offset, wire.size() - offset);
    if (auto it = entries_.find(suffix); it != entries_.end()) return &it->second;
    if (wire[offset] == 0) return nullptr;
    offset += size_t{wire[offset]} + 1;
  }
}

}  // namespace vpcdns::server
