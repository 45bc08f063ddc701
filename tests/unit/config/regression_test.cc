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
// answer instead of hanging: libyaml (the parser since) stops at the first invalid UTF-8 byte.
TEST(ConfigRegression, YamlCppLoadAllHangIsAnError) {
  std::ifstream in(kData / "loadall-hang.yaml", std::ios::binary);
  ASSERT_TRUE(in) << kData;
  std::stringstream text;
  text << in.rdbuf();
  LoadResult r = loadString(text.str(), "hang.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().front().toString(),
            "hang.yaml:3:6: YAML syntax error: invalid leading UTF-8 octet");
}

}  // namespace
}  // namespace vpcdns::config
