#include "server/query_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <type_traits>
#include <utility>

#include "dns/message.h"
#include "dns/types.h"

namespace vpcdns::server {

// ---- the ring ----------------------------------------------------------------------------------

// The fixed part of a record; the VPC id and the reply follow, then padding to 8 bytes.
struct QueryLogRing::Head {
  uint32_t size = 0;  // of the whole record, padded; kWrap marks the end of a lap
  uint16_t vpc_len = 0;
  uint8_t transport = 0;
  uint8_t path = 0;
  uint32_t reply_len = 0;
  uint32_t listener_index = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  SocketAddress client;
};

namespace {

constexpr uint32_t kWrap = 0xffffffffu;
constexpr size_t kMaxRecord = 512 + 65535;  // a head, a VPC id and the largest reply, padded
static_assert(std::is_trivially_copyable_v<SocketAddress>);

constexpr size_t roundUp8(size_t n) {
  return (n + 7) & ~size_t{7};
}

size_t ringBytes(size_t records) {
  size_t want = records * QueryLogRing::kAverageRecord;
  if (want < 4 * kMaxRecord) want = 4 * kMaxRecord;
  size_t cap = 1;
  while (cap < want) cap <<= 1;
  return cap;
}

}  // namespace

QueryLogRing::QueryLogRing(size_t records)
    : capacity_(ringBytes(records)), buf_(new uint8_t[capacity_]) {
  // Touch every page now, so that the first lap does not fault pages in on the query path.
  std::memset(buf_.get(), 0, capacity_);
}

bool QueryLogRing::push(const QueryEvent& e, std::string_view vpc_id) {
  if (vpc_id.size() > kMaxVpcId) vpc_id = vpc_id.substr(0, kMaxVpcId);
  const size_t need = roundUp8(sizeof(Head) + vpc_id.size() + e.reply.size());
  if (need > kMaxRecord) return false;
  uint64_t head = head_.load(std::memory_order_relaxed);
  size_t off = head & (capacity_ - 1);
  const size_t till_end = capacity_ - off;
  const size_t total = need <= till_end ? need : till_end + need;
  if (head + total - cached_tail_ > capacity_) {
    cached_tail_ = tail_.load(std::memory_order_acquire);
    if (head + total - cached_tail_ > capacity_) return false;
  }
  if (need > till_end) {  // does not fit before the end: mark the rest of the lap as skipped
    std::memcpy(buf_.get() + off, &kWrap, sizeof kWrap);
    head += till_end;
    off = 0;
  }
  Head h;
  h.size = static_cast<uint32_t>(need);
  h.vpc_len = static_cast<uint16_t>(vpc_id.size());
  h.transport = static_cast<uint8_t>(e.transport);
  h.path = static_cast<uint8_t>(e.path);
  h.reply_len = static_cast<uint32_t>(e.reply.size());
  h.listener_index = static_cast<uint32_t>(e.listener_index);
  h.start_ns = e.start_ns;
  h.end_ns = e.end_ns;
  if (e.client != nullptr) h.client = *e.client;
  uint8_t* p = buf_.get() + off;
  std::memcpy(p, &h, sizeof h);
  if (!vpc_id.empty()) std::memcpy(p + sizeof h, vpc_id.data(), vpc_id.size());
  if (!e.reply.empty()) {
    std::memcpy(p + sizeof h + vpc_id.size(), e.reply.data(), e.reply.size());
  }
  head_.store(head + need, std::memory_order_release);
  return true;
}

size_t QueryLogRing::read(uint64_t pos, QueryLogRecord& out) const {
  const uint8_t* p = at(pos);
  uint32_t size = 0;
  std::memcpy(&size, p, sizeof size);
  if (size == kWrap) return 0;
  Head h;
  std::memcpy(&h, p, sizeof h);
  out.start_ns = h.start_ns;
  out.end_ns = h.end_ns;
  out.client = h.client;
  out.transport = static_cast<Transport>(h.transport);
  out.path = static_cast<AnswerPath>(h.path);
  out.listener_index = h.listener_index;
  out.vpc_id = std::string_view(reinterpret_cast<const char*>(p + sizeof h), h.vpc_len);
  out.reply = std::span<const uint8_t>(p + sizeof h + h.vpc_len, h.reply_len);
  return h.size;
}

// ---- formatting --------------------------------------------------------------------------------

void appendJsonEscaped(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t plain = 0;  // start of the run of characters copied as they are
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c != '"' && c != '\\' && c >= 0x20 && c < 0x7f) continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      // Names and RDATA in presentation form are ASCII already (\DDD escapes); anything else
      // is written as a \u escape of the byte so that the line stays valid UTF-8 JSON.
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + plain, text.size() - plain);
}

