// TSIG (RFC 8945): base64 keys, sign/verify round trips, every verification error, response
// signing, and interoperability with BIND's dig and nsupdate over a loopback UDP socket.
#include "dns/tsig.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/types.h"

namespace vpcdns::dns {
namespace {

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

constexpr std::string_view kSecret = "rXWBNMRvDtZzY2bCW6jM64XZyYZz0lTi0TdzY0Mvq9A=";
constexpr uint64_t kNow = 1700000000;

TsigKey key(std::string_view name = "k1.", std::string_view alg = "hmac-sha256.",
            std::string_view secret = kSecret) {
  return TsigKey{N(name), N(alg), base64Decode(secret).value()};
}

uint16_t get16(const std::vector<uint8_t>& p, size_t off) {
  return static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
}
void set16(std::vector<uint8_t>& p, size_t off, uint16_t v) {
  p[off] = static_cast<uint8_t>(v >> 8);
  p[off + 1] = static_cast<uint8_t>(v & 0xFF);
}

std::vector<uint8_t> query(uint16_t id = 0x1234) {
  Message m;
  m.header.id = id;
  m.header.rd = true;
  m.header.qdcount = 1;
  m.questions.push_back({N("example.com."), rrtype::kA, rrclass::kIN});
  return m.encode();
}

// `msg` with a TSIG by `k` at `when`; the MAC goes to `mac` when given.
std::vector<uint8_t> signedRequest(std::vector<uint8_t> msg, const TsigKey& k, uint64_t when = kNow,
                                   std::vector<uint8_t>* mac = nullptr) {
  const size_t size = msg.size();
  msg.resize(size + 512);
  const size_t n = signTsigRequest(msg, size, k, when, kDefaultTsigFudge, mac);
  EXPECT_NE(n, 0u);
  msg.resize(n);
  return msg;
}

// v.key points at `k`, which must outlive the result.
TsigVerified verify(const std::vector<uint8_t>& packet, const TsigKey& k, uint64_t now = kNow) {
  const std::vector<TsigKey> keys{k};
  TsigVerified v = verifyTsig(packet, keys, now);
  if (v.key) v.key = &k;  // keys is local; point at the caller's copy
  return v;
}

// Offset of the TSIG RR's MAC size field in a message signed by signedRequest() for key k1.
size_t macSizeOffset(const std::vector<uint8_t>& unsigned_msg, const TsigKey& k) {
  return unsigned_msg.size() + k.name.wireLength() + 10 + k.algorithm.wireLength() + 8;
}

TEST(Base64, DecodesWithAndWithoutPaddingAndWhitespace) {
  auto hello = std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(base64Decode("aGVsbG8="), hello);
  EXPECT_EQ(base64Decode("aGVsbG8"), hello);
  EXPECT_EQ(base64Decode(" aGVs\n bG8= "), hello);
  EXPECT_EQ(base64Decode(""), std::vector<uint8_t>{});
  EXPECT_EQ(base64Decode("AAEC/w==")->size(), 4u);
  EXPECT_EQ(base64Decode("AAEC/w==")->back(), 0xFF);
  EXPECT_EQ(base64Decode(kSecret)->size(), 32u);
}

TEST(Base64, RejectsBadInput) {
  EXPECT_FALSE(base64Decode("aGVsbG8=="));  // too much padding
  EXPECT_FALSE(base64Decode("aGVs=bG8"));   // data after padding
  EXPECT_FALSE(base64Decode("a"));          // 6 bits cannot make an octet
  EXPECT_FALSE(base64Decode("aGVsbG8*"));
  EXPECT_FALSE(base64Decode("===="));
}

TEST(Tsig, UnsignedMessageHasNoKeyAndNoError) {
  auto v = verify(query(), key());
  EXPECT_EQ(v.key, nullptr);
  EXPECT_EQ(v.error, TsigError::kNone);
}

TEST(Tsig, SignedRequestVerifies) {
  const TsigKey k = key();
  std::vector<uint8_t> mac;
  auto packet = signedRequest(query(), k, kNow, &mac);
  auto v = verify(packet, k);
  EXPECT_EQ(v.key, &k);
  EXPECT_EQ(v.error, TsigError::kNone);
  EXPECT_EQ(v.request_mac, mac);
  EXPECT_EQ(v.request_mac.size(), 32u);
  EXPECT_EQ(v.original_id, 0x1234);
  EXPECT_EQ(v.key_name, N("k1."));
  EXPECT_EQ(v.algorithm, N("hmac-sha256."));
  EXPECT_EQ(v.time_signed, kNow);
  EXPECT_EQ(v.fudge, kDefaultTsigFudge);
  // The TSIG RR is an ordinary additional record to the message parser.
  auto m = Message::parse(packet);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->additional.size(), 1u);
  EXPECT_EQ(m->additional[0].type, kTypeTsig);
}

TEST(Tsig, OtherAlgorithmsAndKeyChoice) {
  for (std::string_view alg : {"hmac-sha512.", "hmac-sha384.", "hmac-sha224.", "hmac-sha1."}) {
    const std::vector<TsigKey> keys{key("k1."), key("k2.", alg), key("k3.", alg, "AAECAwQ=")};
    auto v = verifyTsig(signedRequest(query(), keys[1]), keys, kNow);
    EXPECT_EQ(v.key, &keys[1]) << alg;
    EXPECT_EQ(v.error, TsigError::kNone) << alg;
  }
}

TEST(Tsig, KeyNameAndAlgorithmCompareCaseInsensitively) {
  const TsigKey k = key("K1.Example.", "HMAC-SHA256.");
  auto v = verify(signedRequest(query(), k), key("k1.example.", "hmac-sha256."));
  EXPECT_EQ(v.error, TsigError::kNone);
}

TEST(Tsig, RewrittenIdIsRestoredFromOriginalId) {
  auto packet = signedRequest(query(0x1234), key());
  set16(packet, 0, 0x9999);  // e.g. a forwarder's new ID (RFC 8945 §4.3.3)
  EXPECT_EQ(verify(packet, key()).error, TsigError::kNone);
}

TEST(Tsig, EveryTamperedByteIsBadSigOrFormErr) {
  const auto unsigned_msg = query();
  const auto packet = signedRequest(unsigned_msg, key());
  for (size_t i = 0; i < unsigned_msg.size(); ++i) {
    if (i < 2) continue;  // the ID is replaced by the original ID
    auto bad = packet;
    bad[i] ^= 0x01;
    auto v = verify(bad, key());
    EXPECT_TRUE(v.error == TsigError::kBadSig || v.error == TsigError::kFormErr) << i;
    EXPECT_EQ(v.key, nullptr) << i;
  }
  auto bad_mac = packet;
  bad_mac[macSizeOffset(unsigned_msg, key()) + 2] ^= 0x80;  // first MAC octet
  EXPECT_EQ(verify(bad_mac, key()).error, TsigError::kBadSig);
}

TEST(Tsig, WrongSecretIsBadSig) {
  auto v = verify(signedRequest(query(), key()), key("k1.", "hmac-sha256.", "AAECAwQ="));
  EXPECT_EQ(v.error, TsigError::kBadSig);
  EXPECT_EQ(v.key, nullptr);
}

TEST(Tsig, UnknownKeyNameOrAlgorithmIsBadKey) {
  auto packet = signedRequest(query(), key("k1."));
  auto v = verify(packet, key("k2."));
  EXPECT_EQ(v.error, TsigError::kBadKey);
  EXPECT_EQ(v.key, nullptr);
  EXPECT_EQ(v.key_name, N("k1."));  // for the BADKEY answer
  EXPECT_EQ(verify(packet, key("k1.", "hmac-sha512.")).error, TsigError::kBadKey);
  EXPECT_EQ(verifyTsig(packet, {}, kNow).error, TsigError::kBadKey);
  // An algorithm we do not implement can match no key.
  auto md5 = key("k1.", "hmac-md5.sig-alg.reg.int.");
  EXPECT_EQ(signTsigRequest(packet, packet.size(), md5, kNow), 0u);
}

TEST(Tsig, TimeOutsideFudgeIsBadTimeAfterAGoodMac) {
  const TsigKey k = key();
  auto packet = signedRequest(query(), k);
  EXPECT_EQ(verify(packet, k, kNow + 300).error, TsigError::kNone);
  EXPECT_EQ(verify(packet, k, kNow - 300).error, TsigError::kNone);
  auto late = verify(packet, k, kNow + 301);
  EXPECT_EQ(late.error, TsigError::kBadTime);
  EXPECT_EQ(late.key, &k);  // the MAC was good: the BADTIME answer is signed
  EXPECT_EQ(verify(packet, k, kNow - 301).error, TsigError::kBadTime);
  // A bad MAC is reported as such whatever the time.
  packet[13] ^= 1;  // in the question name
  EXPECT_EQ(verify(packet, k, kNow + 1000).error, TsigError::kBadSig);
}

TEST(Tsig, TsigNotLastOrNotAloneOrNotAdditionalIsFormErr) {
  const auto unsigned_msg = query();
  const auto packet = signedRequest(unsigned_msg, key());
  // A record after the TSIG.
  auto after = packet;
  const std::vector<uint8_t> a_rr{0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
  after.insert(after.end(), a_rr.begin(), a_rr.end());
  set16(after, 10, static_cast<uint16_t>(get16(after, 10) + 1));
  EXPECT_EQ(verify(after, key()).error, TsigError::kFormErr);
  // Two TSIGs.
  EXPECT_EQ(verify(signedRequest(packet, key()), key()).error, TsigError::kFormErr);
  // The TSIG counted in the answer section.
  auto in_answer = packet;
  set16(in_answer, 6, 1);
  set16(in_answer, 10, 0);
  EXPECT_EQ(verify(in_answer, key()).error, TsigError::kFormErr);
  // Trailing octets, a cut message, a bad count.
  auto trailing = packet;
  trailing.push_back(0);
  EXPECT_EQ(verify(trailing, key()).error, TsigError::kFormErr);
  auto cut = packet;
  cut.pop_back();
  EXPECT_EQ(verify(cut, key()).error, TsigError::kFormErr);
  EXPECT_EQ(verify(std::vector<uint8_t>(packet.begin(), packet.begin() + 5), key()).error,
            TsigError::kFormErr);
  auto extra_count = packet;
  set16(extra_count, 10, 2);
  EXPECT_EQ(verify(extra_count, key()).error, TsigError::kFormErr);
}

TEST(Tsig, MacSizeRules) {
  const auto unsigned_msg = query();
  const auto packet = signedRequest(unsigned_msg, key());
  const size_t at = macSizeOffset(unsigned_msg, key());
  ASSERT_EQ(get16(packet, at), 32u);
  // Keep `len` octets of the MAC (RFC 8945 §5.2.2.1), fixing MAC size and RDLENGTH.
  auto truncated = [&](uint16_t len) {
    auto p = packet;
    p.erase(p.begin() + static_cast<std::ptrdiff_t>(at + 2 + len),
            p.begin() + static_cast<std::ptrdiff_t>(at + 2 + 32));
    set16(p, at, len);
    const size_t rdlength_at = unsigned_msg.size() + key().name.wireLength() + 8;
    set16(p, rdlength_at, static_cast<uint16_t>(get16(p, rdlength_at) - (32 - len)));
    return p;
  };
  auto v = verify(truncated(16), key());
  EXPECT_EQ(v.error, TsigError::kBadTrunc);  // valid, but local policy wants all 32 octets
  EXPECT_NE(v.key, nullptr);
  EXPECT_EQ(verify(truncated(15), key()).error, TsigError::kFormErr);  // < max(10, 32/2)
  EXPECT_EQ(verify(truncated(0), key()).error, TsigError::kFormErr);
}

TEST(Tsig, MalformedTsigRecordIsFormErr) {
  const auto unsigned_msg = query();
  const auto packet = signedRequest(unsigned_msg, key());
  const size_t owner = unsigned_msg.size();
  const size_t fixed = owner + key().name.wireLength();
  auto wrong_class = packet;
  set16(wrong_class, fixed + 2, rrclass::kIN);
  EXPECT_EQ(verify(wrong_class, key()).error, TsigError::kFormErr);
  auto wrong_ttl = packet;
  wrong_ttl[fixed + 7] = 1;
  EXPECT_EQ(verify(wrong_ttl, key()).error, TsigError::kFormErr);
  auto short_rdlength = packet;
  set16(short_rdlength, fixed + 8, static_cast<uint16_t>(get16(packet, fixed + 8) - 1));
  EXPECT_EQ(verify(short_rdlength, key()).error, TsigError::kFormErr);
}

// The response to `request` (signed by `k`): NOERROR, question copied, plus its TSIG.
std::vector<uint8_t> signedResponse(const TsigVerified& request, uint16_t id, uint64_t now,
                                    uint16_t rcode = rcode::kNoError) {
  Message m;
  m.header.id = id;
  m.header.qr = true;
  m.header.rcode = static_cast<uint8_t>(rcode);
  m.header.qdcount = 1;
  m.questions.push_back({N("example.com."), rrtype::kA, rrclass::kIN});
  auto out = m.encode();
  const size_t size = out.size();
  out.resize(size + 512);
  const size_t n = signTsigResponse(out, size, request, now);
  EXPECT_GE(n, size);
  out.resize(n);
  return out;
}

TEST(TsigResponse, SignedResponseVerifiesWithRequestMac) {
  const TsigKey k = key();
  std::vector<uint8_t> mac;
  auto request = verify(signedRequest(query(), k, kNow, &mac), k);
  ASSERT_EQ(request.error, TsigError::kNone);
  auto response = signedResponse(request, 0x1234, kNow + 1);
  auto v = verifyTsigResponse(response, k, mac, kNow + 1);
  EXPECT_EQ(v.error, TsigError::kNone);
  EXPECT_EQ(v.key, &k);
  EXPECT_EQ(v.time_signed, kNow + 1);
  EXPECT_EQ(get16(response, 10), 1u);  // ARCOUNT
  // The MAC covers the request MAC: another request's MAC does not verify it.
  auto other_mac = mac;
  other_mac[0] ^= 1;
  EXPECT_EQ(verifyTsigResponse(response, k, other_mac, kNow + 1).error, TsigError::kBadSig);
  auto tampered = response;
  tampered[3] ^= 0x01;
  EXPECT_EQ(verifyTsigResponse(tampered, k, mac, kNow + 1).error, TsigError::kBadSig);
}

TEST(TsigResponse, BadKeyAndBadSigAnswersAreUnsigned) {
  auto request = verify(signedRequest(query(), key("k1.")), key("k2."));
  ASSERT_EQ(request.error, TsigError::kBadKey);
  auto response = signedResponse(request, 0x1234, kNow, rcode::kNotAuth);
  auto m = Message::parse(response);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->additional.size(), 1u);
  const auto& tsig = m->additional[0];
  EXPECT_EQ(tsig.name, N("k1."));
  EXPECT_EQ(tsig.type, kTypeTsig);
  EXPECT_EQ(tsig.cls, rrclass::kANY);
  auto v = verifyTsigResponse(response, key("k1."), request.request_mac, kNow);
  EXPECT_EQ(v.error, TsigError::kBadKey);  // carried in the ERROR field, MAC size 0
  EXPECT_TRUE(v.request_mac.empty());

  auto bad_sig = verify(signedRequest(query(), key()), key("k1.", "hmac-sha256.", "AAAA"));
  ASSERT_EQ(bad_sig.error, TsigError::kBadSig);
  auto r2 = signedResponse(bad_sig, 0x1234, kNow, rcode::kNotAuth);
  auto v2 = verifyTsigResponse(r2, key(), bad_sig.request_mac, kNow);
  EXPECT_EQ(v2.error, TsigError::kBadSig);
  EXPECT_TRUE(v2.request_mac.empty());
}

TEST(TsigResponse, BadTimeAnswerIsSignedWithRequestTimeAndOurs) {
  const TsigKey k = key();
  std::vector<uint8_t> mac;
  auto request = verify(signedRequest(query(), k, kNow, &mac), k, kNow + 1000);
  ASSERT_EQ(request.error, TsigError::kBadTime);
  auto response = signedResponse(request, 0x1234, kNow + 1000, rcode::kNotAuth);
  auto v = verifyTsigResponse(response, k, mac, kNow);  // the client's clock
  EXPECT_EQ(v.error, TsigError::kBadTime);
  EXPECT_EQ(v.key, &k);  // the MAC verified
  EXPECT_EQ(v.time_signed, kNow);
  // Other Data: our time as 48 bits, the last 6 octets of the message.
  uint64_t other = 0;
  for (size_t i = response.size() - 6; i < response.size(); ++i) other = other << 8 | response[i];
  EXPECT_EQ(other, kNow + 1000);
}

TEST(TsigResponse, NothingToAppendOrNoRoom) {
  auto response = query();
  const size_t size = response.size();
  EXPECT_EQ(signTsigResponse(response, size, TsigVerified{}, kNow), size);  // unsigned request
  TsigVerified formerr;
  formerr.error = TsigError::kFormErr;
  EXPECT_EQ(signTsigResponse(response, size, formerr, kNow), size);
  const TsigKey k = key();
  auto request = verify(signedRequest(query(), k), k);
  EXPECT_EQ(signTsigResponse(response, size, request, kNow), 0u);  // buffer full
  EXPECT_EQ(get16(response, 10), 0u);
}

// ---- Interoperability with BIND 9's dig and nsupdate ----

bool haveTool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// A UDP socket on 127.0.0.1 with a kernel-chosen port.
class UdpPeer {
 public:
  UdpPeer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
          ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    port_ = ntohs(a.sin_port);
    timeval tv{10, 0};
    ok_ = ok_ && ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
  }
  ~UdpPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;

  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }

  // One datagram, or nullopt after the timeout.
  std::optional<std::vector<uint8_t>> receive() {
    std::vector<uint8_t> buf(65535);
    socklen_t len = sizeof from_;
    ssize_t n =
        ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from_), &len);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  // To the sender of the last datagram received.
  void reply(const std::vector<uint8_t>& msg) {
    ::sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&from_),
             sizeof from_);
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  bool ok_ = false;
  sockaddr_in from_{};
};

