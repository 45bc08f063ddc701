// AdminServer in process, with stub handlers: routing, auth, request parsing, error replies.
// And the Prometheus text helpers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <string>

#include "server/admin.h"
#include "server/prometheus.h"

namespace vpcdns::server {
namespace {

using ::testing::HasSubstr;

class AdminServerTest : public ::testing::Test {
 protected:
  void start(std::string token, AdminHandlers handlers) {
    server_ = std::make_unique<AdminServer>(*SocketAddress::parse("127.0.0.1:0", 0),
                                            std::move(token), std::move(handlers));
    auto bound = server_->bind();
    ASSERT_TRUE(bound.ok()) << bound.error();
    ASSERT_NE(server_->address().port(), 0);
    server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->address().port());
    client_->set_connection_timeout(5, 0);
  }
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminServerTest, EmptyHandlersAnswer501AndHealthzFollowsTheHandler) {
  std::atomic<bool> healthy{false};
  AdminHandlers h;
  h.healthy = [&] { return healthy.load(); };
  start("", h);
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  healthy = true;
  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
  for (const char* path : {"/metrics", "/v1/forwarders", "/v1/changes/C1"}) {
    res = client_->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 501) << path;
  }
  res = client_->Post("/v1/reload", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 501);
}

TEST_F(AdminServerTest, FlushBodiesAreParsedAndRoutesPassTheirParameters) {
  std::vector<FlushRequest> flushes;
  std::string zone, body, id;
  AdminHandlers h;
  h.flush = [&](const FlushRequest& r) {
    flushes.push_back(r);
    return HttpResult{200, "{\"removed\":0}"};
  };
  h.submit_change = [&](std::string_view z, std::string_view b) {
    zone = z;
    body = b;
    return HttpResult{200, "{}"};
  };
  h.get_change = [&](std::string_view i) {
    id = i;
    return HttpResult{404, "{}"};
  };
  start("", h);
  for (const char* b :
       {"{}", "", R"({"name":"x.example"})", R"({"name":"x.example","subtree":true})"}) {
    auto res = client_->Post("/v1/cache/flush", b, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << b;
  }
  ASSERT_EQ(flushes.size(), 4u);
  EXPECT_EQ(flushes[0].name, "");
  EXPECT_EQ(flushes[1].name, "");
  EXPECT_EQ(flushes[2].name, "x.example");
  EXPECT_FALSE(flushes[2].subtree);
  EXPECT_TRUE(flushes[3].subtree);
  for (const char* b : {"[]", "{\"name\":1}", "{\"subtree\":true}", "{\"name\":\"\"}",
                        "{\"name\":\"a\",\"subtree\":\"yes\"}", "{\"nme\":\"a\"}", "{\"name\""}) {
    auto res = client_->Post("/v1/cache/flush", b, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << b;
    EXPECT_THAT(res->body, HasSubstr("\"error\"")) << b;
  }
  EXPECT_EQ(flushes.size(), 4u);

  auto res =
      client_->Post("/v1/zones/corp.internal/changes", "{\"ChangeBatch\":{}}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(zone, "corp.internal");
  EXPECT_EQ(body, "{\"ChangeBatch\":{}}");
  res = client_->Get("/v1/changes/C0123");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(id, "C0123");
}

TEST_F(AdminServerTest, TokenIsCheckedOnEveryEndpoint) {
  AdminHandlers h;
  h.healthy = [] { return true; };
  h.metrics = [](std::string& out) { out += "# TYPE x gauge\nx 1\n"; };
  start("secret-token-0123456789", h);
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"vpcdns\"");
  client_->set_bearer_token_auth("secret-token-012345678");  // a prefix
  res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  client_->set_bearer_token_auth("secret-token-0123456789");
  res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "# TYPE x gauge\nx 1\n");
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
}

TEST_F(AdminServerTest, HandlerExceptionIs500AndTheServerGoesOn) {
  AdminHandlers h;
  h.healthy = [] { return true; };
  h.reload = []() -> HttpResult { throw std::runtime_error("boom"); };
  start("", h);
  auto res = client_->Post("/v1/reload", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_THAT(res->body, HasSubstr("boom"));
  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(AdminServerStop, RightAfterStartDoesNotHang) {
  for (int i = 0; i < 20; ++i) {
    AdminServer server(*SocketAddress::parse("127.0.0.1:0", 0), "", {});
    ASSERT_TRUE(server.bind().ok());
    server.start();
    server.stop();
    server.stop();  // idempotent
  }
}

TEST(AdminServerBind, AnAddressInUseIsAnErrorNamingIt) {
  AdminServer first(*SocketAddress::parse("127.0.0.1:0", 0), "", {});
  ASSERT_TRUE(first.bind().ok());
  AdminServer second(first.address(), "", {});
  auto bound = second.bind();
  ASSERT_FALSE(bound.ok());
  EXPECT_THAT(bound.error(), HasSubstr(first.address().toString()));
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abd", "abc"));
  EXPECT_FALSE(constantTimeEquals("ab", "abc"));
  EXPECT_FALSE(constantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(constantTimeEquals("", "abc"));
  EXPECT_FALSE(constantTimeEquals("abcabc", "abc"));
}

TEST(Prometheus, FamiliesSamplesAndEscapedLabels) {
  std::string out;
  prom::family(out, "x_total", "counter", "Things.");
  prom::sample(out, "x_total", prom::label("name", "a\"b\\c\nd"), uint64_t{3});
  prom::sample(out, "y", "", 0.25);
  EXPECT_EQ(out,
            "# HELP x_total Things.\n# TYPE x_total counter\n"
            "x_total{name=\"a\\\"b\\\\c\\nd\"} 3\ny 0.25\n");
}

}  // namespace
}  // namespace vpcdns::server
