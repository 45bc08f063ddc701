// Reading an authoritative server's reply (RFC 1034 §5.3.3 step 4, RFC 2308 §2, RFC 6672):
// what kind of reply it is, and only the records we may believe.
//
// Bailiwick (the "scrubber" of Unbound, RFC 5452 §6): a server queried for zone Z may speak only
// for names at or below Z. Records about other names are dropped before anything looks at them
// (an out-of-bailiwick A record in the additional section is exactly how cache poisoning works).
// Glue must also be for one of the NS names of the referral (or of an NS answer).
//
// Pure functions, no I/O: unit-tested with hand-made messages.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"

namespace vpcdns::resolver {

enum class ReplyKind : uint8_t {
  kAnswer,    // data for the (last) name of the chain
  kCname,     // a CNAME/DNAME chain that leaves what this reply can answer: go on from `next`
  kNxDomain,  // `next` does not exist (after the chain, if any)
  kNoData,    // `next` exists, not with this type
  kReferral,  // a delegation to `cut`, below the zone queried
  kLame,      // an upward or sideways referral, or an empty non-authoritative reply
  kError,     // RCODE other than NOERROR/NXDOMAIN, or a chain too broken to use
};

struct Classified {
  ReplyKind kind = ReplyKind::kError;
  bool aa = false;
  std::vector<dns::Record> chain;  // CNAMEs and DNAMEs (with the CNAMEs they synthesize), in order
  std::vector<dns::Record> data;   // kAnswer: the RRset answering `next`
  dns::Name next;                  // the name the chain ended at (the query name if no chain)
  std::optional<dns::Record> soa;  // kNxDomain/kNoData: the SOA from the authority section
  dns::Name cut;                   // kReferral: the delegated zone
  std::vector<dns::Record> ns;     // kReferral: its NS RRset; kAnswer to an NS query: the answer
  std::vector<dns::Record> glue;   // in-bailiwick A/AAAA records for names in `ns`
};

// `zone` is the zone the server was asked as an authority for; `qname`/`qtype` the question
// sent (possibly minimised). At most `max_chain` CNAME/DNAME links are followed inside the reply.
Classified classify(const dns::Message& reply, const dns::Name& zone, const dns::Name& qname,
                    uint16_t qtype, size_t max_chain);

// RFC 6672 §2.2: `name` with the suffix `owner` replaced by `target`; nullopt if too long.
std::optional<dns::Name> dnameSubstitute(const dns::Name& name, const dns::Name& owner,
                                         const dns::Name& target);

// Groups records into RRsets (same owner, type and class), keeping first-appearance order.
std::vector<std::vector<dns::Record>> splitRRsets(const std::vector<dns::Record>& records);

}  // namespace vpcdns::resolver
