// Python's repr() of a float, which is how nano-vectordb files spell every
// non-integer number: the shortest digits that round-trip, laid out
// positionally for decimal exponents in [-4, 16) and in scientific notation
// otherwise ("1e-05", "1.5e+300"), always with a ".0" or an exponent.
#include <charconv>
#include <cstdlib>
#include <string>
#include <system_error>

#include "json/codec.hpp"

namespace nvdb::json {

std::string python_repr(double value) {
  // Shortest round-trip digits in scientific form: d[.ddd]e[+-]XX.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  std::size_t e = sci.find('e');
  int exponent = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (std::size_t i = 0; i < e; ++i)
    if (sci[i] != '.') digits.push_back(sci[i]);

  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    std::string ex = std::to_string(std::abs(exponent));
    if (ex.size() < 2) ex = "0" + ex;
    return out + ex;
  }
  if (exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    return out;
  }
  std::size_t int_len = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= int_len) {
    out += digits + std::string(int_len - digits.size(), '0') + ".0";
  } else {
    out += digits.substr(0, int_len) + "." + digits.substr(int_len);
  }
  return out;
}

}  // namespace nvdb::json
