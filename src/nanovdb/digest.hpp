// Digests and base64, on top of OpenSSL's libcrypto: what nano-vectordb files
// need (md5 auto ids, the base64 matrix).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nvdb {

// The md5 digest of size bytes, as 32 lowercase hex characters (Python's
// hashlib.md5(...).hexdigest()).
std::string md5_hex(const void *data, std::size_t size);

// Standard base64 (alphabet "+/", "=" padding, no line breaks).
std::string base64_encode(const void *data, std::size_t size);

// Characters base64_encode produces for size bytes.
inline std::size_t base64_encoded_size(std::size_t size) { return (size + 2) / 3 * 4; }

// Encodes size bytes to out, which must hold base64_encoded_size(size) + 1
// characters (OpenSSL writes a NUL after the text). Returns the text's length.
// For streaming, call it on chunks whose size is a multiple of 3 (only the
// last chunk may be shorter), so that no padding lands in the middle.
std::size_t base64_encode_to(const void *data, std::size_t size, char *out);

// Decodes base64 text that arrives in chunks of any length (a JSON string's
// parts). Strict: only the standard alphabet, "=" padding only in the last
// group, total length a multiple of 4. Throws nvdb::Error(NVDB_ECORRUPT)
// naming the offending character's offset in the text.
class Base64Decoder {
 public:
  // The most bytes the next feed(text) can write.
  std::size_t max_output(std::size_t text_size) const { return (tail_len_ + text_size) / 4 * 3; }
  // Decodes what it can of text to out (max_output(text.size()) bytes of room)
  // and returns the number of bytes written; keeps an incomplete group for later.
  std::size_t feed(std::string_view text, unsigned char *out);
  // Checks that the text ended on a whole group.
  void finish() const;
  // Characters consumed so far.
  std::size_t consumed() const { return consumed_; }

 private:
  std::size_t decode_groups(std::string_view text, unsigned char *out);
  std::size_t decode_plain(std::string_view text, unsigned char *out);
  std::size_t decode_last(std::string_view group, unsigned char *out);
  [[noreturn]] void fail_at(std::string_view text) const;

  char tail_[4] = {};         // an incomplete group carried to the next feed
  std::size_t tail_len_ = 0;
  std::size_t consumed_ = 0;  // characters of the text already decoded
  bool padded_ = false;       // a group with "=" was seen: nothing may follow
};

}  // namespace nvdb
