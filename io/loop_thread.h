// LoopThread: one libuv event loop running on its own thread.
//
// Thread affinity: the constructor, start(), stop() and join() are called from the owning
// (main) thread; post() from any thread. Everything run through start()'s callbacks or post()
// runs on the loop thread, which owns the uv_loop_t and every handle opened on it.
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vpcdns::io {

class LoopThread {
 public:
  explicit LoopThread(std::string name);
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  // Starts the thread. `on_start` runs first on the loop thread (open handles there);
  // `on_stop` runs there when stop() is called and must close every handle it opened, after
  // which the loop drains its close callbacks and the thread ends.
  void start(std::function<void(uv_loop_t*)> on_start, std::function<void()> on_stop);

  // Runs `fn` on the loop thread soon. Thread-safe. Ignored once stopping.
  void post(std::function<void()> fn);

  // Asks the loop to stop (thread-safe, idempotent) and join() waits for the thread.
  void stop();
  void join();

  const std::string& name() const { return name_; }

 private:
  void run();
  void drainPosted();

  std::string name_;
  uv_loop_t loop_{};
  uv_async_t wakeup_{};
  std::thread thread_;
  std::function<void(uv_loop_t*)> on_start_;
  std::function<void()> on_stop_;

  std::mutex mu_;  // guards posted_ and stopping_
  std::vector<std::function<void()>> posted_;
  bool stopping_ = false;
  bool stopped_on_loop_ = false;  // loop thread only
};

}  // namespace vpcdns::io
