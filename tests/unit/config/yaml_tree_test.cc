// The YAML tree (config/yaml_tree.h, on yaml-cpp's event parser): the parts of yaml-cpp's behaviour
// the schema relies on, and the limits that keep bad input cheap.
#include "config/yaml_tree.h"

#include <gtest/gtest.h>

#include <string>

#include "config_test_support.h"

namespace vpcdns::config::detail {
namespace {

YamlNode rootOf(YamlDocument& doc, std::string_view text) {
  auto error = YamlDocument::parse(text, doc);
  EXPECT_FALSE(error.has_value()) << error->message;
  return doc.root();
}

TEST(YamlTree, MapsListsAndScalarsWithPositions) {
  YamlDocument doc;
  const YamlNode root = rootOf(doc, "a: 1\nb:\n  - x\n  - {c: \"y\"}\n");
  ASSERT_TRUE(root.IsMap());
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root.key(0).Scalar(), "a");
  EXPECT_EQ(root.value(0).Scalar(), "1");
  const YamlNode list = root.value(1);
  ASSERT_TRUE(list.IsSequence());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list.item(0).as<std::string>(), "x");
  EXPECT_EQ(list.item(0).Mark().line, 2);  // 0-based, as yaml-cpp
  EXPECT_EQ(list.item(0).Mark().column, 4);
  EXPECT_TRUE(list.item(1).IsMap());
  EXPECT_EQ(list.item(1).value(0).Scalar(), "y");
  size_t n = 0;
  for (const YamlNode item : list) {
    if (item.IsDefined()) ++n;
  }
  EXPECT_EQ(n, 2u);
  EXPECT_FALSE(list.item(2).IsDefined());  // out of range: Undefined, not a crash
}

TEST(YamlTree, NullSpellingsAreNullUnlessQuoted) {
  YamlDocument doc;
  const YamlNode root = rootOf(doc, "a:\nb: ~\nc: null\nd: NULL\ne: \"null\"\nf: ''\n");
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(root.value(i).IsNull()) << i;
  EXPECT_TRUE(root.value(4).IsScalar());
  EXPECT_EQ(root.value(4).Scalar(), "null");
  EXPECT_TRUE(root.value(5).IsScalar());
  EXPECT_EQ(root.value(5).Scalar(), "");
}

TEST(YamlTree, AliasesReferToTheAnchoredNode) {
  YamlDocument doc;
  const YamlNode root = rootOf(doc, "a: &x [1, 2]\nb: *x\n");
  ASSERT_TRUE(root.value(1).IsSequence());
  EXPECT_EQ(root.value(1).item(1).Scalar(), "2");
  YamlDocument bad;
  auto error = YamlDocument::parse("a: *nowhere\n", bad);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "YAML syntax error: the referenced anchor is not defined");
  EXPECT_EQ(error->mark.line, 0);
  EXPECT_EQ(error->mark.column, 3);
  // An alias of a node being read (a cycle) is an error too, not an endless tree.
  error = YamlDocument::parse("&a [*a]", bad);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "YAML syntax error: an alias of a node that is not complete (a cycle)");
}

TEST(YamlTree, EmptyStreamHasNoDocument) {
  YamlDocument doc;
  EXPECT_FALSE(YamlDocument::parse("# only a comment\n", doc).has_value());
  EXPECT_FALSE(doc.root().IsDefined());
}

TEST(YamlTree, SecondDocumentAndDeepNestingAreErrors) {
  YamlDocument doc;
  auto error = YamlDocument::parse("a: 1\n---\nb: 2\n", doc);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->mark.line, 1);
  EXPECT_EQ(error->message, "expected a single YAML document, found a second one");
  const std::string deep = std::string(300, '[') + std::string(300, ']');
  error = YamlDocument::parse(deep, doc);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "YAML syntax error: nested deeper than 256 levels");
}

// yaml-cpp passes bytes that are not UTF-8 through: a key with one is an unknown key, reported
// where it is.
TEST(YamlTree, BadUtf8IsReportedWhereItIs) {
  EXPECT_THAT(test_support::errorsOf("server:\n  workers: 2\n  li\xf9sten: []\n"),
              ::testing::ElementsAre(::testing::StartsWith(
                  "cfg.yaml:3:3: server: unknown key 'li\xf9sten' (expected one of: listen,")));
}

}  // namespace
}  // namespace vpcdns::config::detail
