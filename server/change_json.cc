#include "server/change_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::server {
namespace {

using nlohmann::json;
using private_zones::ChangeAction;

// Members of a ResourceRecordSet that select Route 53 features vpcdns does not have.
constexpr std::array<std::string_view, 11> kUnsupported = {"AliasTarget",
                                                           "SetIdentifier",
                                                           "Weight",
                                                           "Region",
                                                           "GeoLocation",
                                                           "Failover",
                                                           "MultiValueAnswer",
                                                           "HealthCheckId",
                                                           "TrafficPolicyInstanceId",
                                                           "CidrRoutingConfig",
                                                           "GeoProximityLocation"};

ApiError invalidInput(std::string message) {
  return ApiError{400, "InvalidInput", {std::move(message)}};
}

// Route 53's validation message for a member ("changeBatch.changes.1.member.action").
std::string constraint(const std::string& value, const std::string& where,
                       const std::string& rule) {
  return "Value '" + value + "' at '" + where + "' failed to satisfy constraint: " + rule;
}

std::string shown(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// Checks that `obj` is an object holding only `known` members.
std::optional<ApiError> checkMembers(const json& obj, const std::string& what,
                                     std::initializer_list<std::string_view> known) {
  if (!obj.is_object()) return invalidInput(what + " must be a JSON object");
  for (const auto& [key, value] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (std::find(kUnsupported.begin(), kUnsupported.end(), key) != kUnsupported.end()) {
      return invalidInput(what + ": " + key + " is not supported by vpcdns");
    }
    return invalidInput(what + ": unknown member '" + key + "'");
  }
  return std::nullopt;
}

struct Totals {
  size_t records = 0;
  size_t characters = 0;
};

// One Change element. Input errors are returned; value errors go to `batch_errors`.
std::optional<ApiError> parseChange(const json& change, size_t index,
                                    private_zones::RRsetChange& out,
                                    std::vector<std::string>& batch_errors, Totals& totals) {
  const std::string where = "changeBatch.changes." + std::to_string(index + 1) + ".member";
  if (auto e = checkMembers(change, "Change " + std::to_string(index + 1),
                            {"Action", "ResourceRecordSet"})) {
    return e;
  }
  const auto action = change.find("Action");
  const auto set = change.find("ResourceRecordSet");
  if (action == change.end())
    return invalidInput("Change " + std::to_string(index + 1) + ": Action is required");
  if (set == change.end()) {
    return invalidInput("Change " + std::to_string(index + 1) + ": ResourceRecordSet is required");
  }
  const std::string action_text = shown(*action);
  if (action_text == "CREATE") {
    out.action = ChangeAction::kCreate;
  } else if (action_text == "DELETE") {
    out.action = ChangeAction::kDelete;
  } else if (action_text == "UPSERT") {
    out.action = ChangeAction::kUpsert;
  } else {
    return invalidInput(constraint(action_text, where + ".action",
                                   "Member must satisfy enum value set: [CREATE, DELETE, UPSERT]"));
  }
  if (auto e = checkMembers(*set, where + ".resourceRecordSet",
                            {"Name", "Type", "TTL", "ResourceRecords"})) {
    return e;
  }
  const auto name = set->find("Name");
  const auto type = set->find("Type");
  if (name == set->end() || !name->is_string()) {
    return invalidInput("Change " + std::to_string(index + 1) + ": Name (a string) is required");
  }
  if (type == set->end() || !type->is_string()) {
    return invalidInput("Change " + std::to_string(index + 1) + ": Type (a string) is required");
  }
  const std::string name_text = name->get<std::string>();
  const std::string type_text = type->get<std::string>();
  const auto t = dns::typeFromText(type_text);
  if (!t || *t == dns::rrtype::kOPT || (*t >= 128 && *t <= 255) || *t == 0) {
    return invalidInput(constraint(type_text, where + ".resourceRecordSet.type",
                                   "Member must be a DNS record type (A, AAAA, CNAME, MX, ...)"));
  }
  out.type = *t;
  const auto ttl = set->find("TTL");
  const auto records = set->find("ResourceRecords");
  if (ttl == set->end() || records == set->end()) {
    return invalidInput(
        "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
        "ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=" +
        action_text + ", Name=" + name_text + ", Type=" + type_text + ", SetIdentifier=null]");
  }
  if (!ttl->is_number_integer() || ttl->get<int64_t>() < 0 || ttl->get<int64_t>() > 2147483647) {
    return invalidInput(constraint(ttl->dump(), where + ".resourceRecordSet.TTL",
                                   "Member must be an integer between 0 and 2147483647"));
  }
  out.ttl = static_cast<uint32_t>(ttl->get<int64_t>());
  if (!records->is_array() || records->empty()) {
    return invalidInput(where +
                        ".resourceRecordSet.resourceRecords must be a list of at least "
                        "one {\"Value\": ...}");
  }
  auto parsed_name = dns::Name::fromText(name_text);
  if (!parsed_name || name_text.empty() || name_text.size() > 1024) {
    batch_errors.push_back(
        "FATAL problem: " +
        std::string(parsed_name ? "DomainNameEmpty" : dns::errorText(parsed_name.error())) +
        " encountered with '" + name_text + "'");
  } else {
    out.name = *parsed_name;
  }
  for (const json& rr : *records) {
    if (auto e = checkMembers(rr, where + ".resourceRecordSet.resourceRecords", {"Value"})) {
      return e;
    }
    const auto value = rr.find("Value");
    if (value == rr.end() || !value->is_string()) {
      return invalidInput(where +
                          ".resourceRecordSet.resourceRecords: Value (a string) is "
                          "required");
    }
    const std::string text = value->get<std::string>();
    ++totals.records;
    totals.characters += text.size();
    auto rdata = dns::rdataFromText(out.type, text);
    if (!rdata) {
      batch_errors.push_back(
          "Invalid Resource Record: FATAL problem: " + std::string(dns::errorText(rdata.error())) +
          " (Value is not valid " + "for type " + type_text + ") encountered with '" + text + "'");
      continue;
    }
    if (std::find(out.values.begin(), out.values.end(), *rdata) != out.values.end()) {
      batch_errors.push_back("Duplicate Resource Record: '" + text + "'");
      continue;
    }
    out.values.push_back(std::move(rdata).value());
  }
  return std::nullopt;
}

}  // namespace

std::string errorBody(const ApiError& e) {
  std::string message;
  if (e.code == "InvalidChangeBatch") {
    message = "[";
    for (size_t i = 0; i < e.messages.size(); ++i) {
      if (i > 0) message += ", ";
      message += e.messages[i];
    }
    message += "]";
  } else if (!e.messages.empty()) {
    message = e.messages.front();
  }
  json body = {
      {"Error",
       {{"Type", e.status >= 500 ? "Receiver" : "Sender"}, {"Code", e.code}, {"Message", message}}},
      {"Messages", e.messages}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ParsedBatch, ApiError> parseChangeBatch(std::string_view body) {
  if (body.size() > kMaxChangeBody) {
    return fail(
        ApiError{413,
                 "InvalidInput",
                 {"The request body is larger than " + std::to_string(kMaxChangeBody) + " bytes"}});
  }
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(invalidInput("The request body is not valid JSON"));
  if (!doc.is_object()) return fail(invalidInput("The request body must be a JSON object"));
  const json* batch = &doc;
  if (auto it = doc.find("ChangeBatch"); it != doc.end()) {
    if (auto e = checkMembers(doc, "ChangeResourceRecordSetsRequest", {"ChangeBatch"})) {
      return fail(*e);
    }
    batch = &*it;
  }
  if (auto e = checkMembers(*batch, "ChangeBatch", {"Comment", "Changes"})) return fail(*e);
  ParsedBatch out;
  if (auto c = batch->find("Comment"); c != batch->end()) {
    if (!c->is_string()) return fail(invalidInput("ChangeBatch: Comment must be a string"));
    out.batch.comment = c->get<std::string>();
    if (out.batch.comment.size() > kMaxCommentLength) {
      return fail(invalidInput(constraint(out.batch.comment, "changeBatch.comment",
                                          "Member must have length less than or equal to 256")));
    }
  }
  const auto changes = batch->find("Changes");
  if (changes == batch->end() || !changes->is_array() || changes->empty()) {
    return fail(invalidInput("ChangeBatch: Changes must be a list of at least one Change"));
  }
  std::vector<std::string> batch_errors;
  Totals totals;
  for (size_t i = 0; i < changes->size(); ++i) {
    private_zones::RRsetChange change;
    if (auto e = parseChange((*changes)[i], i, change, batch_errors, totals)) return fail(*e);
    out.batch.changes.push_back(std::move(change));
  }
  if (totals.records > kMaxResourceRecords) {
    batch_errors.push_back("Number of records limit of " + std::to_string(kMaxResourceRecords) +
                           " exceeded.");
  }
  if (totals.characters > kMaxValueCharacters) {
    batch_errors.push_back("The total number of characters in all Value elements (" +
                           std::to_string(totals.characters) + ") exceeds the limit of " +
                           std::to_string(kMaxValueCharacters) + ".");
  }
  if (!batch_errors.empty()) {
    return fail(ApiError{400, "InvalidChangeBatch", std::move(batch_errors)});
  }
  out.json = batch->dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

}  // namespace vpcdns::server
