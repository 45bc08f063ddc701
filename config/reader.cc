#include "config/reader.h"

#include <algorithm>
#include <charconv>

namespace vpcdns::config::detail {
namespace {

// Scalars longer than this are cut in messages: the point is to recognise the value.
constexpr size_t kMaxQuoted = 60;

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxQuoted; ++i) {
    char c = text[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';  // other control characters would garble a terminal
    } else {
      out += c;
    }
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out + "\"";
}

std::string join(std::span<const std::string_view> items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::string keyList(std::span<const KeySpec> keys) {
  std::vector<std::string_view> names;
  for (const auto& k : keys) names.push_back(k.name);
  return join(names, ", ");
}

int oneBased(int zero_based) {
  return zero_based < 0 ? 0 : zero_based + 1;
}

struct SizeUnit {
  std::string_view suffix;
  uint64_t factor;
};
constexpr SizeUnit kSizeUnits[] = {{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}};

std::string formatSize(uint64_t bytes) {
  for (const auto& unit : kSizeUnits) {
    if (bytes != 0 && bytes % unit.factor == 0) {
      return std::to_string(bytes / unit.factor) + std::string(unit.suffix);
    }
  }
  return std::to_string(bytes);
}

std::optional<uint64_t> parseSize(std::string_view text) {
  uint64_t factor = 1;
  for (const auto& unit : kSizeUnits) {
    if (text.ends_with(unit.suffix)) {
      factor = unit.factor;
      text.remove_suffix(unit.suffix.size());
      break;
    }
  }
  auto n = parseUint(text);
  if (!n || *n > std::numeric_limits<uint64_t>::max() / factor) return std::nullopt;
  return *n * factor;
}

}  // namespace

Value Value::child(const YamlNode& value, const YAML::Mark& key_mark, std::string_view key) const {
  std::string child_path = path.empty() ? std::string(key) : path + "." + std::string(key);
  return Value{value, value.IsNull() ? key_mark : value.Mark(), std::move(child_path)};
}

Value Value::item(const YamlNode& value, size_t index) const {
  return Value{value, value.Mark(), path + "[" + std::to_string(index) + "]"};
}

void Reader::error(const YAML::Mark& mark, const std::string& path, std::string message) {
  errors_.push_back(
      ConfigError{file_, oneBased(mark.line), oneBased(mark.column), path, std::move(message)});
}

void Reader::expected(const Value& v, std::string_view what) {
  error(v, "expected " + std::string(what) + ", got " + describe(v.node));
}

std::string describe(const YamlNode& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "an empty value";
}

std::optional<std::string> readScalar(Reader& r, const Value& v, std::string_view what) {
  if (!v.node.IsScalar()) {
    r.expected(v, what);
    return std::nullopt;
  }
  return v.node.Scalar();
}

std::optional<uint64_t> parseUint(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> readUint(Reader& r, const Value& v, uint64_t min, uint64_t max) {
  std::string what = "integer " + std::to_string(min) + ".." + std::to_string(max);
  auto text = readScalar(r, v, what);
  if (!text) return std::nullopt;
  auto n = parseUint(*text);
  if (!n || *n < min || *n > max) {
    r.expected(v, what);
    return std::nullopt;
  }
  return n;
}

std::optional<uint64_t> readSize(Reader& r, const Value& v, uint64_t max) {
  std::string what = "a size 0.." + formatSize(max) + " (bytes, or with a KiB/MiB/GiB suffix)";
  auto text = readScalar(r, v, what);
  if (!text) return std::nullopt;
  auto n = parseSize(*text);
  if (!n || *n > max) {
    r.expected(v, what);
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> readChoice(Reader& r, const Value& v,
                                      std::span<const std::string_view> choices) {
  std::string what = "one of " + join(choices, "|");
  auto text = readScalar(r, v, what);
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) == choices.end()) {
    r.expected(v, what);
    return std::nullopt;
  }
  return text;
}

bool readList(Reader& r, const Value& v, std::string_view what,
              const std::function<void(const Value&)>& on_item) {
  if (!v.node.IsSequence()) {
    r.expected(v, what);
    return false;
  }
  size_t index = 0;
  for (const auto& item : v.node) on_item(v.item(item, index++));
  return true;
}

void readKeys(Reader& r, const Value& v, std::span<const KeySpec> keys,
              const std::function<void(size_t, const Value&)>& on_key) {
  if (!v.node.IsNull() && !v.node.IsMap()) {
    r.expected(v, "a map with keys " + keyList(keys));
    return;
  }
  // Which keys were given. Maps are small: quadratic duplicate detection is cheaper than a set.
  std::array<bool, kMaxFieldsOnStack> present_on_stack{};
  std::vector<bool> present_on_heap(keys.size() > present_on_stack.size() ? keys.size() : 0);
  auto present = [&](size_t i) -> bool {
    return keys.size() > present_on_stack.size() ? present_on_heap[i] : present_on_stack[i];
  };
  if (v.node.IsMap()) {
    for (size_t i = 0; i < v.node.size(); ++i) {
      const YamlNode key = v.node.key(i);
      const YamlNode value = v.node.value(i);
      if (!key.IsScalar()) {
        r.error(key.Mark(), v.path, "expected a key name, got " + describe(key));
        continue;
      }
      const std::string& name = key.Scalar();
      size_t first = 0;
      while (first < i && !(v.node.key(first).IsScalar() && v.node.key(first).Scalar() == name)) {
        ++first;
      }
      if (first < i) {
        r.error(key.Mark(), v.path,
                "duplicate key '" + name + "' (first at line " +
                    std::to_string(oneBased(v.node.key(first).Mark().line)) + ")");
        continue;
      }
      auto known =
          std::find_if(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.name == name; });
      if (known == keys.end()) {
        r.error(key.Mark(), v.path,
                "unknown key '" + name + "' (expected one of: " + keyList(keys) + ")");
        continue;
      }
      auto index = static_cast<size_t>(known - keys.begin());
      if (keys.size() > present_on_stack.size()) {
        present_on_heap[index] = true;
      } else {
        present_on_stack[index] = true;
      }
      on_key(index, v.child(value, key.Mark(), name));
    }
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].required && !present(i)) {
      r.error(v, "missing required key '" + std::string(keys[i].name) + "'");
    }
  }
}

}  // namespace vpcdns::config::detail
