// Answers from the cache, and replies into it: what the resolver and the forwarder both do with
// the RecordCache, in one place.
//
// writeCachedAnswer() is the cache-hit hot path: it follows CNAMEs through the cache and writes
// the chain plus the data (or the negative answer's SOA) into a reply, making no heap
// allocation once `scratch` has grown to fit.
//
// Thread safety: as RecordCache (any thread); `scratch` belongs to the caller's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cache/record_cache.h"
#include "dns/message.h"
#include "dns/writer.h"

namespace vpcdns::cache {

// Writes the answer to `q` in `context` into `w` (answer and authority sections, RCODE) and
// returns true; returns false, leaving `w` untouched, when any link is missing or expired or
// its data ranks below `min_trust` (RFC 2181 §5.4.1: glue is never an answer). At most
// `max_links` CNAMEs are followed.
bool writeCachedAnswer(RecordCache& cache, uint64_t context, const dns::Question& q,
                       size_t max_links, Trust min_trust, std::vector<dns::Record>& scratch,
                       dns::MessageWriter& w);

// Stores a recursive server's reply to `q` (a forwarder's upstream) in `context`: the answer
// section's RRsets along the CNAME chain from the question's name, and for NXDOMAIN or NODATA
// the negative entry of the chain's last name, when the authority section has its SOA. All at
// `trust`. Returns the number of entries stored.
size_t storeReply(RecordCache& cache, uint64_t context, const dns::Question& q,
                  const dns::Message& reply, Trust trust);

}  // namespace vpcdns::cache
