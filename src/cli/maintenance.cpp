// nvdb verify, compact and readers: text for people, --json for machines.
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "commands.hpp"
#include "handle.hpp"
#include "report.hpp"

namespace nvdb::cli {

namespace {

void print_line(const std::string &text) { std::cout << text << '\n' << std::flush; }

// ---------------------------------------------------------------------------
// verify

// A database that cannot even be opened as damaged: the report has the
// fields that still mean something.
void print_unopenable(const std::string &db, const std::string &message, bool as_json) {
  if (!as_json) {
    print_line(db + ": DAMAGED: " + message);
    return;
  }
  std::string out = "{\"sound\":false,\"locator\":";
  write_string(db, out);
  out += ",\"problem_count\":1,\"problems\":[{\"part\":\"open\",\"message\":";
  write_string(message, out);
  print_line(out + "}]}");
}

void print_verification(const std::string &report) {
  const JsonDoc doc(report);
  const json::Value r = doc.root();
  const bool sound = JsonDoc::flag(r, "sound");
  const std::uint64_t problems = JsonDoc::number(r, "problem_count");
  std::ostringstream out;
  out << JsonDoc::string(r, "locator") << ": "
      << (sound ? "sound" : "DAMAGED (" + std::to_string(problems) + " problem" +
                                (problems == 1 ? "" : "s") + ")")
      << "\n  " << JsonDoc::string(r, "storage") << " database, generation "
      << JsonDoc::number(r, "generation") << ", epoch " << JsonDoc::number(r, "epoch") << ": "
      << JsonDoc::number(r, "live") << " live rows of " << JsonDoc::number(r, "rows")
      << "\n  checked: header, " << JsonDoc::number(r, "commit_records") << " sound commit records, "
      << JsonDoc::number(r, "rows_checked") << " rows, " << JsonDoc::number(r, "vectors_checked")
      << " vectors\n";
  std::uint64_t listed = 0;
  if (const char *list = JsonDoc::member(r, "problems")) {
    const json::Value items(list);
    const char *p = items.body();
    for (std::uint32_t i = 0; i < items.count(); ++i, ++listed) {
      const json::Value item(p);
      out << "  " << JsonDoc::string(item, "part") << ": " << JsonDoc::string(item, "message") << "\n";
      p += item.size();
    }
  }
  if (problems > listed) out << "  (" << problems - listed << " more not listed)\n";
  std::cout << out.str() << std::flush;
}

// ---------------------------------------------------------------------------
// compact

// The bytes a database occupies: its current generation's object for a
// store (nvdb.h names them), the file for .json.
std::uint64_t stored_bytes(const std::string &locator, const std::string &storage,
                           std::uint64_t generation) {
  std::string path = locator;
  if (storage == "file") path = locator + "." + std::to_string(generation);
  if (storage == "shm") path = "/dev/shm/nvdb-" + locator.substr(4) + "." + std::to_string(generation);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw Failure(path + ": cannot read its size");
  return static_cast<std::uint64_t>(st.st_size);
}

struct StoreFigures {
  std::string storage;
  std::uint64_t generation = 0, rows = 0, live = 0, bytes = 0;
};

StoreFigures figures(const Database &db, const std::string &locator) {
  const JsonDoc info(db.info());
  const json::Value root = info.root();
  StoreFigures f;
  f.storage = JsonDoc::string(root, "storage");
  f.generation = JsonDoc::number(root, "generation");
  f.live = JsonDoc::number(root, "count");
  // A .json database has no dead rows on disk and no "rows" in its info.
  f.rows = JsonDoc::member(root, "rows") ? JsonDoc::number(root, "rows") : f.live;
  f.bytes = stored_bytes(locator, f.storage, f.generation);
  return f;
}

// ---------------------------------------------------------------------------
// readers

struct ReaderProcess {
  std::uint64_t pid, generation;
  std::string started;  // ISO 8601, UTC
  std::string command;
};

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The machine's boot time (seconds since the epoch), read once; 0 if unknown.
std::uint64_t boot_time() {
  static const std::uint64_t btime = [] {
    std::istringstream boot(read_file("/proc/stat"));
    std::string key;
    std::uint64_t value = 0;
    while (boot >> key)
      if (key == "btime" && boot >> value) break;
    return value;
  }();
  return btime;
}

// The process's start time, from /proc: clock ticks after boot, plus the
// boot time. "" if the process is gone.
std::string start_time_utc(std::uint64_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return "";
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 0; i < 20 && fields >> field; ++i) {  // starttime is the 20th field after ')'
  }
  const std::uint64_t btime = boot_time();
  if (!fields || btime == 0) return "";
  const std::time_t at = static_cast<std::time_t>(
      btime + std::strtoull(field.c_str(), nullptr, 10) / static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK)));
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&at));
  return text;
}