std::string rfc3339Millis(int64_t realtime_ns) {
  // The writer formats many lines per second: the date and time part is kept per thread and
  // redone only when the second changes.
  struct Cache {
    int64_t secs = -1;
    char prefix[80] = {};  // "YYYY-MM-DDTHH:MM:SS"
  };
  thread_local Cache cache;
  const int64_t secs = realtime_ns / 1'000'000'000;
  const int millis = static_cast<int>((realtime_ns % 1'000'000'000) / 1'000'000);
  if (secs != cache.secs) {
    const time_t t = static_cast<time_t>(secs);
    tm parts{};
    gmtime_r(&t, &parts);
    std::snprintf(cache.prefix, sizeof cache.prefix, "%04d-%02d-%02dT%02d:%02d:%02d",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec);
    cache.secs = secs;
  }
  std::string out = cache.prefix;
  out += '.';
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
}

namespace {

void appendString(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":\"";
  appendJsonEscaped(value, out);
  out += "\",";
}

}  // namespace

namespace {

uint16_t get16(std::span<const uint8_t> p, size_t off) {
  return static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
}

// Steps over a name in wire form (labels, ending with a root label or a compression pointer),
// without decoding it: only the answers' RDATA is needed from the records.
bool skipName(std::span<const uint8_t> p, size_t& off) {
  while (off < p.size()) {
    const uint8_t len = p[off];
    if (len == 0) {
      off += 1;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      if (p.size() - off < 2) return false;
      off += 2;
      return true;
    }
    if ((len & 0xc0) != 0) return false;  // extended label types (RFC 6891 §5)
    off += 1u + len;
  }
  return false;
}

// What a line needs from a reply, read from the wire in one pass without building a
// dns::Message (the writer formats every reply): the question, the RCODE with the OPT's upper
// bits (RFC 6891 §6.1.3), and the answer section formatted into `answers` (JSON objects).
// False if the reply cannot be read or has no single question.
bool readReply(std::span<const uint8_t> p, dns::Question& question, uint16_t& rcode,
               std::string& answers) {
  auto h = dns::parseHeader(p);
  if (!h || h->qdcount != 1) return false;
  size_t off = dns::kHeaderSize;
  auto qname = dns::Name::fromWire(p, off);
  if (!qname || p.size() - off < 4) return false;
  question = {*qname, get16(p, off), get16(p, off + 2)};
  off += 4;
  rcode = h->rcode;
  const size_t records = size_t{h->ancount} + h->nscount + h->arcount;
  for (size_t i = 0; i < records; ++i) {
    if (!skipName(p, off) || p.size() - off < 10) return false;
    const uint16_t type = get16(p, off);
    const uint16_t cls = get16(p, off + 2);
    const uint8_t ext_rcode = p[off + 4];  // the OPT's TTL: extended RCODE, version, flags
    const uint16_t rdlength = get16(p, off + 8);
    const size_t rdata = off + 10;
    if (p.size() - rdata < rdlength) return false;
    off = rdata + rdlength;
    if (i < h->ancount) {
      auto rd = dns::readRdata(type, p, rdata, rdlength);
      if (!rd) return false;
      if (i > 0) answers += ',';
      answers += "{\"Rdata\":\"";
      appendJsonEscaped(dns::rdataToText(type, *rd), answers);
      answers += "\",\"Type\":\"";
      appendJsonEscaped(dns::typeToText(type), answers);
      answers += "\",\"Class\":\"";
      appendJsonEscaped(dns::classToText(cls), answers);
      answers += "\"}";
    } else if (type == dns::rrtype::kOPT && i >= size_t{h->ancount} + h->nscount) {
      rcode = static_cast<uint16_t>(rcode | ext_rcode << 4);
    }
  }
  return true;
}

}  // namespace

bool formatQueryLogLine(const QueryLogRecord& rec, const QueryLogFormat& format,
                        int64_t realtime_offset_ns, std::string& out) {
  thread_local std::string answers;  // scratch, kept between lines
  answers.clear();
  dns::Question q;
  uint16_t rcode = 0;
  if (!readReply(rec.reply, q, rcode, answers)) return false;
  out += '{';
  appendString(out, "version", "1.100000");
  appendString(out, "account_id", format.account_id);
  appendString(out, "region", format.region);
  appendString(out, "vpc_id", rec.vpc_id);
  appendString(out, "query_timestamp",
               rfc3339Millis(static_cast<int64_t>(rec.start_ns) + realtime_offset_ns));
  appendString(out, "query_name", q.name.toText());
  appendString(out, "query_type", dns::typeToText(q.type));
  appendString(out, "query_class", dns::classToText(q.cls));
  appendString(out, "rcode", dns::rcodeToText(rcode));
  out += "\"answers\":[";
  out += answers;
  out += "],";
  const IpAddress ip = rec.client.ip().unmapped();
  appendString(out, "srcaddr", ip.toString());
  appendString(out, "srcport", std::to_string(rec.client.port()));
  appendString(out, "transport", rec.transport == Transport::kTcp ? "TCP" : "UDP");
  out += "\"srcids\":{";
  if (rec.listener_index < format.listeners.size()) {
    out += "\"listener\":\"";
    appendJsonEscaped(format.listeners[rec.listener_index], out);
    out += '"';
  }
  out += "},";
  appendString(out, "path", answerPathName(rec.path));
  const uint64_t latency_us = rec.end_ns > rec.start_ns ? (rec.end_ns - rec.start_ns) / 1000 : 0;
  out += "\"latency_us\":";
  out += std::to_string(latency_us);
  out += "}\n";
  return true;
}

// ---- the writer --------------------------------------------------------------------------------

namespace {

constexpr size_t kWriteChunk = 64 * 1024;
constexpr auto kFlushInterval = std::chrono::milliseconds(100);
constexpr auto kIdleWait = std::chrono::milliseconds(5);

int64_t realtimeOffset() {
  timespec rt{}, mono{};
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  const auto ns = [](const timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + static_cast<int64_t>(t.tv_nsec);
  };
  return ns(rt) - ns(mono);
}

}  // namespace

QueryLogWriter::QueryLogWriter(const config::QueryLogSection& section, const std::string& base_dir,
                               std::vector<std::string> listeners)
    : path_(!section.file.empty() && section.file.front() == '/' ? section.file
                                                                 : base_dir + "/" + section.file),
      queue_(section.queue),
      max_size_(section.max_size),
      max_files_(section.max_files) {
  format_.account_id = section.account_id;
  format_.region = section.region;
  format_.listeners = std::move(listeners);
  buffer_.reserve(2 * kWriteChunk);
}

QueryLogWriter::~QueryLogWriter() {
  stop();
  if (fd_ >= 0) ::close(fd_);
}

Result<bool, std::string> QueryLogWriter::open() {
  if (!reopen()) return fail("query_log: cannot open " + path_ + ": " + std::strerror(errno));
  return true;
}

bool QueryLogWriter::reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return false;
  struct stat st {};
  file_size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return true;
}

QueryLogRing* QueryLogWriter::addRing() {
  rings_.push_back(std::make_unique<QueryLogRing>(queue_));
  return rings_.back().get();
}

void QueryLogWriter::start() {
  realtime_offset_ns_ = realtimeOffset();
  thread_ = std::thread([this] { run(); });
}

void QueryLogWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  drainAll();  // whatever the workers pushed before they stopped
  flush();
}

