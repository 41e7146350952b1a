#include "nanovdb/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace nvdb {

namespace {

// OpenSSL's block functions take an int length: work in pieces well below it.
// A multiple of 3 (encoding) and of 4 (decoding) keeps padding at the very end.
constexpr std::size_t kEncodePiece = std::size_t{3} << 20;  // bytes in
constexpr std::size_t kDecodePiece = std::size_t{4} << 20;  // characters in

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::string md5_hex(const void *data, std::size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, size, md, &len, EVP_md5(), nullptr) != 1)
    throw Error(NVDB_EINTERNAL, "md5: EVP_Digest failed");
  static const char hex[] = "0123456789abcdef";
  std::string out(2 * std::size_t{len}, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

std::size_t base64_encode_to(const void *data, std::size_t size, char *out) {
  auto in = static_cast<const unsigned char *>(data);
  auto dst = reinterpret_cast<unsigned char *>(out);
  std::size_t written = 0;
  for (std::size_t done = 0; done < size;) {
    std::size_t n = std::min(kEncodePiece, size - done);
    written += static_cast<std::size_t>(EVP_EncodeBlock(dst + written, in + done, static_cast<int>(n)));
    done += n;
  }
  if (size == 0) out[0] = '\0';
  return written;
}

std::string base64_encode(const void *data, std::size_t size) {
  std::string out(base64_encoded_size(size) + 1, '\0');
  out.resize(base64_encode_to(data, size, out.data()));
  return out;
}

// --- decoding ---------------------------------------------------------------

std::size_t Base64Decoder::feed(std::string_view text, unsigned char *out) {
  std::size_t written = 0;
  if (tail_len_ > 0) {  // complete the group left over from the last feed
    std::size_t take = std::min(4 - tail_len_, text.size());
    std::memcpy(tail_ + tail_len_, text.data(), take);
    tail_len_ += take;
    text.remove_prefix(take);
    if (tail_len_ < 4) return 0;
    written = decode_groups({tail_, 4}, out);
    tail_len_ = 0;
  }
  std::size_t whole = text.size() / 4 * 4;
  written += decode_groups(text.substr(0, whole), out + written);
  tail_len_ = text.size() - whole;
  std::memcpy(tail_, text.data() + whole, tail_len_);
  if (padded_ && tail_len_ > 0) fail_at({tail_, tail_len_});
  return written;
}

void Base64Decoder::finish() const {
  if (tail_len_ > 0)
    throw Error(NVDB_ECORRUPT, "base64: the length is not a multiple of 4 (" +
                                   std::to_string(consumed_ + tail_len_) + " characters)");
}

// Decodes whole groups starting at offset consumed_ of the text; only the last
// group of the whole text may hold padding.
std::size_t Base64Decoder::decode_groups(std::string_view text, unsigned char *out) {
  if (text.empty()) return 0;
  if (padded_) fail_at(text);
  std::size_t pad = text.find('=');
  if (pad == std::string_view::npos) return decode_plain(text, out);
  std::size_t last = pad / 4 * 4;
  std::size_t written = decode_plain(text.substr(0, last), out);
  written += decode_last(text.substr(last, 4), out + written);
  if (last + 4 < text.size()) fail_at(text.substr(last + 4));
  return written;
}

// Groups without padding, in pieces OpenSSL takes. EVP_DecodeBlock silently
// strips leading blanks and trailing non-alphabet characters (so "AAA\n\n\n\n"
// would pass): checking each piece's first and last character closes that
// hole, and it rejects every other character itself.
std::size_t Base64Decoder::decode_plain(std::string_view text, unsigned char *out) {
  std::size_t written = 0;
  while (!text.empty()) {
    std::size_t n = std::min(kDecodePiece, text.size());
    std::string_view piece = text.substr(0, n);
    auto src = reinterpret_cast<const unsigned char *>(piece.data());
    if (!is_base64_char(piece.front()) || !is_base64_char(piece.back()) ||
        EVP_DecodeBlock(out + written, src, static_cast<int>(n)) < 0)
      fail_at(piece);
    written += n / 4 * 3;
    consumed_ += n;
    text.remove_prefix(n);
  }
  return written;
}

// The final group: "xx==" holds one byte, "xxx=" two. EVP_DecodeBlock would
// count the padding as zero bytes, so decode it with 'A's and keep the rest.
std::size_t Base64Decoder::decode_last(std::string_view group, unsigned char *out) {
  std::size_t data = group[2] == '=' ? 2 : 3;
  if (group.size() != 4 || group[3] != '=' ||
      !std::all_of(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(data), is_base64_char))
    fail_at(group);
  unsigned char quad[4] = {'A', 'A', 'A', 'A'};
  std::memcpy(quad, group.data(), data);
  unsigned char bytes[4];
  if (EVP_DecodeBlock(bytes, quad, 4) != 3) fail_at(group);
  std::memcpy(out, bytes, data - 1);
  consumed_ += 4;
  padded_ = true;
  return data - 1;
}

// Names the first bad character of text (which starts at offset consumed_).
void Base64Decoder::fail_at(std::string_view text) const {
  std::size_t i = 0;
  if (padded_) {
    throw Error(NVDB_ECORRUPT, "base64: characters after the padding, at character " +
                                   std::to_string(consumed_));
  }
  while (i < text.size() && is_base64_char(text[i])) ++i;
  std::string what = i < text.size() ? "invalid character" : "invalid padding";
  if (i < text.size() && static_cast<unsigned char>(text[i]) >= 0x20 &&
      static_cast<unsigned char>(text[i]) < 0x7f)
    what += std::string(" '") + text[i] + "'";
  throw Error(NVDB_ECORRUPT, "base64: " + what + " at character " + std::to_string(consumed_ + i));
}

}  // namespace nvdb
