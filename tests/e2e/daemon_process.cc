#include "tests/e2e/daemon_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace vpcdns::test {

namespace {

sockaddr_in v4(const std::string& address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  return sa;
}

bool waitFd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(left.count())) == 1;
}

// A minimal readiness probe: "./IN/NS" query, any well-formed reply will do.
std::vector<uint8_t> probeQuery() {
  return {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};
}

std::string makeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/vpcdns-e2e-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

}  // namespace

std::string daemonBinary() {
  return VPCDNS_BINARY;
}

std::string freshLoopbackAddress() {
  std::random_device rd;
  std::uniform_int_distribution<int> a(64, 127), b(0, 255), c(1, 254);
  return "127." + std::to_string(a(rd)) + "." + std::to_string(b(rd)) + "." + std::to_string(c(rd));
}

bool portFree(const std::string& address, uint16_t port) {
  sockaddr_in sa = v4(address, port);
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) return false;
  for (const int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    close(fd);
    if (!ok) return false;
  }
  return true;
}

RunResult runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
  RunResult r;
  const std::string dir = makeTempDir();
  const std::string out_path = dir + "/out", err_path = dir + "/err";
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << argv[0] << " did not finish in time";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readFile(out_path);
  r.err = readFile(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  rmdir(dir.c_str());
  return r;
}

DaemonProcess::DaemonProcess(const std::string& config_yaml, const std::string& address,
                             uint16_t port,
                             const std::vector<std::pair<std::string, std::string>>& files) {
  dir_ = makeTempDir();
  for (const auto& [name, content] : files) writeFile(name, content);
  const std::string config_path = dir_ + "/vpcdns.yaml";
  log_path_ = dir_ + "/stderr.log";
  // Tests talk only to loopback: a config that says nothing about recursion gets a resolver
  // that may query no address at all, so names no zone answers get SERVFAIL at once instead of
  // a trip to the real root servers.
  std::string yaml = config_yaml;
  if (yaml.rfind("resolver:", 0) != 0 && yaml.find("\nresolver:") == std::string::npos) {
    yaml += "\nresolver:\n  dont_query: [\"0.0.0.0/0\", \"::/0\"]\n";
  }
  std::ofstream(config_path) << yaml;
  pid_ = fork();
  if (pid_ == 0) {
    const int err = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(err, 2);
    dup2(err, 1);
    execl(daemonBinary().c_str(), "vpcdns", "--config", config_path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!alive()) break;
    if (udpExchange(address, port, probeQuery(), "", std::chrono::milliseconds(100))) return;
  }
  ADD_FAILURE() << "vpcdns did not become ready on " << address << ":" << port << "\n"
                << stderrText();
}

DaemonProcess::~DaemonProcess() {
  if (alive()) terminate(std::chrono::seconds(5));
  if (alive()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool DaemonProcess::alive() const {
  if (pid_ <= 0) return false;
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

int DaemonProcess::terminate(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (r < 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string DaemonProcess::stderrText() const {
  return readFile(log_path_);
}

std::optional<std::vector<uint8_t>> udpExchange(const std::string& address, uint16_t port,
                                                const std::vector<uint8_t>& query,
                                                const std::string& source,
                                                std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  if (!source.empty()) {
    sockaddr_in src = v4(source, 0);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      close(fd);
      return std::nullopt;
    }
  }
  sockaddr_in dst = v4(address, port);
  std::optional<std::vector<uint8_t>> reply;
  if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) >=
          0 &&
      waitFd(fd, POLLIN, std::chrono::steady_clock::now() + timeout)) {
    std::vector<uint8_t> buf(65536);
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      reply = std::move(buf);
    }
  }
  close(fd);
  return reply;
}

void udpSend(const std::string& address, uint16_t port, const std::vector<uint8_t>& datagram) {
  static thread_local int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in dst = v4(address, port);
  sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
}

TcpClient::TcpClient(const std::string& address, uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in dst = v4(address, port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) close(fd_);
}

bool TcpClient::sendRaw(const std::vector<uint8_t>& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool TcpClient::sendFramed(const std::vector<uint8_t>& msg) {
  std::vector<uint8_t> framed{static_cast<uint8_t>(msg.size() >> 8),
                              static_cast<uint8_t>(msg.size())};
  framed.insert(framed.end(), msg.begin(), msg.end());
  return sendRaw(framed);
}

bool TcpClient::readExact(uint8_t* p, size_t n, std::chrono::steady_clock::time_point deadline) {
  while (n > 0) {
    if (!waitFd(fd_, POLLIN, deadline)) return false;
    const ssize_t r = recv(fd_, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

std::optional<std::vector<uint8_t>> TcpClient::readFramed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t len[2];
  if (!readExact(len, 2, deadline)) return std::nullopt;
  std::vector<uint8_t> msg((size_t{len[0]} << 8) | len[1]);
  if (!readExact(msg.data(), msg.size(), deadline)) return std::nullopt;
  return msg;
}

bool TcpClient::waitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t b;
  while (waitFd(fd_, POLLIN, deadline)) {
    const ssize_t r = recv(fd_, &b, 1, 0);
    if (r <= 0) return true;
  }
  return false;
}

}  // namespace vpcdns::test

namespace vpcdns::test {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void DaemonProcess::writeFile(const std::string& name, const std::string& content) const {
  std::ofstream(dir_ + "/" + name) << content;
}

void DaemonProcess::signal(int signum) const {
  if (pid_ > 0) kill(pid_, signum);
}

}  // namespace vpcdns::test
