#include "io/loop_thread.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <utility>

namespace vpcdns::io {

LoopThread::LoopThread(std::string name) : name_(std::move(name)) {}

LoopThread::~LoopThread() {
  stop();
  join();
}

void LoopThread::start(std::function<void(uv_loop_t*)> on_start, std::function<void()> on_stop) {
  on_start_ = std::move(on_start);
  on_stop_ = std::move(on_stop);
  if (int rc = uv_loop_init(&loop_); rc != 0) {
    spdlog::critical("{}: uv_loop_init: {}", name_, uv_strerror(rc));
    std::abort();
  }
  wakeup_.data = this;
  uv_async_init(&loop_, &wakeup_,
                [](uv_async_t* h) noexcept { static_cast<LoopThread*>(h->data)->drainPosted(); });
  thread_ = std::thread([this] { run(); });
}

void LoopThread::run() {
  if (on_start_) on_start_(&loop_);
  // uv_run returns once every handle is closed; the wake-up handle is closed on stop.
  while (uv_run(&loop_, UV_RUN_DEFAULT) != 0) {
  }
  // A stop() that raced with the first uv_run may leave close callbacks pending.
  uv_run(&loop_, UV_RUN_NOWAIT);
  if (int rc = uv_loop_close(&loop_); rc != 0) {
    spdlog::warn("{}: loop closed with handles still open: {}", name_, uv_strerror(rc));
  }
}

void LoopThread::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    posted_.push_back(std::move(fn));
  }
  uv_async_send(&wakeup_);
}

void LoopThread::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !thread_.joinable()) return;
    stopping_ = true;
  }
  uv_async_send(&wakeup_);
}

void LoopThread::drainPosted() {
  std::vector<std::function<void()>> batch;
  bool stopping;
  {
    std::lock_guard lock(mu_);
    batch.swap(posted_);
    stopping = stopping_;
  }
  for (auto& fn : batch) fn();
  if (stopping && !stopped_on_loop_) {
    stopped_on_loop_ = true;
    if (on_stop_) on_stop_();
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
  }
}

void LoopThread::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace vpcdns::io