void QueryLogWriter::apply(const config::QueryLogSection& section) {
  std::lock_guard lock(format_mu_);
  format_.account_id = section.account_id;
  format_.region = section.region;
  max_size_ = section.max_size;
  max_files_ = section.max_files;
}

void QueryLogWriter::run() {
  auto last_flush = std::chrono::steady_clock::now();
  auto last_offset = last_flush;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const size_t n = drainAll();
    const auto now = std::chrono::steady_clock::now();
    if (!buffer_.empty() && (n == 0 || now - last_flush >= kFlushInterval)) {
      flush();
      last_flush = now;
    }
    if (reopen_.exchange(false, std::memory_order_relaxed)) {
      flush();
      if (!reopen()) {
        spdlog::error("query_log: cannot reopen {}: {}", path_, std::strerror(errno));
      }
    }
    if (now - last_offset >= std::chrono::seconds(1)) {  // follow NTP steps of the wall clock
      realtime_offset_ns_ = realtimeOffset();
      last_offset = now;
    }
    lock.lock();
    if (n == 0) cv_.wait_for(lock, kIdleWait, [this] { return stopping_; });
  }
}

size_t QueryLogWriter::drainAll() {
  size_t total = 0;
  std::lock_guard lock(format_mu_);
  for (auto& ring : rings_) {
    total += ring->drain([this](const QueryLogRecord& rec) { appendLine(rec); });
  }
  return total;
}

