// Declarative metadata filters in the style of MongoDB's `where`, compiled
// once per query into a tree that tests encoded docs (json/doc.hpp) with no
// JSON parsing per record.
//
//   {"genre": "jazz", "year": {"$gte": 2000}}
//
// - A filter is a JSON object; its entries are ANDed ({} matches all).
// - {"f": v}: field f equals v. {"f": {"$op": arg, ...}}: every operator
//   holds. An operator object must not mix $-keys and plain keys.
// - $eq $ne: JSON equality, exact and deep: numbers by value (1 == 1.0;
//   two integers by their digits, so 9007199254740993 != 9007199254740992),
//   strings bytewise, arrays in order, objects as key sets; true is not 1.
// - $gt $gte $lt $lte: number with number or string with string (bytewise);
//   false for any other pair or a missing field.
// - $in / $nin: an array of values; equal to one / to none of them.
// - $exists: true or false.
// - $ne and $nin are true when the field is missing; every other operator is
//   false then.
// - $and / $or: a non-empty array of filters; $not: one filter.
// - "a.b" names the field b of the object a. A key that itself contains a
//   dot is matched whole first, so {"a.b": 1} also finds a literal "a.b".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json/doc.hpp"

namespace nvdb::filter {

class Filter {
 public:
  // Compiles a filter. Throws nvdb::Error(NVDB_EFILTER) naming the problem.
  static Filter compile(std::string_view json_text);

  // True if the encoded metadata object passes. Const and thread-safe.
  bool matches(json::Value metadata) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  std::shared_ptr<const std::string> literals_;  // encoded filter text the nodes point into
};

}  // namespace nvdb::filter
