// The JSON of Route 53's ChangeResourceRecordSets, GetChange and their errors (API reference:
// ChangeResourceRecordSets, ChangeBatch, Change, ResourceRecordSet, ChangeInfo, Errors).
//
// Pure functions (no I/O), any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "private_zones/change_batch.h"

namespace vpcdns::server {

// An error reply as Route 53 words it: HTTP status, code, and messages.
struct ApiError {
  int status = 400;
  std::string code;  // InvalidChangeBatch, InvalidInput, NoSuchHostedZone, NoSuchChange, ...
  std::vector<std::string> messages;
};

// {"Error":{"Type":"Sender","Code":...,"Message":...},"Messages":[...]}. For InvalidChangeBatch
// the Message is the messages in brackets, "[m1, m2]", as the AWS CLI prints them.
std::string errorBody(const ApiError& e);

// Limits of one request (Route 53's, and a bound on the body for the JSON parser).
inline constexpr size_t kMaxChangeBody = 1 << 20;     // bytes; more: 413
inline constexpr size_t kMaxResourceRecords = 1000;   // ResourceRecord elements per batch
inline constexpr size_t kMaxValueCharacters = 32000;  // sum of the Value lengths per batch
inline constexpr size_t kMaxCommentLength = 256;

struct ParsedBatch {
  private_zones::ChangeBatch batch;
  std::string json;  // the ChangeBatch object, compact (one line): what the journal keeps
};

// Parses a request body: {"ChangeBatch":{"Comment":...,"Changes":[...]}} (the API's form), or
// the bare ChangeBatch object (the file `aws route53 change-resource-record-sets --change-batch
// file://...` takes). Names are fully qualified with or without the trailing dot, as in Route 53;
// values are in presentation (zone file) form for their type. Errors:
//  - not JSON, a wrong shape or type, an unknown or unsupported member (alias, routing policies,
//    health checks), a missing TTL or ResourceRecords, an unknown Action or Type, a TTL out of
//    0..2147483647, a Comment over 256 characters: 400 InvalidInput;
//  - a value that does not parse for its type, a duplicate value, a bad name, more than 1,000
//    values or 32,000 characters of values: 400 InvalidChangeBatch (every one reported);
//  - a body over kMaxChangeBody: 413 InvalidInput.
Result<ParsedBatch, ApiError> parseChangeBatch(std::string_view body);

}  // namespace vpcdns::server