// Called with format_mu_ held.
void QueryLogWriter::appendLine(const QueryLogRecord& rec) {
  line_.clear();
  if (!formatQueryLogLine(rec, format_, realtime_offset_ns_, line_)) {
    unreadable_.add();
    return;
  }
  // Rotate at a line boundary, before the file would grow past max_size.
  if (file_size_ + buffer_.size() + line_.size() > max_size_ && file_size_ + buffer_.size() > 0) {
    flush();
    rotate();
  }
  buffer_ += line_;
  written_.add();
  if (buffer_.size() >= kWriteChunk) flush();
}

void QueryLogWriter::flush() {
  if (fd_ < 0 && !buffer_.empty()) write_errors_.add();  // no file (a failed reopen): lost
  size_t off = 0;
  while (off < buffer_.size() && fd_ >= 0) {
    const ssize_t n = ::write(fd_, buffer_.data() + off, buffer_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Disk full or the like: these lines are lost; say so once per kind of trouble.
      if (write_errors_.get() == 0) {
        spdlog::error("query_log: writing {}: {}", path_, std::strerror(errno));
      }
      write_errors_.add();
      break;
    }
    off += static_cast<size_t>(n);
    file_size_ += static_cast<uint64_t>(n);
  }
  buffer_.clear();
}

// file.(N-1) -> file.N, ..., file -> file.1, then a new file. With max_files 0 the file is just
// started over.
void QueryLogWriter::rotate() {
  if (max_files_ == 0) {
    ::unlink(path_.c_str());
  } else {
    for (uint32_t i = max_files_; i > 1; --i) {
      const std::string from = path_ + "." + std::to_string(i - 1);
      const std::string to = path_ + "." + std::to_string(i);
      ::rename(from.c_str(), to.c_str());  // a missing file.(i-1) is fine
    }
    ::rename(path_.c_str(), (path_ + ".1").c_str());
  }
  if (!reopen()) {
    spdlog::error("query_log: cannot reopen {} after rotation: {}", path_, std::strerror(errno));
    file_size_ = 0;
  }
}

void appendQueryLogMetrics(const QueryLogWriter& writer, std::string& out) {
  auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " counter\n";
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  };
  counter("vpcdns_query_log_lines_total", "Query-log lines written.", writer.written());
  counter("vpcdns_query_log_unreadable_total",
          "Query-log records whose reply could not be read (not written).", writer.unreadable());
  counter("vpcdns_query_log_write_errors_total",
          "Failed writes to the query log (their lines are lost).", writer.writeErrors());
}

}  // namespace vpcdns::server
