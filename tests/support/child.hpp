// A child process for black-box tests: spawned with posix_spawn, stdin and
// stdout on pipes, stderr to a file. Header-only, test code only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

extern char **environ;

namespace nvdb_test {

class Child {
 public:
  enum class Stderr { truncate, append };
  // argv[0] is the program's path.
  Child(const std::vector<std::string> &argv, const std::string &stderr_file, Stderr mode) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    const int flags = O_WRONLY | O_CREAT | (mode == Stderr::append ? O_APPEND : O_TRUNC);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_file.c_str(), flags, 0600);
    for (int fd : {in[0], in[1], out[0], out[1]}) posix_spawn_file_actions_addclose(&fa, fd);
    std::vector<std::string> args = argv;
    std::vector<char *> ptrs;
    for (auto &a : args) ptrs.push_back(a.data());
    ptrs.push_back(nullptr);
    const int rc = posix_spawn(&pid_, ptrs[0], &fa, nullptr, ptrs.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    to_ = in[1];
    from_ = fdopen(out[0], "r");
    if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
  }
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;
  ~Child() {
    close_stdin();
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (from_) fclose(from_);
  }

  pid_t pid() const { return pid_; }
  bool write(const std::string &text) {
    return ::write(to_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }
  void close_stdin() {
    if (to_ >= 0) close(std::exchange(to_, -1));
  }
  // The next line of stdout without its newline; "" at the end.
  std::string read_line() {
    std::string line;
    for (int c; (c = fgetc(from_)) != EOF && c != '\n';) line.push_back(static_cast<char>(c));
    return line;
  }
  // The rest of stdout, once the process has closed it.
  std::string rest() {
    std::string text;
    for (int c; (c = fgetc(from_)) != EOF;) text.push_back(static_cast<char>(c));
    return text;
  }
  bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  // The exit status, or 128 + the signal that ended the process.
  int wait() {
    close_stdin();
    int status = 0;
    waitpid(std::exchange(pid_, -1), &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  int kill_now() {
    kill(pid_, SIGKILL);
    return wait();
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  FILE *from_ = nullptr;
};

}  // namespace nvdb_test
