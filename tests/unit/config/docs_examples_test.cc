// The YAML examples in the configuration reference must load: users copy them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace vpcdns::config {
namespace {

const std::filesystem::path kRepo =
    std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "..";

// The text of the "## Configuration" section of a Markdown file ("" if absent).
std::string configurationSection(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::string section;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) inside = line == "## Configuration";
    if (inside) section += line + "\n";
  }
  return section;
}

std::vector<std::string> yamlBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line;
  std::string block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST(ConfigDocs, ExamplesLoad) {
  size_t checked = 0;
  for (const char* doc : {"README.md"}) {
    const auto blocks = yamlBlocks(configurationSection(kRepo / doc));
    for (size_t i = 0; i < blocks.size(); ++i) {
      std::string name = std::string(doc) + " example " + std::to_string(i + 1);
      LoadResult r = loadString(blocks[i], name);
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().front().toString());
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u) << "no configuration examples found in README.md under " << kRepo;
}

}  // namespace
}  // namespace vpcdns::config
