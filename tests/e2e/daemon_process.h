// Test fixture: the real vpcdns binary as a child process on a loopback address of its own,
// plus small UDP/TCP clients. Each test gets a fresh 127.x.y.z address, so tests can run in
// parallel (ctest -j) without port clashes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vpcdns::test {

// Path of the daemon binary under test (set by CMake).
std::string daemonBinary();

// A fresh loopback address (127.64.0.0/10 range, random) for one test.
std::string freshLoopbackAddress();

// True if UDP and TCP address:port (IPv4) can both be bound now: nothing else serves there.
bool portFree(const std::string& address, uint16_t port);

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs a command to completion (argv[0] is searched in PATH), with a time limit.
RunResult runCommand(const std::vector<std::string>& argv,
                     std::chrono::milliseconds limit = std::chrono::seconds(20));

class DaemonProcess {
 public:
  // Writes `config_yaml` to a temp file and starts `vpcdns --config` on it. `address` is where
  // readiness is probed (UDP). Fails the current test if it is not ready within 10 s.
  // `files` (name -> content) are written next to the config first (zone files, say).
  DaemonProcess(const std::string& config_yaml, const std::string& address, uint16_t port,
                const std::vector<std::pair<std::string, std::string>>& files = {});
  ~DaemonProcess();  // SIGTERM, then SIGKILL after 5 s

  // Sends SIGTERM and waits; returns the exit status (or -1 on timeout/signal).
  int terminate(std::chrono::milliseconds limit = std::chrono::seconds(10));
  bool alive() const;
  pid_t pid() const { return pid_; }
  const std::string& stderrPath() const { return log_path_; }
  std::string stderrText() const;
  // The folder holding the config and `files`; rewrite them and signal() SIGHUP to reload.
  const std::string& dir() const { return dir_; }
  void writeFile(const std::string& name, const std::string& content) const;
  void signal(int signum) const;

 private:
  pid_t pid_ = -1;
  std::string dir_;
  std::string log_path_;
};

// One UDP exchange from `source` (empty = any) to address:port; nullopt on timeout.
std::optional<std::vector<uint8_t>> udpExchange(
    const std::string& address, uint16_t port, const std::vector<uint8_t>& query,
    const std::string& source = "",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
// The whole file, or "" when it cannot be read.
std::string readFile(const std::string& path);
// Sends without waiting for a reply.
void udpSend(const std::string& address, uint16_t port, const std::vector<uint8_t>& datagram);

// A TCP connection with 2-byte framing helpers.
class TcpClient {
 public:
  TcpClient(const std::string& address, uint16_t port);
  ~TcpClient();
  bool connected() const { return fd_ >= 0; }
  bool sendRaw(const std::vector<uint8_t>& bytes);
  bool sendFramed(const std::vector<uint8_t>& msg);
  // Reads one framed message; nullopt on timeout or EOF.
  std::optional<std::vector<uint8_t>> readFramed(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  // True if the peer closed the connection within `timeout`.
  bool waitClosed(std::chrono::milliseconds timeout);

 private:
  bool readExact(uint8_t* p, size_t n, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
};

}  // namespace vpcdns::test
