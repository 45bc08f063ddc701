#include "config/yaml_tree.h"

#include <yaml.h>

#include <unordered_map>

namespace vpcdns::config::detail {
namespace {

// Nesting deeper than this is refused: no config needs it, and it bounds the work per byte.
constexpr size_t kMaxDepth = 256;

const std::string kEmpty;

YAML::Mark toMark(const yaml_mark_t& m) {
  YAML::Mark out;
  out.pos = static_cast<int>(m.index);
  out.line = static_cast<int>(m.line);
  out.column = static_cast<int>(m.column);
  return out;
}

// yaml-cpp's null: a plain scalar that is empty or one of these spellings (quoted, a string).
bool isNull(const yaml_event_t& ev) {
  if (ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
  const std::string_view v(reinterpret_cast<const char*>(ev.data.scalar.value),
                           ev.data.scalar.length);
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

std::string anchorOf(const yaml_char_t* anchor) {
  return anchor == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(anchor));
}

struct ParserGuard {
  yaml_parser_t* p;
  ~ParserGuard() { yaml_parser_delete(p); }
};

struct EventGuard {
  yaml_event_t* e;
  ~EventGuard() { yaml_event_delete(e); }
};

// Reader errors (bad UTF-8, control characters) give a byte offset only: count lines to it.
YAML::Mark offsetMark(std::string_view text, size_t offset) {
  YAML::Mark m;
  m.pos = static_cast<int>(offset);
  m.line = 0;
  m.column = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++m.line;
      m.column = 0;
    } else {
      ++m.column;
    }
  }
  return m;
}

YamlError syntaxError(const yaml_parser_t& p, std::string_view text) {
  if (p.error == YAML_MEMORY_ERROR) return {YAML::Mark::null_mark(), "out of memory"};
  std::string message = "YAML syntax error: ";
  message += p.problem != nullptr ? p.problem : "malformed document";
  if (p.error == YAML_READER_ERROR) return {offsetMark(text, p.problem_offset), std::move(message)};
  if (p.context != nullptr) {
    message += " (";
    message += p.context;
    message += " at line " + std::to_string(p.context_mark.line + 1) + ", column " +
               std::to_string(p.context_mark.column + 1) + ")";
  }
  return {toMark(p.problem_mark), std::move(message)};
}

}  // namespace

YAML::NodeType::value YamlNode::Type() const {
  return doc_ == nullptr ? YAML::NodeType::Undefined : doc_->nodes_[index_].type;
}

const std::string& YamlNode::Scalar() const {
  return doc_ == nullptr ? kEmpty : doc_->nodes_[index_].scalar;
}

size_t YamlNode::size() const {
  if (doc_ == nullptr) return 0;
  const auto& d = doc_->nodes_[index_];
  return d.type == YAML::NodeType::Map ? d.count / 2 : d.count;
}

YAML::Mark YamlNode::Mark() const {
  return doc_ == nullptr ? YAML::Mark::null_mark() : doc_->nodes_[index_].mark;
}

YamlNode YamlNode::item(size_t i) const {
  if (!IsSequence() || i >= size()) return {};
  return {doc_, doc_->children_[doc_->nodes_[index_].first + i]};
}

YamlNode YamlNode::key(size_t i) const {
  if (!IsMap() || i >= size()) return {};
  return {doc_, doc_->children_[doc_->nodes_[index_].first + 2 * i]};
}

YamlNode YamlNode::value(size_t i) const {
  if (!IsMap() || i >= size()) return {};
  return {doc_, doc_->children_[doc_->nodes_[index_].first + 2 * i + 1]};
}

std::optional<YamlError> YamlDocument::parse(std::string_view text, YamlDocument& out) {
  out.nodes_.clear();
  out.children_.clear();
  out.root_ = 0;
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0)
    return YamlError{YAML::Mark::null_mark(), "out of memory"};
  ParserGuard parser_guard{&parser};
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());

  // Containers being read, innermost last; their children's indices wait in `pending` (from
  // `first` on) until the container ends and they are copied, contiguous, into children_.
  struct Open {
    uint32_t node;
    size_t first;
    std::string anchor;
  };
  std::vector<Open> stack;
  std::vector<uint32_t> pending;
  // About one node per 6 bytes of a typical config: fewer reallocations of the big arrays.
  out.nodes_.reserve(text.size() / 6);
  out.children_.reserve(text.size() / 6);
  std::unordered_map<std::string, uint32_t> anchors;
  int documents = 0;

  auto attach = [&](uint32_t index) {
    if (stack.empty()) {
      out.root_ = index;
    } else {
      pending.push_back(index);
    }
  };
  auto add = [&](YAML::NodeType::value type, const yaml_mark_t& mark) {
    out.nodes_.push_back({type, toMark(mark), 0, 0, {}});
    return static_cast<uint32_t>(out.nodes_.size() - 1);
  };

  for (;;) {
    yaml_event_t ev;
    if (yaml_parser_parse(&parser, &ev) == 0) return syntaxError(parser, text);
    EventGuard event_guard{&ev};
    switch (ev.type) {
      case YAML_STREAM_END_EVENT:
        return std::nullopt;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents == 2) {
          return YamlError{toMark(ev.start_mark),
                           "expected a single YAML document, found a second one"};
        }
        break;
      case YAML_SCALAR_EVENT: {
        const bool null = isNull(ev);
        const uint32_t index =
            add(null ? YAML::NodeType::Null : YAML::NodeType::Scalar, ev.start_mark);
        if (!null) {
          out.nodes_[index].scalar.assign(reinterpret_cast<const char*>(ev.data.scalar.value),
                                          ev.data.scalar.length);
        }
        if (ev.data.scalar.anchor != nullptr) anchors[anchorOf(ev.data.scalar.anchor)] = index;
        attach(index);
        break;
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors.find(anchorOf(ev.data.alias.anchor));
        if (it == anchors.end()) {
          return YamlError{toMark(ev.start_mark), "YAML syntax error: unknown anchor '" +
                                                      anchorOf(ev.data.alias.anchor) + "'"};
        }
        attach(it->second);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (stack.size() >= kMaxDepth) {
          return YamlError{toMark(ev.start_mark), "YAML syntax error: nested deeper than " +
                                                      std::to_string(kMaxDepth) + " levels"};
        }
        const bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
        const yaml_char_t* anchor =
            seq ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
        const uint32_t index =
            add(seq ? YAML::NodeType::Sequence : YAML::NodeType::Map, ev.start_mark);
        stack.push_back({index, pending.size(), anchorOf(anchor)});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Open open = std::move(stack.back());
        stack.pop_back();
        auto& d = out.nodes_[open.node];
        d.first = static_cast<uint32_t>(out.children_.size());
        d.count = static_cast<uint32_t>(pending.size() - open.first);
        out.children_.insert(out.children_.end(),
                             pending.begin() + static_cast<std::ptrdiff_t>(open.first),
                             pending.end());
        pending.resize(open.first);
        if (!open.anchor.empty()) anchors[open.anchor] = open.node;
        attach(open.node);
        break;
      }
      default:  // stream start, document end, no-op
        break;
    }
  }
}

}  // namespace vpcdns::config::detail
