// Internal to vpcdns_config: a YAML document as an immutable tree of nodes that know where they
// were written, built from the events of yaml-cpp's parser (YAML::Parser + YAML::EventHandler).
//
// yaml-cpp's own node tree (YAML::Load, used before) needed ~2.4 s to build and free a 4 MB
// config (10,000 rules and 10,000 inline zones), twice that with the separate pass that counted
// documents; its event parser feeding this flat tree takes ~0.5 s, which keeps a reload of such
// a config under a second.
//
// The node API copies the subset of yaml-cpp's YAML::Node that the schema code uses (Type,
// IsNull, IsScalar, IsSequence, IsMap, Scalar, as<std::string>, size, Mark, iteration), and
// marks are yaml-cpp's YAML::Mark (0-based line and column), so schema readers did not change.
//
// Semantics are yaml-cpp's: a plain scalar `~`, `null`, `Null`, `NULL` or an empty value is
// Null; quoted, it is a string. Aliases refer to the anchored node (an alias of a node not yet
// complete is an error). Only one document per stream (the second one is reported); nesting
// deeper than 256 levels is an error.
//
// Thread affinity: none (a parsed document is immutable; nodes point into it and must not
// outlive it).
#pragma once

#include <yaml-cpp/mark.h>
#include <yaml-cpp/node/type.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace vpcdns::config::detail {

class YamlDocument;

class YamlNode {
 public:
  YamlNode() = default;  // Undefined (an absent value)

  YAML::NodeType::value Type() const;
  bool IsDefined() const { return Type() != YAML::NodeType::Undefined; }
  bool IsNull() const { return Type() == YAML::NodeType::Null; }
  bool IsScalar() const { return Type() == YAML::NodeType::Scalar; }
  bool IsSequence() const { return Type() == YAML::NodeType::Sequence; }
  bool IsMap() const { return Type() == YAML::NodeType::Map; }
  // A scalar's text; empty for other kinds.
  const std::string& Scalar() const;
  template <class T>
  T as() const {
    static_assert(std::is_same_v<T, std::string>, "only strings are read from YAML nodes");
    return Scalar();
  }
  // Items of a list, or key/value pairs of a map; 0 for others.
  size_t size() const;
  YAML::Mark Mark() const;

  // The i-th item of a list; for a map, its i-th key and value.
  YamlNode item(size_t i) const;
  YamlNode key(size_t i) const;
  YamlNode value(size_t i) const;

  // `for (YamlNode item : list)`.
  class Iterator {
   public:
    Iterator(const YamlNode* node, size_t i) : node_(node), i_(i) {}
    YamlNode operator*() const { return node_->item(i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }

   private:
    const YamlNode* node_;
    size_t i_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, IsSequence() ? size() : 0}; }

 private:
  friend class YamlDocument;
  YamlNode(const YamlDocument* doc, uint32_t index) : doc_(doc), index_(index) {}
  const YamlDocument* doc_ = nullptr;
  uint32_t index_ = 0;
};

struct YamlError {
  YAML::Mark mark;
  std::string message;  // "YAML syntax error: ..." or the second-document message
};

class YamlDocument {
 public:
  // Parses the first document of `text`. Errors: a syntax error, or a second document (whose
  // start it names). An empty stream (or only comments) has no document: root() is Undefined.
  static std::optional<YamlError> parse(std::string_view text, YamlDocument& out);

  YamlNode root() const { return nodes_.empty() ? YamlNode() : YamlNode(this, root_); }

 private:
  friend class YamlNode;
  class Builder;  // yaml_tree.cc: the YAML::EventHandler
  struct Data {
    YAML::NodeType::value type = YAML::NodeType::Null;
    YAML::Mark mark;
    uint32_t first = 0;  // into children_: items, or key, value, key, value...
    uint32_t count = 0;  // entries in children_
    std::string scalar;
  };
  std::vector<Data> nodes_;
  std::vector<uint32_t> children_;
  uint32_t root_ = 0;
};

}  // namespace vpcdns::config::detail
