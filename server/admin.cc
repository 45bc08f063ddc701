#include "server/admin.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

namespace vpcdns::server {
namespace {

// Text from files and requests may hold invalid UTF-8: replaced (U+FFFD), never thrown over.
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

// A few threads: the API is for operators and scrapers, not for traffic. A slow client holds
// one for at most the read timeout; an idle keep-alive connection (Prometheus keeps one) for at
// most the keep-alive timeout.
constexpr size_t kAdminThreads = 4;
constexpr time_t kIoTimeoutSeconds = 5;
constexpr time_t kKeepAliveSeconds = 2;

constexpr const char* kJson = "application/json";
// Prometheus text exposition format 0.0.4.
constexpr const char* kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

std::string errorJson(std::string_view message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, kReplace) + "\n";
}

void reply(httplib::Response& res, const HttpResult& r) {
  res.status = r.status;
  res.set_content(r.body, kJson);
}

void notImplemented(httplib::Response& res) {
  reply(res, {501, errorJson("not implemented in this build")});
}

// Parses a flush request body: {} | {"name": "x."} | {"name": "x.", "subtree": true}. An empty
// body counts as {} (curl -X POST with no data).
Result<FlushRequest, std::string> parseFlush(const std::string& body) {
  FlushRequest request;
  if (body.empty()) return request;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(std::string("the body is not valid JSON"));
  if (!j.is_object()) return fail(std::string("expected a JSON object"));
  for (const auto& [key, value] : j.items()) {
    if (key == "name") {
      if (!value.is_string()) return fail(std::string("\"name\" must be a string"));
      request.name = value.get<std::string>();
      if (request.name.empty()) return fail(std::string("\"name\" must not be empty"));
    } else if (key == "subtree") {
      if (!value.is_boolean()) return fail(std::string("\"subtree\" must be true or false"));
      request.subtree = value.get<bool>();
    } else {
      return fail("unknown key \"" + key + "\" (expected name, subtree)");
    }
  }
  if (request.subtree && request.name.empty()) {
    return fail(std::string("\"subtree\" needs a \"name\" (use {} to flush everything)"));
  }
  return request;
}

}  // namespace

bool constantTimeEquals(std::string_view given, std::string_view expected) {
  // Runs over `given` in full whatever it holds; only the length of the expected token leaks.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    const char e = expected.empty() ? '\0' : expected[i % expected.size()];
    diff = static_cast<unsigned char>(diff | static_cast<unsigned char>(given[i] ^ e));
  }
  return diff == 0;
}

AdminServer::AdminServer(SocketAddress listen, std::string token, AdminHandlers handlers)
    : listen_(listen), token_(std::move(token)), handlers_(std::move(handlers)) {}

AdminServer::~AdminServer() {
  stop();
}

bool AdminServer::authorized(const std::string& header) const {
  if (token_.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() < kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
    return false;
  }
  return constantTimeEquals(std::string_view(header).substr(kBearer.size()), token_);
}

Result<bool, std::string> AdminServer::bind() {
  http_ = std::make_unique<httplib::Server>();
  http_->new_task_queue = [] { return new httplib::ThreadPool(kAdminThreads); };
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second
  // daemon bind the same admin address silently instead of failing at start-up.
  http_->set_socket_options([](int fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http_->set_payload_max_length(kMaxBodyBytes);
  http_->set_read_timeout(kIoTimeoutSeconds, 0);
  http_->set_write_timeout(kIoTimeoutSeconds, 0);
  http_->set_keep_alive_timeout(kKeepAliveSeconds);
  routes();
  const std::string host = listen_.ip().toString();
  if (listen_.port() == 0) {
    const int port = http_->bind_to_any_port(host);
    if (port <= 0) return fail("admin API: cannot listen on " + listen_.toString());
    listen_ = SocketAddress(listen_.ip(), static_cast<uint16_t>(port));
  } else if (!http_->bind_to_port(host, listen_.port())) {
    return fail("admin API: cannot listen on " + listen_.toString() +
                " (address in use or not available)");
  }
  return true;
}

void AdminServer::start() {
  thread_ = std::thread([this] {
    if (!http_->listen_after_bind()) spdlog::error("admin API on {} stopped", listen_.toString());
    serving_done_.store(true);
  });
  spdlog::info("admin API on http://{}{}", listen_.toString(),
               token_.empty() ? "" : " (bearer token required)");
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  // httplib's stop() does nothing until the accept loop runs: a stop right after start() waits
  // for the thread to get there (or to have failed) first.
  while (!http_->is_running() && !serving_done_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
  thread_.join();
}

void AdminServer::routes() {
  httplib::Server& s = *http_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (authorized(req.get_header_value("Authorization"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("WWW-Authenticate", "Bearer realm=\"vpcdns\"");
    reply(res, {401, errorJson("a bearer token is required (Authorization: Bearer TOKEN)")});
    return httplib::Server::HandlerResponse::Handled;
  });
  // A handler that throws (a bug, or bad_alloc) answers 500; the server keeps running.
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("admin API: {} {}: {}", req.method, req.path, what);
        reply(res, {500, errorJson("internal error: " + what)});
      });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler's own error reply
    if (res.status == 404) res.set_content(errorJson("no such endpoint"), kJson);
    if (res.status == 413) {
      res.set_content(errorJson("request body too large (limit 1 MiB)"), kJson);
    }
  });

  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const bool up = handlers_.healthy && handlers_.healthy();
    res.status = up ? 200 : 503;
    res.set_content(up ? "ok\n" : "not running\n", "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (!handlers_.metrics) return notImplemented(res);
    std::string out;
    handlers_.metrics(out);
    res.set_content(std::move(out), kPrometheus);
  });
  s.Post("/v1/cache/flush", [this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers_.flush) return notImplemented(res);
    auto request = parseFlush(req.body);
    if (!request) return reply(res, {400, errorJson(request.error())});
    reply(res, handlers_.flush(*request));
  });
  s.Get("/v1/forwarders", [this](const httplib::Request&, httplib::Response& res) {
    if (!handlers_.forwarders) return notImplemented(res);
    reply(res, handlers_.forwarders());
  });
  s.Post("/v1/reload", [this](const httplib::Request&, httplib::Response& res) {
    if (!handlers_.reload) return notImplemented(res);
    reply(res, handlers_.reload());
  });
  s.Post(R"(/v1/zones/([^/]+)/changes)",
         [this](const httplib::Request& req, httplib::Response& res) {
           if (!handlers_.submit_change) return notImplemented(res);
           reply(res, handlers_.submit_change(req.matches[1].str(), req.body));
         });
  s.Get(R"(/v1/changes/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers_.get_change) return notImplemented(res);
    reply(res, handlers_.get_change(req.matches[1].str()));
  });
}

}  // namespace vpcdns::server
