// Dynamic updates (RFC 2136) applied to a zone's records, and the master-file form of a zone.
//
// Pure functions: applyUpdate() reads a Zone and an UPDATE message and returns the records of
// the zone after the update (the caller builds the new Zone and swaps it in); it never changes
// the Zone it is given. Authentication (TSIG, dns/tsig.h) and the opcode dispatch are the
// caller's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/message.h"
#include "private_zones/zone.h"

namespace vpcdns::private_zones {

struct UpdateResult {
  uint16_t rcode = 0;                // dns::rcode::kNoError or the error to answer with
  std::vector<dns::Record> records;  // NOERROR: every record of the updated zone; else empty
  std::string reason;                // for logs when rcode != NOERROR: what failed and where
};

// Applies the RFC 2136 UPDATE `update` (as parsed by dns::Message::parse: questions = zone
// section, answer = prerequisites, authority = updates; the additional section is ignored) to
// zone.records(). All or nothing: on any error `records` is empty and nothing is applied.
//  - Zone section (§3.1): exactly one entry of type SOA and class IN, else FORMERR; its name
//    must be zone.origin(), else NOTAUTH.
//  - Prerequisites (§3.2), checked in order, the first failure wins: TTL must be 0 and names in
//    the zone (NOTZONE). Class ANY (empty RDATA): type ANY = name in use (else NXDOMAIN), type T
//    = RRset exists (else NXRRSET). Class NONE (empty RDATA): type ANY = name not in use (else
//    YXDOMAIN), type T = RRset does not exist (else YXRRSET). Class IN: per name and type, the
//    RRset exists with exactly these RDATAs (value-dependent, TTL ignored; else NXRRSET). Any
//    other class, or RDATA with ANY/NONE: FORMERR.
//  - Prescan of the updates (§3.4.1): names in the zone (NOTZONE); class IN with a meta type
//    (OPT, 128-255), class ANY with TTL != 0, RDATA or type AXFR/MAILA/MAILB/IXFR, class NONE
//    with TTL != 0 or a meta type, or any other class: FORMERR.
//  - Updates (§3.4.2), in order. Class IN adds the RR: an RR whose RDATA is already there is a
//    duplicate (no change when its TTL is also the same); a new RR or TTL sets the RRset's TTL
//    (RFC 2181 §5.2, as BIND does). A CNAME is ignored at a name with other data, other data is
//    ignored at a name with a CNAME (RRSIG and NSEC excepted, RFC 4035 §2.5); a CNAME replaces
//    the CNAME. An SOA replaces the apex SOA only if its serial is greater (RFC 1982) and is
//    ignored elsewhere. Class ANY type ANY deletes every RRset at the name (at the apex all but
//    SOA and NS); class ANY type T deletes the RRset (ignored for apex SOA/NS). Class NONE
//    deletes one RR (ignored for SOA and for the last apex NS).
//  - When anything changed and the update did not itself raise the SOA serial, the serial is
//    incremented in RFC 1982 arithmetic, skipping 0 on wrap-around as BIND does (§3.6).
//  - The result must build (Zone::build, e.g. no NS at a wildcard): otherwise REFUSED.
// `changed` (optional) receives whether the zone's data changed; `records` holds the zone's
// records (unchanged ones too) whenever rcode is NOERROR.
UpdateResult applyUpdate(const Zone& zone, const dns::Message& update, bool* changed = nullptr);

// The zone as an RFC 1035 master file: a $ORIGIN line, then one record per line with absolute
// names and explicit TTL and class, the SOA first and the rest in canonical order. Reading it
// back with parseZoneText() gives the same records.
std::string zoneToText(const Zone& zone);

}  // namespace vpcdns::private_zones