// A shell command started in the background; finish() collects its output and exit status.
class Child {
 public:
  explicit Child(const std::string& command) : pipe_(::popen((command + " 2>&1").c_str(), "r")) {}
  ~Child() {
    if (pipe_) finish();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pipe_ != nullptr; }
  int finish() {
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe_)) > 0) output_.append(buf, n);
    const int status = ::pclose(pipe_);
    pipe_ = nullptr;
    return status;
  }
  const std::string& output() const { return output_; }

 private:
  FILE* pipe_;
  std::string output_;
};

uint64_t wallClock() {
  return static_cast<uint64_t>(std::time(nullptr));
}

// The answer to a request verified as `v`: header and question (zone section) echoed, QR set,
// `rcode`, signed per v.
std::vector<uint8_t> answer(const std::vector<uint8_t>& request, const TsigVerified& v,
                            uint16_t rcode) {
  auto req = Message::parse(request);
  EXPECT_TRUE(req.ok());
  Message m;
  m.header = req->header;
  m.header.qr = true;
  m.header.ra = req->header.opcode == opcode::kQuery;
  m.header.rcode = static_cast<uint8_t>(rcode);
  m.header.qdcount = static_cast<uint16_t>(req->questions.size());
  m.header.ancount = m.header.nscount = m.header.arcount = 0;
  m.questions = req->questions;
  auto out = m.encode();
  const size_t size = out.size();
  out.resize(size + 512);
  out.resize(signTsigResponse(out, size, v, wallClock()));
  return out;
}

