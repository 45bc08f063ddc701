// MessageWriter: encodes a message into a caller-owned buffer, with name compression
// (RFC 1035 §4.1.4) and truncation (RFC 2181 §9, RFC 6891 §7).
//
// No heap allocation: the compression table is a fixed array of offsets into the buffer.
// Records are added one RRset at a time; an RRset that does not fit under the size limit is
// rolled back whole. In the answer and authority sections that sets TC and closes the message
// (nothing more is added); in the additional section the RRset is dropped without TC, as
// RFC 2181 §9 asks. Space for the OPT RR is reserved as soon as setEdns() is called, so the
// OPT is never the thing that is dropped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.h"
#include "dns/error.h"
#include "dns/message.h"

namespace vpcdns::dns {

class MessageWriter {
 public:
  // `buf` receives the message; `limit` (<= buf.size()) is the size it must fit in.
  MessageWriter(std::span<uint8_t> buf, size_t limit);

  // The header's counts and TC are filled in by finish(); other fields are taken as given.
  void setHeader(const Header& h) { header_ = h; }
  Header& header() { return header_; }

  // At most one question; must come before any record. False if it does not fit.
  bool addQuestion(const Question& q);

  // The OPT RR to append at finish(); reserves its space now. False if even that does not fit.
  bool setEdns(const Edns& edns);
  // Sets the full 12-bit RCODE: low 4 bits in the header, the rest in the OPT's ext_rcode.
  // Without EDNS the upper bits cannot travel (RFC 6891 §6.1.3) and only the low 4 bits are
  // kept, so call setEdns() first when sending e.g. BADVERS. A later setEdns() replaces
  // ext_rcode with its argument's.
  void setRcode(uint16_t rcode);

  // Adds one RRset (records in `rrset` share owner, type and class). Returns false if it did not
  // fit; see the class comment for what happens then. Sections must be added in order (adding to
  // an earlier section returns false and changes nothing). A record whose RDATA has no wire
  // form (see appendRdataWire) is treated like one that does not fit. A non-null `owner` is
  // written as every record's owner instead of its own name (RFC 4592 §3.3.1: records
  // synthesised from a wildcard carry the query name).
  bool addRRset(Section section, std::span<const Record> rrset, const Name* owner = nullptr);
  bool addRecord(Section section, const Record& r) { return addRRset(section, {&r, 1}); }

  bool truncated() const { return truncated_; }

  // Writes the OPT and the header; returns the message size. TC is set if the caller's header
  // had it or an RRset was dropped for size. Nothing can be added afterwards; calling it again
  // returns the same size. Returns 0 (and writes nothing) if `limit` < 12.
  size_t finish();

 private:
  struct Compressor;
  bool writeName(const Name& name, bool compress);
  bool writeRdata(const Record& r);
  bool put8(uint8_t v);
  bool put16(uint16_t v);
  bool put32(uint32_t v);
  bool putBytes(std::span<const uint8_t> b);

  static constexpr size_t kMaxCompressionTargets = 128;

  std::span<uint8_t> buf_;
  size_t limit_;
  size_t pos_ = kHeaderSize;
  size_t reserved_ = 0;  // bytes kept free for the OPT RR
  Header header_;
  Edns edns_;
  bool has_edns_ = false;
  bool truncated_ = false;
  bool closed_ = false;
  Section section_ = Section::kAnswer;
  uint16_t counts_[4] = {0, 0, 0, 0};  // qd, an, ns, ar (without OPT)
  // Offsets of names (and their suffixes) already written, usable as pointer targets.
  std::array<uint16_t, kMaxCompressionTargets> targets_{};
  // Uncompressed wire length of the name suffix at targets_[i]: a cheap filter before comparing.
  std::array<uint8_t, kMaxCompressionTargets> target_lens_{};
  size_t ntargets_ = 0;
  bool finished_ = false;
};

}  // namespace vpcdns::dns
