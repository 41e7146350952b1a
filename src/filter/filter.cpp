#include "filter/filter.hpp"

#include <cstring>

#include "core/error.hpp"
#include "json/codec.hpp"

namespace nvdb::filter {

namespace {

using json::Type;
using json::Value;

[[noreturn]] void invalid(const std::string &message) {
  throw Error(NVDB_EFILTER, "filter: " + message);
}

// ---------------------------------------------------------------------------
// Comparing encoded values.

// JSON integers have no leading zeros, so after the sign the longer digit
// string is the larger number; "-0" is 0.
int compare_integer_text(std::string_view a, std::string_view b) {
  if (a == "-0") a = "0";
  if (b == "-0") b = "0";
  bool neg_a = !a.empty() && a[0] == '-';
  bool neg_b = !b.empty() && b[0] == '-';
  if (neg_a != neg_b) return neg_a ? -1 : 1;
  if (neg_a) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  int magnitude = a.size() != b.size() ? (a.size() < b.size() ? -1 : 1) : a.compare(b);
  magnitude = magnitude < 0 ? -1 : (magnitude > 0 ? 1 : 0);
  return neg_a ? -magnitude : magnitude;
}

int compare_numbers(Value a, Value b) {
  if (a.type() == Type::integer && b.type() == Type::integer)
    return compare_integer_text(a.lexeme(), b.lexeme());
  double x = a.number(), y = b.number();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool equal(Value a, Value b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::string:
      return a.string() == b.string();
    case Type::array: {
      if (a.count() != b.count()) return false;
      const char *p = a.body(), *q = b.body();
      for (std::uint32_t i = 0; i < a.count(); ++i) {
        Value x(p), y(q);
        if (!equal(x, y)) return false;
        p += x.size();
        q += y.size();
      }
      return true;
    }
    case Type::object: {
      if (a.count() != b.count()) return false;
      for (json::Member m : json::Members(a)) {
        const char *other = b.find(m.key);
        if (!other || !equal(m.value, Value(other))) return false;
      }
      return true;
    }
    default:  // null, true, false: the tag says it all
      return true;
  }
}

// -1/0/1 for comparable pairs (number-number, string-string), 2 otherwise.
int order(Value a, Value b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b);
  if (a.type() == Type::string && b.type() == Type::string) {
    int c = a.string().compare(b.string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return 2;
}

}  // namespace

// ---------------------------------------------------------------------------
// The compiled tree.

struct Filter::Node {
  enum class Kind { all, any, negate, field };
  enum class Op { eq, ne, gt, gte, lt, lte, in, nin, exists };
  struct Test {
    Op op;
    const char *arg;  // the operand (an array for $in/$nin, a bool for $exists)
  };

  Kind kind = Kind::all;
  std::vector<Node> children;     // all, any, negate
  std::string name;               // field: the whole key
  std::vector<std::string> path;  // field: name split at dots
  std::vector<Test> tests;        // field: ANDed

  bool matches(Value doc) const {
    switch (kind) {
      case Kind::all:
        for (const Node &c : children)
          if (!c.matches(doc)) return false;
        return true;
      case Kind::any:
        for (const Node &c : children)
          if (c.matches(doc)) return true;
        return false;
      case Kind::negate:
        return !children[0].matches(doc);
      case Kind::field:
        break;
    }
    const char *found = lookup(doc);
    for (const Test &t : tests)
      if (!passes(t, found)) return false;
    return true;
  }

  const char *lookup(Value doc) const {
    if (const char *whole = doc.find(name)) return whole;
    if (path.size() < 2) return nullptr;
    Value at = doc;
    for (const std::string &part : path) {
      if (at.type() != Type::object) return nullptr;
      const char *next = at.find(part);
      if (!next) return nullptr;
      at = Value(next);
    }
    return at.data();
  }

  static bool in_list(Value list, Value v) {
    const char *p = list.body();
    for (std::uint32_t i = 0; i < list.count(); ++i) {
      Value e(p);
      if (equal(e, v)) return true;
      p += e.size();
    }
    return false;
  }