constexpr std::string_view kToolMissing =
    " is not installed: the TSIG interoperability tests need BIND's clients "
    "(apt-get install bind9-dnsutils)";

TEST(TsigInterop, DigSignedQueryVerifiesAndDigAcceptsOurSignedAnswer) {
  ASSERT_TRUE(haveTool("dig")) << "dig" << kToolMissing;
  UdpPeer peer;
  ASSERT_TRUE(peer.ok());
  const TsigKey k = key("k1.");
  Child dig("dig +tries=1 +time=3 -y hmac-sha256:k1:" + std::string(kSecret) + " @127.0.0.1 -p " +
            std::to_string(peer.port()) + " example.com A");
  ASSERT_TRUE(dig.started());
  auto request = peer.receive();
  ASSERT_TRUE(request) << "no query from dig";
  auto v = verify(*request, k, wallClock());
  EXPECT_EQ(v.key, &k);
  EXPECT_EQ(v.error, TsigError::kNone);
  EXPECT_EQ(v.algorithm, N("hmac-sha256."));
  EXPECT_TRUE(Message::parse(*request).ok());
  peer.reply(answer(*request, v, rcode::kNoError));
  const int status = dig.finish();
  EXPECT_EQ(status, 0) << dig.output();
  EXPECT_NE(dig.output().find("status: NOERROR"), std::string::npos) << dig.output();
  EXPECT_NE(dig.output().find("TSIG PSEUDOSECTION"), std::string::npos) << dig.output();
  EXPECT_EQ(dig.output().find("Couldn't verify"), std::string::npos) << dig.output();
}

