// CommandLine: a program's options, declared once with what each does and its default, so that
// every program answers --help, --version and mistakes the same way, as Unix tools do.
//
//   unsigned port = 8700;
//   bool verbose = false;
//   apps::CommandLine cli("modelsim", "Simulated AI model APIs on 127.0.0.1.");
//   cli.number("--port", "N", "port to listen on (0: any free port)", port, 0u, 65535u);
//   cli.flag("--verbose", "log every request", verbose);
//   if (const std::optional<int> status = cli.parse(argc, argv)) return *status;
//
// A value follows its option (`--port 8080`) or is joined to it (`--port=8080`). parse() returns
// nullopt when the program should go on. Otherwise it has printed, and returns the exit status:
//   -h, --help        the usage, every option with its default, and the epilog, on stdout: 0
//   --version         "<program> (lumen <version>)" on stdout: 0
//   a bad value       "<program>: --port: 'abc' is not a whole number" on stderr: 2
//   a missing value, an unknown option, an unexpected argument: likewise, on stderr: 2
// Options are applied in order as they are read, so a program's variables hold the defaults
// until then. Not thread-safe; meant for main().
#pragma once

#include <charconv>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace apps {

class CommandLine {
 public:
  // `usage` follows the program's name on the usage line.
  CommandLine(std::string program, std::string summary, std::string usage = "[options]");

  // An option without a value; `set` runs each time it is given.
  void flag(std::string name, std::string help, std::function<void()> set);
  void flag(std::string name, std::string help, bool& out) {
    flag(std::move(name), std::move(help), [&out] { out = true; });
  }
  // A text value; the default shown is `out`'s value when the option is declared.
  void text(std::string name, std::string metavar, std::string help, std::string& out);
  // A number within [min, max] (or (min, max] when `above_min`); the default shown is `out`'s.
  template <typename T>
  void number(std::string name, std::string metavar, std::string help, T& out, T min,
              T max = std::numeric_limits<T>::max(), bool above_min = false);
  // Any other value: `set` returns why the text is refused, or "" when it took it.
  void custom(std::string name, std::string metavar, std::string help, std::string default_text,
              std::function<std::string(std::string_view)> set);
  // Another spelling of an option declared before (-o for --out).
  void alias(std::string alias, const std::string& name);
  // Arguments that are not options (files); without this they are refused.
  void arguments(std::string metavar, std::function<void(std::string_view)> add);
  // Printed after the options by --help (exit status, environment variables).
  void epilog(std::string text);
  // Added to the --version line: "<program> (lumen <version>, <detail>)".
  void version_detail(std::string detail);

  // Reads argv[first..argc). See the overview for what it prints and returns.
  [[nodiscard]] std::optional<int> parse(int argc, const char* const* argv, int first = 1);
  [[nodiscard]] std::optional<int> parse(int argc, char** argv, int first = 1) {
    return parse(argc, const_cast<const char* const*>(argv), first);
  }

  // A mistake found after parse() (a required option missing), reported as parse() reports its
  // own; returns 2, the status to exit with.
  [[nodiscard]] int fail(std::string_view why) const;
  void print_help(std::FILE* out) const;
  void print_version() const;

 private:
  struct Option {
    std::string name;
    std::string metavar;  // empty: a flag
    std::string help;
    std::string default_text;
    std::function<std::string(std::string_view)> set;
    std::vector<std::string> aliases;
  };
  [[nodiscard]] Option* find(std::string_view name);
  void add(Option option);

  std::string program_;
  std::string summary_;
  std::string usage_;
  std::string epilog_;
  std::string version_detail_;
  std::vector<Option> options_;
  std::string arguments_metavar_;
  std::function<void(std::string_view)> add_argument_;
};

namespace detail {
// Why `value` is refused by [min, max] (or (min, max]; no upper bound without `has_max`), or ""
// when it is within.
std::string out_of_range(double value, double min, double max, bool above_min, bool has_max,
                         bool integer);
std::string number_text(double value, bool integer);
}  // namespace detail

// Reads a number within [min, max] (or (min, max] when `above_min`) into `out`; returns why the
// text is refused, or "" when it took it. For custom() options whose value is a number.
template <typename T>
std::string parse_number(std::string_view text, T& out, T min,
                         T max = std::numeric_limits<T>::max(), bool above_min = false) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  constexpr bool kInteger = std::is_integral_v<T>;
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return "'" + std::string(text) + "' is too large";
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return "'" + std::string(text) + (kInteger ? "' is not a whole number" : "' is not a number");
  }
  std::string why = detail::out_of_range(static_cast<double>(value), static_cast<double>(min),
                                         static_cast<double>(max), above_min,
                                         max != std::numeric_limits<T>::max(), kInteger);
  if (why.empty()) out = value;
  return why;
}

template <typename T>
// NOLINTNEXTLINE(performance-unnecessary-value-param): moved below; tidy 14 misreads templates
void CommandLine::number(std::string name, std::string metavar, std::string help, T& out, T min,
                         T max, bool above_min) {
  custom(std::move(name), std::move(metavar), std::move(help),
         detail::number_text(static_cast<double>(out), std::is_integral_v<T>),
         [&out, min, max, above_min](std::string_view text) {
           return parse_number(text, out, min, max, above_min);
         });
}

}  // namespace apps
