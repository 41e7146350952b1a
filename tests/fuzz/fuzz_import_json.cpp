// libFuzzer target: nano-vectordb file parsing must either return a File or
// throw nvdb::Error, never crash, hang or leak, whatever the bytes; parsing
// in chunks (read()'s path) must give the same outcome as in one piece.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "nanovdb/nanovdb.hpp"

namespace {

// The status parse throws (0 on success) and the result.
template <class F>
int attempt(F parse, nvdb::nanovdb::File &out) {
  try {
    out = parse();
    return 0;
  } catch (const nvdb::Error &e) {
    return e.status();
  }
}

bool same(const nvdb::nanovdb::File &a, const nvdb::nanovdb::File &b) {
  if (a.dim != b.dim || a.records.size() != b.records.size() || a.additional_data != b.additional_data ||
      a.matrix.size() != b.matrix.size())
    return false;
  for (std::size_t i = 0; i < a.records.size(); ++i)
    if (a.records[i].id != b.records[i].id || a.records[i].meta != b.records[i].meta) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  nvdb::nanovdb::File whole, chunked;
  int s1 = attempt([&] { return nvdb::nanovdb::parse(text); }, whole);
  int s2 = attempt([&] { return nvdb::nanovdb::parse_in_chunks(text, 1 + size % 7); }, chunked);
  if (s1 != s2) __builtin_trap();
  if (s1 == 0 && (whole.matrix.size() != whole.records.size() * whole.dim || !same(whole, chunked)))
    __builtin_trap();
  return 0;
}
