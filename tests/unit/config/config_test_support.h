// Helpers shared by the config tests: load a YAML text as "cfg.yaml" and see its errors as users
// do (whole lines, positions included).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace vpcdns::config::test_support {

inline std::vector<std::string> errorsOf(std::string_view yaml) {
  LoadResult r = loadString(yaml, "cfg.yaml");
  std::vector<std::string> out;
  if (!r.ok()) {
    for (const auto& e : r.error()) out.push_back(e.toString());
  }
  return out;
}

// Loads a text that must be valid (the test fails otherwise, showing the errors).
inline Config load(std::string_view yaml) {
  LoadResult r = loadString(yaml, "cfg.yaml");
  EXPECT_THAT(errorsOf(yaml), ::testing::IsEmpty());
  return r.ok() ? *r : Config{};
}

}  // namespace vpcdns::config::test_support
