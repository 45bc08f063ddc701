// Internal to vpcdns_config: reading YAML nodes (config/yaml_tree.h) into typed values while
// collecting ConfigErrors (file:line:column, key path, "expected X, got Y") instead of throwing.
//
// A section is described by a table of Field<T> (key name, reader, required?) and read with
// readMap(); the generic code handles non-map values, non-scalar keys, duplicate keys (which
// YAML parsers do not detect), unknown keys and missing required keys.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/yaml_tree.h"

namespace vpcdns::config::detail {

// A node being read, where it is and what it is called: errors point at `mark` and name `path`.
struct Value {
  YamlNode node;
  YAML::Mark mark;   // 0-based line and column
  std::string path;  // "server.listen[0].address"; empty for the document root

  // The value of `key` in this map. An empty value (`workers:`) gets its key's mark because
  // a parser may mark an implicit null at the *next* token, often on another line.
  Value child(const YamlNode& value, const YAML::Mark& key_mark, std::string_view key) const;
  Value item(const YamlNode& value, size_t index) const;  // "path[index]"
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(const YAML::Mark& mark, const std::string& path, std::string message);
  void error(const Value& v, std::string message) { error(v.mark, v.path, std::move(message)); }
  // "expected <what>, got <what v holds>"
  void expected(const Value& v, std::string_view what);

  bool ok() const { return errors_.empty(); }

  // A VPC id named somewhere (a zone's vpcs, a listener's vpc), checked once everything is read.
  struct VpcRef {
    YAML::Mark mark;
    std::string path;
    std::string id;
  };
  std::vector<VpcRef>& vpcRefs() { return vpc_refs_; }
  std::vector<VpcRef>& keyRefs() { return key_refs_; }  // TSIG key names
  // Forwarding targets (id = the address as written), checked against the listeners at the end.
  std::vector<VpcRef>& targetRefs() { return target_refs_; }
  std::vector<ConfigError> takeErrors() { return std::move(errors_); }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
  std::vector<VpcRef> vpc_refs_;
  std::vector<VpcRef> key_refs_;
  std::vector<VpcRef> target_refs_;
};

// What a node holds, for "got ...": "a map", "a list", "an empty value" or the quoted scalar.
std::string describe(const YamlNode& node);

// ---- scalars: each reports its own error and returns nullopt on failure ----------------------

// Any scalar, as text. `what` is used in the error ("expected <what>, got a map").
std::optional<std::string> readScalar(Reader& r, const Value& v, std::string_view what);
// Plain decimal digits (no sign, no "0x"); nullopt on anything else or overflow.
std::optional<uint64_t> parseUint(std::string_view text);
// A plain decimal integer in [min, max].
std::optional<uint64_t> readUint(Reader& r, const Value& v, uint64_t min, uint64_t max);
// Bytes, either a plain integer or with a binary suffix: "4194304", "512KiB", "4MiB", "1GiB".
std::optional<uint64_t> readSize(Reader& r, const Value& v, uint64_t max);
// One of `choices`, exactly (case-sensitive).
std::optional<std::string> readChoice(Reader& r, const Value& v,
                                      std::span<const std::string_view> choices);

// Calls `on_item` for every item of a list; reports anything else as "expected <what>".
// Returns false when `v` is not a list.
bool readList(Reader& r, const Value& v, std::string_view what,
              const std::function<void(const Value&)>& on_item);

// ---- maps -------------------------------------------------------------------------------------

struct KeySpec {
  std::string_view name;
  bool required = false;
};

// Validates the keys of map `v` against `keys` and calls `on_key(index into keys, value)` for
// each known key's first occurrence, in document order. An empty value counts as an empty map
// (a section with everything commented out means "all defaults").
void readKeys(Reader& r, const Value& v, std::span<const KeySpec> keys,
              const std::function<void(size_t, const Value&)>& on_key);

template <class T>
struct Field {
  std::string_view key;
  void (*read)(Reader&, const Value&, T&);
  bool required = false;
};

// Maps are read once per zone, record and rule (tens of thousands in a big config): readMap
// keeps its key table on the stack, and its callback captures one pointer so std::function
// stores it inline (no heap allocation per map).
inline constexpr size_t kMaxFieldsOnStack = 32;

template <class T>
void readMap(Reader& r, const Value& v, std::span<const Field<T>> fields, T& out) {
  std::array<KeySpec, kMaxFieldsOnStack> stack_keys;
  std::vector<KeySpec> heap_keys;
  std::span<KeySpec> keys;
  if (fields.size() <= stack_keys.size()) {
    keys = std::span<KeySpec>(stack_keys.data(), fields.size());
  } else {
    heap_keys.resize(fields.size());
    keys = heap_keys;
  }
  for (size_t i = 0; i < fields.size(); ++i) keys[i] = {fields[i].key, fields[i].required};
  struct Context {
    Reader& r;
    std::span<const Field<T>> fields;
    T& out;
  } context{r, fields, out};
  readKeys(r, v, keys, [c = &context](size_t i, const Value& child) {
    c->fields[i].read(c->r, child, c->out);
  });
}

// ---- field adapters: declarative table entries for the common kinds of value -----------------

template <class M>
struct MemberOf;
template <class C, class T>
struct MemberOf<T C::*> {
  using Class = C;
  using Type = T;
};
template <auto Member>
using ClassOf = typename MemberOf<decltype(Member)>::Class;
template <auto Member>
using TypeOf = typename MemberOf<decltype(Member)>::Type;

// An integer member in [Min, Max].
template <auto Member, uint64_t Min, uint64_t Max>
void uintField(Reader& r, const Value& v, ClassOf<Member>& out) {
  static_assert(Max <= std::numeric_limits<TypeOf<Member>>::max());
  if (auto n = readUint(r, v, Min, Max)) out.*Member = static_cast<TypeOf<Member>>(*n);
}

// A byte-size member in [0, Max].
template <auto Member, uint64_t Max>
void sizeField(Reader& r, const Value& v, ClassOf<Member>& out) {
  static_assert(Max <= std::numeric_limits<TypeOf<Member>>::max());
  if (auto n = readSize(r, v, Max)) out.*Member = static_cast<TypeOf<Member>>(*n);
}

// A std::string member restricted to `Choices` (a constexpr array of string_view).
template <auto Member, const auto& Choices>
void choiceField(Reader& r, const Value& v, ClassOf<Member>& out) {
  if (auto s = readChoice(r, v, Choices)) out.*Member = std::move(*s);
}

// A nested section read with its own field table.
template <auto Member, const auto& Fields>
void sectionField(Reader& r, const Value& v, ClassOf<Member>& out) {
  readMap<TypeOf<Member>>(r, v, Fields, out.*Member);
}

}  // namespace vpcdns::config::detail
