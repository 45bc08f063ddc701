// ZoneStage: the pipeline stage that answers from the client's VPC policy table: its private
// zones, the built-in local zones, and synthesized instance hostnames (and their PTRs).
//
// Answers follow RFC 1034 §4.3.2: AA set; exact match; CNAMEs followed while their targets stay
// in zones the VPC sees (at most kMaxCnameChain); wildcards (RFC 4592); NXDOMAIN or NODATA with
// the SOA in authority (RFC 2308); referrals for delegations inside a zone. The most specific
// entry wins and there is no fallback to a parent zone. A name no entry covers is passed on.
//
// Thread affinity: one per worker (stateless; reads the snapshot in the QueryContext).
// Allocation-free.
#pragma once

#include "server/pipeline.h"

namespace vpcdns::server {

class ZoneStage : public Stage {
 public:
  static constexpr int kMaxCnameChain = 12;
  Verdict answer(QueryContext& ctx) override;
};

}  // namespace vpcdns::server