  static bool passes(const Test &t, const char *found) {
    Value arg(t.arg);
    if (t.op == Op::exists) return (found != nullptr) == (arg.type() == Type::true_);
    if (!found) return t.op == Op::ne || t.op == Op::nin;
    Value v(found);
    switch (t.op) {
      case Op::eq: return equal(v, arg);
      case Op::ne: return !equal(v, arg);
      case Op::in: return in_list(arg, v);
      case Op::nin: return !in_list(arg, v);
      default: break;
    }
    int c = order(v, arg);
    if (c == 2) return false;
    switch (t.op) {
      case Op::gt: return c > 0;
      case Op::gte: return c >= 0;
      case Op::lt: return c < 0;
      default: return c <= 0;
    }
  }
};

namespace {

using Node = Filter::Node;

Node compile_object(Value obj, const std::string &where);

std::string describe(std::string_view key) {
  std::string s;
  json::write_string(key, s);
  return s;
}

std::vector<std::string> split_path(const std::string &name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = name.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(name.substr(start, dot - start));
  parts.push_back(name.substr(start));
  return parts;
}

bool parse_op(std::string_view key, Node::Op &op) {
  static const std::pair<const char *, Node::Op> ops[] = {
      {"$eq", Node::Op::eq},   {"$ne", Node::Op::ne},   {"$gt", Node::Op::gt},
      {"$gte", Node::Op::gte}, {"$lt", Node::Op::lt},   {"$lte", Node::Op::lte},
      {"$in", Node::Op::in},   {"$nin", Node::Op::nin}, {"$exists", Node::Op::exists}};
  for (const auto &[name, value] : ops)
    if (key == name) {
      op = value;
      return true;
    }
  return false;
}

bool is_operator_object(Value v) {
  if (v.type() != Type::object || v.count() == 0) return false;
  bool dollar = false, plain = false;
  for (json::Member m : json::Members(v)) (m.key.size() && m.key[0] == '$' ? dollar : plain) = true;
  if (dollar && plain) invalid("an operator object mixes $-operators and field names");
  return dollar;
}

Node compile_field(std::string_view key, Value cond) {
  Node node;
  node.kind = Node::Kind::field;
  node.name = std::string(key);
  node.path = split_path(node.name);
  if (!is_operator_object(cond)) {
    node.tests.push_back({Node::Op::eq, cond.data()});
    return node;
  }
  for (json::Member m : json::Members(cond)) {
    Node::Op op;
    if (!parse_op(m.key, op))
      invalid("unknown operator " + describe(m.key) + " at " + describe(key));
    if ((op == Node::Op::in || op == Node::Op::nin) && m.value.type() != Type::array)
      invalid(std::string(m.key) + " at " + describe(key) + " needs an array");
    if (op == Node::Op::exists && !m.value.is_bool())
      invalid("$exists at " + describe(key) + " needs true or false");
    node.tests.push_back({op, m.value.data()});
  }
  return node;
}

Node compile_list(std::string_view op, Value list) {
  if (list.type() != Type::array || list.count() == 0)
    invalid(std::string(op) + " needs a non-empty array of filters");
  Node node;
  node.kind = op == "$and" ? Node::Kind::all : Node::Kind::any;
  const char *p = list.body();
  for (std::uint32_t i = 0; i < list.count(); ++i) {
    Value e(p);
    if (e.type() != Type::object) invalid(std::string(op) + " needs filters (objects) in its array");
    node.children.push_back(compile_object(e, std::string(op)));
    p += e.size();
  }
  return node;
}

Node compile_object(Value obj, const std::string &where) {
  if (obj.type() != Type::object) invalid(where + " must be a JSON object");
  Node node;  // Kind::all
  for (json::Member m : json::Members(obj)) {
    if (m.key == "$and" || m.key == "$or") {
      node.children.push_back(compile_list(m.key, m.value));
    } else if (m.key == "$not") {
      Node neg;
      neg.kind = Node::Kind::negate;
      neg.children.push_back(compile_object(m.value, "$not"));
      node.children.push_back(std::move(neg));
    } else if (!m.key.empty() && m.key[0] == '$') {
      invalid("unknown operator " + describe(m.key) + " where a field name or $and/$or/$not belongs");
    } else {
      node.children.push_back(compile_field(m.key, m.value));
    }
  }
  return node;
}

}  // namespace

Filter Filter::compile(std::string_view json_text) {
  Filter f;
  try {
    f.literals_ = std::make_shared<const std::string>(json::encode_value(json_text, "filter"));
  } catch (const Error &e) {
    throw Error(NVDB_EFILTER, e.what());
  }
  f.root_ = std::make_shared<const Node>(compile_object(Value(f.literals_->data()), "the filter"));
  return f;
}

bool Filter::matches(json::Value metadata) const { return root_->matches(metadata); }

}  // namespace nvdb::filter
