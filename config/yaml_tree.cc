#include "config/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <unordered_map>

namespace vpcdns::config::detail {
namespace {

// Nesting deeper than this is refused: no config needs it, and it bounds the work per byte.
constexpr size_t kMaxDepth = 256;

const std::string kEmpty;

// Thrown by the builder to stop the parser: a second document, too deep, an alias of a node not
// yet complete.
struct Stop {
  YamlError error;
};

}  // namespace

// Builds the tree from yaml-cpp's events. Containers being read are on `stack`, innermost last;
// their children's indices wait in `pending` (from `first` on) until the container ends and they
// are copied, contiguous, into children_.
class YamlDocument::Builder : public YAML::EventHandler {
 public:
  explicit Builder(YamlDocument& out) : out_(out) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) {
      throw Stop{{mark, "expected a single YAML document, found a second one"}};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    leaf(YAML::NodeType::Null, mark, anchor, nullptr);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(YAML::NodeType::Scalar, mark, anchor, &value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw Stop{{mark, "YAML syntax error: an alias of a node that is not complete (a cycle)"}};
    }
    attach(it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(YAML::NodeType::Sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(YAML::NodeType::Map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    uint32_t node;
    size_t first;
    YAML::anchor_t anchor;
  };

  uint32_t add(YAML::NodeType::value type, const YAML::Mark& mark) {
    out_.nodes_.push_back({type, mark, 0, 0, {}});
    return static_cast<uint32_t>(out_.nodes_.size() - 1);
  }
  void attach(uint32_t index) {
    if (stack_.empty()) {
      out_.root_ = index;
    } else {
      pending_.push_back(index);
    }
  }
  void leaf(YAML::NodeType::value type, const YAML::Mark& mark, YAML::anchor_t anchor,
            const std::string* value) {
    const uint32_t index = add(type, mark);
    if (value != nullptr) out_.nodes_[index].scalar = *value;
    if (anchor != YAML::NullAnchor) anchors_[anchor] = index;
    attach(index);
  }
  void open(YAML::NodeType::value type, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (stack_.size() >= kMaxDepth) {
      throw Stop{
          {mark, "YAML syntax error: nested deeper than " + std::to_string(kMaxDepth) + " levels"}};
    }
    stack_.push_back({add(type, mark), pending_.size(), anchor});
  }
  void close() {
    const Open open = stack_.back();
    stack_.pop_back();
    auto& d = out_.nodes_[open.node];
    d.first = static_cast<uint32_t>(out_.children_.size());
    d.count = static_cast<uint32_t>(pending_.size() - open.first);
    out_.children_.insert(out_.children_.end(),
                          pending_.begin() + static_cast<std::ptrdiff_t>(open.first),
                          pending_.end());
    pending_.resize(open.first);
    if (open.anchor != YAML::NullAnchor) anchors_[open.anchor] = open.node;
    attach(open.node);
  }

  YamlDocument& out_;
  std::vector<Open> stack_;
  std::vector<uint32_t> pending_;
  std::unordered_map<YAML::anchor_t, uint32_t> anchors_;
  int documents_ = 0;
};

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
  // About one node per 7 bytes of a typical config: fewer reallocations of the big arrays.
  out.nodes_.reserve(text.size() / 7);
  out.children_.reserve(text.size() / 7);
  std::istringstream in{std::string(text)};
  Builder builder(out);
  try {
    YAML::Parser parser(in);
    // The second call only looks for a second document (its start stops the parser).
    if (parser.HandleNextDocument(builder)) parser.HandleNextDocument(builder);
  } catch (const Stop& stop) {
    return stop.error;
  } catch (const YAML::Exception& e) {
    return YamlError{e.mark, "YAML syntax error: " + e.msg};
  } catch (const std::exception& e) {  // bad_alloc and friends: an error, never a crash
    return YamlError{YAML::Mark::null_mark(), std::string("YAML: ") + e.what()};
  }
  return std::nullopt;
}

}  // namespace vpcdns::config::detail