TEST(TsigInterop, DigWithAnotherSecretIsBadSig) {
  ASSERT_TRUE(haveTool("dig")) << "dig" << kToolMissing;
  UdpPeer peer;
  ASSERT_TRUE(peer.ok());
  Child dig("dig +tries=1 +time=1 -y hmac-sha512:k1:AAECAwQFBgcICQ== @127.0.0.1 -p " +
            std::to_string(peer.port()) + " example.com A");
  auto request = peer.receive();
  ASSERT_TRUE(request) << "no query from dig";
  EXPECT_EQ(verify(*request, key("k1.", "hmac-sha512."), wallClock()).error, TsigError::kBadSig);
  EXPECT_EQ(verify(*request, key("k1.", "hmac-sha256."), wallClock()).error, TsigError::kBadKey);
  dig.finish();
}

// nsupdate sends the UPDATE straight to the server when both `server` and `zone` are given.
std::string nsupdateCommand(const std::string& key_spec, uint16_t port) {
  return "printf 'server 127.0.0.1 " + std::to_string(port) +
         "\\nzone example.com.\\nupdate add www.example.com. 300 IN A 192.0.2.7\\nsend\\n' | "
         "nsupdate -t 4 -u 2 -r 0 -y " +
         key_spec;
}

TEST(TsigInterop, NsupdateSignedUpdateVerifiesAndNsupdateAcceptsOurSignedAnswer) {
  ASSERT_TRUE(haveTool("nsupdate")) << "nsupdate" << kToolMissing;
  UdpPeer peer;
  ASSERT_TRUE(peer.ok());
  const TsigKey k = key("k1.");
  Child nsupdate(nsupdateCommand("hmac-sha256:k1:" + std::string(kSecret), peer.port()));
  ASSERT_TRUE(nsupdate.started());
  auto request = peer.receive();
  ASSERT_TRUE(request) << "no UPDATE from nsupdate";
  auto v = verify(*request, k, wallClock());
  EXPECT_EQ(v.key, &k);
  EXPECT_EQ(v.error, TsigError::kNone);
  auto m = Message::parse(*request);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.opcode, opcode::kUpdate);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, N("example.com."));
  EXPECT_EQ(m->questions[0].type, rrtype::kSOA);
  ASSERT_EQ(m->authority.size(), 1u);
  EXPECT_EQ(recordToText(m->authority[0]), "www.example.com. 300 IN A 192.0.2.7");
  peer.reply(answer(*request, v, rcode::kNoError));
  EXPECT_EQ(nsupdate.finish(), 0) << nsupdate.output();
}

