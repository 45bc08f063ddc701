#include "server/tcp_listener.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace vpcdns::server {

namespace {
constexpr size_t kReplyScratch = 65535;
constexpr size_t kReadChunk = 4096;
}  // namespace

// One client connection. Owns its two handles; deletes itself only after both close callbacks
// have run (libuv requires the memory to live until then).
class TcpConnection {
 public:
  TcpConnection(TcpListener& owner, SocketAddress peer, uint64_t serial)
      : owner_(owner), peer_(peer), serial_(serial) {
    tcp_.data = this;
    timer_.data = this;
  }

  uv_tcp_t* tcp() { return &tcp_; }
  uint64_t serial() const { return serial_; }

  // A deferred query's reply.
  void replyLater(std::span<const uint8_t> reply) {
    if (waiting_ > 0) --waiting_;
    if (closing_) return;
    write(reply);
  }
  void setPeer(const SocketAddress& peer) { peer_ = peer; }

  void start(uv_loop_t* loop) {
    uv_timer_init(loop, &timer_);
    armIdleTimer();
    uv_tcp_nodelay(&tcp_, 1);
    startReading();
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    uv_timer_stop(&timer_);
    auto on_closed = [](uv_handle_t* h) noexcept {
      auto* self = static_cast<TcpConnection*>(h->data);
      if (++self->closed_handles_ == 2) delete self;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
    owner_.forget(this);
  }

 private:
  struct WriteRequest {
    uv_write_t req{};
    TcpConnection* conn = nullptr;
    std::vector<uint8_t> data;
  };

  void armIdleTimer() {
    uv_timer_start(
        &timer_,
        [](uv_timer_t* t) noexcept {
          auto* self = static_cast<TcpConnection*>(t->data);
          // Replies still being written keep the connection; the timer re-arms on completion.
          if (self->pending_writes_ == 0 && self->waiting_ == 0) self->close();
        },
        owner_.limits_.tcp_idle_timeout_ms, 0);
  }

  void startReading() {
    reading_ = true;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&tcp_),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
          auto* self = static_cast<TcpConnection*>(h->data);
          self->in_.resize(self->used_ + kReadChunk);
          *buf = uv_buf_init(reinterpret_cast<char*>(self->in_.data() + self->used_),
                             static_cast<unsigned>(kReadChunk));
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) noexcept {
          static_cast<TcpConnection*>(s->data)->onRead(nread);
        });
  }

  void onRead(ssize_t nread) {
    if (nread < 0) {  // EOF or error
      close();
      return;
    }
    used_ += static_cast<size_t>(nread);
    armIdleTimer();
    processFrames();
  }

  // Answers every complete frame in the input buffer, then keeps the partial rest.
  void processFrames() {
    size_t off = 0;
    while (!closing_ && used_ - off >= 2) {
      const size_t len = (size_t{in_[off]} << 8) | in_[off + 1];
      if (used_ - off - 2 < len) break;
      if (len == 0) {  // nothing can be answered; the stream is broken
        close();
        return;
      }
      answer({in_.data() + off + 2, len});
      off += 2 + len;
    }
    if (off > 0) {
      std::memmove(in_.data(), in_.data() + off, used_ - off);
      used_ -= off;
    }
    if (reading_ && pending_writes_ + waiting_ >= owner_.limits_.tcp_max_pipelined) {
      reading_ = false;  // back-pressure: resume when replies drain
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    }
  }

  void answer(std::span<const uint8_t> query) {
    ClientInfo client{peer_, Transport::kTcp, owner_.listener_index_, &owner_, serial_};
    const std::span<uint8_t> scratch(owner_.reply_.get(), kReplyScratch);
    const uint64_t deferred = owner_.pipeline_.stats().deferred.get();
    const size_t n = owner_.pipeline_.handle(query, client, scratch);
    if (owner_.pipeline_.stats().deferred.get() != deferred) ++waiting_;
    if (n == 0) return;
    write({scratch.data(), n});
  }

  void write(std::span<const uint8_t> reply) {
    const size_t n = reply.size();
    auto* w = new WriteRequest;
    w->conn = this;
    w->data.resize(n + 2);
    w->data[0] = static_cast<uint8_t>(n >> 8);
    w->data[1] = static_cast<uint8_t>(n);
    std::memcpy(w->data.data() + 2, reply.data(), n);
    w->req.data = w;
    uv_buf_t buf =
        uv_buf_init(reinterpret_cast<char*>(w->data.data()), static_cast<unsigned>(w->data.size()));
    ++pending_writes_;
    const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                            [](uv_write_t* req, int status) noexcept {
                              auto* wr = static_cast<WriteRequest*>(req->data);
                              wr->conn->onWritten(status);
                              delete wr;
                            });
    if (rc != 0) {
      --pending_writes_;
      delete w;
      close();
    }
  }

  void onWritten(int status) {
    --pending_writes_;
    if (closing_) return;
    if (status != 0) {
      close();
      return;
    }
    armIdleTimer();
    if (!reading_ && pending_writes_ + waiting_ < owner_.limits_.tcp_max_pipelined) {
      startReading();
      processFrames();  // frames that arrived while paused
    }
  }

  TcpListener& owner_;
  SocketAddress peer_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  std::vector<uint8_t> in_;
  size_t used_ = 0;
  size_t pending_writes_ = 0;
  size_t waiting_ = 0;  // deferred queries whose replies have not come yet
  uint64_t serial_;
  bool reading_ = false;
  bool closing_ = false;
  int closed_handles_ = 0;
};

