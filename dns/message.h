// DNS messages (RFC 1035 §4.1) with EDNS(0) (RFC 6891).
//
// Two ways in:
//  - parseQuery(): the hot path. Reads the header, the single question and the OPT RR of a
//    client query without touching the heap.
//  - Message::parse(): every section into typed records, for upstream replies, tests and tools.
// One way out: MessageWriter (dns/writer.h) encodes into a caller's buffer with compression and
// truncation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "dns/error.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr uint16_t kMinUdpPayload = 512;           // RFC 6891 §6.2.5: smaller means 512
inline constexpr uint16_t kDefaultEdnsUdpPayload = 1232;  // DNS flag day 2020

struct Header {
  uint16_t id = 0;
  bool qr = false;
  uint8_t opcode = 0;  // 4 bits
  bool aa = false, tc = false, rd = false, ra = false;
  bool z = false;  // reserved bit, must be zero in what we send
  bool ad = false, cd = false;
  uint8_t rcode = 0;  // low 4 bits; the upper 8 are in the OPT RR
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  bool operator==(const Header&) const = default;
};

// Reads the 12-byte header. kTruncated if the packet is shorter.
Result<Header, Error> parseHeader(std::span<const uint8_t> packet);
// Writes the 12-byte header to out[0..12).
void writeHeader(const Header& h, std::span<uint8_t, kHeaderSize> out);

struct Question {
  Name name;
  uint16_t type = 0;
  uint16_t cls = rrclass::kIN;
  bool operator==(const Question&) const = default;
};

struct EdnsOption {
  uint16_t code = 0;
  std::vector<uint8_t> data;
  bool operator==(const EdnsOption&) const = default;
};

// The OPT pseudo-RR, decoded (RFC 6891 §6.1.2-6.1.3).
struct Edns {
  uint16_t udp_size = kDefaultEdnsUdpPayload;  // the CLASS field, as sent (not clamped)
  uint8_t ext_rcode = 0;                       // upper 8 bits of the 12-bit RCODE
  uint8_t version = 0;
  bool do_bit = false;
  uint16_t z = 0;  // flag bits other than DO, as received
  std::vector<EdnsOption> options;
  bool operator==(const Edns&) const = default;
};

struct Record {
  Name name;
  uint16_t type = 0;
  uint16_t cls = rrclass::kIN;
  uint32_t ttl = 0;
  Rdata rdata;
  bool operator==(const Record&) const = default;
};

enum class Section : uint8_t { kAnswer, kAuthority, kAdditional };

// A whole message. `edns` holds the OPT RR when present; it is not in `additional`.
// rcode() combines the header's 4 bits with the OPT's extended bits.
struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<Record> answer;
  std::vector<Record> authority;
  std::vector<Record> additional;
  std::optional<Edns> edns;

  uint16_t rcode() const;
  void setRcode(uint16_t rcode);  // splits into header + OPT (creates the OPT if needed)

  // Strict parse: every count must match, no trailing bytes, at most one OPT RR (in the
  // additional section, owner root). Never reads outside `packet`. QDCOUNT > 1 is kBadCount
  // (RFC 9619). Class ANY/NONE records with empty RDATA (RFC 2136 updates) stay RdataOpaque.
  static Result<Message, Error> parse(std::span<const uint8_t> packet);

  // Encodes with compression into a new buffer, truncating to `max_size` (see MessageWriter).
  std::vector<uint8_t> encode(size_t max_size = 65535) const;

  // dig-like multi-line presentation: header flags, then each section.
  std::string toText() const;

  // Field-wise; names compare case-insensitively (Name::operator==).
  bool operator==(const Message&) const = default;
};

// Presentation form of one record: "www.example. 300 IN A 192.0.2.1".
std::string recordToText(const Record& r);

// What the query path needs from a client query, read without heap allocation.
struct QueryView {
  Header header;
  Question question;  // valid when header.qdcount == 1
  bool has_edns = false;
  uint16_t edns_udp_size = 0;  // as sent; use responseSizeLimit()
  uint8_t edns_version = 0;
  bool edns_do = false;
  size_t question_end = 0;  // offset just past the question in the packet

  // RFC 6891 §6.2.3-6.2.5: 512 without EDNS, else min(max(client, 512), ours).
  size_t responseSizeLimit(uint16_t our_udp_size) const;
};

// Parses a query. On failure `header_ok` (if given) tells whether the 12-byte header itself
// was readable, i.e. whether a FORMERR can be sent back (RFC 1035 §4.1.1) or the packet
// must be dropped. Accepts qdcount 0 or 1 (qdcount 0 is legal for some opcodes, e.g. a DNS
// COOKIE query); rejects qdcount > 1, answer records in a query, a second OPT, and
// truncated or malformed data.
Result<QueryView, Error> parseQuery(std::span<const uint8_t> packet, bool* header_ok = nullptr);

}  // namespace vpcdns::dns