TEST(TsigInterop, NsupdateRejectsATamperedAnswerAndSeesBadSig) {
  ASSERT_TRUE(haveTool("nsupdate")) << "nsupdate" << kToolMissing;
  const TsigKey k = key("k1.");
  {  // A signed answer altered after signing: nsupdate must not accept it.
    UdpPeer peer;
    ASSERT_TRUE(peer.ok());
    Child nsupdate(nsupdateCommand("hmac-sha256:k1:" + std::string(kSecret), peer.port()));
    auto request = peer.receive();
    ASSERT_TRUE(request) << "no UPDATE from nsupdate";
    auto reply = answer(*request, verify(*request, k, wallClock()), rcode::kNoError);
    reply[2] ^= 0x04;  // AA
    peer.reply(reply);
    EXPECT_NE(nsupdate.finish(), 0) << nsupdate.output();
  }
  {  // Another secret: BADSIG, answered NOTAUTH with an unsigned TSIG (RFC 8945 §5.3.2).
    UdpPeer peer;
    ASSERT_TRUE(peer.ok());
    Child nsupdate(nsupdateCommand("hmac-sha256:k1:AAECAwQFBgcICQ==", peer.port()));
    auto request = peer.receive();
    ASSERT_TRUE(request) << "no UPDATE from nsupdate";
    auto v = verify(*request, k, wallClock());
    EXPECT_EQ(v.error, TsigError::kBadSig);
    peer.reply(answer(*request, v, rcode::kNotAuth));
    EXPECT_NE(nsupdate.finish(), 0);
    EXPECT_NE(nsupdate.output().find("NOTAUTH"), std::string::npos) << nsupdate.output();
  }
}

}  // namespace
}  // namespace vpcdns::dns
