// Generation::verify, behind nvdb_verify: every check a reader makes lazily
// (and a few it cannot afford to), made at once over a whole generation.
#include <cmath>
#include <string>
#include <unordered_set>

#include "core/error.hpp"
#include "core/validate.hpp"
#include "json/codec.hpp"
#include "store/generation.hpp"

namespace nvdb::store {

namespace {

// A stored vector is finite and, under cosine, of unit length: nvdb never
// stores another, so anything else is damage. The tolerance is far above
// float rounding and far below what a flipped exponent or sign bit does.
const char *vector_problem(const float *v, std::uint32_t dim, bool unit) {
  // Not finite exactly when a component is not (squared_norm's contract).
  const double squared = squared_norm(v, dim);
  if (!std::isfinite(squared)) return "its vector has a NaN or infinite component";
  if (unit && std::fabs(squared - 1.0) > 1e-3) return "its vector is not of unit length (cosine)";
  return nullptr;
}

}  // namespace

void Verification::add(std::string part, std::string message) {
  if (++problem_count <= kMaxListed) problems.push_back({std::move(part), std::move(message)});
}

Verification Generation::verify(bool unit_vectors) const {
  Verification v;
  try {
    check_header(base_, object_.size(), what_);
  } catch (const Error &e) {
    v.add("header", e.what());
    return v;  // nothing past a bad header can be located
  }
  verify_records(v);
  if (v.sound_records > 0) verify_rows(v, unit_vectors);
  return v;
}

namespace {

// Whether a commit or durable record is sound, reporting it if it is damaged.
// A record being written is not damage: a commit in progress, or one a
// dead writer abandoned.
bool sound_record(const DataHeader &h, const MetaSlot &slot, const std::string &name, Verification &v,
                  Snapshot &s) {
  switch (inspect_slot(h, slot, s)) {
    case SlotState::unused:
    case SlotState::being_written:
      return false;
    case SlotState::bad_checksum:
      v.add("commit record", name + ": checksum mismatch");
      return false;
    case SlotState::out_of_range:
      v.add("commit record", name + " (epoch " + std::to_string(s.epoch) +
                                 "): counts beyond the generation's capacity");
      return false;
    case SlotState::sound:
      break;
  }
  return true;
}

}  // namespace

// The epoch of the newest commit record, set aside or not (0: none).
std::uint64_t Generation::newest_epoch() const {
  const std::uint64_t no_skip[2] = {0, 0};
  Snapshot now;
  return read_snapshot(header(), no_skip, now) ? now.epoch : 0;
}

// The data of the newest commit is checked against its checksum, not that
// of the one before: a writer that reuses rows may be writing over it (its
// lists, the rows it wrote once they are dead) while preparing the next
// commit. Nor, after a machine crash, that of a commit a durable record
// covers: it was on disk whole, and reuse may have written over it before
// the crash.
void Generation::verify_records(Verification &v) const {
  const std::uint64_t durable = after_crash_ ? durable_epoch() : 0;
  Snapshot records[2];
  bool sound[2] = {false, false};
  for (int k = 0; k < 2; ++k)
    sound[k] = sound_record(header(), header().meta[k], "commit record " + std::to_string(k), v, records[k]);
  const int newest_k = sound[1] && (!sound[0] || records[1].epoch > records[0].epoch) ? 1 : 0;
  for (int k = 0; k < 2; ++k) {
    const std::string name = "commit record " + std::to_string(k);
    const Snapshot &s = records[k];
    if (!sound[k]) continue;
    if (is_set_aside(s, set_aside_)) {
      v.add("data", name + " (epoch " + std::to_string(s.epoch) +
                        "): set aside at open, as a machine crash left it or a commit before it "
                        "incomplete on disk");
      continue;
    }
    // publish() writes epoch E into record E & 1.
    if ((s.epoch & 1) != static_cast<std::uint64_t>(k)) {
      v.add("commit record", name + " holds epoch " + std::to_string(s.epoch) +
                                 ", which belongs in the other record");
      continue;
    }
    // If a commit came after s, the writer may have written over what s
    // added, and a mismatch proves nothing.
    if (k == newest_k && s.epoch > durable && !matches_its_checksum(s) && newest_epoch() == s.epoch) {
      v.add("data", name + " (epoch " + std::to_string(s.epoch) +
                        "): the rows, heap bytes or deaths it added do not match its checksum");
      continue;
    }
    if (v.sound_records == 0 || s.epoch > v.snap.epoch) v.snap = s;
    ++v.sound_records;
  }
  if (fallback_ && v.sound_records == 0) {
    v.snap = *fallback_;  // what this handle reads: the rows are checked at it
    ++v.sound_records;
  }
  if (v.sound_records == 0) v.add("commit record", "no sound commit record: the rows cannot be checked");
  // The durable records name commits at or before the newest (a writer
  // that reopened after a machine crash republished the newest of them).
  // Read after them, the newest commit is at least as new as any they name,
  // also while a writer commits.
  std::uint64_t recorded[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    Snapshot s;
    if (sound_record(header(), header().durable[k], "durable record " + std::to_string(k), v, s))
      recorded[k] = s.epoch;
  }
  const std::uint64_t newest = newest_epoch();
  if (newest == 0) return;
  for (int k = 0; k < 2; ++k)
    if (recorded[k] > newest)
      v.add("commit record", "durable record " + std::to_string(k) + " names epoch " +
                                 std::to_string(recorded[k]) + ", after the newest commit (" +
                                 std::to_string(newest) + ")");
}

void Generation::verify_rows(Verification &v, bool unit_vectors) const {
  const Snapshot &s = v.snap;
  std::uint64_t live = 0;
  std::unordered_set<std::string_view> ids;
  ids.reserve(s.live);
  for (std::uint64_t i = 0; i < s.rows; ++i) {
    ++v.rows_checked;
    // Named only when something is wrong: most rows are sound.
    auto where = [i] { return "row " + std::to_string(i) + ": "; };
    // Only visible rows: the writer may be writing a dead one in place.
    const bool is_live = alive(i, s.epoch);
    live += is_live;
    if (!is_live) continue;
    if (const char *why = row_problem(i, s.heap_used)) {
      v.add("row", where() + why);
      continue;
    }
    const RowEntry &r = rows()[i];
    const std::string_view id = heap(r.heap_off, r.id_len);
    if (!ids.insert(id).second)
      v.add("id", where() + "id \"" + std::string(id) + "\" is also the id of an earlier live row");
    ++v.vectors_checked;
    if (const char *why = vector_problem(vector(i), dim(), unit_vectors)) v.add("vector", where() + why);
  }
  if (live != s.live)
    v.add("count", "the commit counts " + std::to_string(s.live) + " live rows, the rows hold " +
                       std::to_string(live));
  if (s.extra_len && !json::is_well_formed(heap(s.extra_off, s.extra_len)))
    v.add("heap", "the additional data is not a well-formed document");
}

}  // namespace nvdb::store
