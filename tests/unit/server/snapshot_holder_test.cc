// SnapshotHolder: a replaced snapshot is freed by collectRetired() (the daemon's main loop), once
// no worker holds it, never by the worker that drops it last (that would be on the query path).
#include <gtest/gtest.h>

#include <memory>

#include "config/config.h"
#include "server/snapshot.h"

namespace vpcdns::server {
namespace {

std::shared_ptr<const Snapshot> emptySnapshot() {
  auto config = config::loadString("", "test.yaml");
  EXPECT_TRUE(config.ok());
  auto built = buildSnapshot(std::make_shared<const config::Config>(std::move(config).value()));
  EXPECT_TRUE(built.ok());
  return *built;
}

TEST(SnapshotHolder, ReplacedSnapshotIsFreedByCollectOnceUnused) {
  SnapshotHolder holder(emptySnapshot());
  std::weak_ptr<const Snapshot> first = holder.current();
  auto worker_ref = holder.current();  // a worker serving the first snapshot
  const uint64_t g = holder.generation();
  holder.publish(emptySnapshot());
  EXPECT_EQ(holder.generation(), g + 1);
  EXPECT_EQ(holder.collectRetired(), 0u);  // still served
  EXPECT_FALSE(first.expired());
  worker_ref.reset();  // the worker moves on: nothing is freed on its thread
  EXPECT_FALSE(first.expired());
  EXPECT_EQ(holder.collectRetired(), 1u);
  EXPECT_TRUE(first.expired());
  EXPECT_EQ(holder.collectRetired(), 0u);
}

TEST(SnapshotHolder, BuiltinZonesAreSharedBetweenViewsAndSnapshots) {
  auto config = config::loadString("vpcs: [{id: a}, {id: b}]\n", "test.yaml");
  ASSERT_TRUE(config.ok());
  auto shared = std::make_shared<const config::Config>(std::move(config).value());
  auto s1 = buildSnapshot(shared);
  auto s2 = buildSnapshot(shared);
  ASSERT_TRUE(s1.ok());
  ASSERT_TRUE(s2.ok());
  const auto& a = (*s1)->views[0].local_zones;
  const auto& b = (*s1)->views[1].local_zones;
  const auto& c = (*s2)->views[0].local_zones;
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].get(), b[i].get());
    EXPECT_EQ(a[i].get(), c[i].get());
  }
}

}  // namespace
}  // namespace vpcdns::server