std::vector<ReaderProcess> live_readers(const json::Value &info) {
  std::vector<ReaderProcess> out;
  const char *list = JsonDoc::member(info, "readers");
  if (!list) return out;
  const json::Value items(list);
  const char *p = items.body();
  for (std::uint32_t i = 0; i < items.count(); ++i) {
    const json::Value item(p);
    p += item.size();
    ReaderProcess r{JsonDoc::number(item, "pid"), JsonDoc::number(item, "generation"), "", ""};
    if (r.pid == static_cast<std::uint64_t>(getpid())) continue;  // this command itself
    r.started = start_time_utc(r.pid);
    if (r.started.empty()) continue;  // it exited meanwhile
    r.command = read_file("/proc/" + std::to_string(r.pid) + "/comm");
    if (!r.command.empty() && r.command.back() == '\n') r.command.pop_back();
    out.push_back(std::move(r));
  }
  return out;
}

void print_readers_json(const std::vector<ReaderProcess> &readers) {
  std::string out = "{\"readers\":[";
  for (std::size_t i = 0; i < readers.size(); ++i) {
    if (i) out += ",";
    out += "{\"pid\":" + std::to_string(readers[i].pid) +
           ",\"generation\":" + std::to_string(readers[i].generation) + ",\"started\":";
    write_string(readers[i].started, out);
    out += ",\"command\":";
    write_string(readers[i].command, out);
    out += "}";
  }
  print_line(out + "]}");
}

void print_readers_text(const std::string &db, bool is_store, const std::vector<ReaderProcess> &readers) {
  if (!is_store) {
    print_line(db + ": no readers (only shm: and file stores are shared between processes)");
    return;
  }
  if (readers.empty()) {
    print_line(db + ": no readers");
    return;
  }
  std::printf("%s: %zu reader%s\n  %-8s %-21s %-11s %s\n", db.c_str(), readers.size(),
              readers.size() == 1 ? "" : "s", "PID", "STARTED (UTC)", "GENERATION", "COMMAND");
  for (const ReaderProcess &r : readers)
    std::printf("  %-8" PRIu64 " %-21s %-11" PRIu64 " %s\n", r.pid, r.started.c_str(), r.generation,
                r.command.c_str());
  std::fflush(stdout);
}

}  // namespace

int run_verify(const std::string &db, bool as_json) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.mode = NVDB_OPEN_READ;
  nvdb_db *raw = nullptr;
  const int opened = nvdb_open(&raw, db.c_str(), &opts);
  if (opened == NVDB_ECORRUPT) {
    print_unopenable(db, nvdb_errmsg(), as_json);
    return kExitDamaged;
  }
  check(opened, "");
  Database handle(raw);
  char *report = nullptr;
  const int status = nvdb_verify(handle.get(), &report);
  if (!report) check(status, "");
  const std::string text(report);
  nvdb_free(report);
  if (as_json)
    print_line(text);
  else
    print_verification(text);
  return status == NVDB_OK ? kExitOk : kExitDamaged;
}

int run_compact(const std::string &db, bool as_json) {
  Database handle(db, NVDB_OPEN_WRITE);
  const StoreFigures before = figures(handle, db);
  check(nvdb_compact(handle.get()), "");
  StoreFigures after = figures(handle, db);
  handle.close();  // a .json database is written back here
  if (after.storage == "json") after.bytes = stored_bytes(db, after.storage, 0);
  if (as_json) {
    std::string out = "{\"locator\":";
    write_string(db, out);
    out += ",\"generation_before\":" + std::to_string(before.generation) +
           ",\"generation_after\":" + std::to_string(after.generation) +
           ",\"rows_before\":" + std::to_string(before.rows) +
           ",\"rows_after\":" + std::to_string(after.rows) + ",\"live\":" + std::to_string(after.live) +
           ",\"bytes_before\":" + std::to_string(before.bytes) +
           ",\"bytes_after\":" + std::to_string(after.bytes) + "}";
    print_line(out);
    return kExitOk;
  }
  print_line(db + ": compacted: " + std::to_string(before.rows - after.rows) + " dead rows removed, " +
             std::to_string(after.live) + " live\n  rows " + std::to_string(before.rows) + " -> " +
             std::to_string(after.rows) + ", " + human_bytes(before.bytes) + " -> " +
             human_bytes(after.bytes) +
             (after.storage == "json" ? std::string()
                                      : ", generation " + std::to_string(before.generation) +
                                            " -> " + std::to_string(after.generation)));
  return kExitOk;
}

int run_readers(const std::string &db, bool as_json) {
  const JsonDoc info(Database(db, NVDB_OPEN_READ).info());
  const bool is_store = JsonDoc::member(info.root(), "readers") != nullptr;
  const std::vector<ReaderProcess> readers = live_readers(info.root());
  if (as_json)
    print_readers_json(readers);
  else
    print_readers_text(db, is_store, readers);
  return kExitOk;
}

}  // namespace nvdb::cli