TcpListener::TcpListener(int fd, size_t listener_index, Pipeline& pipeline,
                         const config::ServerSection& limits)
    : fd_(fd),
      listener_index_(listener_index),
      pipeline_(pipeline),
      limits_(limits),
      reply_(new uint8_t[kReplyScratch]) {}

TcpListener::~TcpListener() = default;

bool TcpListener::start(uv_loop_t* loop) {
  loop_ = loop;
  int rc = uv_tcp_init_ex(loop, &handle_, AF_UNSPEC);
  if (rc != 0) {
    ::close(fd_);
  } else {
    open_ = true;
    handle_.data = this;
    rc = uv_tcp_open(&handle_, fd_);
  }
  // The fd is already listening; uv_listen only installs the callback.
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), 1024,
                   [](uv_stream_t* s, int status) noexcept {
                     if (status == 0) static_cast<TcpListener*>(s->data)->onConnection();
                   });
  }
  if (rc != 0) spdlog::error("tcp listener: {}", uv_strerror(rc));
  return rc == 0;
}

void TcpListener::onConnection() {
  auto* conn = new TcpConnection(*this, SocketAddress{}, next_serial_++);
  uv_tcp_init(loop_, conn->tcp());
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&handle_),
                reinterpret_cast<uv_stream_t*>(conn->tcp())) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(conn->tcp()),
             [](uv_handle_t* h) noexcept { delete static_cast<TcpConnection*>(h->data); });
    return;
  }
  if (conns_.size() >= limits_.tcp_max_connections) {
    uv_close(reinterpret_cast<uv_handle_t*>(conn->tcp()),
             [](uv_handle_t* h) noexcept { delete static_cast<TcpConnection*>(h->data); });
    return;
  }
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(conn->tcp(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    conn->setPeer(SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss)));
  }
  conns_.emplace(conn->serial(), conn);
  conn->start(loop_);
}

void TcpListener::forget(TcpConnection* c) {
  conns_.erase(c->serial());
}

void TcpListener::sendLater(const ClientInfo& client, std::span<const uint8_t> reply) {
  auto it = conns_.find(client.connection);
  if (it != conns_.end()) it->second->replyLater(reply);
}

void TcpListener::close() {
  if (!open_) return;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
  // close() removes the connection from conns_, so iterate over a copy.
  std::vector<TcpConnection*> all;
  for (auto& [serial, c] : conns_) all.push_back(c);
  for (auto* c : all) c->close();
}

}  // namespace vpcdns::server
