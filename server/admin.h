// AdminServer: the admin HTTP API (README "Admin API") on its own listener and its own thread,
// served by cpp-httplib. It knows nothing of workers, caches or the forwarder: every endpoint
// calls one of the AdminHandlers the daemon wires in (server/admin_wiring.cc), each of which may
// only read atomics and shared, thread-safe registries - never worker-owned state.
//
//   GET  /healthz                 200 "ok" while the workers run (503 otherwise)
//   GET  /metrics                 Prometheus text format 0.0.4
//   POST /v1/cache/flush          {} | {"name":N} | {"name":N,"subtree":true} -> {"removed":n}
//   GET  /v1/forwarders           every FORWARD rule's targets and their health
//   POST /v1/reload               {"ok":true,"seconds":s} | 400 {"ok":false,"errors":[...]}
//   POST /v1/zones/{zone}/changes Route 53 ChangeResourceRecordSets (server/changes.h)
//   GET  /v1/changes/{id}         PENDING | INSYNC                  (server/changes.h)
//
// Auth: with a token configured, every request needs "Authorization: Bearer <token>" (401
// otherwise; compared in constant time). Bodies over kMaxBodyBytes get 413; bad JSON gets 400.
//
// Thread affinity: constructed, started and stopped on the main thread; handlers run on
// httplib's threads (a pool of four), so each handler must be thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/net.h"
#include "common/result.h"

namespace httplib {
class Server;
}

namespace vpcdns::server {

// A reply to an admin request: HTTP status and a JSON (or text) body.
struct HttpResult {
  int status = 200;
  std::string body;
};

// What a cache flush removes: everything (empty name), one name, or a name and its subtree.
struct FlushRequest {
  std::string name;  // presentation form; empty: the whole cache
  bool subtree = false;
};

// The endpoints' logic. An empty member makes its endpoint answer 501 Not Implemented.
// Every member may be called from any admin thread, concurrently.
struct AdminHandlers {
  std::function<bool()> healthy;                  // GET /healthz
  std::function<void(std::string& out)> metrics;  // GET /metrics: appends the exposition text
  std::function<HttpResult(const FlushRequest&)> flush;  // POST /v1/cache/flush
  std::function<HttpResult()> forwarders;                // GET /v1/forwarders: JSON body
  std::function<HttpResult()> reload;                    // POST /v1/reload
  // POST /v1/zones/{zone}/changes: `zone` as in the URL, `body` the request's JSON.
  std::function<HttpResult(std::string_view zone, std::string_view body)> submit_change;
  // GET /v1/changes/{id}
  std::function<HttpResult(std::string_view id)> get_change;
};

class AdminServer {
 public:
  static constexpr size_t kMaxBodyBytes = size_t{1} << 20;

  // `token` empty: no authentication (the config allows that on loopback only).
  AdminServer(SocketAddress listen, std::string token, AdminHandlers handlers);
  ~AdminServer();  // stops
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds the listener (before privileges are dropped). On failure returns a message naming
  // the address.
  Result<bool, std::string> bind();
  // Starts the serving thread; after bind() succeeded. The handlers may run from then on.
  void start();
  // Stops accepting, finishes requests in progress and joins the thread. Idempotent.
  void stop();

  // The bound address (the actual port when the config said port 0). Valid after bind().
  const SocketAddress& address() const { return listen_; }

 private:
  void routes();
  // True when no token is configured or `header` is "Bearer <token>".
  bool authorized(const std::string& header) const;

  SocketAddress listen_;
  std::string token_;
  AdminHandlers handlers_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> serving_done_{false};  // the thread's accept loop has returned
};

// True when `given` equals `expected`, taking the same time for every `given` of a length
// (RFC 6750 bearer tokens; a timing side channel must not reveal a prefix).
bool constantTimeEquals(std::string_view given, std::string_view expected);

}  // namespace vpcdns::server
