// Inputs that once went wrong, kept so they stay fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config.h"

namespace vpcdns::config {
namespace {

const std::filesystem::path kData =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "data" / "config";

// Found by fuzz_config: yaml-cpp 0.7's LoadAll() never returned on this input. The loader must
// answer (here: an error naming the line of the second document) instead of hanging.
TEST(ConfigRegression, YamlCppLoadAllHangIsAnError) {
  std::ifstream in(kData / "loadall-hang.yaml", std::ios::binary);
  ASSERT_TRUE(in) << kData;
  std::stringstream text;
  text << in.rdbuf();
  LoadResult r = loadString(text.str(), "hang.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().front().toString(),
            "hang.yaml:2:1: expected a single YAML document, found a second one");
}

}  // namespace
}  // namespace vpcdns::config
