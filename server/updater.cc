#include "server/updater.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "dns/tsig.h"
#include "private_zones/update.h"
#include "private_zones/zone.h"

namespace vpcdns::server {

namespace {

// What is known about the request while it is checked; the reply is built from it.
struct Reply {
  dns::Header header;
  const dns::Question* zone = nullptr;
  uint16_t rcode = dns::rcode::kNoError;
  const dns::TsigVerified* tsig = nullptr;
};

size_t writeReply(const Reply& r, std::span<uint8_t> out) {
  dns::MessageWriter w(out, std::min<size_t>(out.size(), 65535));
  dns::Header h;
  h.id = r.header.id;
  h.qr = true;
  h.opcode = dns::opcode::kUpdate;
  h.rcode = static_cast<uint8_t>(r.rcode & 0xf);
  w.setHeader(h);
  if (r.zone) w.addQuestion(*r.zone);  // RFC 2136 §3.8: the zone section is echoed
  size_t n = w.finish();
  if (r.tsig != nullptr && n > 0) {
    const size_t signed_size =
        dns::signTsigResponse(out, n, *r.tsig, static_cast<uint64_t>(std::time(nullptr)));
    if (signed_size > 0) n = signed_size;
  }
  return n;
}

}  // namespace

bool writeFileAtomically(const std::string& path, const std::string& text, std::string& error) {
  const std::string tmp = path + ".vpcdns-update.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "open " + tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  const bool ok = ::fsync(fd) == 0 && ::close(fd) == 0 && ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    error = "replace " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
  }
  return ok;
}

namespace {

// The index in config->zones of the private zone `name` that `view` answers, or -1.
int zoneIndex(const Snapshot& s, const View& view, const dns::Name& name) {
  const PolicyEntry* e = view.table.match(name);
  if (e == nullptr || e->kind != PolicyEntry::Kind::kPrivateZone || !(e->apex == name)) return -1;
  for (size_t i = 0; i < s.zones.size(); ++i) {
    if (s.zones[i].get() == e->zone) return static_cast<int>(i);
  }
  return -1;
}

bool allowedBy(const config::UpdatePolicy& p, const IpAddress& a) {
  const IpAddress ip = a.unmapped();
  return std::any_of(p.allow.begin(), p.allow.end(),
                     [&](const IpPrefix& prefix) { return prefix.contains(ip); });
}

std::vector<dns::TsigKey> keysFor(const config::Config& c, const config::UpdatePolicy& p) {
  std::vector<dns::TsigKey> keys;
  for (const auto& name : p.keys) {
    if (const auto* k = c.findKey(name)) keys.push_back({k->name, k->algorithm, k->secret});
  }
  return keys;
}

// Applies the update and publishes the result. Returns the rcode.
uint16_t apply(SnapshotHolder& holder, const std::shared_ptr<const Snapshot>& snapshot,
               size_t index, const dns::Message& msg, const std::string& who) {
  const auto& zone = *snapshot->zones[index];
  const auto& spec = snapshot->config->zones[index];
  bool changed = false;
  auto result = private_zones::applyUpdate(zone, msg, &changed);
  if (result.rcode != dns::rcode::kNoError) {
    spdlog::info("update {} from {}: {} ({})", spec.name.toText(), who,
                 dns::rcodeToText(result.rcode), result.reason);
    return result.rcode;
  }
  if (!changed) return dns::rcode::kNoError;
  auto rebuilt = private_zones::Zone::build(spec.name, std::move(result.records));
  if (!rebuilt) {
    spdlog::error("update {} from {}: result does not build: {}", spec.name.toText(), who,
                  rebuilt.error());
    return dns::rcode::kServFail;
  }
  std::string error;
  if (!writeFileAtomically(zoneFilePath(*snapshot->config, spec),
                           private_zones::zoneToText(**rebuilt), error)) {
    spdlog::error("update {} from {}: {}", spec.name.toText(), who, error);
    return dns::rcode::kServFail;
  }
  auto zones = snapshot->zones;
  zones[index] = *rebuilt;
  auto next = assembleSnapshot(snapshot->config, std::move(zones));
  if (!next) {
    spdlog::error("update {} from {}: {}", spec.name.toText(), who, next.error().front());
    return dns::rcode::kServFail;
  }
  holder.publish(*next);
  const auto* soa = std::get_if<dns::RdataSoa>(&(*rebuilt)->soa().rdata);
  spdlog::info("update {} from {}: applied, serial {}", spec.name.toText(), who,
               soa ? soa->serial : 0);
  return dns::rcode::kNoError;
}

}  // namespace

size_t Updater::handle(std::span<const uint8_t> packet, const ClientInfo& client,
                       std::span<uint8_t> out) {
  auto msg = dns::Message::parse(packet);
  Reply reply;
  if (!msg) {
    auto header = dns::parseHeader(packet);
    if (!header) return 0;
    reply.header = *header;
    reply.rcode = dns::rcode::kFormErr;
    return writeReply(reply, out);
  }
  reply.header = msg->header;
  if (msg->questions.size() != 1 || msg->questions[0].type != dns::rrtype::kSOA) {
    reply.rcode = dns::rcode::kFormErr;  // RFC 2136 §3.1.1
    return writeReply(reply, out);
  }
  reply.zone = &msg->questions[0];

  auto guard = lock();
  const auto snapshot = holder_.current();  // the newest: updates build on each other
  const View* view = snapshot->viewFor(client.address.ip(), client.listener_index);
  const int index = view ? zoneIndex(*snapshot, *view, reply.zone->name) : -1;
  if (index < 0) {
    reply.rcode = dns::rcode::kNotAuth;
    return writeReply(reply, out);
  }
  const auto& spec = snapshot->config->zones[static_cast<size_t>(index)];
  if (!spec.update || !allowedBy(*spec.update, client.address.ip())) {
    reply.rcode = dns::rcode::kRefused;
    return writeReply(reply, out);
  }
  const auto keys = keysFor(*snapshot->config, *spec.update);
  const auto tsig = dns::verifyTsig(packet, keys, static_cast<uint64_t>(std::time(nullptr)));
  if (tsig.error == dns::TsigError::kFormErr) {
    reply.rcode = dns::rcode::kFormErr;
    return writeReply(reply, out);
  }
  reply.tsig = &tsig;
  if (tsig.key == nullptr || tsig.error != dns::TsigError::kNone) {
    // Unsigned: REFUSED; a bad signature: NOTAUTH with the TSIG error (RFC 8945 §5.2).
    reply.rcode = tsig.key == nullptr && tsig.error == dns::TsigError::kNone ? dns::rcode::kRefused
                                                                             : dns::rcode::kNotAuth;
    if (tsig.key == nullptr && tsig.error == dns::TsigError::kNone) reply.tsig = nullptr;
    spdlog::info("update {} from {}: {} (TSIG error {})", spec.name.toText(),
                 client.address.toString(), dns::rcodeToText(reply.rcode),
                 static_cast<int>(tsig.error));
    return writeReply(reply, out);
  }
  reply.rcode = apply(holder_, snapshot, static_cast<size_t>(index), *msg,
                      client.address.toString() + " key " + tsig.key->name.toText());
  return writeReply(reply, out);
}

}  // namespace vpcdns::server
